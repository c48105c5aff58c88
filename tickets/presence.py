"""Who is looking at a ticket right now, kept in the shared cache (Redis in production) so that viewers
connected to different web processes see each other. Entries expire unless refreshed by a heartbeat. With
the cache away each viewer sees only themselves (the page works, without the others)."""

from __future__ import annotations

import time

from helpdesk import shared_cache

TTL_SECONDS = 45  # the page sends a heartbeat every 20 s


def _key(ticket_id: int) -> str:
    return f"presence:ticket:{ticket_id}"


def _alive(viewers: dict) -> dict:
    now = time.time()
    return {user_id: entry for user_id, entry in viewers.items() if entry["until"] > now}


def join(ticket_id: int, user_id: int, name: str) -> list[dict]:
    viewers = _alive(shared_cache.get(_key(ticket_id)) or {})
    viewers[str(user_id)] = {"name": name, "until": time.time() + TTL_SECONDS}
    shared_cache.set(_key(ticket_id), viewers, timeout=TTL_SECONDS * 2)
    return viewers_of(ticket_id, viewers)


def leave(ticket_id: int, user_id: int) -> list[dict]:
    viewers = _alive(shared_cache.get(_key(ticket_id)) or {})
    viewers.pop(str(user_id), None)
    shared_cache.set(_key(ticket_id), viewers, timeout=TTL_SECONDS * 2)
    return viewers_of(ticket_id, viewers)


def viewers_of(ticket_id: int, viewers: dict | None = None) -> list[dict]:
    viewers = _alive(viewers if viewers is not None else (shared_cache.get(_key(ticket_id)) or {}))
    return sorted(
        ({"id": int(user_id), "name": entry["name"]} for user_id, entry in viewers.items()), key=lambda v: v["name"]
    )
