"""Starter content of the knowledge base (Polish), loaded by `manage.py load_kb` (idempotent: an article whose
slug exists is left as the editors made it). Facts that change every year (deadlines, names of offices) are
never stated here: the articles point to the forms catalogue ("Formularze i terminy"), which shows only deadlines
confirmed from the published programme of statistical surveys (PBSSP); the rest waits there for an administrator.
"""

CATEGORIES = [
    ("logowanie-i-dostep", "Logowanie i dostęp", "Konto, Profil Zaufany, hasło, uprawnienia jednostki."),
    ("sprawozdania", "Składanie i korekta sprawozdań", "Wypełnianie, wysyłanie, korekty, terminy."),
    ("formularze", "Formularze MZ", "Który formularz, kto składa, jak wypełnić."),
    ("dane-jednostki", "Dane jednostki", "REGON, NIP, nazwa, likwidacja praktyki."),
    ("techniczne", "Problemy techniczne", "Przeglądarka, błędy systemu, komunikaty walidacji."),
    ("komunikaty", "Komunikaty", "Przerwy w działaniu i przypomnienia o terminach."),
]

# (slug, category, title, forms, body)
FAQ = [
    (
        "jak-zalogowac-sie-do-systemu",
        "logowanie-i-dostep",
        "Jak zalogować się do systemu statystyki (SSOZ)?",
        [],
        "Do systemu logujesz się przez **Profil Zaufany** (login.gov.pl) albo e-dowód. Po zalogowaniu wybierz profil "
        "jednostki, w imieniu której składasz sprawozdania. Jeśli nie widzisz żadnej jednostki, złóż wniosek o nadanie "
        "uprawnień (zobacz: *Jak uzyskać dostęp dla nowej jednostki*). Logowanie login i hasło do starego konta nie "
        "działa od 2025 roku.",
    ),
    (
        "nie-moge-sie-zalogowac",
        "logowanie-i-dostep",
        "Nie mogę się zalogować – co sprawdzić?",
        [],
        "1. Sprawdź, czy Twój Profil Zaufany jest aktywny (zaloguj się na pz.gov.pl).\n"
        "2. Użyj aktualnej przeglądarki (Chrome, Edge, Firefox) i wyczyść pliki cookie.\n"
        "3. Jeśli po zalogowaniu pojawia się komunikat o braku uprawnień, Twoje konto nie jest powiązane z jednostką: "
        "złóż wniosek o dostęp.\n4. Jeśli logowanie kończy się błędem serwera, podaj w zgłoszeniu godzinę i treść "
        "komunikatu (najlepiej zrzut ekranu).",
    ),
    (
        "dostep-dla-nowej-jednostki",
        "logowanie-i-dostep",
        "Jak uzyskać dostęp dla nowej jednostki?",
        [],
        "Nowa jednostka (nowy podmiot leczniczy lub praktyka) składa w systemie **wniosek o utworzenie profilu "
        "jednostki**. Potrzebne są: REGON, NIP, numer księgi rejestrowej RPWDL oraz dane osoby, która będzie składać "
        "sprawozdania. Wniosek zatwierdza administrator wojewódzki. Zwykle trwa to kilka dni roboczych, dlatego nie "
        "zostawiaj go na dzień terminu.",
    ),
    (
        "zmiana-hasla",
        "logowanie-i-dostep",
        "Jak zmienić lub odzyskać hasło?",
        [],
        "System nie ma własnego hasła: logujesz się hasłem Profilu Zaufanego albo bankowością elektroniczną. "
        "Zapomniane hasło do Profilu Zaufanego odzyskasz na stronie pz.gov.pl (opcja *Nie pamiętam hasła*). "
        "Konsultanci pomocy SSOZ nie znają i nie resetują haseł Profilu Zaufanego.",
    ),
    (
        "kilka-jednostek-jedna-osoba",
        "logowanie-i-dostep",
        "Składam sprawozdania za kilka jednostek – jak to zrobić?",
        [],
        "Jedna osoba może mieć uprawnienia do wielu jednostek. Po zalogowaniu wybierz jednostkę z listy profili "
        "(przełącznik w prawym górnym rogu). Dostęp do kolejnej jednostki uzyskasz wnioskiem o uprawnienia, który "
        "zatwierdza kierownik tej jednostki albo administrator wojewódzki.",
    ),
    (
        "nowa-osoba-w-jednostce",
        "logowanie-i-dostep",
        "Zmieniła się osoba odpowiedzialna za sprawozdania",
        [],
        "Gdy pracownik odszedł albo zmienił się zakres obowiązków, nowa osoba składa wniosek o uprawnienia do profilu jednostki. Uprawnienia poprzedniej osoby odbiera "
        "kierownik jednostki w zakładce *Użytkownicy*. Prosimy nie przekazywać sobie danych logowania – "
        "każda osoba loguje się własnym Profilem Zaufanym.",
    ),
    (
        "ktory-formularz-mnie-dotyczy",
        "formularze",
        "Który formularz muszę złożyć?",
        ["MZ-11", "MZ-88"],
        "To zależy od rodzaju działalności. Najczęściej:\n\n"
        "- **MZ-88** (pracujący) – składają wszystkie podmioty lecznicze i praktyki zawodowe,\n"
        "- **MZ-11** – ambulatoryjna opieka zdrowotna z umową z NFZ, także praktyki,\n"
        "- **MZ-29** – szpitale ogólne, **MZ-30** – stacjonarna opieka psychiatryczna,\n"
        "- **MZ-06** – opieka pielęgniarki szkolnej (jeden formularz na szkołę).\n\n"
        "Lista formularzy przypisanych jednostce jest widoczna po zalogowaniu. Pełny katalog z terminami znajdziesz "
        "na stronie *Formularze i terminy*.",
    ),
    (
        "praktyka-bez-umowy-nfz-mz11",
        "formularze",
        "Praktyka bez umowy z NFZ – czy składam MZ-11?",
        ["MZ-11", "MZ-88"],
        "Formularz MZ-11 składają podmioty udzielające ambulatoryjnych świadczeń zdrowotnych **w ramach umowy z NFZ**. "
        "Praktyka, która nie ma umowy z NFZ, zwykle nie składa MZ-11, ale **składa MZ-88** (pracujący). Jeśli MZ-11 "
        "pojawił się na liście mimo braku umowy, napisz do administratora wojewódzkiego: może go odpiąć.",
    ),
    (
        "brak-formularza-na-liscie",
        "formularze",
        "Nie widzę formularza na liście – co zrobić?",
        [],
        "Formularze przypisuje się jednostce na podstawie ankiety rocznej i danych z rejestru RPWDL. Jeśli brakuje "
        "formularza, który powinna złożyć Twoja jednostka, napisz do administratora wojewódzkiego swojego województwa "
        "– podaj REGON jednostki i symbol formularza (np. MZ-11). Administrator może dopisać formularz.",
    ),
    (
        "formularz-mz06-na-kazda-szkole",
        "formularze",
        "MZ-06: czy składam jeden formularz za wszystkie szkoły?",
        ["MZ-06"],
        "Nie. Formularz MZ-06 (opieka zdrowotna nad uczniami) składa się **osobno dla każdej szkoły**, w której "
        "pielęgniarka szkolna sprawuje opiekę. Termin na dany rok podaje strona *Formularze i terminy*.",
    ),
    (
        "jak-poprawic-wyslane-sprawozdanie",
        "sprawozdania",
        "Jak poprawić wysłane sprawozdanie (korekta)?",
        [],
        "Sprawozdania wysłanego do administratora wojewódzkiego nie edytujesz sam. Napisz do administratora "
        "wojewódzkiego z prośbą o **zwrot do korekty** i podaj, co chcesz poprawić. Po zwrocie sprawozdanie wraca do "
        "stanu roboczego: popraw dane, sprawdź walidację i wyślij ponownie. Sprawozdanie już zaakceptowane też można "
        "skorygować, ale decyduje o tym administrator wojewódzki.",
    ),
    (
        "sprawozdanie-zwrocone-do-korekty",
        "sprawozdania",
        "Sprawozdanie zwrócono do korekty – co dalej?",
        [],
        "Przy zwróconym sprawozdaniu widać uwagi administratora wojewódzkiego. Otwórz sprawozdanie, popraw wskazane "
        "pola, uruchom sprawdzenie poprawności i wyślij je ponownie. Pytania o treść uwag kieruj do administratora "
        "wojewódzkiego, który je wpisał.",
    ),
    (
        "czy-sprawozdanie-dotarlo",
        "sprawozdania",
        "Jak sprawdzić, czy sprawozdanie dotarło i zostało przyjęte?",
        [],
        "Stan (status) sprawozdania widać na liście sprawozdań po zalogowaniu: *robocze*, *przekazane*, *w weryfikacji*, "
        "*zaakceptowane* albo *zwrócone do korekty*. Stan **przekazane** oznacza, że sprawozdanie dotarło do "
        "administratora wojewódzkiego. Możesz też skorzystać ze strony *Czy sprawozdanie dotarło?* na portalu pomocy.",
    ),
    (
        "spoznione-sprawozdanie-termin",
        "sprawozdania",
        "Nie zdążę przed terminem – czy można przedłużyć termin?",
        [],
        "Nie ma formalnej procedury przedłużenia terminu. Złóż sprawozdanie jak najszybciej – system zwykle przyjmuje "
        "sprawozdania także po terminie, dopóki administrator nie zablokuje edycji. Obowiązek wynika z ustawy o statystyce "
        "publicznej, a za niezłożenie sprawozdania grozi kara. O sytuacji poinformuj administratora wojewódzkiego.",
    ),
    (
        "terminy-skladania-sprawozdan",
        "sprawozdania",
        "Jakie są terminy składania sprawozdań?",
        ["MZ-88", "MZ-11", "MZ-29"],
        "Terminy ustala co roku program badań statystycznych statystyki publicznej (PBSSP), osobno dla każdego "
        "formularza (MZ-88, MZ-89, MZ-11, MZ-29, MZ-30, MZ-13, MZ-19, MZ-24, MZ-14, MZ-35, MZ-06 i innych) i mogą się "
        "zmieniać z roku na rok. **Aktualne daty są na stronie *Formularze i terminy***: pokazujemy tam tylko terminy "
        "potwierdzone w opublikowanym programie. Jeśli terminu Twojego formularza tam jeszcze nie ma, zapytaj "
        "administratora wojewódzkiego.",
    ),
    (
        "stan-zatrudnienia-na-31-grudnia",
        "sprawozdania",
        "Na jaki dzień liczę pracowników w MZ-88?",
        ["MZ-88", "MZ-89"],
        "Pracujących wykazuje się według stanu na **31 grudnia** roku sprawozdawczego. Osobę zatrudnioną w kilku "
        "miejscach wykazuje każdy pracodawca. Osoby na urlopie wychowawczym lub długotrwałym zwolnieniu wykazuje się "
        "zgodnie z objaśnieniami do formularza.",
    ),
    (
        "blad-walidacji-w-formularzu",
        "techniczne",
        "Co oznacza błąd walidacji w formularzu?",
        [],
        "Błąd walidacji (czerwony komunikat) oznacza, że dane w formularzu są niespójne, np. suma wierszy nie zgadza się "
        "z wierszem *Ogółem* albo brakuje wymaganej wartości. Kliknij komunikat, aby przejść do pola. **Ostrzeżenie** "
        "(żółte) nie blokuje wysłania, ale wymaga sprawdzenia i czasem wyjaśnienia w uwagach. Jeśli jesteś pewien "
        "danych, a błąd nie znika, wyślij nam zrzut ekranu z treścią komunikatu.",
    ),
    (
        "nie-moge-wyslac-sprawozdania",
        "techniczne",
        "Przycisk „Wyślij” jest nieaktywny – nie mogę wysłać sprawozdania",
        [],
        "Sprawozdanie można wysłać dopiero, gdy nie ma błędów walidacji. Uruchom *Sprawdź poprawność* i usuń błędy "
        "(czerwone). Jeśli błędów nie ma, a przycisk dalej jest nieaktywny, odśwież stronę i sprawdź, czy sesja nie "
        "wygasła (wyloguj się i zaloguj ponownie).",
    ),
    (
        "obslugiwane-przegladarki",
        "techniczne",
        "Jakiej przeglądarki używać?",
        [],
        "System działa w aktualnych wersjach Chrome, Edge, Firefox i Safari. Nie obsługujemy Internet Explorera. "
        "Jeśli strona wyświetla się niepoprawnie, wyczyść pamięć podręczną przeglądarki i wyłącz rozszerzenia "
        "blokujące skrypty.",
    ),
    (
        "sesja-wygasla-utrata-danych",
        "techniczne",
        "Sesja wygasła i straciłem wpisane dane",
        [],
        "Sesja wygasa po okresie bezczynności. Zapisuj formularz przyciskiem *Zapisz* co kilka minut – zapisane dane "
        "nie giną po wylogowaniu. Dane niezapisane przed wygaśnięciem sesji niestety nie są odzyskiwane.",
    ),
    (
        "zmiana-regon-nip-nazwy",
        "dane-jednostki",
        "Zmienił się REGON, NIP lub nazwa jednostki",
        [],
        "Dane jednostki pochodzą z rejestrów. Najpierw zmień dane w rejestrze (RPWDL, a REGON/NIP w GUS i urzędzie "
        "skarbowym), a potem napisz do administratora wojewódzkiego z nowym i starym numerem REGON. Administrator "
        "zaktualizuje profil jednostki w systemie statystycznym.",
    ),
    (
        "likwidacja-zamkniecie-praktyki",
        "dane-jednostki",
        "Zamknąłem praktykę – czy muszę składać sprawozdania?",
        ["MZ-88"],
        "Sprawozdanie składa się za rok, w którym praktyka działała, także jeśli została zamknięta w trakcie roku. "
        "Po wykreśleniu praktyki z rejestru (RPWDL) poinformuj administratora wojewódzkiego, podając REGON i datę "
        "zakończenia działalności – na kolejne lata formularze nie zostaną przypisane.",
    ),
    (
        "kto-jest-moim-administratorem",
        "dane-jednostki",
        "Kto jest administratorem wojewódzkim mojej jednostki?",
        [],
        "Administratorem wojewódzkim jest zwykle wydział zdrowia urzędu wojewódzkiego właściwego dla siedziby "
        "jednostki. Lista kontaktów jest na stronie *Administratorzy wojewódzcy*. Pytania o treść sprawozdania i "
        "korekty kieruj do administratora, sprawy logowania i błędy systemu – do pomocy SSOZ.",
    ),
    (
        "poufnosc-danych",
        "dane-jednostki",
        "Czy dane ze sprawozdań są poufne?",
        [],
        "Tak. Dane zebrane w badaniach statystyki publicznej są objęte tajemnicą statystyczną: publikuje się je tylko "
        "w formie zbiorczej, bez możliwości identyfikacji jednostki. Dane osobowe nie są przekazywane innym podmiotom.",
    ),
    (
        "godziny-pracy-pomocy",
        "komunikaty",
        "Kiedy działa pomoc SSOZ?",
        [],
        "Konsultanci odpowiadają w dni robocze w godzinach **8:00–16:00**. Zgłoszenia z formularza kontaktowego i "
        "e-mailem przyjmujemy całą dobę – odpowiemy w kolejnym dniu roboczym. W ostatnich dniach przed terminem "
        "sprawozdań czas odpowiedzi może się wydłużyć: najpierw sprawdź odpowiedzi w bazie wiedzy.",
    ),
    (
        "import-danych-z-pliku",
        "sprawozdania",
        "Czy mogę zaimportować dane z pliku zamiast wpisywać ręcznie?",
        ["MZ-88"],
        "Dla formularzy z dużą liczbą wierszy (np. MZ-88) system pozwala zaimportować plik w formacie opisanym w "
        "instrukcji formularza. Po imporcie zawsze uruchom sprawdzenie poprawności. Błąd importu zwykle oznacza złe "
        "kodowanie pliku (użyj UTF-8) albo zmienioną kolejność kolumn.",
    ),
    (
        "wydruk-sprawozdania-pdf",
        "sprawozdania",
        "Jak pobrać lub wydrukować wysłane sprawozdanie?",
        [],
        "Na liście sprawozdań wybierz sprawozdanie i użyj opcji *Pobierz PDF*. Wydruk zawiera datę przekazania i "
        "może służyć jako potwierdzenie złożenia sprawozdania.",
    ),
    (
        "zero-sprawozdanie-brak-dzialalnosci",
        "sprawozdania",
        "Nie było działalności w roku – czy składam sprawozdanie?",
        [],
        "Tak, jeśli formularz jest przypisany jednostce, złóż go z zerowymi wartościami i wyjaśnieniem w uwagach "
        "(np. *brak działalności w roku sprawozdawczym*). Jeśli formularz nie powinien być przypisany, napisz do "
        "administratora wojewódzkiego.",
    ),
]

MANUALS = [
    (
        "instrukcja-logowanie-i-profil-jednostki",
        "logowanie-i-dostep",
        "Instrukcja: logowanie i profil jednostki",
        [],
        """Ta instrukcja prowadzi krok po kroku od pierwszego logowania do pracy w profilu jednostki.

## Logowanie przez Profil Zaufany

1. Wejdź na stronę systemu statystyki i wybierz **Zaloguj się**.
2. Wybierz Profil Zaufany, e-dowód albo bankowość elektroniczną.
3. Po zalogowaniu zobaczysz listę profili jednostek, do których masz uprawnienia.

### Pierwsze logowanie

Przy pierwszym logowaniu uzupełnij adres e-mail i numer telefonu: na ten adres przychodzą powiadomienia o zwrocie
sprawozdania do korekty.

## Wniosek o dostęp do jednostki

Jeżeli lista profili jest pusta, złóż wniosek o uprawnienia. Podaj REGON jednostki (9 lub 14 cyfr), NIP i numer
księgi rejestrowej RPWDL. Wniosek zatwierdza kierownik jednostki albo administrator wojewódzki.

### Nowa jednostka

Jednostka, której nie ma w systemie, składa wniosek o utworzenie profilu. Dołącz potwierdzenie wpisu do RPWDL.

## Praca w kilku jednostkach

Przełącznik profili w prawym górnym rogu pozwala zmienić jednostkę bez wylogowania. Każde sprawozdanie składa się
w profilu tej jednostki, której dotyczy.

## Wylogowanie i bezpieczeństwo

Wyloguj się po pracy, zwłaszcza na wspólnym komputerze. Sesja wygasa po okresie bezczynności; niezapisane dane
giną, dlatego zapisuj formularz regularnie.
""",
    ),
    (
        "instrukcja-wypelnianie-i-wysylanie-sprawozdania",
        "sprawozdania",
        "Instrukcja: wypełnianie i wysyłanie sprawozdania",
        ["MZ-11", "MZ-88"],
        """Instrukcja opisuje pracę ze sprawozdaniem od otwarcia formularza do potwierdzenia przyjęcia.

## Otwarcie formularza

Na liście sprawozdań wybierz rok sprawozdawczy i formularz (np. MZ-88). Sprawozdanie w stanie *robocze* możesz
edytować dowolnie długo.

## Wypełnianie działów

Formularz składa się z działów. Pola obowiązkowe są oznaczone gwiazdką. Stan zatrudnienia podaje się na
31 grudnia. Dane można wpisać ręcznie albo zaimportować z pliku (UTF-8, kolumny jak w instrukcji formularza).

### Zapisywanie

Przycisk **Zapisz** zapisuje dane bez wysyłania. Zapisuj co kilka minut.

## Sprawdzenie poprawności (walidacja)

Przycisk **Sprawdź poprawność** uruchamia reguły walidacji. Błędy (czerwone) blokują wysłanie; ostrzeżenia (żółte)
wymagają sprawdzenia i ewentualnego wyjaśnienia w polu *Uwagi*.

## Wysłanie sprawozdania

Gdy nie ma błędów, przycisk **Wyślij** przekazuje sprawozdanie administratorowi wojewódzkiemu. Stan zmienia się na
*przekazane*. Pobierz wydruk PDF jako potwierdzenie.

## Korekta po wysłaniu

Wysłanego sprawozdania nie można edytować. O zwrot do korekty prosi się administratora wojewódzkiego; po zwrocie
sprawozdanie wraca do stanu roboczego.
""",
    ),
    (
        "instrukcja-administrator-wojewodzki",
        "sprawozdania",
        "Instrukcja dla administratora wojewódzkiego: weryfikacja sprawozdań",
        [],
        """Instrukcja dla pracowników urzędów wojewódzkich, którzy weryfikują sprawozdania jednostek.

## Lista sprawozdań do weryfikacji

Filtr *przekazane* pokazuje sprawozdania czekające na weryfikację w Twoim województwie. Sortuj według daty
przekazania, aby zachować kolejność.

## Akceptacja

Po sprawdzeniu danych wybierz **Akceptuj**. Jednostka widzi stan *zaakceptowane*.

## Zwrot do korekty

Wybierz **Zwróć do korekty** i wpisz uwagi: konkretnie, które pola i dlaczego. Jednostka dostaje powiadomienie
e-mailem.

## Odblokowanie po terminie

Po terminie edycja może być zablokowana. Administrator może odblokować sprawozdanie jednostce, która je złoży
z opóźnieniem.

## Przekazanie danych do CeZ

Zweryfikowane dane województwa przekazuje się do Centrum e-Zdrowia w terminie, który co roku podaje Centrum.
""",
    ),
]

FORM_INSTRUCTIONS = [
    (
        "instrukcja-formularza-mz-88",
        "formularze",
        "MZ-88: sprawozdanie o pracujących – jak wypełnić",
        ["MZ-88"],
        """Formularz MZ-88 składają **wszystkie** podmioty wykonujące działalność leczniczą, także indywidualne praktyki.

## Kogo wykazać

Osoby pracujące według stanu na 31 grudnia: na umowę o pracę, kontrakt i umowę cywilnoprawną, w podziale na
zawody medyczne.

## Najczęstsze błędy

- suma w wierszu *Ogółem* nie zgadza się z wierszami szczegółowymi,
- osoba wykazana dwukrotnie w jednej jednostce,
- brak specjalizacji lekarza (wypełnia się w MZ-89).

## Termin

Termin na dany rok podaje strona *Formularze i terminy* (katalog formularzy).
""",
    ),
    (
        "instrukcja-formularza-mz-11",
        "formularze",
        "MZ-11: ambulatoryjna opieka zdrowotna – jak wypełnić",
        ["MZ-11"],
        """MZ-11 składają podmioty udzielające ambulatoryjnych świadczeń w ramach umowy z NFZ, także praktyki.

## Porady i wizyty

Wykazuje się porady udzielone w roku sprawozdawczym, w podziale na poradnie. Wizyty domowe wykazuje się osobno.

## Personel

Dane o personelu w MZ-11 muszą być spójne z MZ-88.

## Termin

Termin na dany rok podaje strona *Formularze i terminy* (katalog formularzy).
""",
    ),
    (
        "instrukcja-formularza-mz-89",
        "formularze",
        "MZ-89: sprawozdanie o specjalistach – jak wypełnić",
        ["MZ-89"],
        """MZ-89 składają te same podmioty co MZ-88: **wszystkie** podmioty wykonujące działalność leczniczą, także
praktyki.

## Kogo wykazać

Specjalistów pracujących w jednostce według stanu na 31 grudnia, z uzyskanymi specjalizacjami. Osoby wykazane
w MZ-89 muszą być wykazane także w MZ-88.

## Najczęstsze błędy

- specjalista wykazany w MZ-89, a nieobecny w MZ-88,
- specjalizacja w trakcie szkolenia wykazana jako uzyskana.

## Termin

Termin na dany rok podaje strona *Formularze i terminy* (katalog formularzy).
""",
    ),
]

ANNOUNCEMENTS = [
    (
        "przypomnienie-termin-mz-88",
        "komunikaty",
        "Przypomnienie: zbliża się termin MZ-88 i MZ-89",
        ["MZ-88", "MZ-89"],
        "Przypominamy, że sprawozdania MZ-88 i MZ-89 należy złożyć w terminie podanym w katalogu formularzy. "
        "Nie zostawiaj wysyłki na ostatni dzień – w ostatnich godzinach czas odpowiedzi pomocy się wydłuża.",
    ),
]
