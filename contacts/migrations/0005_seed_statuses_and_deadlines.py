"""Default submission statuses (with what the unit should do next) and per-year form deadlines.

Product data, editable in the admin; seeding only creates what is missing, so edits survive re-runs.
The deadlines follow the usual calendar of the survey programme (PBSSP) and are marked for checking each year.
"""

import datetime as dt

from django.db import migrations

STATUSES = [
    # (code, name, counts as submitted, what the unit should do next)
    ("assigned", "przypisane", False,
     "Formularz został przypisany Państwa jednostce na ten rok. Należy go wypełnić i złożyć w systemie SSOZ "
     "przed terminem."),
    ("draft", "wersja robocza", False,
     "Sprawozdanie jest zapisane jako wersja robocza, ale nie zostało złożone. Dokończ je i przekaż (złóż) w "
     "systemie SSOZ przed terminem: wersja robocza nie jest sprawozdaniem złożonym."),
    ("submitted", "złożone", True,
     "Sprawozdanie dotarło do administratora wojewódzkiego. Nic nie trzeba robić: prosimy czekać na weryfikację. "
     "Jeśli zostanie zwrócone do korekty, status się zmieni."),
    ("under_verification", "w weryfikacji", True,
     "Administrator wojewódzki sprawdza sprawozdanie. Nic nie trzeba robić; prosimy odbierać pocztę i telefony, "
     "bo administrator może poprosić o wyjaśnienia."),
    ("accepted", "zaakceptowane", True,
     "Sprawozdanie zostało przyjęte. Obowiązek za ten rok jest spełniony, nic więcej nie trzeba robić."),
    ("returned", "zwrócone do korekty", False,
     "Administrator wojewódzki zwrócił sprawozdanie do poprawy. Zaloguj się do SSOZ, przeczytaj uwagi, popraw dane "
     "i złóż sprawozdanie ponownie. Pytania o treść uwag kieruj do administratora wojewódzkiego (dane poniżej)."),
    ("corrected", "poprawione, złożone ponownie", True,
     "Poprawione sprawozdanie zostało złożone ponownie i czeka na ponowną weryfikację. Nic nie trzeba robić."),
    ("after_deadline", "po terminie, niezłożone", False,
     "Termin minął, a sprawozdanie nie zostało złożone. Złóż je jak najszybciej; jeśli system blokuje "
     "wprowadzanie danych, skontaktuj się z administratorem wojewódzkim (dane poniżej). Nie ma formalnej "
     "procedury przedłużania terminu."),
]

# form code: (month, day, offset of the deadline's calendar year from the reporting year, note)
CHECK = "termin orientacyjny – sprawdź w programie badań statystycznych (PBSSP) na dany rok"
DEADLINES = {
    "MZ-03": (2, 23, 1, "sprawozdanie wstępne; ostateczne ok. początku lipca – " + CHECK),
    "MZ-06": (9, 30, 0, "jeden formularz na każdą szkołę – " + CHECK),
    "MZ-11": (3, 31, 1, CHECK),
    "MZ-13": (2, 20, 1, CHECK),
    "MZ-14": (3, 2, 1, CHECK),
    "MZ-15": (2, 28, 1, CHECK),
    "MZ-19": (2, 16, 1, CHECK),
    "MZ-24": (2, 16, 1, CHECK),
    "MZ-29": (1, 31, 1, CHECK),
    "MZ-29A": (1, 31, 1, CHECK),
    "MZ-30": (2, 15, 1, CHECK),
    "MZ-35A": (3, 2, 1, CHECK),
    "MZ-35B": (3, 2, 1, CHECK),
    "MZ-88": (4, 10, 1, CHECK),
    "MZ-89": (4, 10, 1, CHECK),
}
YEARS = (2024, 2025, 2026)


def seed(apps, schema_editor):
    SubmissionStatus = apps.get_model("contacts", "SubmissionStatus")
    StatisticalForm = apps.get_model("contacts", "StatisticalForm")
    FormDeadline = apps.get_model("contacts", "FormDeadline")
    db = schema_editor.connection.alias  # the database being migrated, not always the default one
    for order, (code, name, counts, next_step) in enumerate(STATUSES, 1):
        SubmissionStatus.objects.using(db).get_or_create(
            code=code, defaults={"name": name, "counts_as_submitted": counts, "next_step": next_step, "order": order}
        )
    for form in StatisticalForm.objects.using(db).filter(code__in=DEADLINES):
        month, day, offset, note = DEADLINES[form.code]
        for year in YEARS:
            FormDeadline.objects.using(db).get_or_create(
                form=form, year=year, defaults={"deadline": dt.date(year + offset, month, day), "note": note}
            )


class Migration(migrations.Migration):
    dependencies = [("contacts", "0004_submissions_deadlines_imports")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
