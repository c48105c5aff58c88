"""The product's starting configuration: two business calendars, the central, triage and 16 regional
queues, and the categories people write about. All of it is editable in the admin."""

import datetime as dt

from django.db import migrations

CATEGORIES = [
    ("logowanie", "Logowanie i dostęp (Profil Zaufany, konto)"),
    ("nowa-jednostka", "Konto nowej jednostki"),
    ("techniczne", "Problem techniczny / przeglądarka"),
    ("tresc-sprawozdania", "Treść sprawozdania i wyjaśnienia"),
    ("korekta", "Korekta złożonego sprawozdania"),
    ("terminy", "Terminy i spóźnione sprawozdania"),
    ("brak-formularza", "Brak formularza na liście"),
    ("dane-jednostki", "Zmiana danych jednostki (REGON, NIP, nazwa)"),
    ("status-sprawozdania", "Czy sprawozdanie dotarło"),
    ("inne", "Inne"),
]


def seed(apps, schema_editor):
    db = schema_editor.connection.alias  # the database being migrated, not always the default one
    BusinessCalendar = apps.get_model("helpdesk", "BusinessCalendar")
    Queue = apps.get_model("tickets", "Queue")
    Category = apps.get_model("tickets", "Category")
    Voivodeship = apps.get_model("contacts", "Voivodeship")

    office, _ = BusinessCalendar.objects.using(db).get_or_create(
        name="Dni robocze 8:00–16:00",
        defaults={"timezone": "Europe/Warsaw", "opens_at": dt.time(8), "closes_at": dt.time(16)},
    )
    BusinessCalendar.objects.using(db).get_or_create(name="Całodobowo (24/7)", defaults={"always_open": True})

    Queue.objects.using(db).get_or_create(slug="centralna", defaults={"name": "Centrala – pomoc techniczna", "kind": "central", "calendar": office})
    Queue.objects.using(db).get_or_create(slug="do-rozdzielenia", defaults={"name": "Do rozdzielenia", "kind": "triage", "calendar": office})
    for voivodeship in Voivodeship.objects.using(db).all():
        Queue.objects.using(db).get_or_create(
            voivodeship=voivodeship,
            defaults={"slug": f"woj-{voivodeship.code}", "name": f"Województwo {voivodeship.name}", "kind": "regional", "calendar": office},
        )
    for slug, name in CATEGORIES:
        Category.objects.using(db).get_or_create(slug=slug, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0001_initial"),
        ("contacts", "0003_seed_voivodeships_and_forms"),
        ("helpdesk", "0001_initial"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
