"""/healthz tells an operator whether the database, Redis and the workers are alive."""

import datetime as dt

import pytest
from django.utils import timezone

from helpdesk.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_the_embedded_default_is_healthy(client):
    report = client.get("/healthz").json()
    assert report["ok"] is True
    assert report["database"]["ok"] and report["redis"]["mode"].startswith("embedded")
    assert report["workers"]["mode"].startswith("in-process")
    assert report["outbox_pending"] == 0


def test_an_unreachable_redis_is_reported_but_the_site_stays_up(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 200
    report = response.json()
    assert report["ok"] is False and report["redis"]["ok"] is False


def test_workers_are_reported_dead_when_their_heartbeat_is_stale(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    WorkerHeartbeat.objects.create(name="celery", last_seen=timezone.now() - dt.timedelta(minutes=10))
    assert client.get("/healthz").json()["workers"]["ok"] is False
    WorkerHeartbeat.objects.filter(name="celery").update(last_seen=timezone.now())
    assert client.get("/healthz").json()["workers"]["ok"] is True


@pytest.mark.redis
def test_a_reachable_redis_is_reported(client, settings, redis_url):
    settings.REDIS_URL = redis_url
    assert client.get("/healthz").json()["redis"] == {"ok": True}
