"""The forms catalogue says only what a published source confirms (issue 12).

The first seed (0003, 0005) held guesses: titles marked "(do weryfikacji)", "who submits" and usual deadlines
from memory, and per-year deadlines noted "termin orientacyjny". This migration replaces each guess that is
still in place with the value a published source gives (recorded in the form's `source`), or empties it when no
source was found, so that the public catalogue leaves it out and the admin lists it under "Do uzupełnienia".
No deadline for the 2025 or 2026 reporting year could be confirmed from a published source, so the guessed
deadline rows are removed. A value an administrator has changed by hand is never touched: only a field still
equal to its seeded guess is replaced.
"""

import datetime as dt
from importlib import import_module

from django.db import migrations, models

_FIRST_SEED = import_module("contacts.migrations.0003_seed_voivodeships_and_forms")
_DEADLINE_SEED = import_module("contacts.migrations.0005_seed_statuses_and_deadlines")

BYDGOSZCZ = "Kujawsko-Pomorski Urząd Wojewódzki, „Sprawozdawczość statystyczna z zakresu »zdrowie i ochrona zdrowia«” (PBSSP 2023), https://bip.bydgoszcz.uw.gov.pl/388/159/sprawozdawczosc-statystyczna-z-zakresu-zdrowie-i-ochrona-zdrowia.html"
DILNET = "Dolnośląska Izba Lekarska, „Obowiązki lekarzy i lekarzy dentystów jako przedsiębiorców prowadzących praktyki zawodowe” (PBSSP 2022), https://stomatologia.dilnet.wroc.pl/obowiazki-lekarzy-i-lekarzy-dentystow-jako-przedsiebiorcow-prowadzacych-praktyki-zawodowe"
DUW = "Dolnośląski Urząd Wojewódzki, „Informacje statystyczne” (za 2016 r.), http://duw.pl/pl/urzad/zdrowie-publiczne/informacje-statystyczn/2445,Informacje-statystyczne.html"
DWOMP = "Dolnośląski Wojewódzki Ośrodek Medycyny Pracy, „Roczna sprawozdawczość” (PBSSP 2023), http://dwomp.pl/spec-lekarz-roczna-sprawozdawczosc"
GUS_MZ30 = "GUS, „Informacje o przekazywanych danych zgodnie z PBSSP na rok 2020”, zestaw MZ-30, http://form.stat.gov.pl/formaty/zestaw.php?rok-pbssp=2020&idzst=273"
GUS_MZ88 = "GUS, „Szczegółowy format przekazywanych danych w roku 2021”, zestaw MZ-88 (PBSSP 2020), http://form.stat.gov.pl/formaty/zmienne-zestaw.php?rok-pbssp=2020&rok-p=2021&idzst=291"
GUS_MZ89 = "GUS, „Informacje o przekazywanych danych zgodnie z PBSSP na rok 2022”, zestaw MZ-89, http://form.stat.gov.pl/formaty/zestaw.php?rok-pbssp=2022&idzst=293"
GUS_MZ35B = "GUS, „Szczegółowy format przekazywanych danych w roku 2024”, zestaw MZ-35B (PBSSP 2023), http://form.stat.gov.pl/formaty/zmienne-zestaw.php?rok-pbssp=2023&rok-p=2024&idzst=276"
KATOWICE = "Śląski Urząd Wojewódzki, „Sprawozdania roczne MZ”, https://www.katowice.uw.gov.pl/usluga/zdrowie-instytucje/sprawozdania-roczne-mz"
LUBUSKIE = "Lubuski Urząd Wojewódzki, „Statystyka medyczna” (PBSSP 2017), http://www.lubuskie.uw.gov.pl/wydzial_zdrowia/Statystyka_medyczna.html"
MZ03_FORM = "Wzór formularza MZ-03 (CSIOZ, dane za 2016 r.), http://doczz.pl/doc/834540/ministerstwo-zdrowia"
MZ06_GUIDE = "„Instrukcja wypełniania druku MZ-06” (rok szkolny 2009/2010), http://docplayer.pl/1122202-Instrukcja-wypelniania-druku-mz-06-sprawozdanie-z-realizacji-profilaktycznej-opieki-zdrowotnej-nad-uczniami-w-szkolach.html"
MZ29A_FORM = "Wzór formularza MZ-29A (CSIOZ, dane za 2014 r.), http://readgur.com/doc/237114/mz-29a---centrum-system%C3%B3w-informacyjnych-ochrony-zdrowia"
POZNAN = "Wielkopolski Urząd Wojewódzki, „Zasady sprawozdawczości i formularze sprawozdawcze” (PBSSP 2018), http://www.poznan.uw.gov.pl/zasady-sprawozdawczosci-i-formularze-sprawozdawcze"

# code: (title, its source, who submits, its source); "" where no published source was found.
FORMS = {
    "MZ-03": ("Sprawozdanie o finansach samodzielnych publicznych zakładów opieki zdrowotnej", MZ03_FORM, "", ""),
    "MZ-06": (
        "Sprawozdanie z realizacji profilaktycznej opieki zdrowotnej nad uczniami w szkołach",
        MZ06_GUIDE,
        "Podmioty wykonujące działalność leczniczą udzielające ambulatoryjnych świadczeń zdrowotnych w zakresie "
        "opieki profilaktycznej nad dziećmi i młodzieżą szkolną",
        KATOWICE,
    ),
    "MZ-11": (
        "Sprawozdanie o działalności i pracujących w ambulatoryjnej opiece zdrowotnej",
        BYDGOSZCZ,
        "Podmioty wykonujące działalność leczniczą udzielające ambulatoryjnych świadczeń zdrowotnych w ramach "
        "kontraktu z NFZ: podmioty lecznicze, praktyki lekarzy i lekarzy dentystów, fizjoterapeutów, pielęgniarek "
        "i położnych",
        KATOWICE,
    ),
    "MZ-13": (
        "Sprawozdanie o leczonych w poradni gruźlicy i chorób płuc",
        BYDGOSZCZ,
        "Podmioty wykonujące działalność leczniczą udzielające ambulatoryjnych, specjalistycznych świadczeń "
        "zdrowotnych w zakresie chorób płuc i gruźlicy",
        POZNAN,
    ),
    "MZ-14": ("Sprawozdanie o leczonych w poradni skórno-wenerologicznej", LUBUSKIE, "", ""),
    "MZ-15": (
        "Sprawozdanie z działalności jednostki lecznictwa ambulatoryjnego dla osób z zaburzeniami psychicznymi, "
        "osób uzależnionych od alkoholu oraz innych substancji psychoaktywnych",
        DUW,
        "Podmioty wykonujące działalność leczniczą udzielające ambulatoryjnych, specjalistycznych świadczeń "
        "zdrowotnych w zakresie zdrowia psychicznego",
        DUW,
    ),
    "MZ-19": (
        "Sprawozdanie z działalności zespołu/oddziału leczenia środowiskowego/domowego",
        DUW,
        "Podmioty wykonujące działalność leczniczą udzielające ambulatoryjnych, specjalistycznych świadczeń "
        "zdrowotnych w zakresie leczenia środowiskowego/domowego",
        DUW,
    ),
    "MZ-24": ("", "", "", ""),
    "MZ-29": ("", "", "", ""),
    "MZ-29A": (
        "Sprawozdanie o działalności podmiotu wykonującego działalność leczniczą w zakresie długoterminowej "
        "opieki zdrowotnej",
        MZ29A_FORM,
        "",
        "",
    ),
    "MZ-30": (
        "Sprawozdanie podmiotu wykonującego działalność leczniczą w zakresie psychiatrycznej opieki stacjonarnej",
        GUS_MZ30,
        "Podmioty wykonujące działalność leczniczą udzielające stacjonarnych świadczeń zdrowotnych w zakresie zdrowia "
        "psychicznego, leczenia odwykowego, rehabilitacji narkomanów, z wyłączeniem szpitali ogólnych, oraz "
        "regionalne ośrodki psychiatrii sądowej i Krajowy Ośrodek Psychiatrii Sądowej dla Nieletnich",
        GUS_MZ30,
    ),
    "MZ-35A": (
        "",
        "",
        "Lekarze, którzy w roku sprawozdawczym wykonywali badania profilaktyczne pracowników (oddzielne "
        "sprawozdanie dla każdego miejsca wykonywania działalności leczniczej)",
        DWOMP,
    ),
    "MZ-35B": (
        "Sprawozdanie z działalności podmiotu wykonującego działalność leczniczą realizującego świadczenia z zakresu "
        "profilaktycznej opieki zdrowotnej nad pracownikami",
        GUS_MZ35B,
        "Podmioty wykonujące działalność leczniczą realizujące świadczenia z zakresu profilaktycznej opieki "
        "zdrowotnej nad pracownikami",
        DWOMP,
    ),
    "MZ-88": (
        "Sprawozdanie o pracujących w podmiotach wykonujących działalność leczniczą",
        GUS_MZ88,
        "Podmioty wykonujące działalność leczniczą udzielające ambulatoryjnych i stacjonarnych świadczeń "
        "zdrowotnych, w tym indywidualne i grupowe praktyki zawodowe",
        DILNET,
    ),
    "MZ-89": (
        "Sprawozdanie o specjalistach pracujących w podmiotach wykonujących działalność leczniczą",
        GUS_MZ89,
        "Podmioty wykonujące działalność leczniczą udzielające ambulatoryjnych i stacjonarnych świadczeń "
        "zdrowotnych, w tym indywidualne i grupowe praktyki zawodowe lekarzy, pielęgniarek i położnych, praktyki "
        "zawodowe fizjoterapeutów oraz regionalne centra krwiodawstwa i krwiolecznictwa",
        GUS_MZ89,
    ),
}


def seeded_forms() -> dict[str, tuple[str, str, str]]:
    """code: (title, who submits, usual deadline) exactly as the first seed wrote them."""
    return {code: (title, who, usual) for code, title, who, usual in _FIRST_SEED.FORMS}


def seeded_deadlines() -> dict[tuple[str, int], tuple[dt.date, str]]:
    """(code, reporting year): (deadline, note) exactly as the first seed wrote them."""
    return {
        (code, year): (dt.date(year + offset, month, day), note)
        for code, (month, day, offset, note) in _DEADLINE_SEED.DEADLINES.items()
        for year in _DEADLINE_SEED.YEARS
    }


def update_catalogue(apps, schema_editor):
    StatisticalForm = apps.get_model("contacts", "StatisticalForm")
    FormDeadline = apps.get_model("contacts", "FormDeadline")
    db = schema_editor.connection.alias  # the database being migrated (the tests migrate a second one too)
    seeded = seeded_forms()
    for form in StatisticalForm.objects.using(db).filter(code__in=FORMS):
        title, title_source, who, who_source = FORMS[form.code]
        seed_title, seed_who, seed_usual = seeded.get(form.code, (None, None, None))
        changed, sources = [], []
        if form.title == seed_title:
            form.title = title
            changed.append("title")
            sources += [f"Tytuł: {title_source}"] if title else []
        if form.submitted_by == seed_who:
            form.submitted_by = who
            changed.append("submitted_by")
            sources += [f"Kto składa: {who_source}"] if who else []
        if form.usual_deadline == seed_usual:  # a guess, never shown as fact again
            form.usual_deadline = ""
            changed.append("usual_deadline")
        if sources and not form.source:
            form.source = "\n".join(sources)
            changed.append("source")
        if changed:
            form.save(update_fields=changed)
    guesses = seeded_deadlines()
    for row in FormDeadline.objects.using(db).select_related("form").filter(source=""):
        guess = guesses.get((row.form.code, row.year))
        if guess is None or row.note != guess[1]:
            continue
        if row.deadline == guess[0]:
            row.delete()
        else:  # the date was corrected by hand: keep it, drop only the "orientacyjny" note
            row.note = ""
            row.save(update_fields=["note"])


class Migration(migrations.Migration):
    dependencies = [("contacts", "0009_form_instruction_article")]
    operations = [
        migrations.AlterField(
            model_name="statisticalform",
            name="title",
            field=models.CharField(blank=True, max_length=300, verbose_name="tytuł"),
        ),
        migrations.AddField(
            model_name="statisticalform",
            name="source",
            field=models.TextField(
                blank=True,
                help_text="Skąd pochodzą tytuł i „kto składa”: adres i tytuł publikacji, najlepiej programu badań "
                "statystycznych statystyki publicznej (PBSSP) na dany rok.",
                verbose_name="źródło",
            ),
        ),
        migrations.AddField(
            model_name="formdeadline",
            name="source",
            field=models.CharField(
                blank=True,
                help_text="Adres i tytuł publikacji, z której pochodzi termin (program badań statystycznych na ten "
                "rok).",
                max_length=500,
                verbose_name="źródło",
            ),
        ),
        migrations.RunPython(update_catalogue, migrations.RunPython.noop),
    ]
