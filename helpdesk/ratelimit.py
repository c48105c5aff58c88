"""Fixed-window rate limits in the shared cache (Redis in production), e.g. per client address on public
forms and look-ups. Several web processes count together because the cache is shared.

When the shared cache is away the request is not refused for it: each process counts in its own memory
instead (so the limit holds per process, i.e. looser by the number of processes) until the cache returns,
and a warning is logged at most once a minute (helpdesk.shared_cache)."""

from __future__ import annotations

from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest
from django.utils import timezone

from helpdesk import shared_cache

_fallback = LocMemCache("helpdesk-ratelimit-fallback", {"MAX_ENTRIES": 10_000})


def client_address(request: HttpRequest) -> str:
    """The client's address. Behind the shipped nginx, daphne runs with --proxy-headers and REMOTE_ADDR is the
    X-Forwarded-For that nginx SETS to the address it saw (never one the client wrote; docs/security.md)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def allow(scope: str, key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit of `key` in `scope`; False once more than `limit` hits fell in the current window."""
    window = int(timezone.now().timestamp()) // window_seconds
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    try:
        count = _hit(cache, cache_key, window_seconds + 5)
    except shared_cache.ERRORS as exc:
        shared_cache.unavailable(exc)
        count = _hit(_fallback, cache_key, window_seconds + 5)
    return count <= limit


def _hit(store: BaseCache, cache_key: str, timeout: int) -> int:
    """The number of hits of `cache_key` including this one."""
    if store.add(cache_key, 1, timeout=timeout):
        return 1
    try:
        return store.incr(cache_key)
    except ValueError:  # expired between add and incr
        store.add(cache_key, 1, timeout=timeout)
        return 1
