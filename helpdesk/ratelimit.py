"""Fixed-window rate limits in the shared cache (Redis in production), e.g. per client address on public
forms and look-ups. Several web processes count together because the cache is shared.

When the shared cache is away the request is not refused for it: each process counts in its own memory
instead (so the limit holds per process, i.e. looser by the number of processes) until the cache returns,
and a warning is logged at most once a minute (helpdesk.shared_cache)."""

from __future__ import annotations

import contextlib

from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest
from django.utils import timezone

from helpdesk import shared_cache
from helpdesk.speed import cache as speed_cache

_fallback = LocMemCache("helpdesk-ratelimit-fallback", {"MAX_ENTRIES": 10_000})


def client_address(request: HttpRequest) -> str:
    """The client's address. Behind the shipped nginx, daphne runs with --proxy-headers and REMOTE_ADDR is the
    X-Forwarded-For that nginx SETS to the address it saw (never one the client wrote; docs/security.md)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _cache_key(scope: str, key: str, window_seconds: int) -> str:
    window = int(timezone.now().timestamp()) // window_seconds
    return f"ratelimit:{scope}:{key}:{window}"


def seconds_left(window_seconds: int) -> int:
    """Seconds until the current window of this length ends (and its counts start again from zero)."""
    return window_seconds - int(timezone.now().timestamp()) % window_seconds


def hits(scope: str, key: str, *, window_seconds: int) -> int:
    """The hits of `key` in `scope` in the current window, without counting one."""
    cache_key = _cache_key(scope, key, window_seconds)
    try:
        return cache.get(cache_key, 0)
    except shared_cache.ERRORS as exc:
        shared_cache.unavailable(exc)
        return _fallback.get(cache_key, 0)


def reset(scope: str, key: str, *, window_seconds: int) -> None:
    """Forget the hits of `key` in `scope` in the current window."""
    cache_key = _cache_key(scope, key, window_seconds)
    try:
        cache.delete(cache_key)
    except shared_cache.ERRORS as exc:
        shared_cache.unavailable(exc)
    _fallback.delete(cache_key)


def allow(scope: str, key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit of `key` in `scope`; False once more than `limit` hits fell in the current window."""
    cache_key = _cache_key(scope, key, window_seconds)
    try:
        count = _hit(cache, cache_key, window_seconds + 5)
    except shared_cache.ERRORS as exc:
        shared_cache.unavailable(exc)
        count = _hit(_fallback, cache_key, window_seconds + 5)
    return count <= limit


def take(scope: str, key: str, *, amount: int, limit: int, window_seconds: int) -> bool:
    """Count `amount` hits of `key` at once (e.g. the recipients of one e-mail); when that would pass `limit` in
    the current window, count nothing (give them back) and answer False."""
    window = int(timezone.now().timestamp()) // window_seconds
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    try:
        return _take(cache, cache_key, amount, limit, window_seconds + 5)
    except shared_cache.ERRORS as exc:
        shared_cache.unavailable(exc)
        return _take(_fallback, cache_key, amount, limit, window_seconds + 5)


def _take(store: BaseCache, cache_key: str, amount: int, limit: int, timeout: int) -> bool:
    if _hit(store, cache_key, timeout, amount) <= limit:
        return True
    with contextlib.suppress(ValueError):  # expired meanwhile: nothing to give back
        store.decr(cache_key, amount)
    return False


def _hit(store: BaseCache, cache_key: str, timeout: int, amount: int = 1) -> int:
    """The number of hits of `cache_key` including these `amount` (one round trip on Redis: helpdesk.speed)."""
    return speed_cache.count(store, cache_key, amount, timeout)
