"""Fewer round trips to the shared cache (Redis) on the public pages' paths (bench/public_cpu.py counts them).

- `count(store, key, amount, timeout)`: a rate limit's counter moved on by `amount`, in one round trip on Redis
  (INCRBY and EXPIRE in one pipeline) where Django's cache API takes two or three (SET NX, then EXISTS and
  INCRBY on every later hit). EXPIRE on every hit, not only on the first: a window's key carries the window's
  number and is never used after the window, so keeping it a little longer than its last hit changes no count.
  Any other cache (the process's memory, a fallback) gets the same answer through add() and incr().
- `add_then_get(store, values, timeout)`: missing version tokens made and read back, all in one round trip (the
  first look-up of a unit makes its token).

The values are what Django's cache stores for an integer (a plain integer, not a pickle), so `cache.get()` reads
them as before.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache


def count(store: BaseCache, key: str, amount: int, timeout: int) -> int:
    """The counter `key` after adding `amount` (created at `amount`, living `timeout` seconds after the last
    hit). Raises what the cache raises when its server is away."""
    if isinstance(store, RedisCache):
        real = store.make_and_validate_key(key)
        client: Any = store._cache.get_client(real, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.incrby(real, amount)
        pipe.expire(real, timeout)
        total, _ = pipe.execute()
        return int(total)
    if store.add(key, amount, timeout=timeout):
        return amount
    try:
        return store.incr(key, amount)
    except ValueError:  # expired between add and incr
        store.add(key, amount, timeout=timeout)
        return amount


def add_then_get(store: BaseCache, values: dict[str, Any], timeout: int) -> dict[str, Any]:
    """Each key's value after storing `values[key]` where the key held nothing (the value another writer put
    first otherwise): one round trip on Redis (SET NX and GET of every key in one pipeline), add() and get() per
    key elsewhere. Keys the cache does not answer for are left out. Raises what the cache raises when away."""
    if not values:
        return {}
    if isinstance(store, RedisCache):
        real = {key: store.make_and_validate_key(key) for key in values}
        client: Any = store._cache.get_client(write=True)
        serializer = store._cache._serializer
        pipe = client.pipeline(transaction=False)
        for key, value in values.items():
            pipe.set(real[key], serializer.dumps(value), ex=timeout, nx=True)
            pipe.get(real[key])
        replies = pipe.execute()
        found = replies[1::2]
        return {key: serializer.loads(raw) for key, raw in zip(values, found, strict=True) if raw is not None}
    out = {}
    for key, value in values.items():
        store.add(key, value, timeout)
        current = store.get(key)
        if current is not None:
            out[key] = current
    return out
