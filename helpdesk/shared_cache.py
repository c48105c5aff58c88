"""The shared cache (Redis in production) without the outage: every use goes through here, so that with
Redis away a read misses, a write is dropped and the page still answers. A warning is logged at most once a
minute per process, not once per request."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache import cache
from redis.exceptions import RedisError

from helpdesk.speed import cache as speed_cache

log = logging.getLogger(__name__)

ERRORS = (RedisError, OSError)  # what a cache backend raises when its server is away
WARN_EVERY_SECONDS = 60
_warned_at: float | None = None


def unavailable(exc: BaseException) -> None:
    """Note that the shared cache failed; logs a warning unless one was logged in the last minute."""
    global _warned_at
    now = time.monotonic()
    if _warned_at is None or now - _warned_at >= WARN_EVERY_SECONDS:
        _warned_at = now
        log.warning("Shared cache unavailable, going on without it: %s", exc)


def get(key: str, default: Any = None) -> Any:
    try:
        return cache.get(key, default)
    except ERRORS as exc:
        unavailable(exc)
        return default


def set(key: str, value: Any, timeout: int) -> bool:
    """Store `value`; False when the cache is away (the value is then simply not cached)."""
    try:
        cache.set(key, value, timeout)
    except ERRORS as exc:
        unavailable(exc)
        return False
    return True


def get_many(keys: list[str]) -> dict[str, Any]:
    """The values found (one round trip); nothing when the cache is away."""
    try:
        return cache.get_many(keys)
    except ERRORS as exc:
        unavailable(exc)
        return {}


def set_many(values: dict[str, Any], timeout: int) -> bool:
    try:
        cache.set_many(values, timeout)
    except ERRORS as exc:
        unavailable(exc)
        return False
    return True


def add(key: str, value: Any, timeout: int) -> bool:
    """Store `value` only when `key` holds nothing; False when it did (or the cache is away)."""
    try:
        return bool(cache.add(key, value, timeout))
    except ERRORS as exc:
        unavailable(exc)
        return False


def add_then_get(values: dict[str, Any], timeout: int) -> dict[str, Any]:
    """Store each value whose key holds nothing, and read every key back (one round trip on Redis): the values
    now in the cache, ours or another writer's; nothing when the cache is away."""
    try:
        return speed_cache.add_then_get(cache, values, timeout)
    except ERRORS as exc:
        unavailable(exc)
        return {}
