"""/healthz tells an operator whether the database, Redis and the workers are alive."""

import datetime as dt

import pytest
from django.utils import timezone

from helpdesk.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_the_embedded_default_is_healthy(client, alice):
    client.force_login(alice)
    report = client.get("/healthz").json()
    assert report["ok"] is True
    assert report["database"]["ok"] and report["redis"]["mode"].startswith("embedded")
    assert report["workers"]["mode"].startswith("in-process")
    assert report["outbox_pending"] == 0


def test_an_unreachable_redis_is_reported_but_the_site_stays_up(client, settings, alice):
    client.force_login(alice)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 200
    report = response.json()
    assert report["ok"] is False and report["redis"]["ok"] is False


def test_workers_are_reported_dead_when_their_heartbeat_is_stale(client, settings, alice):
    client.force_login(alice)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    WorkerHeartbeat.objects.create(name="celery", last_seen=timezone.now() - dt.timedelta(minutes=10))
    assert client.get("/healthz").json()["workers"]["ok"] is False
    WorkerHeartbeat.objects.filter(name="celery").update(last_seen=timezone.now())
    assert client.get("/healthz").json()["workers"]["ok"] is True


@pytest.mark.redis
def test_a_reachable_redis_is_reported(client, settings, redis_url, alice):
    client.force_login(alice)
    settings.REDIS_URL = redis_url
    assert client.get("/healthz").json()["redis"] == {"ok": True}


def _failing_everything(settings, queue_14):
    """Redis on a closed port of an internal host, a mailbox whose watcher failed with an IMAP error."""
    from inbox_ingest.models import Mailbox, WatcherState

    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    mailbox = Mailbox.objects.create(
        name="skrzynka-wewnetrzna", email_address="pomoc@example.gov.pl", host="imap.internal", username="pomoc",
        queue=queue_14,
    )  # fmt: skip
    WatcherState.objects.create(
        mailbox=mailbox, lease_owner="web-7.internal:4242:abcd", lease_until=timezone.now() + dt.timedelta(minutes=1),
        last_error="LoginError: [AUTHENTICATIONFAILED] imap.internal refused pomoc", last_error_at=timezone.now(),
    )  # fmt: skip


def test_an_anonymous_caller_gets_the_state_only(client, settings, queue_14):
    _failing_everything(settings, queue_14)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"ok": False}
    body = response.content.decode()
    for detail in ("127.0.0.1", "skrzynka-wewnetrzna", "web-7.internal", "AUTHENTICATIONFAILED", "imap.internal"):
        assert detail not in body


def test_an_anonymous_caller_gets_503_without_the_database_error(client, monkeypatch):
    from helpdesk import health

    monkeypatch.setattr(
        health, "check_database", lambda: {"ok": False, "error": 'could not connect to server "db.internal" 5432'}
    )
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json() == {"ok": False}


def test_staff_and_the_monitoring_token_get_the_details(client, settings, queue_14, alice):
    _failing_everything(settings, queue_14)
    settings.HEALTHZ_TOKEN = "monitoring-token-0123456789"
    assert client.get("/healthz", headers={"Authorization": "Bearer wrong"}).json() == {"ok": False}
    for headers in ({"Authorization": "Bearer monitoring-token-0123456789"}, None):
        if headers is None:
            client.force_login(alice)
        report = client.get("/healthz", headers=headers or {}).json()
        (box,) = report["mailboxes"]["mailboxes"]
        assert box["name"] == "skrzynka-wewnetrzna" and box["watcher"] == "web-7.internal:4242:abcd"
        assert "AUTHENTICATIONFAILED" in box["last_error"] and report["redis"]["ok"] is False


def test_no_token_configured_means_no_token_accepted(client, settings):
    settings.HEALTHZ_TOKEN = ""
    assert client.get("/healthz", headers={"Authorization": "Bearer "}).json() == {"ok": True}


def test_mail_that_cannot_be_delivered_is_reported_with_its_error_and_monitoring_can_alert(client, alice, settings):
    """A relay that refuses every message (e.g. EMAIL_USE_TLS against a relay without STARTTLS) used to leave
    /healthz saying "ok": true; the oldest due e-mail's age and the last delivery error now tell, and ?all=1
    answers 503 for monitoring."""
    import time_machine

    from helpdesk import outbox
    from helpdesk.models import OutboxMessage

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        message = outbox.enqueue_email(to=["jednostka@example.pl"], subject="Potwierdzenie", body="Treść")
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=3, last_error="SMTPNotSupportedError: STARTTLS extension not supported by server."
        )
        outbox.enqueue_email(  # held until working hours on purpose: not late
            to=["agent@example.gov.pl"], subject="Powiadomienie", body="Rano", not_before=start + dt.timedelta(hours=9)
        )
    client.force_login(alice)
    with time_machine.travel(start + dt.timedelta(minutes=5), tick=False):
        report = client.get("/healthz").json()
        assert report["mail"]["ok"] is True and report["mail"]["oldest_due_age_seconds"] == 300
        assert "STARTTLS" in report["mail"]["last_error"]
    with time_machine.travel(start + dt.timedelta(minutes=11), tick=False):
        response = client.get("/healthz")
        assert response.status_code == 200  # the web process itself is fit: a load balancer keeps it
        assert response.json()["mail"]["ok"] is False and response.json()["ok"] is False
        assert client.get("/healthz", {"all": "1"}).status_code == 503
        client.logout()
        anonymous = client.get("/healthz", {"all": "1"})
        assert anonymous.status_code == 503 and anonymous.json() == {"ok": False}


def test_monitoring_gets_200_when_everything_works(client):
    assert client.get("/healthz", {"all": "1"}).status_code == 200
