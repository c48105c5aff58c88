"""Fixed-window rate limits in the shared cache (Redis in production), e.g. per client address on public
forms and look-ups. Several web processes count together because the cache is shared."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone


def client_address(request: HttpRequest) -> str:
    """The client's address. Behind a proxy run daphne with --proxy-headers so REMOTE_ADDR is the client's."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def allow(scope: str, key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit of `key` in `scope`; False once more than `limit` hits fell in the current window."""
    window = int(timezone.now().timestamp()) // window_seconds
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    if cache.add(cache_key, 1, timeout=window_seconds + 5):
        return limit >= 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window_seconds + 5)
        count = 1
    return count <= limit
