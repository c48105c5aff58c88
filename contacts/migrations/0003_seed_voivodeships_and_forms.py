"""The 16 voivodeships (TERYT) and the MZ-xx forms catalogue: product data, editable in the admin."""

from django.db import migrations

VOIVODESHIPS = [
    ("02", "dolnośląskie", "Wrocław"),
    ("04", "kujawsko-pomorskie", "Bydgoszcz (wojewoda) / Toruń (sejmik)"),
    ("06", "lubelskie", "Lublin"),
    ("08", "lubuskie", "Gorzów Wielkopolski (wojewoda) / Zielona Góra (sejmik)"),
    ("10", "łódzkie", "Łódź"),
    ("12", "małopolskie", "Kraków"),
    ("14", "mazowieckie", "Warszawa"),
    ("16", "opolskie", "Opole"),
    ("18", "podkarpackie", "Rzeszów"),
    ("20", "podlaskie", "Białystok"),
    ("22", "pomorskie", "Gdańsk"),
    ("24", "śląskie", "Katowice"),
    ("26", "świętokrzyskie", "Kielce"),
    ("28", "warmińsko-mazurskie", "Olsztyn"),
    ("30", "wielkopolskie", "Poznań"),
    ("32", "zachodniopomorskie", "Szczecin"),
]

# (code, title, who submits, usual deadline). Titles marked "(do weryfikacji)" are not confirmed: edit them
# in the admin when the year's survey programme (PBSSP) is published.
FORMS = [
    ("MZ-03", "Sprawozdanie o finansach podmiotów leczniczych sektora publicznego",
     "SP ZOZ, spółki z większościowym udziałem publicznym", "wstępne ok. 23 lutego, ostateczne na początku lipca"),
    ("MZ-06", "Sprawozdanie z opieki zdrowotnej nad uczniami w szkołach",
     "podmioty realizujące opiekę pielęgniarki szkolnej; jeden formularz na każdą szkołę", "30 września"),
    ("MZ-11", "Sprawozdanie o działalności i zatrudnieniu w ambulatoryjnej opiece zdrowotnej",
     "podmioty ambulatoryjnej opieki zdrowotnej z umową z NFZ (także praktyki)", "koniec marca"),
    ("MZ-13", "Sprawozdanie z działalności poradni gruźlicy i chorób płuc",
     "podmioty prowadzące takie poradnie", "połowa lub koniec lutego"),
    ("MZ-14", "Sprawozdanie z działalności poradni dermatologiczno-wenerologicznych",
     "podmioty leczące choroby przenoszone drogą płciową", "ok. 1–2 marca"),
    ("MZ-15", "Sprawozdanie ambulatoryjnej opieki psychiatrycznej i leczenia uzależnień (do weryfikacji)",
     "ambulatoryjne jednostki zdrowia psychicznego i leczenia uzależnień", "koniec lutego"),
    ("MZ-19", "Sprawozdanie z działalności zespołów środowiskowej opieki psychiatrycznej",
     "zespoły środowiskowe i domowe", "połowa lutego"),
    ("MZ-24", "Sprawozdanie MZ-24 (tytuł do weryfikacji)", "do weryfikacji", "połowa lutego"),
    ("MZ-29", "Sprawozdanie z działalności szpitala ogólnego (do weryfikacji)", "szpitale", "31 stycznia"),
    ("MZ-29A", "Sprawozdanie szpitala ogólnego, część A (do weryfikacji)", "szpitale", "31 stycznia"),
    ("MZ-30", "Sprawozdanie z działalności stacjonarnej opieki psychiatrycznej",
     "zakłady stacjonarnej opieki psychiatrycznej", "31 stycznia – 15 lutego"),
    ("MZ-35A", "Sprawozdanie z działalności w zakresie medycyny pracy (lekarze)",
     "lekarze medycyny pracy", "ok. 1–2 marca"),
    ("MZ-35B", "Sprawozdanie z działalności w zakresie medycyny pracy (podmioty)",
     "podmioty medycyny pracy", "ok. 1–2 marca"),
    ("MZ-88", "Sprawozdanie o pracujących w podmiotach wykonujących działalność leczniczą",
     "wszystkie podmioty lecznicze i praktyki", "od początku marca do ok. 10 kwietnia"),
    ("MZ-89", "Sprawozdanie o specjalistach pracujących w podmiotach wykonujących działalność leczniczą",
     "jak MZ-88", "od początku marca do ok. 10 kwietnia"),
]


def seed(apps, schema_editor):
    db = schema_editor.connection.alias  # the database being migrated, not always the default one
    Voivodeship = apps.get_model("contacts", "Voivodeship")
    StatisticalForm = apps.get_model("contacts", "StatisticalForm")
    for code, name, seat in VOIVODESHIPS:
        Voivodeship.objects.using(db).update_or_create(code=code, defaults={"name": name, "seat": seat})
    for code, title, who, deadline in FORMS:
        StatisticalForm.objects.using(db).get_or_create(
            code=code, defaults={"title": title, "submitted_by": who, "usual_deadline": deadline}
        )


class Migration(migrations.Migration):
    dependencies = [("contacts", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
