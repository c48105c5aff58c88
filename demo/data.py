"""Data for `manage.py load_demo`: regional offices, generated reporting units and people, staff and tickets.

Everything here is plain Python without the database. The generator is seeded (random.Random(2026)), so every
run yields the same units with the same REGON numbers and the command can upsert by REGON. Invented
identifiers pass their checksums; e-mail domains end in .example/.invalid (RFC 2606), so nothing is
ever delivered to a real mailbox.
"""

from __future__ import annotations

import random
import re
import struct
import unicodedata
import zlib
from dataclasses import dataclass, field

from stdnum.pl import nip as stdnum_nip
from stdnum.pl import regon as stdnum_regon

SEED = 2026
UNIT_COUNT = 320
DEMO_MESSAGE_DOMAIN = "demo.ssoz.invalid"

# --- regional offices ----------------------------------------------------------------------------------
# code: (adjective of the office name, "w <seat>", street address, telephone area code)
OFFICES = {
    "02": ("Dolnośląski", "we Wrocławiu", "pl. Powstańców Warszawy 1, 50-153 Wrocław", "71"),
    "04": ("Kujawsko-Pomorski", "w Bydgoszczy", "ul. Jagiellońska 3, 85-950 Bydgoszcz", "52"),
    "06": ("Lubelski", "w Lublinie", "ul. Spokojna 4, 20-914 Lublin", "81"),
    "08": ("Lubuski", "w Gorzowie Wielkopolskim", "ul. Jagiellończyka 8, 66-400 Gorzów Wielkopolski", "95"),
    "10": ("Łódzki", "w Łodzi", "ul. Piotrkowska 104, 90-926 Łódź", "42"),
    "12": ("Małopolski", "w Krakowie", "ul. Basztowa 22, 31-156 Kraków", "12"),
    "14": ("Mazowiecki", "w Warszawie", "pl. Bankowy 3/5, 00-950 Warszawa", "22"),
    "16": ("Opolski", "w Opolu", "ul. Piastowska 14, 45-082 Opole", "77"),
    "18": ("Podkarpacki", "w Rzeszowie", "ul. Grunwaldzka 15, 35-959 Rzeszów", "17"),
    "20": ("Podlaski", "w Białymstoku", "ul. Mickiewicza 3/4, 15-213 Białystok", "85"),
    "22": ("Pomorski", "w Gdańsku", "ul. Okopowa 21/27, 80-810 Gdańsk", "58"),
    "24": ("Śląski", "w Katowicach", "ul. Jagiellońska 25, 40-032 Katowice", "32"),
    "26": ("Świętokrzyski", "w Kielcach", "al. IX Wieków Kielc 3, 25-516 Kielce", "41"),
    "28": ("Warmińsko-Mazurski", "w Olsztynie", "al. Piłsudskiego 7/9, 10-575 Olsztyn", "89"),
    "30": ("Wielkopolski", "w Poznaniu", "al. Niepodległości 16/18, 61-713 Poznań", "61"),
    "32": ("Zachodniopomorski", "w Szczecinie", "ul. Wały Chrobrego 4, 70-502 Szczecin", "91"),
}
OFFICE_DEPARTMENT = "Wydział Zdrowia"

# Rough population weights: how the units spread over the voivodeships.
WEIGHTS = {
    "02": 2.9, "04": 2.0, "06": 2.0, "08": 1.0, "10": 2.4, "12": 3.4, "14": 5.5, "16": 1.0,
    "18": 2.1, "20": 1.2, "22": 2.4, "24": 4.4, "26": 1.2, "28": 1.4, "30": 3.5, "32": 1.7,
}  # fmt: skip

# code: [(town, "w <town>" in the locative, postal code or its prefix "NN-")]; the seat comes first.
TOWNS = {
    "02": [
        ("Wrocław", "we Wrocławiu", "50-"),
        ("Wałbrzych", "w Wałbrzychu", "58-300"),
        ("Legnica", "w Legnicy", "59-220"),
        ("Jelenia Góra", "w Jeleniej Górze", "58-500"),
        ("Lubin", "w Lubinie", "59-300"),
        ("Głogów", "w Głogowie", "67-200"),
        ("Świdnica", "w Świdnicy", "58-100"),
        ("Oleśnica", "w Oleśnicy", "56-400"),
    ],
    "04": [
        ("Bydgoszcz", "w Bydgoszczy", "85-"),
        ("Toruń", "w Toruniu", "87-100"),
        ("Włocławek", "we Włocławku", "87-800"),
        ("Grudziądz", "w Grudziądzu", "86-300"),
        ("Inowrocław", "w Inowrocławiu", "88-100"),
        ("Brodnica", "w Brodnicy", "87-300"),
        ("Świecie", "w Świeciu", "86-100"),
    ],
    "06": [
        ("Lublin", "w Lublinie", "20-"),
        ("Zamość", "w Zamościu", "22-400"),
        ("Chełm", "w Chełmie", "22-100"),
        ("Biała Podlaska", "w Białej Podlaskiej", "21-500"),
        ("Puławy", "w Puławach", "24-100"),
        ("Kraśnik", "w Kraśniku", "23-200"),
        ("Świdnik", "w Świdniku", "21-040"),
    ],
    "08": [
        ("Gorzów Wielkopolski", "w Gorzowie Wielkopolskim", "66-400"),
        ("Zielona Góra", "w Zielonej Górze", "65-"),
        ("Nowa Sól", "w Nowej Soli", "67-100"),
        ("Żary", "w Żarach", "68-200"),
        ("Świebodzin", "w Świebodzinie", "66-200"),
        ("Międzyrzecz", "w Międzyrzeczu", "66-300"),
    ],
    "10": [
        ("Łódź", "w Łodzi", "90-"),
        ("Piotrków Trybunalski", "w Piotrkowie Trybunalskim", "97-300"),
        ("Pabianice", "w Pabianicach", "95-200"),
        ("Tomaszów Mazowiecki", "w Tomaszowie Mazowieckim", "97-200"),
        ("Bełchatów", "w Bełchatowie", "97-400"),
        ("Zgierz", "w Zgierzu", "95-100"),
        ("Skierniewice", "w Skierniewicach", "96-100"),
        ("Kutno", "w Kutnie", "99-300"),
    ],
    "12": [
        ("Kraków", "w Krakowie", "30-"),
        ("Tarnów", "w Tarnowie", "33-100"),
        ("Nowy Sącz", "w Nowym Sączu", "33-300"),
        ("Oświęcim", "w Oświęcimiu", "32-600"),
        ("Chrzanów", "w Chrzanowie", "32-500"),
        ("Nowy Targ", "w Nowym Targu", "34-400"),
        ("Wadowice", "w Wadowicach", "34-100"),
        ("Zakopane", "w Zakopanem", "34-500"),
    ],
    "14": [
        ("Warszawa", "w Warszawie", "02-"),
        ("Radom", "w Radomiu", "26-600"),
        ("Płock", "w Płocku", "09-400"),
        ("Siedlce", "w Siedlcach", "08-110"),
        ("Ostrołęka", "w Ostrołęce", "07-410"),
        ("Ciechanów", "w Ciechanowie", "06-400"),
        ("Pruszków", "w Pruszkowie", "05-800"),
        ("Legionowo", "w Legionowie", "05-120"),
    ],
    "16": [
        ("Opole", "w Opolu", "45-"),
        ("Kędzierzyn-Koźle", "w Kędzierzynie-Koźlu", "47-200"),
        ("Nysa", "w Nysie", "48-300"),
        ("Brzeg", "w Brzegu", "49-300"),
        ("Kluczbork", "w Kluczborku", "46-200"),
        ("Prudnik", "w Prudniku", "48-200"),
    ],
    "18": [
        ("Rzeszów", "w Rzeszowie", "35-"),
        ("Przemyśl", "w Przemyślu", "37-700"),
        ("Stalowa Wola", "w Stalowej Woli", "37-450"),
        ("Mielec", "w Mielcu", "39-300"),
        ("Krosno", "w Krośnie", "38-400"),
        ("Tarnobrzeg", "w Tarnobrzegu", "39-400"),
        ("Sanok", "w Sanoku", "38-500"),
        ("Jasło", "w Jaśle", "38-200"),
    ],
    "20": [
        ("Białystok", "w Białymstoku", "15-"),
        ("Suwałki", "w Suwałkach", "16-400"),
        ("Łomża", "w Łomży", "18-400"),
        ("Augustów", "w Augustowie", "16-300"),
        ("Bielsk Podlaski", "w Bielsku Podlaskim", "17-100"),
        ("Zambrów", "w Zambrowie", "18-300"),
        ("Hajnówka", "w Hajnówce", "17-200"),
    ],
    "22": [
        ("Gdańsk", "w Gdańsku", "80-"),
        ("Gdynia", "w Gdyni", "81-"),
        ("Słupsk", "w Słupsku", "76-200"),
        ("Tczew", "w Tczewie", "83-110"),
        ("Starogard Gdański", "w Starogardzie Gdańskim", "83-200"),
        ("Wejherowo", "w Wejherowie", "84-200"),
        ("Chojnice", "w Chojnicach", "89-600"),
        ("Kwidzyn", "w Kwidzynie", "82-500"),
    ],
    "24": [
        ("Katowice", "w Katowicach", "40-"),
        ("Częstochowa", "w Częstochowie", "42-200"),
        ("Sosnowiec", "w Sosnowcu", "41-200"),
        ("Gliwice", "w Gliwicach", "44-100"),
        ("Zabrze", "w Zabrzu", "41-800"),
        ("Bielsko-Biała", "w Bielsku-Białej", "43-300"),
        ("Bytom", "w Bytomiu", "41-900"),
        ("Rybnik", "w Rybniku", "44-200"),
        ("Tychy", "w Tychach", "43-100"),
    ],
    "26": [
        ("Kielce", "w Kielcach", "25-"),
        ("Ostrowiec Świętokrzyski", "w Ostrowcu Świętokrzyskim", "27-400"),
        ("Starachowice", "w Starachowicach", "27-200"),
        ("Skarżysko-Kamienna", "w Skarżysku-Kamiennej", "26-110"),
        ("Sandomierz", "w Sandomierzu", "27-600"),
        ("Końskie", "w Końskich", "26-200"),
        ("Busko-Zdrój", "w Busku-Zdroju", "28-100"),
    ],
    "28": [
        ("Olsztyn", "w Olsztynie", "10-"),
        ("Elbląg", "w Elblągu", "82-300"),
        ("Ełk", "w Ełku", "19-300"),
        ("Ostróda", "w Ostródzie", "14-100"),
        ("Iława", "w Iławie", "14-200"),
        ("Giżycko", "w Giżycku", "11-500"),
        ("Kętrzyn", "w Kętrzynie", "11-400"),
        ("Mrągowo", "w Mrągowie", "11-700"),
    ],
    "30": [
        ("Poznań", "w Poznaniu", "60-"),
        ("Kalisz", "w Kaliszu", "62-800"),
        ("Konin", "w Koninie", "62-500"),
        ("Piła", "w Pile", "64-920"),
        ("Ostrów Wielkopolski", "w Ostrowie Wielkopolskim", "63-400"),
        ("Gniezno", "w Gnieźnie", "62-200"),
        ("Leszno", "w Lesznie", "64-100"),
        ("Września", "we Wrześni", "62-300"),
    ],
    "32": [
        ("Szczecin", "w Szczecinie", "70-"),
        ("Koszalin", "w Koszalinie", "75-"),
        ("Stargard", "w Stargardzie", "73-110"),
        ("Kołobrzeg", "w Kołobrzegu", "78-100"),
        ("Świnoujście", "w Świnoujściu", "72-600"),
        ("Szczecinek", "w Szczecinku", "78-400"),
        ("Police", "w Policach", "72-010"),
        ("Wałcz", "w Wałczu", "78-600"),
    ],
}

FEMALE_NAMES = [
    "Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa", "Krystyna", "Elżbieta", "Magdalena",
    "Joanna", "Aleksandra", "Monika", "Beata", "Dorota", "Justyna", "Iwona", "Marta", "Renata", "Grażyna", "Agata",
    "Paulina", "Halina", "Jolanta", "Karolina", "Urszula",
]  # fmt: skip
MALE_NAMES = [
    "Jan", "Piotr", "Andrzej", "Krzysztof", "Tomasz", "Paweł", "Marcin", "Michał", "Grzegorz", "Józef", "Marek",
    "Adam", "Łukasz", "Zbigniew", "Jerzy", "Tadeusz", "Mateusz", "Dariusz", "Mariusz", "Wojciech", "Rafał", "Jacek",
    "Kamil", "Maciej",
]  # fmt: skip
# (masculine, feminine)
SURNAMES = [
    ("Nowak", "Nowak"), ("Kowalski", "Kowalska"), ("Wiśniewski", "Wiśniewska"), ("Wójcik", "Wójcik"),
    ("Kowalczyk", "Kowalczyk"), ("Kamiński", "Kamińska"), ("Lewandowski", "Lewandowska"), ("Zieliński", "Zielińska"),
    ("Szymański", "Szymańska"), ("Woźniak", "Woźniak"), ("Dąbrowski", "Dąbrowska"), ("Kozłowski", "Kozłowska"),
    ("Jankowski", "Jankowska"), ("Mazur", "Mazur"), ("Kwiatkowski", "Kwiatkowska"), ("Krawczyk", "Krawczyk"),
    ("Piotrowski", "Piotrowska"), ("Grabowski", "Grabowska"), ("Nowakowski", "Nowakowska"), ("Pawłowski", "Pawłowska"),
    ("Michalski", "Michalska"), ("Nowicki", "Nowicka"), ("Adamczyk", "Adamczyk"), ("Dudek", "Dudek"),
    ("Zając", "Zając"), ("Wieczorek", "Wieczorek"), ("Jabłoński", "Jabłońska"), ("Król", "Król"),
    ("Majewski", "Majewska"), ("Olszewski", "Olszewska"), ("Jaworski", "Jaworska"), ("Wróbel", "Wróbel"),
    ("Malinowski", "Malinowska"), ("Pawlak", "Pawlak"), ("Witkowski", "Witkowska"), ("Walczak", "Walczak"),
    ("Stępień", "Stępień"), ("Górski", "Górska"), ("Rutkowski", "Rutkowska"), ("Michalak", "Michalak"),
    ("Sikora", "Sikora"), ("Ostrowski", "Ostrowska"), ("Baran", "Baran"), ("Duda", "Duda"),
    ("Szewczyk", "Szewczyk"), ("Tomaszewski", "Tomaszewska"), ("Pietrzak", "Pietrzak"), ("Marciniak", "Marciniak"),
    ("Zalewski", "Zalewska"), ("Jakubowski", "Jakubowska"), ("Jasiński", "Jasińska"), ("Zawadzki", "Zawadzka"),
    ("Sadowski", "Sadowska"), ("Bąk", "Bąk"), ("Chmielewski", "Chmielewska"), ("Włodarczyk", "Włodarczyk"),
    ("Borkowski", "Borkowska"), ("Czarnecki", "Czarnecka"), ("Sawicki", "Sawicka"), ("Sokołowski", "Sokołowska"),
]  # fmt: skip
BRANDS = [
    "Zdrowie", "Medicus", "Vita", "Rodzina", "Salus", "Pod Lipami", "Eskulap", "Hipokrates", "Promed",
    "Nasza Przychodnia", "Zdrowa Rodzina", "Remedium", "Panaceum", "Sanitas", "Medica", "Familia", "Przy Parku",
    "Na Zdrowie", "Ars Medica", "Cordis", "Medyk", "Novamed", "Pro Familia", "Zdrój", "Przy Rynku", "Pulsmed",
]  # fmt: skip
STREETS = [
    "ul. Lipowa", "ul. Szpitalna", "ul. Kościuszki", "ul. Mickiewicza", "ul. Słowackiego", "ul. Sienkiewicza",
    "ul. Kolejowa", "ul. Ogrodowa", "al. Niepodległości", "ul. Polna", "ul. Leśna", "ul. Zdrojowa", "ul. 3 Maja",
    "ul. Piłsudskiego", "ul. Armii Krajowej", "ul. Jana Pawła II", "ul. Długa", "ul. Słoneczna", "pl. Wolności",
    "ul. Reymonta", "ul. Traugutta", "ul. Żeromskiego", "ul. Konopnickiej", "ul. Chopina", "ul. Kopernika",
]  # fmt: skip
MOBILE_PREFIXES = [
    "501",
    "502",
    "505",
    "509",
    "511",
    "517",
    "531",
    "535",
    "600",
    "602",
    "603",
    "605",
    "607",
    "661",
    "664",
    "667",
    "691",
    "693",
    "695",
    "698",
    "721",
    "724",
    "727",
    "781",
    "784",
    "787",
    "790",
    "798",
]
WEBMAIL = ["poczta.example", "skrzynka.example", "mail.example"]

PRACTICE_NAMES = [  # (name template, title used before the name)
    ("Indywidualna Praktyka Lekarska {name}", "lek."),
    ("Praktyka Lekarska {name}", ""),
    ("Indywidualna Specjalistyczna Praktyka Lekarska {name}", "dr n. med."),
    ("Indywidualna Praktyka Stomatologiczna {name}", "lek. dent."),
    ("Gabinet Stomatologiczny {name}", "lek. dent."),
    ("Indywidualna Praktyka Pielęgniarska {name}", ""),
    ("Praktyka Fizjoterapeutyczna {name}", "mgr"),
]
GROUP_NAMES = [
    "Grupowa Praktyka Lekarska „{brand}” s.c. {partners}",
    "Grupowa Praktyka Lekarzy Rodzinnych „{brand}” Spółka Partnerska",
    "Grupowa Praktyka Pielęgniarek „{brand}” s.c. {partners}",
]
OUTPATIENT_NAMES = [
    "Niepubliczny Zakład Opieki Zdrowotnej „{brand}” Sp. z o.o.",
    "NZOZ Przychodnia Rodzinna „{brand}”",
    "Przychodnia Rodzinna „{brand}” {loc}",
    "Centrum Medyczne „{brand}” Sp. z o.o.",
    "Samodzielny Publiczny Zakład Opieki Zdrowotnej {loc}",
    "Przychodnia Specjalistyczna „{brand}” {loc}",
    "Poradnia Zdrowia Psychicznego „{brand}” {loc}",
    "Ośrodek Terapii Uzależnień „{brand}” {loc}",
]
HOSPITAL_NAMES = [
    "Szpital Powiatowy {loc}",
    "Szpital Specjalistyczny {loc}",
    "Szpital Miejski {loc}",
    "Samodzielny Publiczny Zespół Zakładów Opieki Zdrowotnej {loc}",
    "Szpital Powiatowy {loc} Sp. z o.o.",
    "Szpital Rehabilitacyjny „{brand}” {loc}",
]
OTHER_NAMES = [
    "Zakład Opiekuńczo-Leczniczy {loc}",
    "Hospicjum „{brand}” {loc}",
    "Laboratorium Medyczne „{brand}” Sp. z o.o.",
    "Centrum Medycyny Pracy „{brand}” {loc}",
    "Stacja Dializ „{brand}” {loc}",
]
LOCAL_UNIT_SUFFIXES = [
    "Poradnia Gruźlicy i Chorób Płuc", "Poradnia Dermatologiczno-Wenerologiczna", "Poradnia Zdrowia Psychicznego",
    "Zespół Leczenia Środowiskowego", "Przychodnia Przyszpitalna", "Filia {loc}",
]  # fmt: skip
KINDS = [("individual_practice", 40), ("group_practice", 8), ("outpatient", 34), ("hospital", 11), ("other", 7)]
ROLES = {  # (feminine, masculine)
    "individual_practice": [("właścicielka praktyki", "właściciel praktyki")],
    "group_practice": [("wspólniczka", "wspólnik")],
    "outpatient": [
        ("kierowniczka przychodni", "kierownik przychodni"),
        ("rejestratorka medyczna", "rejestrator medyczny"),
        ("statystyk medyczny", "statystyk medyczny"),
    ],
    "hospital": [
        ("statystyk medyczny", "statystyk medyczny"),
        ("kierowniczka Działu Statystyki Medycznej", "kierownik Działu Statystyki Medycznej"),
        ("specjalistka ds. kadr", "specjalista ds. kadr"),
    ],
    "other": [("kierowniczka", "kierownik"), ("specjalistka ds. administracji", "specjalista ds. administracji")],
}
BOOKKEEPER = ("biuro rachunkowe – sprawozdawczość", "biuro rachunkowe – sprawozdawczość")


@dataclass
class UnitSpec:
    regon: str
    nip: str
    rpwdl: str
    kind: str
    voivodeship: str
    name: str
    address: str
    email_domain: str


@dataclass
class PersonSpec:
    name: str
    email: str
    phones: list[str]
    memberships: list[tuple[str, str]] = field(default_factory=list)  # (REGON, role)


def ascii_slug(text: str) -> str:
    text = text.replace("ł", "l").replace("Ł", "L")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def make_regon9(rng: random.Random) -> str:
    body = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(7))
    return body + stdnum_regon.calc_check_digit(body)


def make_regon14(parent: str, rng: random.Random) -> str:
    body = parent + f"{rng.randint(1, 9999):04d}"
    return body + stdnum_regon.calc_check_digit(body)


def make_nip(rng: random.Random) -> str:
    while True:
        body = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(8))
        check = sum(w * int(d) for w, d in zip((6, 5, 7, 2, 3, 4, 5, 6, 7), body, strict=True)) % 11
        if check != 10:
            return body + str(check)


def format_regon(regon: str) -> str:
    return f"{regon[:3]}-{regon[3:6]}-{regon[6:]}" if len(regon) == 9 else regon


def format_nip(nip: str) -> str:
    return stdnum_nip.format(nip)


class _Generator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.regons: set[str] = set()
        self.nips: set[str] = set()
        self.rpwdls: set[str] = set()
        self.names: set[str] = set()
        self.domains: set[str] = set()
        self.emails: set[str] = set()
        self.units: list[UnitSpec] = []
        self.people: list[PersonSpec] = []
        self.units_by_regon: dict[str, UnitSpec] = {}
        self.towns: dict[str, tuple[str, str, str]] = {}

    def unique(self, make, seen: set[str]) -> str:
        value = make()
        while value in seen:
            value = make()
        seen.add(value)
        return value

    def person_name(self) -> tuple[str, str, bool]:
        female = self.rng.random() < 0.65
        first = self.rng.choice(FEMALE_NAMES if female else MALE_NAMES)
        return first, self.rng.choice(SURNAMES)[1 if female else 0], female

    def domain(self, base: str) -> str:
        base, n = ascii_slug(base)[:40].strip("-"), 1
        candidate = f"{base}.example"
        while candidate in self.domains:
            n += 1
            candidate = f"{base}-{n}.example"
        self.domains.add(candidate)
        return candidate

    def email(self, local: str, domain: str) -> str:
        local, n = ascii_slug(local).replace("-", "."), 1
        candidate = f"{local}@{domain}"
        while candidate in self.emails:
            n += 1
            candidate = f"{local}{n}@{domain}"
        self.emails.add(candidate)
        return candidate

    def phone(self, area: str, mobile: bool) -> str:
        rest = "".join(str(self.rng.randint(0, 9)) for _ in range(6))
        if mobile:
            return f"{self.rng.choice(MOBILE_PREFIXES)} {rest[:3]} {rest[3:]}"
        return f"{area} {self.rng.randint(2, 8)}{rest[:2]} {rest[2:4]} {rest[4:]}"

    def address(self, town: tuple[str, str, str]) -> str:
        name, _loc, postal = town
        if postal.endswith("-"):  # a city with many postal codes
            postal += f"{self.rng.randint(1, 999):03d}"
        number = str(self.rng.randint(1, 140)) + self.rng.choice(["", "", "", "A", "/2", "/5"])
        return f"{self.rng.choice(STREETS)} {number}, {postal} {name}"

    def new_person(self, code: str, domain: str, role: tuple[str, str], regon: str, mobile: bool, name=None):
        first, last, female = name or self.person_name()
        role = role[0 if female else 1]
        if domain:
            email = self.email(f"{first[0]}.{last}", domain)
        else:
            email = self.email(f"{first}.{last}{self.rng.randint(1, 99)}", self.rng.choice(WEBMAIL))
        phones = [self.phone(OFFICES[code][3], mobile)]
        if self.rng.random() < 0.25:
            phones.append(self.phone(OFFICES[code][3], not mobile))
        person = PersonSpec(name=f"{first} {last}", email=email, phones=phones, memberships=[(regon, role)])
        self.people.append(person)
        return person

    def unique_name(self, name: str, town: tuple[str, str, str]) -> str:
        candidates = [name, f"{name} {town[1]}", *(f"{name} – {street[4:]}" for street in STREETS)]
        name = next(c for c in candidates if c not in self.names)
        self.names.add(name)
        return name

    def entity(self, code: str) -> None:
        rng, towns = self.rng, TOWNS[code]
        kind = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
        town = rng.choice(towns)
        brand = rng.choice(BRANDS)
        owner, domain = None, ""
        if kind == "individual_practice":
            own = [
                p
                for p in self.people
                if p.memberships[0][1].startswith("właściciel")
                and self.units_by_regon[p.memberships[0][0]].voivodeship == code
            ]
            if own and rng.random() < 0.08:  # one practitioner running a second practice
                owner = rng.choice(own)
            template, title = rng.choice(PRACTICE_NAMES)
            person_name = owner.name if owner else " ".join(self.person_name()[:2])
            name = template.format(name=f"{title} {person_name}".strip())
        else:
            templates = {"group_practice": GROUP_NAMES, "outpatient": OUTPATIENT_NAMES,
                         "hospital": HOSPITAL_NAMES, "other": OTHER_NAMES}[kind]  # fmt: skip
            if kind == "hospital" and town == towns[0] and rng.random() < 0.4:
                templates = [*templates, "Wojewódzki Szpital Specjalistyczny {loc}"]
            partners = ", ".join(f"{f[0]}. {s}" for f, s, _ in (self.person_name(), self.person_name()))
            name = rng.choice(templates).format(brand=brand, loc=town[1], partners=partners)
            if "„" in name:
                base = f"{brand} {town[0]}"
            elif kind == "hospital":
                base = f"szpital {town[0]}"
            else:  # "Samodzielny Publiczny Zakład Opieki Zdrowotnej w Kutnie" -> spzoz-kutno
                words = name.split(" w")[0].replace("-", " ").split()
                base = "".join(w[0] for w in words if w[0].isupper()) + f" {town[0]}"
            domain = self.domain(base)
        unit = UnitSpec(
            regon=self.unique(lambda: make_regon9(rng), self.regons),
            nip=self.unique(lambda: make_nip(rng), self.nips),
            rpwdl=self.unique(lambda: f"{rng.randint(1, 99_999_999):012d}", self.rpwdls),
            kind=kind,
            voivodeship=code,
            name=self.unique_name(name, town),
            address=self.address(town),
            email_domain=domain,
        )
        self.add_unit(unit)
        self.towns[unit.regon] = town
        self.staff_unit(unit, owner)

    def local_unit(self, parent: UnitSpec) -> None:
        suffix = self.rng.choice([s for s in LOCAL_UNIT_SUFFIXES if s not in parent.name])
        town = self.towns[parent.regon]
        if suffix.startswith("Filia"):  # a branch in another town; clinics stay in the entity's town
            town = self.rng.choice([t for t in TOWNS[parent.voivodeship] if t != town])
            suffix = suffix.format(loc=town[1])
        unit = UnitSpec(
            regon=self.unique(lambda: make_regon14(parent.regon, self.rng), self.regons),
            nip=parent.nip,
            rpwdl=parent.rpwdl,
            kind="outpatient",
            voivodeship=parent.voivodeship,
            name=self.unique_name(f"{parent.name} – {suffix}", town),
            address=self.address(town),
            email_domain=parent.email_domain,
        )
        self.add_unit(unit)
        statisticians = [p for p in self.people if (parent.regon, "statystyk medyczny") in p.memberships]
        if statisticians:  # the same person reports for the entity and its local unit
            statisticians[0].memberships.append((unit.regon, "statystyk medyczny"))

    def add_unit(self, unit: UnitSpec) -> None:
        self.units.append(unit)
        self.units_by_regon[unit.regon] = unit

    def staff_unit(self, unit: UnitSpec, owner: PersonSpec | None) -> None:
        rng, code = self.rng, unit.voivodeship
        if unit.kind == "individual_practice":
            if owner:
                owner.memberships.append((unit.regon, owner.memberships[0][1]))
                return
            first, last = unit.name.split()[-2:]
            name = (first, last, first in FEMALE_NAMES)
            self.new_person(code, "", ROLES[unit.kind][0], unit.regon, mobile=True, name=name)
            return
        count = {"hospital": 2, "group_practice": 2}.get(unit.kind, 1 if rng.random() < 0.8 else 0)
        roles = ROLES[unit.kind]
        for i in range(count):
            role = roles[0] if unit.kind in ("hospital", "group_practice") and i == 0 else rng.choice(roles)
            self.new_person(code, unit.email_domain, role, unit.regon, mobile=unit.kind == "group_practice")

    def bookkeepers(self) -> None:
        """A few accounting offices that report for several practices each ("several units per person")."""
        for code in ("14", "24", "12", "30"):
            practices = [u for u in self.units if u.voivodeship == code and u.kind == "individual_practice"]
            chosen = self.rng.sample(practices, min(4, len(practices)))
            if not chosen:
                continue
            person = self.new_person(code, "", BOOKKEEPER, chosen[0].regon, mobile=False)
            person.memberships += [(u.regon, BOOKKEEPER[0]) for u in chosen[1:]]

    def run(self, count: int) -> tuple[list[UnitSpec], list[PersonSpec]]:
        total = sum(WEIGHTS.values())
        plan = {code: max(8, round(count * weight / total)) for code, weight in WEIGHTS.items()}
        plan["14"] += count - sum(plan.values())
        for code, n in plan.items():
            while sum(1 for u in self.units if u.voivodeship == code) < n:
                parents = [
                    u
                    for u in self.units
                    if u.voivodeship == code and len(u.regon) == 9
                    and (u.kind == "hospital" or u.name.startswith(("Samodzielny", "Niepubliczny", "NZOZ", "Centrum")))
                ]  # fmt: skip
                if parents and self.rng.random() < 0.09:
                    self.local_unit(self.rng.choice(parents))
                else:
                    self.entity(code)
        self.bookkeepers()
        return self.units, self.people


def generate(count: int = UNIT_COUNT, seed: int = SEED) -> tuple[list[UnitSpec], list[PersonSpec]]:
    """The demo reporting units and their people; the same list on every call."""
    return _Generator(seed).run(count)


def office_phone(code: str) -> str:
    rng = random.Random(f"{SEED}-{code}")
    return f"+48 {OFFICES[code][3]} {rng.randint(200, 899)} {rng.randint(10, 99)} {rng.randint(10, 99)}"


# --- staff ---------------------------------------------------------------------------------------------
CEZ = "Centrum e-Zdrowia\nPomoc SSOZ"
# (username, first name, last name, role, voivodeships, queues, signature organisation)
STAFF = [
    ("agent", "Anna", "Kowalska", "agent", (), ("centralna", "do-rozdzielenia"), CEZ),
    ("agent2", "Piotr", "Zieliński", "agent", (), ("centralna", "do-rozdzielenia"), CEZ),
    ("mazowieckie", "Katarzyna", "Wiśniewska", "regional_admin", ("14",), ("woj-14",),
     "Mazowiecki Urząd Wojewódzki w Warszawie\nWydział Zdrowia"),
    ("slaskie", "Tomasz", "Krawczyk", "regional_admin", ("24",), ("woj-24",),
     "Śląski Urząd Wojewódzki w Katowicach\nWydział Zdrowia"),
    ("kierownik", "Barbara", "Lewandowska", "supervisor", (), (), "Centrum e-Zdrowia\nWydział Statystyki"),
    ("redaktor", "Magdalena", "Wójcik", "kb_editor", (), (), CEZ),
    ("admin", "Marek", "Dąbrowski", "admin", (), (), "Centrum e-Zdrowia"),
]  # fmt: skip
STAFF_EMAIL_DOMAIN = "cez.gov.example"

CLOSURES = [
    ("2025-05-02", "Dzień wolny za święto 3 Maja przypadające w sobotę"),
    ("2025-11-10", "Dzień wolny za święto 1 listopada przypadające w sobotę"),
    ("2026-08-14", "Dzień wolny za święto 15 sierpnia przypadające w sobotę"),
    ("2026-12-28", "Dzień wolny za święto 26 grudnia przypadające w sobotę"),
]
CLOSURE_CALENDAR = "Dni robocze 8:00–16:00"


# --- attachments -----------------------------------------------------------------------------------------
def screenshot_png(width: int = 96, height: int = 48) -> bytes:
    """A tiny "screenshot": a grey window with a blue title bar and a red error line."""

    def pixel(x: int, y: int) -> bytes:
        if y < 8:
            return b"\x2b\x57\x9a"
        if 26 <= y < 32 and 8 <= x < width - 8:
            return b"\xd0\x21\x2c"
        return b"\xf2\xf2\xf2" if (x // 12 + y // 12) % 2 else b"\xe6\xe6\xe6"

    raw = b"".join(b"\x00" + b"".join(pixel(x, y) for x in range(width)) for y in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


VALIDATION_LOG = """Sprawozdanie: MZ-11 za 2025 r.
Dział: III. Porady udzielone w poradniach
Komunikat: Błąd W-317: Suma w wierszu 3 (kol. 4) nie zgadza się z sumą wykazaną w dziale I (wiersz 1, kol. 4).
Wartość w dziale III: 1 284
Wartość w dziale I: 1 248
Poziom: błąd krytyczny – sprawozdania nie można przekazać.
"""

# --- tickets ---------------------------------------------------------------------------------------------
# Steps after opening: ("move", actor, queue slug, reason), ("assign", actor, assignee), ("reply", actor, text),
# ("note", actor, text), ("call", actor, direction, seconds, text), ("customer", text), ("status", actor, status,
# reason). Texts may use {osoba}, {jednostka}, {regon}, {regon_kreski}, {nip}, {telefon}.


@dataclass(frozen=True)
class DemoTicket:
    subject: str
    body: str
    voivodeship: str
    unit: str = "any"  # a UnitKind value, "any", "local" (14-digit REGON), "multi" (person of many units), ""
    gender: str = ""  # "f"/"m" when the text speaks in the first person ("wysłałam", "kliknąłem")
    nth: int = 0
    channel: str = "email"
    queue: str | None = None  # where it arrives; None: the triage queue
    category: str = "inne"
    priority: int = 2
    opened_by: str = "agent"  # phone tickets only
    call: tuple[str, int] = ("incoming", 0)  # phone tickets only
    sender: tuple[str, str] = ("", "")  # name and e-mail of a sender who is not a known contact
    attachment: str = ""  # "png" or "txt"
    steps: tuple = ()


MOVE_REGION = "pytanie merytoryczne – do administratora wojewódzkiego"
MOVE_CENTRAL = "sprawa techniczna – pomoc centralna"

TICKETS = [
    DemoTicket(
        "Nie mogę zalogować się przez Profil Zaufany",
        "Dzień dobry,\n\nod wczoraj nie mogę zalogować się do SSOZ. Po wybraniu logowania przez Profil Zaufany "
        "i potwierdzeniu w aplikacji wracam na stronę startową systemu i widzę komunikat „Brak dostępu”. "
        "W ubiegłym roku logowałam się bez problemu.\n\nJednostka: {jednostka}, REGON {regon}.\n"
        "Muszę złożyć MZ-88, proszę o pomoc.\n\nZ poważaniem\n{osoba}",
        "14",
        gender="f",
        unit="outpatient",
        category="logowanie",
        steps=(
            ("move", "agent", "centralna", MOVE_CENTRAL),
            (
                "reply",
                "agent",
                "Dzień dobry,\n\nod 2025 r. do SSOZ logujemy się przez Profil Zaufany, a konto musi być "
                "powiązane z jednostką wnioskiem o profil jednostki. Dla REGON {regon} nie ma jeszcze zatwierdzonego "
                "wniosku. Proszę po zalogowaniu wybrać „Wniosek o profil jednostki”, wpisać REGON i wysłać wniosek; "
                "po jego zatwierdzeniu jednostka pojawi się na liście.",
            ),
            ("customer", "Dziękuję, wniosek wysłany, po zatwierdzeniu wszystko działa.\n\n{osoba}"),
            ("status", "agent", "resolved", "dostęp przywrócony"),
        ),
    ),
    DemoTicket(
        "Czy nasze MZ-88 dotarło?",
        "Dzień dobry,\n\nw piątek wysłaliśmy sprawozdanie MZ-88 za 2025 r. Czy mogą Państwo potwierdzić, że dotarło? "
        "W systemie widzimy status „przekazane”, ale nie dostaliśmy żadnego potwierdzenia e-mailem.\n\n"
        "{jednostka}\nREGON: {regon_kreski}\nNIP: {nip}\n\n{osoba}",
        "14",
        unit="outpatient",
        nth=1,
        category="status-sprawozdania",
        steps=(
            ("move", "agent", "woj-14", "status sprawozdania sprawdza województwo"),
            ("assign", "kierownik", "mazowieckie"),
            (
                "reply",
                "mazowieckie",
                "Dzień dobry,\n\nsprawozdanie MZ-88 jednostki o numerze REGON {regon} dotarło i jest "
                "w trakcie weryfikacji. Status „przekazane” oznacza, że sprawozdanie jest u administratora "
                "wojewódzkiego; po weryfikacji zmieni się na „zaakceptowane” albo „do korekty”. Osobnych potwierdzeń "
                "e-mailem nie wysyłamy.",
            ),
            ("status", "mazowieckie", "resolved", "udzielono informacji"),
        ),
    ),
    DemoTicket(
        "Korekta MZ-11 po terminie",
        "Dzień dobry,\n\nzauważyliśmy błąd w dziale III złożonego sprawozdania MZ-11 – porady z dwóch poradni "
        "wpisaliśmy razem. Termin już minął i formularz jest zablokowany do edycji. Czy mogą Państwo "
        "odblokować sprawozdanie do korekty?\n\nREGON {regon}\n{jednostka}\n{osoba}",
        "24",
        unit="outpatient",
        category="korekta",
        steps=(
            ("move", "agent", "woj-24", "korekta – decyzja administratora wojewódzkiego"),
            (
                "note",
                "slaskie",
                "Sprawdzone: sprawozdanie ma status „zaakceptowane”. Zwracam do korekty z uwagą o dziale III.",
            ),
            (
                "reply",
                "slaskie",
                "Dzień dobry,\n\nzwróciliśmy sprawozdanie MZ-11 do korekty. Proszę poprawić dział III, "
                "sprawdzić komunikaty walidacji i ponownie przekazać sprawozdanie w ciągu 7 dni.",
            ),
        ),
    ),
    DemoTicket(
        "Brak formularza MZ-06 na liście",
        "Od 1 września realizujemy świadczenia pielęgniarki szkolnej w trzech szkołach podstawowych (umowa z NFZ). "
        "Na liście formularzy do wypełnienia nie mamy MZ-06. Jak go dodać?\n\n{jednostka}, REGON {regon}\n{osoba}",
        "14",
        unit="outpatient",
        nth=2,
        channel="web",
        category="brak-formularza",
        steps=(
            ("move", "agent", "woj-14", "formularze przypisuje administrator wojewódzki"),
            (
                "note",
                "agent",
                "MZ-06 przypisuje województwo; jednostka składa osobny formularz dla każdej szkoły – "
                "warto to napisać w odpowiedzi.",
            ),
            ("assign", "kierownik", "mazowieckie"),
        ),
    ),
    DemoTicket(
        "Zablokowane konto po kilku próbach logowania",
        "Rozmowa z: {osoba} ({jednostka}, REGON {regon}). Po kilku nieudanych próbach logowania konto zostało "
        "zablokowane. Odblokowałam konto i przypomniałam, że od 2025 r. logowanie odbywa się przez Profil Zaufany. "
        "Logowanie udało się w trakcie rozmowy.",
        "06",
        unit="individual_practice",
        channel="phone",
        queue="centralna",
        category="logowanie",
        call=("incoming", 260),
        steps=(("status", "agent", "resolved", "rozwiązane w trakcie rozmowy"),),
    ),
    DemoTicket(
        "Praktyka bez umowy z NFZ – czy składamy MZ-11?",
        "Dzień dobry,\n\nprowadzę indywidualną praktykę lekarską, przyjmuję wyłącznie prywatnie i nie mam umowy "
        "z NFZ. Czy muszę składać MZ-11? MZ-88 składam co roku.\n\n{osoba}\n{jednostka}\nREGON {regon}",
        "12",
        unit="individual_practice",
        category="tresc-sprawozdania",
        steps=(("move", "agent2", "woj-12", MOVE_REGION),),
    ),
    DemoTicket(
        "Prośba o przedłużenie terminu MZ-88",
        "Dzień dobry,\n\nz powodu choroby osoby odpowiedzialnej za sprawozdawczość nie zdążymy złożyć MZ-88 "
        "w terminie. Prosimy o przedłużenie terminu o dwa tygodnie.\n\n{jednostka}, REGON {regon}\n{osoba}",
        "24",
        unit="group_practice",
        category="terminy",
        priority=3,
        steps=(
            ("move", "agent", "woj-24", "terminy – administrator wojewódzki"),
            (
                "reply",
                "slaskie",
                "Dzień dobry,\n\nprzepisy nie przewidują formalnego przedłużenia terminu. Prosimy "
                "złożyć sprawozdanie najszybciej, jak to możliwe. Jeśli po terminie formularz będzie zablokowany, "
                "prosimy o wiadomość – odblokujemy go na czas uzupełnienia.",
            ),
            ("customer", "Dziękujemy, sprawozdanie złożymy do końca tygodnia.\n\n{osoba}"),
        ),
    ),
    DemoTicket(
        "Zmiana REGON po przekształceniu w spółkę",
        "Dzień dobry,\n\nz dniem 1 stycznia nasza przychodnia została przekształcona ze spółki cywilnej w spółkę "
        "z o.o. i otrzymała nowy numer REGON. Dotychczasowy REGON: {regon_kreski}. Nowego numeru nie widzimy "
        "w SSOZ. Na który numer składamy sprawozdania za 2025 r.?\n\n{osoba}\n{jednostka}",
        "14",
        unit="outpatient",
        nth=3,
        category="dane-jednostki",
        steps=(
            ("move", "agent", "woj-14", MOVE_REGION),
            (
                "reply",
                "mazowieckie",
                "Dzień dobry,\n\nzmianę REGON trzeba najpierw zgłosić do rejestru podmiotów "
                "wykonujących działalność leczniczą (RPWDL). Sprawozdania za 2025 r. prosimy złożyć na dotychczasowy "
                "profil jednostki (REGON {regon}); po aktualizacji wpisu w rejestrze dane w SSOZ zostaną zmienione.",
            ),
        ),
    ),
    DemoTicket(
        "Błąd walidacji w dziale II MZ-88 – zrzut ekranu",
        "Dzień dobry,\n\nprzy zapisie działu II sprawozdania MZ-88 pojawia się błąd „Liczba osób w kolumnie 3 nie "
        "może być większa niż w kolumnie 2”, choć liczby się zgadzają. W załączeniu zrzut ekranu.\n\n"
        "{jednostka}, REGON {regon_kreski}\n{osoba}, tel. {telefon}",
        "14",
        unit="hospital",
        category="tresc-sprawozdania",
        attachment="png",
        steps=(
            ("move", "agent", "woj-14", MOVE_REGION),
            (
                "note",
                "mazowieckie",
                "Na zrzucie widać, że w kolumnie 3 wpisano etaty zamiast osób. Wyjaśnię telefonicznie.",
            ),
            (
                "call",
                "mazowieckie",
                "outgoing",
                420,
                "Wyjaśniłam różnicę między liczbą osób a etatami; jednostka "
                "poprawi dział II i przekaże sprawozdanie jeszcze dziś.",
            ),
            ("status", "mazowieckie", "resolved", "wyjaśnione telefonicznie"),
        ),
    ),
    DemoTicket(
        "Nie widzę jednostki po zalogowaniu",
        "Formularz kontaktowy SSOZ\nImię i nazwisko: {osoba}\nJednostka: {jednostka}\nREGON: {regon}\n"
        "Temat: logowanie\n\nPo zalogowaniu przez Profil Zaufany lista jednostek jest pusta. Wniosek o profil "
        "jednostki wysłałem tydzień temu.",
        "10",
        gender="m",
        unit="any",
        channel="api",
        category="logowanie",
        steps=(("move", "agent2", "centralna", MOVE_CENTRAL), ("assign", "agent2", "agent2")),
    ),
    DemoTicket(
        "Kto jest naszym administratorem wojewódzkim?",
        "Pytanie, do kogo zwracać się w sprawie korekt w województwie wielkopolskim. Podałam kontakt do Wydziału "
        "Zdrowia Wielkopolskiego Urzędu Wojewódzkiego w Poznaniu z listy administratorów wojewódzkich.",
        "30",
        unit="outpatient",
        channel="phone",
        queue="centralna",
        category="inne",
        call=("incoming", 95),
        steps=(("status", "agent", "resolved", "udzielono informacji"),),
    ),
    DemoTicket(
        "Zamknięcie praktyki – czy składać sprawozdanie za 2025 r.?",
        "Dzień dobry,\n\nw listopadzie 2025 r. zakończyłam działalność praktyki, wykreślenie z rejestru nastąpiło "
        "w grudniu. Czy muszę jeszcze złożyć MZ-88 za 2025 rok?\n\nPozdrawiam\n{osoba}\nREGON {regon}",
        "30",
        gender="f",
        unit="individual_practice",
        category="tresc-sprawozdania",
        steps=(("move", "agent", "woj-30", MOVE_REGION),),
    ),
    DemoTicket(
        "Kilka jednostek na jednym koncie",
        "Dzień dobry,\n\nprowadzę sprawozdawczość dla kilku praktyk lekarskich. Czy po zalogowaniu przez Profil "
        "Zaufany mogę mieć dostęp do wszystkich jednostek na jednym koncie, czy każda praktyka musi mieć osobne "
        "konto? Jedna z nich: {jednostka}, REGON {regon}.\n\n{osoba}",
        "14",
        unit="multi",
        category="logowanie",
        steps=(
            ("move", "agent", "centralna", MOVE_CENTRAL),
            (
                "reply",
                "agent",
                "Dzień dobry,\n\ntak, na jednym koncie można mieć dostęp do wielu jednostek. Dla każdej "
                "jednostki trzeba złożyć osobny wniosek o profil jednostki, podając jej REGON. Po zatwierdzeniu "
                "wniosków wszystkie jednostki będą widoczne na liście po zalogowaniu.",
            ),
            ("status", "agent", "resolved", "udzielono informacji"),
        ),
    ),
    DemoTicket(
        "Poufność danych w sprawozdaniu MZ-88",
        "Dzień dobry,\n\nnasz inspektor ochrony danych pyta, kto ma wgląd do sprawozdania MZ-88 i czy dane naszych "
        "pracowników są widoczne dla innych podmiotów.\n\nZ poważaniem\n{osoba}\n{jednostka}",
        "22",
        unit="hospital",
        category="inne",
        steps=(
            ("move", "agent2", "centralna", "pytanie ogólne"),
            (
                "reply",
                "agent2",
                "Dzień dobry,\n\ndane zebrane w badaniach statystyki publicznej są objęte tajemnicą "
                "statystyczną. Sprawozdanie widzą wyłącznie jednostka, właściwy administrator wojewódzki i Centrum "
                "e-Zdrowia; wyniki publikowane są tylko w postaci zbiorczej.",
            ),
            ("status", "agent2", "resolved", "udzielono informacji"),
        ),
    ),
    DemoTicket(
        "Biała strona po zalogowaniu",
        "Po zalogowaniu widzę tylko białą stronę. Korzystam z komputera w rejestracji, przeglądarka Internet "
        "Explorer 11.\n{osoba}, {jednostka}",
        "02",
        unit="outpatient",
        channel="web",
        category="techniczne",
        steps=(
            ("move", "agent", "centralna", MOVE_CENTRAL),
            (
                "reply",
                "agent",
                "Dzień dobry,\n\nInternet Explorer nie jest obsługiwany. Prosimy skorzystać z aktualnej "
                "wersji przeglądarki Chrome, Firefox lub Edge.",
            ),
            ("customer", "W Edge wszystko działa, dziękuję."),
            ("status", "agent", "resolved", "zmiana przeglądarki pomogła"),
        ),
    ),
    DemoTicket(
        "Jak liczyć personel – stan na 31 grudnia?",
        "Dzień dobry,\n\nwypełniamy MZ-88. Lekarka przeszła na emeryturę z dniem 31 grudnia, a od 2 stycznia pracuje "
        "u nas nowy lekarz. Kogo wykazujemy? I czy liczymy osoby na umowach cywilnoprawnych?\n\n"
        "{osoba}\n{jednostka}, REGON {regon}",
        "24",
        unit="outpatient",
        nth=1,
        category="tresc-sprawozdania",
        steps=(
            ("move", "agent", "woj-24", MOVE_REGION),
            (
                "reply",
                "slaskie",
                "Dzień dobry,\n\nMZ-88 wypełnia się według stanu na 31 grudnia: wykazujemy lekarkę, "
                "która pracowała do 31 grudnia włącznie, a lekarza zatrudnionego od 2 stycznia – nie. Osoby na umowach "
                "cywilnoprawnych wykazuje się zgodnie z objaśnieniami do formularza, w osobnych kolumnach.",
            ),
        ),
    ),
    DemoTicket(
        "Nowa jednostka – jak założyć konto w SSOZ?",
        "Dzień dobry,\n\nw październiku otworzyliśmy gabinet fizjoterapii (wpis do rejestru już mamy). Dostaliśmy "
        "pismo, że mamy złożyć sprawozdanie. Jak założyć konto w systemie?\n\n"
        "Michał Sokołowski\nGabinet Fizjoterapii „Ruch”",
        "14",
        unit="",
        category="nowa-jednostka",
        sender=("Michał Sokołowski", "gabinet.ruch@poczta.example"),
        steps=(
            ("move", "agent", "centralna", MOVE_CENTRAL),
            (
                "reply",
                "agent",
                "Dzień dobry,\n\nproszę zalogować się do SSOZ przez Profil Zaufany i złożyć wniosek "
                "o profil jednostki, podając REGON gabinetu. Po zatwierdzeniu wniosku przez administratora "
                "wojewódzkiego na liście pojawią się formularze do wypełnienia.",
            ),
        ),
    ),
    DemoTicket(
        "MZ-29 zwrócone do korekty – nie wiemy, co poprawić",
        "Dzień dobry,\n\nsprawozdanie MZ-29 wróciło do korekty bez żadnej uwagi, a wszystkie reguły walidacji są "
        "spełnione. Co mamy poprawić? Termin minął 31 stycznia i obawiamy się kary.\n\n{osoba}\n{jednostka}\n"
        "REGON {regon}, NIP {nip}",
        "24",
        unit="hospital",
        category="korekta",
        priority=3,
        steps=(("move", "agent", "woj-24", "zwrot do korekty – województwo"), ("assign", "kierownik", "slaskie")),
    ),
    DemoTicket(
        "Wniosek o profil jednostki bez odpowiedzi od tygodnia",
        "Dzień dobry,\n\ntydzień temu złożyłam wniosek o profil jednostki dla REGON {regon} i nadal nie ma "
        "odpowiedzi. Termin MZ-11 się zbliża.\n\n{osoba}\n{jednostka}",
        "10",
        gender="f",
        unit="outpatient",
        nth=1,
        category="logowanie",
        steps=(
            ("move", "agent2", "centralna", MOVE_CENTRAL),
            ("note", "agent2", "Wniosek czeka na zatwierdzenie w województwie łódzkim – poprosiłem o przyspieszenie."),
            ("status", "agent2", "waiting_region", "czekamy na zatwierdzenie wniosku przez województwo"),
        ),
    ),
    DemoTicket(
        "Oddzwonienie: nie można przekazać MZ-11",
        "Oddzwoniłem na prośbę z poczty głosowej. Przycisk „Przekaż” był nieaktywny, bo nie uzupełniono danych "
        "osoby sporządzającej sprawozdanie. Po uzupełnieniu sprawozdanie zostało przekazane.",
        "14",
        unit="individual_practice",
        channel="phone",
        queue="centralna",
        category="techniczne",
        opened_by="agent2",
        call=("outgoing", 310),
        steps=(("status", "agent2", "resolved", "przekazane w trakcie rozmowy"),),
    ),
    DemoTicket(
        "MZ-06 – jeden formularz na szkołę czy zbiorczy?",
        "Dzień dobry,\n\npielęgniarka szkolna z naszej przychodni opiekuje się uczniami czterech szkół. Czy "
        "składamy jedno sprawozdanie MZ-06, czy osobne dla każdej szkoły?\n\n{osoba}\n{jednostka}",
        "14",
        unit="outpatient",
        nth=4,
        category="tresc-sprawozdania",
        steps=(
            ("move", "agent", "woj-14", MOVE_REGION),
            (
                "reply",
                "mazowieckie",
                "Dzień dobry,\n\nMZ-06 składa się osobno dla każdej szkoły – w Państwa przypadku "
                "będą to cztery formularze.",
            ),
            ("customer", "Dziękuję za szybką odpowiedź.\n{osoba}"),
            ("status", "mazowieckie", "resolved", "odpowiedź udzielona"),
        ),
    ),
    DemoTicket(
        "Nie przyszedł e-mail z potwierdzeniem wniosku",
        "Dzień dobry,\n\nwysłałam wniosek o profil jednostki, ale nie dostałam żadnego potwierdzenia na e-mail. "
        "Sprawdzałam też folder SPAM. Czy wniosek dotarł?\n\n{osoba}\n{jednostka}, REGON {regon}",
        "04",
        gender="f",
        unit="individual_practice",
        category="logowanie",
    ),
    DemoTicket(
        "Termin wstępnego sprawozdania MZ-03",
        "Dzień dobry,\n\ndo kiedy w tym roku składamy wstępne sprawozdanie MZ-03? Jesteśmy SP ZOZ.\n\n{osoba}\n"
        "{jednostka}",
        "06",
        unit="hospital",
        category="terminy",
        steps=(("move", "agent2", "woj-06", MOVE_REGION),),
    ),
    DemoTicket(
        "Który REGON podać – 9- czy 14-cyfrowy?",
        "Dzień dobry,\n\nnasza poradnia ma własny REGON {regon} (14 cyfr), a cały podmiot – 9-cyfrowy. Na który "
        "numer składamy MZ-11 i MZ-88?\n\n{osoba}\n{jednostka}",
        "02",
        unit="local",
        category="dane-jednostki",
        steps=(("move", "agent", "woj-02", MOVE_REGION),),
    ),
    DemoTicket(
        "Sprawozdanie MZ-88 przekazane dwa razy",
        "Przez pomyłkę kliknąłem dwa razy „Przekaż” przy MZ-88. Czy to problem, czy trzeba coś wycofać?\n"
        "{osoba}, REGON {regon}",
        "24",
        gender="m",
        unit="individual_practice",
        channel="web",
        category="status-sprawozdania",
        steps=(
            ("move", "agent", "woj-24", "status sprawozdania sprawdza województwo"),
            (
                "reply",
                "slaskie",
                "Dzień dobry,\n\nw systemie jest jedno sprawozdanie MZ-88 tej jednostki – drugie "
                "kliknięcie niczego nie zdublowało. Nie trzeba nic robić.",
            ),
            ("status", "slaskie", "resolved", "udzielono informacji"),
        ),
    ),
    DemoTicket(
        "Błąd W-317 w MZ-11: suma w wierszu 3 nie zgadza się z działem I",
        "Dzień dobry,\n\nw załączniku treść komunikatu skopiowana z systemu. Liczby sprawdzaliśmy kilka razy. "
        "Co robimy źle?\n\n{osoba}\n{jednostka}\nREGON {regon_kreski}",
        "14",
        unit="outpatient",
        nth=5,
        category="tresc-sprawozdania",
        attachment="txt",
        steps=(("move", "agent", "woj-14", MOVE_REGION),),
    ),
    DemoTicket(
        "Zmiana nazwy praktyki po zmianie nazwiska",
        "Dzień dobry,\n\nzmieniłam nazwisko i chcę zmienić nazwę praktyki w SSOZ. Czy wystarczy wiadomość do "
        "Państwa, czy trzeba coś zmienić w rejestrze?\n\n{osoba}\nREGON {regon}, NIP {nip}",
        "22",
        gender="f",
        unit="individual_practice",
        category="dane-jednostki",
        steps=(("move", "agent2", "woj-22", MOVE_REGION),),
    ),
    DemoTicket(
        "MZ-35A – lekarz medycyny pracy bez własnego podmiotu",
        "Dzień dobry,\n\njestem lekarzem medycyny pracy, orzekam w dwóch podmiotach, nie mam własnej praktyki. "
        "Czy składam MZ-35A sam, czy robią to podmioty?\n\n{osoba}",
        "10",
        unit="",
        category="tresc-sprawozdania",
        sender=("Wojciech Sawicki", "w.sawicki.lekarz@poczta.example"),
        steps=(("move", "agent", "woj-10", MOVE_REGION),),
    ),
    DemoTicket(
        "Czy MZ-89 obejmuje lekarzy na kontraktach?",
        "Rozmowa z: {osoba} ({jednostka}). Pytanie, czy w MZ-89 wykazujemy specjalistów pracujących na kontraktach. "
        "Wyjaśniłam na podstawie objaśnień do formularza; obiecałam przesłać link do objaśnień e-mailem.",
        "14",
        unit="hospital",
        nth=1,
        channel="phone",
        queue="woj-14",
        category="tresc-sprawozdania",
        opened_by="mazowieckie",
        call=("incoming", 380),
        steps=(
            (
                "reply",
                "mazowieckie",
                "Dzień dobry,\n\nzgodnie z rozmową przesyłam informację: objaśnienia do "
                "formularza MZ-89 są dostępne w SSOZ po otwarciu formularza (przycisk „Objaśnienia”).",
            ),
            ("status", "mazowieckie", "resolved", "wyjaśnione"),
        ),
    ),
    DemoTicket(
        "Spóźnione MZ-11 – czy grozi kara?",
        "Dzień dobry,\n\nnie złożyłem MZ-11 w terminie, bo byłem w szpitalu. Czy grozi mi kara i czy mogę jeszcze "
        "złożyć sprawozdanie?\n\n{osoba}\n{jednostka}\nREGON {regon}",
        "24",
        gender="m",
        unit="individual_practice",
        nth=2,
        category="terminy",
        priority=3,
        steps=(
            ("move", "agent", "woj-24", MOVE_REGION),
            (
                "reply",
                "slaskie",
                "Dzień dobry,\n\nustawa o statystyce publicznej przewiduje odpowiedzialność za "
                "nieprzekazanie danych w terminie, dlatego prosimy złożyć sprawozdanie niezwłocznie. Formularz jest "
                "nadal dostępny w systemie.",
            ),
        ),
    ),
    DemoTicket(
        "Profil Zaufany – komunikat „Brak uprawnień do jednostki”",
        "Dzień dobry,\n\npo zalogowaniu przez Profil Zaufany i wybraniu jednostki widzę komunikat „Brak uprawnień "
        "do jednostki”. Wniosek o profil jednostki mamy zatwierdzony.\n\n{osoba}\n{jednostka}, REGON {regon}",
        "16",
        unit="outpatient",
        category="logowanie",
        steps=(
            ("move", "agent", "centralna", MOVE_CENTRAL),
            ("assign", "agent", "agent"),
            (
                "note",
                "agent",
                "Wniosek zatwierdzony dla innego numeru PESEL niż konto z Profilu Zaufanego – do wyjaśnienia.",
            ),
        ),
    ),
    DemoTicket(
        "Automatyczne zgłoszenie: nieudane przekazanie MZ-88 (błąd 502)",
        "Zgłoszenie utworzone automatycznie przez moduł SSOZ.\nJednostka: {jednostka}\nREGON: {regon}\n"
        "Formularz: MZ-88/2025\nBłąd: 502 Bad Gateway przy przekazywaniu sprawozdania",
        "12",
        unit="hospital",
        channel="api",
        category="techniczne",
        priority=4,
        steps=(
            ("move", "agent2", "centralna", MOVE_CENTRAL),
            ("note", "agent2", "Przekazane do zespołu utrzymania SSOZ; ponowne przekazanie po 15 minutach się udało."),
            ("status", "agent2", "resolved", "błąd przejściowy"),
        ),
    ),
    DemoTicket(
        "MZ-06 – szkoły zmieniły się od września",
        "Dzień dobry,\n\nod września opiekujemy się innymi szkołami niż w ubiegłym roku szkolnym. Za które szkoły "
        "składamy MZ-06?\n\n{osoba}\n{jednostka}",
        "18",
        unit="outpatient",
        category="tresc-sprawozdania",
        steps=(("move", "agent", "woj-18", MOVE_REGION),),
    ),
    DemoTicket(
        "Wycofanie przekazanego MZ-13",
        "Dzień dobry,\n\nprzekazaliśmy MZ-13 z błędną liczbą leczonych w poradni. Prosimy o wycofanie "
        "sprawozdania, żebyśmy mogli je poprawić.\n\n{osoba}\n{jednostka}, REGON {regon}",
        "20",
        unit="hospital",
        category="korekta",
        steps=(("move", "agent", "woj-20", "korekta – decyzja administratora wojewódzkiego"),),
    ),
    DemoTicket(
        "Czy musimy składać MZ-30?",
        "Dzień dobry,\n\nod stycznia mamy oddział dzienny psychiatryczny. Czy w związku z tym składamy MZ-30?\n\n"
        "{osoba}\n{jednostka}",
        "28",
        unit="hospital",
        category="tresc-sprawozdania",
        steps=(("move", "agent2", "woj-28", MOVE_REGION),),
    ),
    DemoTicket(
        "Nie widzę przycisku „Przekaż”",
        "Wypełniłam cały formularz MZ-88, ale na dole strony nie ma przycisku „Przekaż”.\n{osoba}, {jednostka}",
        "26",
        gender="f",
        unit="individual_practice",
        channel="web",
        category="techniczne",
        steps=(
            ("move", "agent2", "centralna", MOVE_CENTRAL),
            (
                "reply",
                "agent2",
                "Dzień dobry,\n\nprzycisk „Przekaż” pojawia się po zapisaniu wszystkich działów bez "
                "błędów krytycznych. Jeśli okno przeglądarki jest małe, przycisk może być ukryty – proszę powiększyć "
                "okno albo zmniejszyć powiększenie strony (Ctrl i -).",
            ),
            ("customer", "Rzeczywiście, po zmniejszeniu powiększenia przycisk się pojawił. Dziękuję."),
            ("status", "agent2", "resolved", "rozwiązane"),
        ),
    ),
    DemoTicket(
        "Rok zamknięty – jak poprawić dane za 2024 r.?",
        "Dzień dobry,\n\nzauważyliśmy błąd w MZ-11 za 2024 rok. System nie pozwala już edytować sprawozdania. "
        "Czy da się to jeszcze poprawić?\n\n{osoba}\n{jednostka}",
        "32",
        unit="outpatient",
        category="korekta",
        steps=(("move", "agent", "woj-32", "korekta – decyzja administratora wojewódzkiego"),),
    ),
    DemoTicket(
        "Prośba o potwierdzenie przyjęcia MZ-88 i MZ-89",
        "Dzień dobry,\n\nuprzejmie prosimy o potwierdzenie, że sprawozdania MZ-88 i MZ-89 za 2025 r. zostały "
        "przyjęte. Potrzebujemy tej informacji do kontroli wewnętrznej.\n\n{osoba}\n{jednostka}\nREGON {regon}",
        "24",
        unit="hospital",
        nth=1,
        category="status-sprawozdania",
        steps=(
            ("move", "agent", "woj-24", "status sprawozdania sprawdza województwo"),
            (
                "reply",
                "slaskie",
                "Dzień dobry,\n\npotwierdzamy: sprawozdania MZ-88 i MZ-89 jednostki o numerze REGON "
                "{regon} zostały zweryfikowane i zaakceptowane.",
            ),
            ("status", "slaskie", "resolved", "potwierdzono"),
        ),
    ),
    DemoTicket(
        "Haslo do SSOZ nie dziala",
        "dzien dobry, nie moge sie zalogowac, haslo nie dziala a przypomnienie hasla nie przychodzi. prosze o "
        "pomoc, sprawozdanie trzeba zlozyc do konca miesiaca.\n{osoba}\nregon {regon}",
        "08",
        unit="individual_practice",
        category="logowanie",
    ),
    DemoTicket(
        "MZ-15 – poradnia leczenia uzależnień",
        "Rozmowa z: {osoba} ({jednostka}). Pytanie, czy poradnia leczenia uzależnień działająca od listopada "
        "składa MZ-15 "
        "za cały rok. Pytanie merytoryczne – przekazuję do województwa.",
        "26",
        unit="hospital",
        channel="phone",
        queue="centralna",
        category="tresc-sprawozdania",
        call=("incoming", 200),
        steps=(("move", "agent", "woj-26", MOVE_REGION),),
    ),
    DemoTicket(
        "Zmiana osoby sporządzającej sprawozdania",
        "Dzień dobry,\n\nod lutego sprawozdania w naszym szpitalu sporządza nowa osoba. Jak przenieść dostęp do "
        "SSOZ na nią? Poprzednia pracownica już u nas nie pracuje.\n\n{osoba}\n{jednostka}, REGON {regon}",
        "14",
        unit="hospital",
        nth=2,
        category="logowanie",
        steps=(
            ("move", "agent", "woj-14", "wniosek o profil zatwierdza województwo"),
            (
                "reply",
                "mazowieckie",
                "Dzień dobry,\n\nnowa osoba powinna zalogować się przez Profil Zaufany i złożyć "
                "wniosek o profil jednostki. Po jego zatwierdzeniu prosimy o informację, czy odebrać dostęp "
                "poprzedniej pracownicy.",
            ),
            ("customer", "Wniosek złożony, prosimy o odebranie dostępu poprzedniej pracownicy.\n{osoba}"),
        ),
    ),
    DemoTicket(
        "Czy zakład opiekuńczo-leczniczy składa MZ-29?",
        "Dzień dobry,\n\nprowadzimy zakład opiekuńczo-leczniczy. Na liście mamy MZ-29 – czy na pewno dotyczy nas "
        "ten formularz?\n\n{osoba}\n{jednostka}",
        "24",
        unit="other",
        category="brak-formularza",
        steps=(("move", "agent2", "woj-24", MOVE_REGION), ("assign", "slaskie", "slaskie")),
    ),
]


# --- submission statuses -------------------------------------------------------------------------------
# Forms linked explicitly to their instruction in the knowledge base's starter content (code → article slug).
FORM_INSTRUCTIONS = {"MZ-88": "instrukcja-formularza-mz-88", "MZ-89": "instrukcja-formularza-mz-89"}

# Which forms a demo unit reports, by kind; every provider reports MZ-88 and MZ-89 (staff).
FORMS_BY_KIND = {
    "hospital": ["MZ-29", "MZ-88", "MZ-89"],
    "outpatient": ["MZ-11", "MZ-88", "MZ-89"],
    "individual_practice": ["MZ-11", "MZ-88"],
    "group_practice": ["MZ-11", "MZ-88"],
    "other": ["MZ-88"],
}
# The reporting year whose deadlines fell this spring gets a realistic mix; the year before is settled; the
# current year is only assigned.
STATUS_MIX_RECENT = [
    ("accepted", 40), ("under_verification", 12), ("submitted", 10), ("returned", 8), ("corrected", 6),
    ("draft", 8), ("after_deadline", 8), ("assigned", 8),
]  # fmt: skip


def submission_plan(
    regon: str, kind: str, first_year: int = 2024, latest: str = "9999-12-31"
) -> list[tuple[str, int, str, str]]:
    """(form, year, status code, changed_at ISO) for a demo unit: the same every run for the same REGON.

    Moments after `latest` (an ISO date, e.g. today early in the year) are moved back to it."""
    rng = random.Random(f"{SEED}-{regon}")
    plan = []
    codes, weights = zip(*STATUS_MIX_RECENT, strict=True)

    def moment(year: int, day: int, hour: int) -> str:
        text = f"{year}-{1 + day // 28:02d}-{1 + day % 28:02d}T{hour:02d}:30:00"
        return min(text, f"{latest}T07:00:00")

    for form in FORMS_BY_KIND.get(kind, ["MZ-88"]):
        day = rng.randint(5, 60)
        plan.append((form, first_year, "accepted", moment(first_year + 1, day, 10)))
        status = rng.choices(codes, weights)[0]
        plan.append((form, first_year + 1, status, moment(first_year + 2, day, 8 + day % 8)))
        plan.append((form, first_year + 2, "assigned", moment(first_year + 2, 0, 7)))
    return plan
