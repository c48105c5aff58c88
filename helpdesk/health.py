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
from inbox_ingest.health import check_mailboxes

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


def check_mail(now: dt.datetime | None = None) -> dict:
    """Outgoing mail: failing when the oldest e-mail that is due has waited longer than HEALTHZ_MAIL_STALE_SECONDS
    (a relay refusing every message, a dead worker), with the last delivery error. A message held on purpose
    (e.g. a notice waiting for working hours) is not due and does not count."""
    now = now or timezone.now()
    waiting = outbox.oldest_due_email(now)
    age = int((now - waiting.created_at).total_seconds()) if waiting else 0
    failed = outbox.last_delivery_error()
    report = {"ok": age <= settings.HEALTHZ_MAIL_STALE_SECONDS, "oldest_due_age_seconds": age}
    if failed is not None:
        report["last_error"] = failed.last_error[:300]
        report["next_attempt_at"] = failed.next_attempt_at.isoformat()  # when it is tried again
    return report


def healthz(request: HttpRequest) -> JsonResponse:
    database = check_database()
    report = {"database": database, "redis": check_redis()}
    if database["ok"]:
        report["workers"] = check_workers()
        report["mail"] = check_mail()
        report["outbox_pending"] = outbox.pending_count()
        report["outbox_failed"] = outbox.failed_count()  # e-mails that gave up; shown on their tickets

        report["mailboxes"] = check_mailboxes()
    report["ok"] = all(part["ok"] for part in report.values() if isinstance(part, dict))
    # Only a dead database makes the web process unfit to serve (a load balancer's check); Redis, workers or
    # mail failing degrade it. Monitoring asks with ?all=1: then anything failing answers 503, to alert on.
    unfit = not database["ok"] or (request.GET.get("all") == "1" and not report["ok"])
    status = 503 if unfit else 200
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
