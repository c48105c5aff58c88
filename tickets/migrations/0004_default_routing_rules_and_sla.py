"""Default routing rules and SLA policies shipped with the product (editable in the admin; idempotent)."""

from django.db import migrations

RULES = [
    {
        "name": "Logowanie i dostęp → centrala",
        "position": 10,
        "words": "hasło, login, logowanie, zalogować, zalogowanie, zalogowac, nie mogę się zalogować, konto, "
        "dostęp, uprawnienia, profil zaufany, zablokowane konto, aktywacja konta, nowe konto",
        "queue": "centralna",
        "category": "logowanie",
    },
    {
        "name": "Problem techniczny → centrala",
        "position": 20,
        "words": "przeglądarka, błąd systemu, awaria, nie działa, strona się nie ładuje, nie wczytuje, "
        "komunikat błędu, błąd 500, zawiesza się, chrome, firefox, edge",
        "queue": "centralna",
        "category": "techniczne",
    },
    {
        "name": "Korekta sprawozdania → województwo jednostki",
        "position": 30,
        "unit": "identified",
        "words": "korekta, korekty, poprawka, poprawić, skorygować, odrzucone, zwrócone do poprawy, "
        "do poprawy, błędne dane, pomyłka",
        "by_voivodeship": True,
        "category": "korekta",
    },
    {
        "name": "Terminy sprawozdań → województwo jednostki",
        "position": 40,
        "unit": "identified",
        "words": "termin, po terminie, spóźnione, spóźnienie, opóźnienie, przedłużenie, do kiedy, ostateczny termin",
        "by_voivodeship": True,
        "category": "terminy",
    },
    {
        "name": "Treść sprawozdania → województwo jednostki",
        "position": 50,
        "unit": "identified",
        "words": "sprawozdanie, formularz, wypełnić, wypełnienie, jak wykazać, wykazać, rubryka, dział, wiersz, "
        "stan na 31 grudnia, liczba pracowników, personel, etaty",
        "by_voivodeship": True,
        "category": "tresc-sprawozdania",
    },
    {
        "name": "Niezidentyfikowana jednostka → do rozdzielenia",
        "position": 90,
        "unit": "unidentified",
        "queue": "do-rozdzielenia",
    },
]

POLICIES = [
    # name, priority, first response [min], resolution [min]
    ("Domyślna: odpowiedź w 1 dzień roboczy, rozwiązanie w 5", None, 8 * 60, 40 * 60),
    ("Priorytet wysoki: odpowiedź w 4 h, rozwiązanie w 3 dni", 3, 4 * 60, 24 * 60),
    ("Priorytet pilny: odpowiedź w 2 h, rozwiązanie w 2 dni", 4, 2 * 60, 16 * 60),
]


def seed(apps, schema_editor):
    db = schema_editor.connection.alias  # the database being migrated, not always the default one
    RoutingRule = apps.get_model("tickets", "RoutingRule")
    Queue = apps.get_model("tickets", "Queue")
    Category = apps.get_model("tickets", "Category")
    SlaPolicy = apps.get_model("tickets", "SlaPolicy")
    for spec in RULES:
        if RoutingRule.objects.using(db).filter(name=spec["name"]).exists():
            continue
        RoutingRule.objects.using(db).create(
            name=spec["name"],
            position=spec["position"],
            unit=spec.get("unit", ""),
            words=spec.get("words", ""),
            set_queue=Queue.objects.using(db).filter(slug=spec["queue"]).first() if spec.get("queue") else None,
            queue_of_unit_voivodeship=spec.get("by_voivodeship", False),
            set_category=Category.objects.using(db).filter(slug=spec["category"]).first() if spec.get("category") else None,
        )
    for name, priority, first_response, resolution in POLICIES:
        SlaPolicy.objects.using(db).get_or_create(
            name=name,
            defaults={
                "priority": priority,
                "first_response_minutes": first_response,
                "resolution_minutes": resolution,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_routing_sla")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
