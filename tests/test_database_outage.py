"""PostgreSQL's connections terminated and the server unreachable, under a real daphne with the shipped pool:
the pages answer 503 (Polish, JSON under /api/) meanwhile and come back by themselves, no restart.

The application reaches PostgreSQL through a TCP proxy of the test's own (tests/tcp_proxy.py), which the test
cuts and restores; the shared server is never stopped. Before: a pooled connection whose backend had been
terminated was handed out dead (a 500 each), the outage answered 500, and the pool's doubling reconnection
delay kept the site down for about as long again after the server was back."""

import time
import urllib.error
import urllib.request

import pytest
from django.db import connection
from django.test import Client

from tests.conftest import run_daphne
from tests.tcp_proxy import TcpProxy

OUTAGE_SECONDS = 15  # beyond the pool's reconnection give-up (DB_POOL_RECONNECT_SECONDS, 10)
BACK_WITHIN_SECONDS = 8


def _get_with(origin: str, path: str, cookie: str) -> tuple[int, str, dict]:
    request = urllib.request.Request(origin + path, headers={"Cookie": cookie})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (a local test server)
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as failed:
        return failed.code, failed.read().decode(), dict(failed.headers)


def _terminate_the_others() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.fixture
def proxy():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    db = connection.settings_dict
    proxy = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)).start()
    yield proxy
    proxy.cut()


@pytest.fixture
def daphne_via_proxy(transactional_db, proxy, tmp_path):
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    url = f"postgres://{auth}@127.0.0.1:{proxy.port}/{db['NAME']}"
    env = {"DATABASE_URL": url, "DB_POOL_TIMEOUT": "3", "DB_POOL_MAX_SIZE": "4"}
    yield from run_daphne(env=env, output=tmp_path / "daphne.out")


PAGES = ("/tickets/", "/api/v1/tickets/")  # each reads the session from the database, whatever is cached


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_terminated_connections_and_an_unreachable_database_give_503_and_the_site_comes_back(
    daphne_via_proxy, proxy, alice
):
    web = Client()
    web.force_login(alice)
    cookie = f"sessionid={web.cookies['sessionid'].value}"
    origin = daphne_via_proxy

    def _get(origin: str, path: str) -> tuple[int, str, dict]:
        return _get_with(origin, path, cookie)

    assert [_get(origin, path)[0] for path in PAGES] == [200, 200]

    assert _terminate_the_others() >= 1  # the pool's connections, held by daphne
    assert [_get(origin, path)[0] for path in PAGES * 3] == [200] * 6  # checked before use: none handed out dead

    proxy.cut()
    started = time.monotonic()
    answers = []
    while time.monotonic() - started < OUTAGE_SECONDS:
        answers.append(_get(origin, PAGES[0]))
    api = _get(origin, PAGES[1])
    assert {status for status, _page, _headers in answers} == {503}
    _status, page, headers = answers[-1]
    assert "Usługa chwilowo niedostępna" in page and "Baza danych jest chwilowo niedostępna." in page
    assert headers["Retry-After"] == "30"
    assert api[0] == 503 and api[2]["Content-Type"] == "application/json"

    proxy.restore()
    restored = time.monotonic()
    while _get(origin, PAGES[0])[0] != 200:
        assert time.monotonic() - restored < BACK_WITHIN_SECONDS, "the pool did not recover by itself"
        time.sleep(0.2)
    assert [_get(origin, path)[0] for path in PAGES] == [200, 200]
