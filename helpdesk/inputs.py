"""Odd input stopped at the boundary, once for the whole site: a clear 400 in Polish instead of a server error.

- NUL bytes: PostgreSQL refuses them in text (psycopg raises before the query is sent), so a NUL anywhere in an
  address, a query parameter, a form field or a cookie would answer 500 wherever the value reaches the database.
  `RejectOddInputMiddleware` refuses such a request before any view (and before the session is loaded: a quoted
  cookie may carry `\\000`); `StrictJSONParser` refuses a JSON body with a NUL or a lone surrogate (`"\\ud800"`,
  which no database can store) in any key or string.
- Numbers typed by people: `"²".isdigit()` is true but `int("²")` fails, and `int("٣")` is 3. Identifiers, years
  and ids are ASCII digits only: `ascii_int` is the one way a parameter becomes a number.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from helpdesk import errors

_ASCII_DIGITS = re.compile(r"[0-9]+")
_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_DIGITS = 18  # fits a 64-bit integer column; anything longer is not an id, a year or a page


def is_ascii_digits(text: object) -> bool:
    """Whether `text` is a non-empty string of ASCII digits 0–9 only ("²" and "٣" are not)."""
    return isinstance(text, str) and _ASCII_DIGITS.fullmatch(text) is not None


def ascii_digits_in(text: str) -> str:
    """The ASCII digits of `text`, in order ("REGON 123-456" → "123456"; "²" and "٣" are left out)."""
    return "".join(ch for ch in text if "0" <= ch <= "9")


def ascii_int(value: object, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """The number written in `value` (ASCII digits, surrounding spaces allowed), or None when it is anything else:
    empty, signed, another script's digits, longer than MAX_DIGITS digits, or outside [minimum, maximum]."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value if value is not None else "").strip()
        if not is_ascii_digits(text) or len(text) > MAX_DIGITS:
            return None
        number = int(text)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        return None
    return number


def unstorable(text: str) -> bool:
    """Whether a string holds a character no database column can take: NUL, or half of a surrogate pair."""
    return "\x00" in text or _SURROGATE.search(text) is not None


def unstorable_in(data: object) -> bool:
    """Whether any key or string anywhere in decoded JSON (dicts, lists, scalars) is `unstorable`."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if unstorable(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


def unstorable_message() -> str:
    return _(
        "Żądanie zawiera niedozwolony znak (bajt zerowy NUL albo niepełny znak Unicode). Usuń go i wyślij ponownie."
    )


def _request_has_nul(request) -> bool:
    if "\x00" in request.path:
        return True
    for key, value in request.META.items():
        if key.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
            return True  # a header: Authorization (the API token lookup), X-PBX-Token, Referer…
    for key, value in request.COOKIES.items():
        if "\x00" in key or "\x00" in value:
            return True
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return True
    content_type = request.content_type or ""
    if request.method == "POST" and content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, values in request.POST.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return True
        for key, files in request.FILES.lists():
            if "\x00" in key or any("\x00" in (upload.name or "") for upload in files):
                return True
    return False


class RejectOddInputMiddleware:
    """A request with a NUL byte in its address, headers, query, form fields, file names or cookies gets the site's
    Polish 400 page (JSON under /api/). Placed before the session middleware: a NUL in the session cookie must not
    reach the session table either."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _request_has_nul(request):
            return errors.refusal(request, 400, unstorable_message())
        return self.get_response(request)


class RefuseOddWebsocket:
    """The same for websockets (no Django middleware stands in front of them): a connection whose address or
    cookies hold a NUL byte is refused before the session is read or a consumer looks anything up."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and _scope_has_nul(scope):
            from channels.security.websocket import WebsocketDenier

            return await WebsocketDenier.as_asgi()(scope, receive, send)
        return await self.inner(scope, receive, send)


def _scope_has_nul(scope) -> bool:
    from django.http import parse_cookie

    if "\x00" in scope.get("path", "") or b"\x00" in scope.get("query_string", b""):
        return True
    for name, value in scope.get("headers", []):
        if name.lower() == b"cookie":
            cookies = parse_cookie(value.decode("latin-1"))
            if any("\x00" in key or "\x00" in text for key, text in cookies.items()):
                return True
    return False


class StrictJSONParser(JSONParser):
    """DRF's JSON parser refusing (400, in Polish) a body with a NUL or a lone surrogate in any key or string."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if unstorable_in(data):
            raise ParseError(unstorable_message())
        return data
