"""`manage.py load_demo` gives every demo unit report statuses, idempotently, so the lookup shows something."""

from io import StringIO

import pytest
from django.core.management import call_command

from contacts.lookup import default_year
from contacts.models import ReportingUnit, Submission, SubmissionChange

pytestmark = pytest.mark.django_db


def test_demo_statuses_are_loaded_once_and_the_lookup_shows_them(client):
    call_command("load_demo", "--quiet", stdout=StringIO())
    first = (Submission.objects.count(), SubmissionChange.objects.count())
    call_command("load_demo", "--quiet", stdout=StringIO())
    assert (Submission.objects.count(), SubmissionChange.objects.count()) == first
    assert first[0] >= 3 * ReportingUnit.objects.count()
    assert Submission.objects.filter(status__code="returned", year=default_year()).exists()
    hospital = ReportingUnit.objects.filter(kind="hospital").order_by("regon").first()
    data = client.get("/api/v1/submissions/lookup", {"regon": hospital.regon, "year": default_year()}).json()
    assert data["found"] and {item["form"] for item in data["forms"]} >= {"MZ-29", "MZ-88"}
    assert data["regional_administrator"][0]["email"].startswith("statystyka@")


def test_demo_forms_link_their_instructions_in_the_knowledge_base(client):
    from contacts.models import StatisticalForm

    call_command("load_demo", "--quiet", stdout=StringIO())
    linked = dict(
        StatisticalForm.objects.filter(instruction_article__isnull=False).values_list(
            "code", "instruction_article__slug"
        )
    )
    assert linked == {"MZ-88": "instrukcja-formularza-mz-88", "MZ-89": "instrukcja-formularza-mz-89"}
    clinic = Submission.objects.filter(form__code="MZ-11", year=default_year()).select_related("unit").first().unit
    data = client.get("/api/v1/submissions/lookup", {"regon": clinic.regon, "year": default_year()}).json()
    found = {item["form"]: item["instruction_url"] for item in data["forms"]}
    assert found["MZ-88"].endswith("/artykul/instrukcja-formularza-mz-88/")
    assert found["MZ-11"].endswith("/artykul/instrukcja-formularza-mz-11/")  # found by the forms the article lists
    hospital = ReportingUnit.objects.filter(kind="hospital").order_by("regon").first()
    data = client.get("/api/v1/submissions/lookup", {"regon": hospital.regon, "year": default_year()}).json()
    assert {item["form"]: item["instruction_url"] for item in data["forms"]}["MZ-29"] is None  # no article for it
