"""The shared cache's backend: Django's RedisCache with one Redis client (one connection pool) per process.

Django keeps its cache objects per request context under ASGI (`caches` is an asgiref Local), and each new
RedisCache object builds its own connection pool: every request of a daphne process opened a new TCP connection
to Redis (and redis-py's handshake with it), about a tenth of the web process's CPU under the load test
(bench/RESULTS.md, "Where the web processes' CPU goes"). Here every cache object of the same configuration in a
process uses the same client, whose pool hands each thread a connection of its own and keeps them open. redis-py
pools notice a fork (the Celery worker's children) and start afresh there.

Django's client also builds a new `redis.Redis` object around the pool for every command (`get_client`), and
redis-py 8's constructor is not cheap (about a tenth of a cached public page's CPU, bench/public_cpu.py); the
object holds no connection of its own (it takes one from the pool per command, so threads may share it): one per
pool here.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[tuple[str, ...], RedisCacheClient] = {}
_lock = threading.Lock()


class _ProcessClient(RedisCacheClient):
    """RedisCacheClient that wraps each connection pool in one `redis.Redis`, made once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._redis: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._redis.get(index)
        if client is None:
            client = self._redis[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class ProcessRedisCache(RedisCache):
    """RedisCache whose client (servers + options) is made once per process and shared by every instance."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ProcessClient

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
