"""An administrator uploads a file in the admin; it is imported by a task and the progress page shows the outcome,
refreshing itself while the import runs (no JavaScript needed)."""

import re
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contacts import imports, tasks
from contacts.models import ImportRun, ReportingUnit, Submission
from helpdesk.models import Role, User
from tests.submission_data import regon9, unit

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


def _statuses_csv(units, rows: int) -> bytes:
    """`rows` valid status rows over the units' MZ-88 reports, each change a minute after the last."""
    lines = ["regon;form;year;status;changed_at"]
    for n in range(rows):
        minute = f"2026-03-{1 + n // 1440:02d} {n // 60 % 24:02d}:{n % 60:02d}"
        lines.append(f"{units[n % len(units)].regon};MZ-88;2025;{('submitted', 'accepted')[n % 2]};{minute}")
    return ("\n".join(lines) + "\n").encode()


def _percent(page: str) -> int:
    return int(re.search(r'<progress[^>]*value="(\d+)"', page).group(1))


def test_an_uploaded_submissions_file_is_imported_and_the_progress_page_shows_counts_and_rejected_rows(
    client, admin_user, django_capture_on_commit_callbacks
):
    known = unit(7101)
    content = (
        "Nr REGON;Symbol formularza;Rok;Status;Data zmiany\n"
        f"{known.regon};MZ-88;2025;accepted;05.03.2026 10:30\n"
        f"{known.regon};MZ-99;2025;accepted;05.03.2026 10:30\n"
        f"{regon9(7102)};MZ-88;2025;accepted;05.03.2026 10:30\n"
    ).encode("cp1250")
    client.force_login(admin_user)
    upload = SimpleUploadedFile("statusy.csv", content, content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/contacts/importrun/upload/", {"kind": "submissions", "file": upload})
    run = ImportRun.objects.get()
    assert response["Location"].endswith(f"/importrun/{run.pk}/progress/")
    assert run.kind == "submissions" and run.state == ImportRun.State.DONE
    assert run.counts == {"rows": 3, "created": 1, "updated": 0, "unchanged": 0, "rejected": 2}
    assert Submission.objects.get().status.code == "accepted"
    page = client.get(response["Location"]).content.decode()
    assert "created: 1" in page and "rejected: 2" in page and _percent(page) == 100
    assert "<td>3</td><td>form: Nieznany formularz „MZ-99”.</td>" in page
    assert f"REGON {regon9(7102)} nie występuje w katalogu jednostek." in page


def _pause_after_first_batch(monkeypatch):
    """Make the import stop, inside its transaction, after publishing the progress of its first batch."""
    reached, release = threading.Event(), threading.Event()
    publish = imports._publish

    def pausing(run, fraction, rows):
        publish(run, fraction, rows)
        if not reached.is_set():
            reached.set()
            release.wait(30)

    monkeypatch.setattr(imports, "_publish", pausing)
    monkeypatch.setattr(imports, "BATCH", 1000)
    return reached, release


def _import_thread(run: ImportRun) -> threading.Thread:
    return next(t for t in threading.enumerate() if t.name == f"contacts-import-{run.pk}")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_without_a_worker_the_upload_returns_at_once_and_the_progress_page_shows_the_import_advancing(
    client, admin_user, settings, monkeypatch
):
    settings.CELERY_TASK_ALWAYS_EAGER, settings.CONTACTS_IMPORT_IN_THREAD = True, True
    units = [unit(7200 + n) for n in range(3)]
    reached, release = _pause_after_first_batch(monkeypatch)
    client.force_login(admin_user)
    upload = SimpleUploadedFile("statusy.csv", _statuses_csv(units, 3000), content_type="text/csv")
    response = client.post("/admin/contacts/importrun/upload/", {"kind": "submissions", "file": upload})
    run = ImportRun.objects.get()
    try:
        assert response.status_code == 302 and reached.wait(30)
        page = client.get(response["Location"]).content.decode()
        assert 'http-equiv="refresh"' in page and 0 < _percent(page) < 100 and "1000 wierszy" in page
        assert not Submission.objects.exists()  # nothing is visible before the whole file is in
    finally:
        release.set()
        _import_thread(run).join(30)
    run.refresh_from_db()
    assert run.state == ImportRun.State.DONE and run.counts["rows"] == 3000 and Submission.objects.count() == 3
    page = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in page and _percent(page) == 100 and "3000 wierszy" in page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_thread_that_dies_marks_its_run_failed(client, admin_user, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER, settings.CONTACTS_IMPORT_IN_THREAD = True, True

    def dying(run, stored_name):
        raise OSError("brak miejsca na dysku")

    monkeypatch.setattr(tasks, "_run", dying)
    client.force_login(admin_user)
    upload = SimpleUploadedFile("jednostki.csv", b"regon;name;voivodeship\n", content_type="text/csv")
    response = client.post("/admin/contacts/importrun/upload/", {"kind": "units", "file": upload})
    run = ImportRun.objects.get()
    _import_thread(run).join(30)
    run.refresh_from_db()
    assert run.state == ImportRun.State.FAILED and run.error == "Błąd podczas importu: OSError: brak miejsca na dysku"
    page = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in page and "OSError: brak miejsca na dysku" in page


def test_with_a_worker_the_upload_queues_a_celery_task_after_the_commit(
    client, admin_user, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER, settings.CONTACTS_IMPORT_IN_THREAD = False, True
    queued = []
    monkeypatch.setattr(tasks.run_import, "delay", lambda *args: queued.append(args))
    client.force_login(admin_user)
    upload = SimpleUploadedFile("jednostki.csv", b"regon;name;voivodeship\n", content_type="text/csv")
    with django_capture_on_commit_callbacks() as callbacks:
        client.post("/admin/contacts/importrun/upload/", {"kind": "units", "file": upload})
    run = ImportRun.objects.get()
    assert queued == [] and run.state == ImportRun.State.RUNNING
    for callback in callbacks:
        callback()
    assert [args[0] for args in queued] == [run.pk]
    assert not any(t.name == f"contacts-import-{run.pk}" for t in threading.enumerate())


def test_a_run_whose_process_died_is_marked_failed_after_some_hours_and_its_page_stops_waiting(
    client, admin_user, settings
):
    import datetime as dt

    from django.utils import timezone

    settings.IMPORT_STALE_HOURS = 6
    stale = imports.start_run("submissions", "przerwany.csv", admin_user)
    fresh = imports.start_run("units", "w-toku.csv", admin_user)
    ImportRun.objects.filter(pk=stale.pk).update(started_at=timezone.now() - dt.timedelta(hours=7))
    assert imports.fail_stale_runs() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.state == ImportRun.State.FAILED and "Nic nie zapisano" in stale.error
    assert fresh.state == ImportRun.State.RUNNING  # an hour-old import may still be working
    client.force_login(admin_user)
    page = client.get(f"/admin/contacts/importrun/{stale.pk}/progress/").content.decode()
    assert 'http-equiv="refresh"' not in page
    assert imports.fail_stale_runs() == 0  # once
