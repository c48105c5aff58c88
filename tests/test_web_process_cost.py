"""What a web process spends per request (bench/RESULTS.md, "Where the web processes' CPU goes"):

- the shared cache keeps one Redis client per process (helpdesk.cache_backend), not one per request context;
- the ASGI handler (helpdesk.asgi_handler) runs the middleware chain and the view in one thread, and at most
  WEB_REQUEST_THREADS requests of a process at once, each in one thread from request_started to request_finished.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import threading
import time

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core.signals import request_finished, request_started
from django.http import HttpResponse
from django.test import override_settings
from django.urls import include, path

from helpdesk.asgi_handler import OneThreadASGIHandler
from helpdesk.cache_backend import ProcessRedisCache

# --- one Redis client per process ------------------------------------------------------------------------------


def _new_cache(location: str) -> ProcessRedisCache:
    return ProcessRedisCache(location, {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1}})


def test_cache_objects_of_a_process_share_one_client_and_its_connections(redis_url):
    """Django makes a cache object per request context under ASGI; every one of them must use the same client,
    so that requests reuse the pool's connections instead of opening one each."""
    first = _new_cache(redis_url)
    clients = []

    def request(n: int) -> None:  # as a request in a context of its own would
        cache = contextvars.Context().run(_new_cache, redis_url)
        cache.set(f"web-cost-test:{n}", n, 30)
        assert cache.get(f"web-cost-test:{n}") == n
        clients.append(cache._cache)

    threads = [threading.Thread(target=request, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for _ in range(30):
        request(99)
    assert all(client is first._cache for client in clients)
    pool = first._cache._pools[0]
    assert len(pool._available_connections) + len(pool._in_use_connections) <= 20  # not 50: one per thread at most
    first._cache.get_client(write=True).delete(*[f":1:web-cost-test:{n}" for n in [*range(20), 99]])


def test_another_configuration_gets_its_own_client(redis_url):
    assert _new_cache(redis_url)._cache is not _new_cache("redis://127.0.0.1:1/0")._cache


# --- the ASGI handler ------------------------------------------------------------------------------------------

_running = {"now": 0, "most": 0, "threads": set()}
_lock = threading.Lock()


def slow_view(request):
    time.sleep(float(request.GET.get("s", "0.02")))  # long enough for requests to overlap if they were allowed to
    return HttpResponse("gotowe")


urlpatterns = [path("wolno/", slow_view), path("", include("helpdesk.urls"))]


def _started(**kwargs) -> None:
    with _lock:
        _running["now"] += 1
        _running["most"] = max(_running["most"], _running["now"])
        _running["threads"].add(threading.get_ident())
    _local.started = True


def _finished(**kwargs) -> None:
    assert getattr(_local, "started", False), "request_finished in another thread than request_started"
    _local.started = False
    with _lock:
        _running["now"] -= 1


_local = threading.local()


async def _get(app, path_: str, query: bytes = b"") -> tuple[int, bytes]:
    status, body, _ = await _get_full(app, path_, query)
    return status, body


async def _get_full(app, path_: str, query: bytes = b"") -> tuple[int, bytes, dict]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path_,
        "raw_path": path_.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    communicator = ApplicationCommunicator(app, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(10)
    body = await communicator.receive_output(10)
    await communicator.wait(10)
    return start["status"], body["body"], {k.decode().lower(): v.decode() for k, v in start["headers"]}


@override_settings(ROOT_URLCONF=__name__, WEB_REQUEST_THREADS=3, ALLOWED_HOSTS=["testserver"])
def test_at_most_web_request_threads_requests_run_at_once_each_in_one_thread():
    handler = OneThreadASGIHandler()
    assert not asyncio.iscoroutinefunction(handler._middleware_chain)  # the whole chain in its sync form
    _running.update(now=0, most=0, threads=set())
    request_started.connect(_started, dispatch_uid="web-cost-test-started")
    request_finished.connect(_finished, dispatch_uid="web-cost-test-finished")
    try:

        async def crowd():
            return await asyncio.gather(*(_get(handler, "/wolno/") for _ in range(24)))

        answers = asyncio.run(crowd())
    finally:
        request_started.disconnect(dispatch_uid="web-cost-test-started")
        request_finished.disconnect(dispatch_uid="web-cost-test-finished")
    assert answers == [(200, b"gotowe")] * 24
    assert _running["now"] == 0
    assert 1 < _running["most"] <= 3  # they did overlap, three at most
    assert len(_running["threads"]) <= 3  # the same three threads served all 24, not a thread per request


def test_the_production_application_uses_it():
    from helpdesk.asgi import application

    assert isinstance(application.application_mapping["http"], OneThreadASGIHandler)


@pytest.mark.django_db
def test_a_public_page_through_it_is_the_same_page():
    """The front page through the handler answers as through Django's test client (same middleware, same view)."""
    from django.test import Client

    from helpdesk.asgi import application

    status, body = asyncio.run(_get(application.application_mapping["http"], "/formularze/"))
    assert status == Client().get("/formularze/").status_code == 200
    assert "Formularze" in body.decode()


@override_settings(ROOT_URLCONF=__name__, WEB_REQUEST_THREADS=1, WEB_QUEUE_SECONDS=0.2, ALLOWED_HOSTS=["testserver"])
def test_a_request_that_waited_too_long_for_a_thread_gets_a_clean_polish_503():
    handler = OneThreadASGIHandler()

    async def crowd():
        return await asyncio.gather(
            _get_full(handler, "/wolno/", b"s=0.6"),
            _get_full(handler, "/wolno/", b"s=0.6"),
            _get_full(handler, "/api/v1/kb/search", b"q=haslo"),
        )

    first, second, api = asyncio.run(crowd())
    assert first[0] == 200 and first[1] == b"gotowe"
    status, body, headers = second
    assert status == 503
    assert headers["retry-after"] == "30" and headers["content-language"] == "pl"
    assert headers["cache-control"] == "no-store"
    page = body.decode()
    assert "Usługa chwilowo niedostępna" in page and "zbyt wiele żądań" in page
    assert "csrfmiddlewaretoken" not in page or 'value=""' in page  # the same page for everyone: no one's token
    assert "set-cookie" not in headers
    status, body, headers = api
    assert status == 503 and headers["content-type"] == "application/json"
    assert "zbyt wiele żądań" in json.loads(body)["detail"]
