"""The Redis channel layer's connection options (CHANNEL_LAYERS in settings).

channels-redis waits for a websocket's next message with a blocking BZPOPMIN of
`RedisChannelLayer.brpop_timeout` seconds (5), over and over while the socket is idle. redis-py 8 gives every read
a default socket timeout of 5 s as well, so an idle socket's read timed out at the same moment the server was
about to answer "nothing yet": the consumer died with `redis.exceptions.TimeoutError` and daphne closed the
websocket with 1011 every few seconds. The read timeout must outlast the blocking read; it stays bounded so that a
Redis that stopped answering is still noticed (the client then reconnects and catches up, static/js/live.js).
"""

from urllib.parse import parse_qs, urlparse

from django.core.exceptions import ImproperlyConfigured
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

BLOCKING_READ_MARGIN = 10  # seconds beyond the blocking read: a slow network or a busy Redis is not a dead one
STALE_CONNECTION_RETRY = Retry(NoBackoff(), 1)  # on ConnectionError/TimeoutError: once more, on a new connection


def blocking_read_seconds() -> float:
    from channels_redis.core import RedisChannelLayer

    return float(RedisChannelLayer.brpop_timeout)


def redis_channel_layer(url: str, prefix: str = "asgi") -> dict:
    """CHANNEL_LAYERS["default"] for the Redis at `url` (REDIS_URL); `prefix` (CHANNEL_LAYER_PREFIX) keeps the
    websockets of several instances sharing one Redis database apart."""
    blocking = blocking_read_seconds()
    # redis-py lets options in the URL override those passed here: a short one there would break it again
    in_url = parse_qs(urlparse(url).query).get("socket_timeout")
    if in_url and _seconds(in_url[-1]) <= blocking:
        raise ImproperlyConfigured(
            f"REDIS_URL sets socket_timeout={in_url[-1]}, not longer than the channel layer's blocking read "
            f"({blocking:g} s): websockets would be closed while idle. Remove it or make it longer."
        )
    host = {
        "address": url,
        "socket_timeout": blocking + BLOCKING_READ_MARGIN,
        "socket_connect_timeout": 5,
        "retry": STALE_CONNECTION_RETRY,
    }
    return {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [host], "prefix": prefix}}


def _seconds(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"REDIS_URL: socket_timeout must be a number of seconds, got {raw!r}") from None
