"""The e-mail channel's part of /healthz: each active mailbox's watcher state."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from inbox_ingest.models import Mailbox


def check_mailboxes() -> dict:
    now = timezone.now()
    boxes = []
    for mailbox in Mailbox.objects.filter(is_active=True).select_related("state").order_by("name"):
        state = getattr(mailbox, "state", None)
        last_fetch = state.last_fetch_at if state else None
        # healthy: fetched recently (IDLE renews at least every poll interval; cron: allow a few intervals)
        stale_after = dt.timedelta(seconds=max(600, 3 * mailbox.poll_seconds))
        failing = bool(state and state.last_error and (not last_fetch or state.last_error_at >= last_fetch))
        boxes.append(
            {
                "name": mailbox.name,
                "ok": bool(last_fetch and now - last_fetch < stale_after and not failing),
                "connected": bool(state and state.connected),
                "idle": bool(state and state.idle),
                "last_fetch_at": last_fetch.isoformat() if last_fetch else None,
                "backlog": state.backlog if state else 0,
                "last_error": state.last_error if state else "",
                "watcher": state.lease_owner if state and state.lease_until and state.lease_until > now else "",
            }
        )
    return {"ok": all(box["ok"] for box in boxes), "mailboxes": boxes}
