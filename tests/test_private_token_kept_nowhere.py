"""The private link's token lives only in the acknowledgement e-mail: once it is sent, the outbox row holds it no
more; the admin's outbox page never shows it (not even for a message still waiting); the shipped daphne unit
writes no access log and the application's log lines mask it; the shipped nginx logs it masked."""

import time
from pathlib import Path

import pytest
from django.core import mail
from django.core.cache import cache

from helpdesk import outbox
from helpdesk.models import OutboxMessage, Role, User
from knowledge_base import actions as kb_actions
from tests.conftest import run_daphne, shipped_daphne_options
from tests.test_overlong_address import ask, nginx_in_front  # noqa: F401 (the shipped nginx as a fixture)

ROOT = Path(__file__).resolve().parents[1]


def _contact_form():
    cache.clear()
    return kb_actions.submit_contact_form(
        name="Anna Kowalska", email="anna@przychodnia.example.pl", subject="MZ-11", body="Przycisk szary."
    )


@pytest.mark.django_db
def test_the_sent_acknowledgement_keeps_no_token_and_the_admin_never_shows_one(client):
    root = User.objects.create_superuser("root", "root@example.gov.pl", "test-pass-123", role=Role.ADMIN)
    client.force_login(root)
    _ticket, token = _contact_form()
    row = OutboxMessage.objects.get(kind=OutboxMessage.Kind.EMAIL)
    waiting = client.get(f"/admin/helpdesk/outboxmessage/{row.pk}/change/").content.decode()
    assert token not in waiting and "/zgloszenie/***/" in waiting  # pending: masked on the page
    outbox.drain()
    assert token in mail.outbox[-1].body  # the requester got it
    row.refresh_from_db()
    assert row.sent_at is not None and token not in str(row.payload)
    assert "/zgloszenie/***/" in row.payload["body"] and "secrets" not in row.payload
    page = client.get(f"/admin/helpdesk/outboxmessage/{row.pk}/change/").content.decode()
    assert token not in page and "Przyjęliśmy zgłoszenie" in page


@pytest.fixture
def shipped_daphne(transactional_db, tmp_path):
    """daphne started with the options of deploy/helpdesk-web@.service (its own port), on the test database;
    yields (origin, path of what it wrote to stdout and stderr)."""
    output = tmp_path / "daphne.out"
    for origin in run_daphne(shipped_daphne_options(), output=output):
        yield origin, output


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the seeded queues back for the next test
def test_the_shipped_daphne_and_the_application_log_no_token(shipped_daphne):
    origin, output = shipped_daphne
    _ticket, token = _contact_form()
    status, _headers, page = ask(origin, f"/zgloszenie/{token}/")
    assert status == 200 and "Przycisk szary." in page
    expired = "Qx" * 20  # an unknown (or expired) link: Django logs "Not Found: <path>"
    assert ask(origin, f"/zgloszenie/{expired}/pliki/1")[0] == 404
    time.sleep(0.5)  # let the process write its lines
    written = output.read_text()
    assert token not in written and expired not in written
    assert "/zgloszenie/***/pliki/1" in written  # the warning is there, masked


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_shipped_nginx_logs_the_private_path_masked(nginx_in_front, tmp_path, daphne_server):  # noqa: F811
    _ticket, token = _contact_form()
    status, _headers, page = ask(
        nginx_in_front, f"/zgloszenie/{token}/", headers=f"Referer: https://x.example/zgloszenie/{token}/\r\n"
    )
    assert status == 200 and "Przycisk szary." in page
    ask(nginx_in_front, "/szukaj/?q=mz-03")
    deadline = time.monotonic() + 5
    log = tmp_path / "access.log"
    while "/szukaj/" not in (log.read_text() if log.exists() else "") and time.monotonic() < deadline:
        time.sleep(0.1)
    lines = log.read_text()
    assert token not in lines
    assert '"GET /zgloszenie/***/ HTTP/1.1" 200' in lines and '"https://x.example/zgloszenie/***/"' in lines
    assert '"GET /szukaj/?q=mz-03 HTTP/1.1" 200' in lines  # other addresses as they are
