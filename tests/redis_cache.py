"""The test suite's Redis cache: production's (one client per process), but clear() removes only this worker's keys."""

from helpdesk.cache_backend import ProcessRedisCache


class PrefixClearingRedisCache(ProcessRedisCache):
    """Django's RedisCache whose clear() deletes the keys under its KEY_PREFIX instead of flushing the database,
    so that parallel test workers sharing one Redis database do not wipe each other's keys."""

    def clear(self) -> bool:
        if not self.key_prefix:
            raise ValueError("PrefixClearingRedisCache needs a KEY_PREFIX")
        client = self._cache.get_client(write=True)
        batch = []
        for key in client.scan_iter(match=f"{self.key_prefix}:*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)
        return True
