"""The shared cache's backend: Django's RedisCache with one Redis client (one connection pool) per process.

Django keeps its cache objects per request context under ASGI (`caches` is an asgiref Local), and each new
RedisCache object builds its own connection pool: every request of a daphne process opened a new TCP connection
to Redis (and redis-py's handshake with it), about a tenth of the web process's CPU under the load test
(bench/RESULTS.md, "Where the web processes' CPU goes"). Here every cache object of the same configuration in a
process uses the same client, whose pool hands each thread a connection of its own and keeps them open. redis-py
pools notice a fork (the Celery worker's children) and start afresh there.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[tuple[str, ...], RedisCacheClient] = {}
_lock = threading.Lock()


class ProcessRedisCache(RedisCache):
    """RedisCache whose client (servers + options) is made once per process and shared by every instance."""

    @cached_property
    def _cache(self) -> Any:
        key = (*self._servers, repr(sorted(self._options.items())))
        client = _clients.get(key)
        if client is None:
            with _lock:
                client = _clients.get(key)
                if client is None:
                    client = self._class(self._servers, **self._options)
                    # the pools are made at once, under the lock: RedisCacheClient makes them lazily in a dict
                    # that two threads would otherwise fill with two pools
                    for index, server in enumerate(self._servers):
                        client._pools[index] = client._pool_class.from_url(server, **client._pool_options)
                    _clients[key] = client
        return client
