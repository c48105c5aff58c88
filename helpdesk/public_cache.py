"""Computed answers of the public pages a deadline brings a crowd to (the status lookup, the knowledge-base
search), kept in the shared cache: Redis in production, the process's memory in the embedded default.

An answer is stored under a key made of everything it depends on: the normalised question (and, for the
knowledge base, the visibility the caller's role gives) and the version tokens of the data it was computed from.
The write paths that change such data call `changed(name, …)`, which puts a new random token in place at once and
again when the transaction commits: a reader between the two may compute from the data as it was and store it
under the first new token, and the second makes that entry unreachable. So an answer computed before a change is
never served after the change committed.

Whole pages are cached too, for visitors without a session (`shared_page`): a page is a function of its
address, the language, the day and the answers it showed, so it is kept under a key made of exactly these,
the answers by their own keys. A change that makes an answer's key move (a version token, the knowledge base's
index version) moves the key of every page that showed it: a page is never served after its data changed.

Entries also expire after PUBLIC_CACHE_SECONDS. That bounds what a lost bump can cost: Redis away at the moment of
a change (the process that failed sends its bumps again before it trusts the cache), or, in the embedded
default, a change made by another process (a command run from the shell), whose memory is not the web process's.
With Redis away every read misses and every write is dropped (helpdesk.shared_cache): the answer is computed as
if there were no cache, and no page answers 500 for it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.template.response import SimpleTemplateResponse
from django.utils import timezone, translation

from helpdesk import shared_cache

T = TypeVar("T")

PREFIX = "public"
VERSION_SECONDS = 7 * 24 * 3600  # a version key that expires only turns its entries into misses
_MISSING = object()


def _version_key(name: str) -> str:
    return f"{PREFIX}:v:{name}"


def tokens(names: list[str]) -> list[str] | None:
    """The current version token of each named piece of data (one round trip; a missing one is made, atomically,
    so concurrent first readers agree: one more round trip). None when the shared cache is away: do not cache
    then. Within one request of a public view (`shared_page`) each token is read once: the second answer of a
    page reuses what the first read (as consistent as reading it again a moment later), unless the request
    itself changed something."""
    return _tokens(names)[0]


def _tokens(names: list[str]) -> tuple[list[str] | None, bool]:
    """tokens(), and whether one of them was made just now by this call (nothing can be cached under it yet)."""
    if _unsent and not _bump(()):
        return None, False  # a change this process recorded has still not reached the cache: do not trust it
    page = _page.get()
    known = dict(page.tokens) if page is not None else {}
    wanted = [_version_key(name) for name in names if name not in known]
    found = shared_cache.get_many(wanted) if wanted else {}
    made = {key: secrets.token_hex(8) for key in wanted if found.get(key) is None}
    if made:
        found.update(shared_cache.add_then_get(made, VERSION_SECONDS))  # ours, or another reader's made first
    out = []
    for name in names:
        token = known.get(name) or found.get(_version_key(name))
        if token is None:  # the cache is away
            return None, False
        if page is not None:
            page.tokens[name] = token
        out.append(token)
    return out, any(found.get(key) == token for key, token in made.items())


def per_request(name: str, read: Callable[[], T]) -> T:
    """`read()`, once per request of a public view (`shared_page`; every call outside one reads): for a fact
    several answers of one page are keyed on, e.g. the knowledge base's index version (a query)."""
    page = _page.get()
    if page is None:
        return read()
    if name not in page.facts:
        page.facts[name] = read()
    return page.facts[name]


def answer(parts: Iterable[Any], versions: list[str], compute: Callable[[], tuple[T, float | None]]) -> T:
    """The cached answer for `parts` (the normalised question) under the data `versions`, else `compute()`'s.

    `compute` returns (answer, valid until) where the second is a Unix time after which the answer must be
    computed again (e.g. an article scheduled to appear), or None. Entries live at most PUBLIC_CACHE_SECONDS.
    """
    seconds = settings.PUBLIC_CACHE_SECONDS
    current, new = _tokens(versions) if seconds > 0 else (None, False)
    if current is None:
        not_shared()
        return compute()[0]
    digest = hashlib.sha256(json.dumps([list(parts), current], default=str).encode()).hexdigest()[:40]
    key = f"{PREFIX}:a:{digest}"
    hit = _MISSING if new else _fetch(key)  # under a token made just now: nothing yet
    now = time.time()
    if hit is not _MISSING and (hit[0] is None or now < hit[0]):
        _shown(key, hit[0])
        return hit[1]
    page = _page.get()
    if page is not None:
        page.computed = True
        page.depth += 1  # answers asked while computing this one are part of it: its key stands for them
    try:
        value, until = compute()
    finally:
        if page is not None:
            page.depth -= 1
    _shown(key, until)
    timeout = seconds if until is None else min(seconds, int(until - now))
    if timeout > 0:
        shared_cache.set(key, (until, value), timeout)
    return value


def _fetch(key: str) -> Any:
    """The entry of answer `key` (or _MISSING). On a page that may be kept, in the same round trip, the page it
    would be if this answer were the last it shows (the usual case: one answer, or the last of a few): then the
    kept page needs no round trip of its own (`_shared`)."""
    page = _page.get()
    if page is None or page.prefix is None or not page.shared or page.depth:
        return shared_cache.get(key, _MISSING)
    guess = _page_key(page.prefix, [*page.keys, key])
    found = shared_cache.get_many([key, guess])
    page.prefetched = {guess: found.get(guess)}
    return found.get(key, _MISSING)


def changed(*names: str) -> None:
    """The named data changed (or will when the current transaction commits): no answer computed from it before
    is served again. Call it inside the write's transaction."""
    if not names:
        return
    page = _page.get()
    if page is not None:  # this request changed data: what it read before is not reused
        page.tokens.clear()
        page.facts.clear()
    _bump(names)
    transaction.on_commit(lambda: _bump(names), robust=True)


_unsent: set[str] = set()  # bumps that failed (the cache was away): sent again before this process trusts it


def _bump(names: Iterable[str]) -> bool:
    wanted = _unsent | set(names)
    if not wanted:
        return True
    if shared_cache.set_many({_version_key(name): secrets.token_hex(8) for name in wanted}, VERSION_SECONDS):
        _unsent.difference_update(wanted)  # not clear(): another thread may have added one meanwhile
        return True
    _unsent.update(wanted)
    return False


# --- the names of what is cached ------------------------------------------------------------------------------

# Everything a status lookup shows besides a unit's own reports: forms, deadlines, statuses' names and next steps,
# regional offices, units' names, form instructions in the knowledge base.
STATUS_LOOKUP = "status-lookup"
MANY_UNITS = 1000  # past this many units in one change, everything is invalidated at once (one key, not many)


def unit_statuses(regon: str) -> str:
    """The version of one unit's reports (and its name, kind and voivodeship) in the status lookup."""
    return f"{STATUS_LOOKUP}:{regon}"


def statuses_changed(regons: Iterable[str]) -> None:
    """The reports (or the directory entry) of these units changed: their status look-ups are computed again."""
    regons = sorted(set(regons))
    if len(regons) > MANY_UNITS:
        changed(STATUS_LOOKUP)
    else:
        changed(*(unit_statuses(regon) for regon in regons))


# --- whole pages for visitors without a session ---------------------------------------------------------------


@dataclass
class _Page:
    """The answers a page being made has shown (their keys), the earliest time one must be computed again, and
    whether everything it showed came from the cache (an answer computed without it: the page is not kept); what
    the request read once for all its answers (version tokens, `per_request` facts)."""

    keys: list[str] = field(default_factory=list)
    until: float | None = None
    shared: bool = True
    depth: int = 0  # answers being computed (inside one: not shown by the page itself)
    computed: bool = False  # an answer was computed (a new answer key): no page kept under its key yet
    prefix: list[str] | None = None  # what a kept page's key starts with (address, language, day)
    prefetched: dict[str, Any] = field(default_factory=dict)  # a page fetched with the last answer (`_fetch`)
    tokens: dict[str, str] = field(default_factory=dict)  # version tokens read by this request (`tokens`)
    facts: dict[str, Any] = field(default_factory=dict)  # `per_request`


_page: ContextVar[_Page | None] = ContextVar("public_cache_page", default=None)


def _shown(key: str, until: float | None) -> None:
    page = _page.get()
    if page is not None and not page.depth:
        page.keys.append(key)
        if until is not None:
            page.until = until if page.until is None else min(page.until, until)


def not_shared() -> None:
    """The page being made shows something computed outside the cache: it is not kept as a whole."""
    page = _page.get()
    if page is not None:
        page.shared = False


def _cookies_that_do_not_change_pages() -> set[str]:
    return {settings.LANGUAGE_COOKIE_NAME, settings.CSRF_COOKIE_NAME}  # the language is in the key


def _may_share(request: HttpRequest, params: tuple[str, ...]) -> bool:
    """A GET by a visitor without a session (nor any cookie but the language's and the CSRF one) and without
    credentials (an API token authenticates after this decorator ran), asking nothing but the view's own
    parameters, each once."""
    return (
        settings.PUBLIC_CACHE_SECONDS > 0
        and request.method == "GET"
        and "HTTP_AUTHORIZATION" not in request.META
        and set(request.COOKIES) <= _cookies_that_do_not_change_pages()
        and set(request.GET) <= set(params)
        and all(len(values) == 1 for _, values in request.GET.lists())
        and not request.user.is_authenticated
    )


def shared_page(*params: str) -> Callable:
    """Decorates a public view whose page shows nothing but its address (with `params`, the only query
    parameters it reads), the language, today's date and answers of `answer()`; the view returns a
    TemplateResponse, or is a REST framework view (decorated outside `@api_view`: its answers are kept as JSON
    only). For a visitor without a session the rendered page is kept and served to every such visitor
    for the same address, language, day and answers. The view itself always runs (its rate limits and logs
    count every request; its answers come from the cache); only the rendering is saved. Kept only when it is
    a 200 that sets no cookie, used no CSRF token nor CSP nonce and showed answers only from the cache."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            shared = _may_share(request, params)
            page = _Page(shared=shared, prefix=_page_prefix(request) if shared else None)
            reset = _page.set(page)
            try:
                response = view(request, *args, **kwargs)
                return _shared(request, response, page) if shared else response
            finally:
                _page.reset(reset)

        return wrapped

    return decorate


def _page_prefix(request: HttpRequest) -> list[str]:
    # the whole address: an API answer holds absolute links (scheme and host)
    return [request.build_absolute_uri(), translation.get_language(), timezone.localdate().isoformat()]


def _page_key(prefix: list[str], keys: list[str]) -> str:
    """A kept page's key: its address, language and day, and the keys of the answers it showed."""
    return f"{PREFIX}:p:" + hashlib.sha256(json.dumps([*prefix, keys]).encode()).hexdigest()[:40]


def _shared(request: HttpRequest, response: HttpResponse, page: _Page) -> HttpResponse:
    now = time.time()
    if (
        not isinstance(response, SimpleTemplateResponse)
        or _negotiated_other_than_json(response)
        or response.status_code != 200
        or response.cookies
        or not page.shared
        or not page.keys
        or (page.until is not None and now >= page.until)
    ):
        return response
    key = _page_key(_page_prefix(request), page.keys)
    prefetched = page.prefetched.get(key, _MISSING)  # with the last answer (`_fetch`)
    if prefetched is not _MISSING:
        hit = prefetched
    elif page.computed:
        hit = None  # an answer computed now: no page kept under its key yet
    else:
        hit = shared_cache.get(key)
    if hit is not None and (hit[0] is None or now < hit[0]):
        cached = HttpResponse(hit[1])
        for name, value in hit[2]:
            cached[name] = value
        return _for_the_edge(cached, hit[0], now)
    shown = len(page.keys)
    response.render()
    if (
        len(page.keys) != shown  # the template asked for more: not in the key
        or not page.shared
        or response.cookies
        or request.META.get("CSRF_COOKIE_NEEDS_UPDATE")  # a CSRF token on the page: per visitor
        or getattr(request, "_csp_nonce", None)  # a CSP nonce: per response
    ):
        return response
    timeout = settings.PUBLIC_CACHE_SECONDS
    if page.until is not None:
        timeout = min(timeout, int(page.until - now))
    if timeout > 0:
        shared_cache.set(key, (page.until, response.content, list(response.items())), timeout)
    return _for_the_edge(response, page.until, now)


def _negotiated_other_than_json(response: HttpResponse) -> bool:
    """An API answer (a REST framework response, which chose its format from the request's Accept header) is kept
    only as JSON: the key holds no Accept header, so the browsable HTML form is rendered for each request. nginx
    keeps the JSON under the answer's `Vary: Accept`, so a browser asking for HTML never gets it from there
    either."""
    media_type = getattr(response, "accepted_media_type", None)
    return media_type is not None and media_type != "application/json"


def _for_the_edge(response: HttpResponse, until: float | None, now: float) -> HttpResponse:
    """A kept page may also be kept by the proxy in front (deploy/nginx.conf) for PUBLIC_EDGE_SECONDS: nginx
    caches nothing but answers carrying X-Accel-Expires (it takes the header off), so this is the one place
    that decides, with the same rules as the page kept here. A change shows at the edge that much later."""
    seconds = settings.PUBLIC_EDGE_SECONDS
    if until is not None:
        seconds = min(seconds, int(until - now))
    if seconds > 0:
        response["X-Accel-Expires"] = str(seconds)
    return response
