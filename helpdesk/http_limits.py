"""Requests too long for the web server itself get a Polish page instead of a dropped connection.

Daphne reads HTTP with Twisted's HTTPChannel, a LineReceiver: a request line longer than 16 KiB
(`LineReceiver.MAX_LENGTH`) makes it close the connection without a word, and a request line plus headers
longer than 16 KiB (`HTTPChannel.totalHeadersSize`) gets a bare "400 Bad Request" with no body. Django never
sees either request, so no view or middleware can answer; a search of about 20,000 characters showed the
browser's own "connection reset" page. Daphne has no option for this, so `install()` (called by helpdesk.asgi)
gives daphne an HTTP factory whose channel answers such requests with 414 (or 431) and the page in
static/errors/ that the shipped nginx configuration answers with too. Shorter addresses reach Django, whose
search forms cut the query to 200 characters.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from twisted.web import http

logger = logging.getLogger(__name__)

PAGE = "errors/request-too-long.html"
# A request line longer than this (what nginx refuses by default with 414) is "the address is too long";
# a shorter one that still overflows the head is "headers too large" (cookies, usually).
URI_TOO_LONG_FROM = 8192
DISCARD_AT_MOST = 1 << 20  # bytes read and thrown away after the answer before the connection is cut
LINGER_SECONDS = 5


@cache
def page() -> bytes:
    from django.conf import settings
    from django.contrib.staticfiles import finders

    path = finders.find(PAGE)  # the checkout's static/; else what collectstatic gathered
    if path is None and settings.STATIC_ROOT and (Path(settings.STATIC_ROOT) / PAGE).is_file():
        path = Path(settings.STATIC_ROOT) / PAGE
    if path is None:  # the page itself is missing: still say it in Polish
        title = "Adres strony jest za długi"
        return f"<!doctype html><html lang=pl><title>{title}</title><h1>{title}</h1>".encode()
    with open(path, "rb") as file:
        return file.read()


def response(status: int) -> bytes:
    reason = {414: b"URI Too Long", 431: b"Request Header Fields Too Large"}[status]
    body = page()
    head = (
        b"HTTP/1.1 %d %s\r\n" % (status, reason)
        + b"Content-Type: text/html; charset=utf-8\r\n"
        + b"Content-Length: %d\r\n" % len(body)
        + b"Content-Language: pl\r\n"
        + b"Cache-Control: no-store\r\n"
        + b"X-Content-Type-Options: nosniff\r\n"
        + b"Connection: close\r\n\r\n"
    )
    return head + body


class PoliteHTTPChannel(http.HTTPChannel):
    """Twisted's channel, answering an over-long request line or head with the Polish page."""

    def lineLengthExceeded(self, line):
        # Called for the request line (the only line that long in practice) or any single header line.
        self._refuse(414 if not self._request_line_parsed() else 431, len(line))

    def _respondToBadRequestAndDisconnect(self):
        if self._receivedHeaderSize > self.totalHeadersSize:
            path = getattr(self, "_path", b"") if self._request_line_parsed() else b""
            self._refuse(414 if len(path) > URI_TOO_LONG_FROM else 431, self._receivedHeaderSize)
            return
        super()._respondToBadRequestAndDisconnect()  # malformed requests: Twisted's own answer

    def _request_line_parsed(self) -> bool:
        # HTTPChannel's own flag (name-mangled): true while it waits for the request line of the next request.
        return not getattr(self, "_HTTPChannel__first_line", 1)

    def _refuse(self, status: int, size: int) -> None:
        logger.info("Refused a request with a head of more than %d bytes (%d)", size, status)
        self.transport.write(response(status))
        # The client may still be sending the rest of its head. Closing a socket with unread data makes the
        # kernel reset the connection, and the client may then lose the answer: stop sending, read and throw
        # away what still comes (a bounded amount, for a bounded time), close when the client has read it.
        self._discarded = 0
        self.dataReceived = self._discard
        self.lineReceived = lambda line: None
        half_close = getattr(self.transport, "loseWriteConnection", None)
        if half_close is not None:
            half_close()
        from twisted.internet import reactor

        reactor.callLater(LINGER_SECONDS, self._close)

    def _discard(self, data: bytes) -> None:
        self._discarded += len(data)
        if self._discarded > DISCARD_AT_MOST:
            self._close()

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.loseConnection()


def install() -> None:
    """Make daphne build PoliteHTTPChannel connections (its server module looks up `HTTPFactory` when it runs)."""
    try:
        from daphne import server
        from daphne.http_protocol import HTTPFactory
    except ImportError:  # another ASGI server: it has its own limits
        return

    class PoliteHTTPFactory(HTTPFactory):
        def protocol(self):
            return http._GenericHTTPChannelProtocol(PoliteHTTPChannel())

    if getattr(server.HTTPFactory, "polite", False):
        return
    PoliteHTTPFactory.polite = True
    server.HTTPFactory = PoliteHTTPFactory
    page()  # read once now, not in the reactor at the first refusal
