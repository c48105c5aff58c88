"""An administrator uploads a file in the admin; it is imported by a task and the progress page shows the outcome,
refreshing itself while the import runs (no JavaScript needed)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contacts.models import ImportRun, ReportingUnit
from helpdesk.models import Role, User
from tests.submission_data import regon9

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser("root", "root@example.gov.pl", "test-pass-123", role=Role.ADMIN)


def test_an_uploaded_units_file_is_imported_and_the_progress_page_shows_rejected_rows(
    client, admin_user, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    content = f"regon;name;voivodeship\n{regon9(7001)};Dobra;mazowieckie\n123;Zła;mazowieckie\n".encode()
    upload = SimpleUploadedFile("jednostki.csv", content, content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/contacts/importrun/upload/", {"kind": "units", "file": upload})
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/importrun/{run.pk}/progress/")
    assert run.state == ImportRun.State.DONE and run.started_by == admin_user
    assert ReportingUnit.objects.filter(regon=regon9(7001)).exists()
    page = client.get(response["Location"]).content.decode()
    assert 'value="100"' in page and "REGON musi mieć 9 lub 14 cyfr." in page and 'http-equiv="refresh"' not in page


def test_a_running_import_page_refreshes_itself(client, admin_user):
    from contacts import imports

    run = imports.start_run("submissions", "duzy.csv", admin_user)
    client.force_login(admin_user)
    page = client.get(f"/admin/contacts/importrun/{run.pk}/progress/").content.decode()
    assert 'http-equiv="refresh"' in page and "<progress" in page


def test_an_unsupported_file_is_refused_on_upload(client, admin_user):
    client.force_login(admin_user)
    upload = SimpleUploadedFile("dane.pdf", b"%PDF", content_type="application/pdf")
    page = client.post("/admin/contacts/importrun/upload/", {"kind": "units", "file": upload}).content.decode()
    assert "Nieobsługiwany rodzaj pliku" in page and not ImportRun.objects.exists()


def test_regional_administrators_cannot_reach_the_admin_import(client, bob):
    client.force_login(bob)
    assert client.get("/admin/contacts/importrun/upload/").status_code == 302  # to the admin login
