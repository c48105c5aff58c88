"""/healthz: the state of the database, Redis, the background workers and the outbox, as JSON.

Anyone gets the overall state only ({"ok": …}, 503 when the database is down): error texts name hosts, ports,
mailboxes and the watcher's machine. The details go to a logged-in member of staff, or to a monitoring system
sending `Authorization: Bearer <HEALTHZ_TOKEN>` (when that setting is given)."""

from __future__ import annotations

import datetime as dt
import hmac

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from helpdesk import outbox
from helpdesk.models import WorkerHeartbeat

HEARTBEAT_STALE = dt.timedelta(minutes=2)


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:
        return {"ok": False, "error": str(exc)[:300]}


def check_redis() -> dict:
    if not settings.REDIS_URL:
        return {"ok": True, "mode": "embedded (no Redis configured)"}
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": str(exc)[:300]}


def check_workers() -> dict:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "mode": "in-process (embedded)"}
    beat = WorkerHeartbeat.objects.filter(name="celery").first()
    if beat is None:
        return {"ok": False, "error": "no heartbeat yet: are celery worker and beat running?"}
    age = timezone.now() - beat.last_seen
    return {
        "ok": age < HEARTBEAT_STALE,
        "last_heartbeat": beat.last_seen.isoformat(),
        "age_seconds": int(age.total_seconds()),
    }


def healthz(request: HttpRequest) -> JsonResponse:
    database = check_database()
    report = {"database": database, "redis": check_redis()}
    if database["ok"]:
        report["workers"] = check_workers()
        report["outbox_pending"] = outbox.pending_count()
        report["outbox_failed"] = outbox.failed_count()  # e-mails that gave up; shown on their tickets
        from inbox_ingest.health import check_mailboxes

        report["mailboxes"] = check_mailboxes()
    report["ok"] = all(part["ok"] for part in report.values() if isinstance(part, dict))
    # Only a dead database makes the web process unfit to serve; Redis or workers being away degrade it.
    status = 200 if database["ok"] else 503
    if not may_see_details(request):
        return JsonResponse({"ok": report["ok"]}, status=status)
    return JsonResponse(report, status=status)


def may_see_details(request: HttpRequest) -> bool:
    """A logged-in member of staff, or the monitoring token (HEALTHZ_TOKEN) as a bearer token."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active:
        return True
    expected = settings.HEALTHZ_TOKEN
    header = request.headers.get("Authorization", "")
    given = header[7:].strip() if header.startswith("Bearer ") else ""
    return bool(expected and given) and hmac.compare_digest(given.encode(), expected.encode())
