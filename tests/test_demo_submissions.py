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
