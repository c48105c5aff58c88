"""Django's ASGI handler, cheaper per request: the middleware chain and the view in one hop to a thread, and a
fixed set of request threads per process.

- One hop. Django builds its ASGI middleware chain for the event loop. With sync-only middleware in it
  (WhiteNoise, ours) and sync views, a request went to a thread for the outer middleware, back to the event loop
  for the async-capable inner ones (messages, X-Frame-Options), and to the thread again for the view: three
  hand-overs, each a wake-up through the event loop. Here the chain is built as for WSGI (every middleware in its
  sync form) and called once through `sync_to_async(thread_sensitive=True)`, together with the request_started
  signal and the response's close (request_finished), which Django 5 runs in hops of their own (`handle`). Async
  views would still work (Django runs them with async_to_sync inside the chain); this project has none.
- WEB_REQUEST_THREADS threads. Django gave every request a thread of its own (a new ThreadSensitiveContext, so a
  new thread, started and joined per request), and ran all of them at once: hundreds of threads under a crowd,
  taking turns on the GIL, and queueing on the one lock that guards Django's current language (an asgiref Local)
  at every translated string, so that the CPU spent per request grew with the crowd. Here a request borrows one
  of a fixed set of single-thread executors (asgiref's `ThreadSensitiveContext(executor=…)`) for its whole
  handling, as a WSGI server's worker thread: request_started, the chain and the view, the response's close and
  request_finished all run in that thread, so its database connection is taken from the pool and given back in
  one thread, as before. A request waiting for a thread waits in the event loop: no thread, no CPU. Keep it under
  DB_POOL_MAX_SIZE, so that no running request waits for a database connection.
- A bounded wait. A request that found no free thread within WEB_QUEUE_SECONDS is answered 503 with Retry-After
  and the site's Polish page (`errors.busy`, JSON under /api/), from the event loop, without a thread: overload
  gives clean refusals after a known time, not a queue that grows without end.

Figures: bench/RESULTS.md ("Where the web processes' CPU goes").
"""

from __future__ import annotations

import asyncio
import weakref
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix

from helpdesk import errors
from helpdesk.speed import warm


class OneThreadASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)  # the chain as for WSGI: every middleware in its sync form
        # the request threads of each event loop (daphne runs one; tests may run several, one after the other)
        self._threads: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Queue[ThreadPoolExecutor]] = (
            weakref.WeakKeyDictionary()
        )
        # the first loop's threads, started and warmed now, before the server listens (helpdesk.speed.warm)
        self._ready = [_request_thread() for _ in range(settings.WEB_REQUEST_THREADS)]
        for started in [thread.submit(warm.thread) for thread in self._ready]:
            started.result()
        warm.process()

    def request_threads(self) -> asyncio.Queue[ThreadPoolExecutor]:
        """The running loop's free request threads (WEB_REQUEST_THREADS single-thread executors)."""
        loop = asyncio.get_running_loop()
        free = self._threads.get(loop)
        if free is None:
            free = self._threads[loop] = asyncio.Queue()
            ready, self._ready = self._ready, []
            for thread in ready or [_request_thread() for _ in range(settings.WEB_REQUEST_THREADS)]:
                free.put_nowait(thread)
        return free

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        free = self.request_threads()
        try:
            thread = await asyncio.wait_for(free.get(), settings.WEB_QUEUE_SECONDS)
        except TimeoutError:  # more requests than this process can run: a clean 503 rather than a growing wait
            await self.send_response(errors.busy(scope.get("path", "/")), send)
            return
        try:
            async with ThreadSensitiveContext(executor=thread):
                await self.handle(scope, receive, send)
        finally:
            free.put_nowait(thread)

    async def handle(self, scope, receive, send) -> None:
        """Django's `ASGIHandler.handle` with one hop to the request thread instead of three: request_started,
        the request, the middleware chain and the view, and (for a response that is not streamed) the response's
        close with request_finished run in one call there, as under WSGI; the event loop then sends the finished
        bytes. A streamed response (a file download) is closed after it was sent, in the thread again. Unlike
        Django 5's handler this does not watch for the client going away meanwhile: a sync view cannot be
        stopped anyway, and the answer to a closed connection is dropped by daphne (Django 4.2's handler did the
        same)."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await sync_to_async(self._respond, thread_sensitive=True)(scope, body_file)
            await self.send_response(response, send)
            if response.streaming:
                await sync_to_async(response.close, thread_sensitive=True)()
        finally:
            body_file.close()

    def _respond(self, scope, body_file) -> HttpResponseBase:
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):  # as Django's: the ASGI server chunks the body itself
                response.block_size = self.chunk_size
        if not response.streaming:
            response.close()  # request_finished: the database connection goes back to the pool from this thread
        return response


def _request_thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")


def get_asgi_application() -> OneThreadASGIHandler:
    """django.core.asgi.get_asgi_application with this handler."""
    import django

    django.setup(set_prefix=False)
    return OneThreadASGIHandler()
