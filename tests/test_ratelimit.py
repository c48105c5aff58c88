"""The shared rate limiter counts hits per key and window, and forgets them in the next window."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from helpdesk import ratelimit


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_the_limit_is_enforced_per_key(monkeypatch):
    moment = dt.datetime(2026, 11, 27, 10, 0, 5, tzinfo=dt.UTC)
    monkeypatch.setattr(ratelimit.timezone, "now", lambda: moment)
    assert [ratelimit.allow("lookup", "1.2.3.4", limit=3, window_seconds=60) for _ in range(4)] == [
        True,
        True,
        True,
        False,
    ]
    assert ratelimit.allow("lookup", "5.6.7.8", limit=3, window_seconds=60)
    assert ratelimit.allow("contact", "1.2.3.4", limit=3, window_seconds=60)


def test_a_new_window_starts_afresh(monkeypatch):
    moments = iter(
        [dt.datetime(2026, 11, 27, 10, 0, 5, tzinfo=dt.UTC)] * 2 + [dt.datetime(2026, 11, 27, 10, 1, 5, tzinfo=dt.UTC)]
    )
    monkeypatch.setattr(ratelimit.timezone, "now", lambda: next(moments))
    assert ratelimit.allow("lookup", "ip", limit=1, window_seconds=60)
    assert not ratelimit.allow("lookup", "ip", limit=1, window_seconds=60)
    assert ratelimit.allow("lookup", "ip", limit=1, window_seconds=60)


def test_the_client_address_comes_from_remote_addr():
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3")
    assert ratelimit.client_address(request) == "10.1.2.3"
