"""Websockets of the agents' workspace, scoped exactly like the pages: tickets.ticket_access decides both which
groups a socket joins and which groups a ticket's change is pushed to, from the same rule as the ticket lists.

- /ws/tickets/            live ticket lists: the groups of the voivodeships the user may see (or of everything)
- /ws/notify/             the user's own group: assigned to you, a call ringing at your extension
- /ws/tickets/<ref>/      one ticket: changes, who else is viewing, who is typing a reply

Joining a group proves nothing later, so access is decided at connection and again for every event delivered
(`_GroupsConsumer.check`): the session must not have expired, and a ticket's event goes only to whom may read
the ticket (`decided`: by the read rule of ticket_access, from the place of the ticket the push carries, in
memory; `deliverable`: from the ticket as it is now, a query, for an event without one such as presence). The
session is read again whenever the user's access may have changed (below) and, as a net, at the first event
after ACCESS_RECHECK_SECONDS; a push is encoded once per process, not once per socket. The outbox's pushes
come in batches, one channel-layer message per group (`ticket_events`), and leave as ONE frame per batch,
{"events": [...]}, with the events the user may see (one alone goes as the event itself, as presence and typing
always do); the pages take both shapes. A ticket belongs to up to
two voivodeships (its queue's and its unit's), so a socket in both groups gets its change twice: the second
copy, with the same outbox id (`notice`), is dropped. What ends a session
or changes a user's access (logout, a password change, deactivation, a new role or voivodeships, a one-time
password) is announced to every socket of that user (helpdesk.signals → access.announce_access_change): each
reads its session afresh and closes when it has ended (4401). A ticket page's socket closes when its ticket
leaves the user's sight (4404). Users who must still change a one-time password cannot connect.

With Redis (the channel layer) away, a handshake is refused (daphne answers 403) and an open socket is closed with
4503 "try again later", never a server error (`_GroupsConsumer.__call__`): the page reconnects with backoff, joins
its groups afresh (Redis may have lost them) and asks what it missed (static/js/live.js).
"""

import json
import logging
import time
from collections import deque

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import Http404
from django.utils import timezone
from redis.exceptions import RedisError

from helpdesk import access, live_groups
from tickets import presence, selectors, ticket_access
from tickets.models import Queue, Ticket

CLOSE_SESSION_ENDED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404  # the same answer for "no such ticket" and "not yours"
CLOSE_TRY_AGAIN_LATER = 4503  # the channel layer (Redis) is away: the page reconnects (autobahn refuses 1013)

# What the channel layer raises when Redis is away or went away under an open connection
LAYER_ERRORS = (RedisError, OSError)

log = logging.getLogger(__name__)


QUEUE_CODES_TTL = 60.0  # seconds: a queue's voivodeship changes rarely (the admin), events arrive often
_queue_codes: dict[int, str | None] = {}
_queue_codes_read_at = float("-inf")


def queue_codes() -> dict[int, str | None]:
    """Each queue's voivodeship, read again at most every QUEUE_CODES_TTL seconds (shared by the process)."""
    global _queue_codes, _queue_codes_read_at
    if time.monotonic() - _queue_codes_read_at > QUEUE_CODES_TTL:
        _queue_codes = dict(Queue.objects.values_list("pk", "voivodeship_id"))
        _queue_codes_read_at = time.monotonic()
    return _queue_codes


@receiver(post_save, sender=Queue)
def _queue_saved(sender, **kwargs) -> None:
    """A queue given another voivodeship takes effect at once in this process (in the others within the TTL)."""
    global _queue_codes_read_at
    _queue_codes_read_at = float("-inf")


def _in_users_queue(user, event: dict, *, fresh_only: bool = False) -> bool:
    """The event is about a ticket in one of the user's queues, so they see it whatever its unit: a ticket's
    change carries the queue it is in after the change. `fresh_only`: never read the database (async code)."""
    queue_id = event.get("queue")
    if queue_id is None:
        return False
    if fresh_only and time.monotonic() - _queue_codes_read_at > QUEUE_CODES_TTL:
        return False
    codes = _queue_codes if fresh_only else queue_codes()
    return queue_id in codes and ticket_access.may_read_place(user, ticket_access.Place(queue=codes[queue_id]))


def _visible(user, **ticket) -> bool:
    found = Ticket.objects.select_related("queue", "reporting_unit").filter(**ticket).first()
    return found is not None and ticket_access.may_read(user, found)


UNDECIDED = -1  # `decided`: only the database can tell


def decided(user, event: dict, ticket_id: int | None = None) -> int | None:
    """`deliverable` from what the socket holds, without a query: the user (their scope is kept on them) and the
    event. A ticket's push carries the ticket's place at the change (ticket_access.push_place), so the same
    rule as the pages (`may_read_place`) decides it in memory; UNDECIDED for an event without one (presence,
    typing, a push queued before pushes carried it) about a ticket the user may not see by its queue."""
    if ticket_access.reads_every_ticket(user):
        return None
    place = ticket_access.place_in_push(event)
    if place is not None:
        if ticket_access.may_read_place(user, place):
            return None
        return CLOSE_NOT_FOUND if ticket_id is not None else 0
    if _in_users_queue(user, event, fresh_only=True):
        return None
    if ticket_id is None and (not event.get("reference") or event.get("change") == "moved_away"):
        return None  # "moved_away" tells a list to drop a ticket that has just left it: it carries nothing else
    return UNDECIDED


def deliverable(user, event: dict, ticket_id: int | None = None) -> int | None:
    """May `event` go to `user`'s socket now, as far as the ticket is concerned? None: yes; CLOSE_NOT_FOUND: the
    ticket page's ticket has left the user's sight; 0: skip this one event (a ticket of a live list that the
    user no longer sees). In memory when `decided` can tell, else from the ticket as it is now (a query)."""
    verdict = decided(user, event, ticket_id)
    if verdict != UNDECIDED:
        return verdict
    if _in_users_queue(user, event):
        return None
    if ticket_id is not None:
        return None if _visible(user, pk=ticket_id) else CLOSE_NOT_FOUND
    return None if _visible(user, reference=event["reference"]) else 0


ACCESS_RECHECK_SECONDS = 60.0  # an open socket reads its session again at its first event after this long
ENCODED_PUSHES = 256  # pushes kept encoded per process: each goes to many sockets one right after the other
_encoded: dict[int, tuple[dict, str]] = {}


def encoded(event: dict) -> str:
    """The JSON text of `event`, made once per push (`notice`) for all the sockets of this process: each
    socket receives the same push, its own copy of it. Reused only for an equal event (an id used again, e.g.
    a database emptied and filled again, never gets another push's text)."""
    notice = event.get("notice")
    if notice is None:
        return json.dumps(event)
    kept = _encoded.get(notice)
    if kept is not None and kept[0] == event:
        return kept[1]
    text = json.dumps(event)
    _encoded[notice] = (event, text)
    if len(_encoded) > ENCODED_PUSHES:
        del _encoded[next(iter(_encoded))]  # the oldest (dicts keep insertion order)
    return text


_encoded_batches: dict[tuple, tuple[list[dict], str]] = {}


def encoded_batch(events: list[dict]) -> str:
    """The frame of several pushes, `{"events": [...]}` in order, made once per process for every socket that
    may see the same ones (most see the whole batch); one event alone goes as its own frame (`encoded`)."""
    key = tuple(event.get("notice") for event in events)
    kept = _encoded_batches.get(key)
    if kept is not None and kept[0] == events:
        return kept[1]
    text = '{"events": [' + ", ".join(encoded(event) for event in events) + "]}"
    _encoded_batches[key] = (events, text)
    if len(_encoded_batches) > ENCODED_PUSHES:
        del _encoded_batches[next(iter(_encoded_batches))]
    return text


# Outbox ids remembered per socket: a change's copies come in the batches of its groups, one right after the other
# (at most outbox.PUSH_BATCH events each)
RECENT_NOTICES = 1024


class _GroupsConsumer(AsyncJsonWebsocketConsumer):
    joined: list[str]
    user = None
    expires_at = None
    access_read_at = float("-inf")  # time.monotonic() when the session was last read
    ticket_id: int | None = None
    accepted = False

    async def __call__(self, scope, receive, send):
        """Run the consumer; a channel-layer failure (joining a group, announcing, or the blocking read of the
        socket's own channel, which runs from the start) ends it cleanly instead of reaching daphne, which
        answered an unaccepted handshake with 500."""
        try:
            await super().__call__(scope, receive, send)
        except LAYER_ERRORS as exc:
            log.warning("websocket %s ended, the channel layer is unreachable: %s: %s", scope.get("path"),
                        type(exc).__name__, exc)  # fmt: skip
            message = {"type": "websocket.close"}
            if self.accepted:
                message["code"] = CLOSE_TRY_AGAIN_LATER
            try:
                await send(message)  # before the handshake's answer: daphne refuses it with 403
            except Exception:  # the client is gone already
                log.info("closing the websocket failed", exc_info=True)

    async def accept(self, subprotocol=None, headers=None):
        await super().accept(subprotocol, headers)
        self.accepted = True

    async def dispatch(self, message):
        """channels' dispatch without its `aclose_old_connections()` before every message: that is a hop to a
        thread and back for each group message each socket receives (with 50 agents' lists open, most of a web
        process's websocket work under the load test). Nothing here touches the database but through
        `database_sync_to_async`, which closes old connections itself around each call."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.recent_notices: deque[int] = deque()
        self.recent_notice_set: set[int] = set()

    async def authenticate(self):
        """The member of staff behind this socket, read afresh from the session (None: refuse)."""
        session = self.scope.get("session")
        self.session_key = session.session_key if session is not None else None
        found = await database_sync_to_async(access.socket_access)(self.session_key)
        self.user, self.expires_at = (found.user, found.expires_at) if found else (None, None)
        self.access_read_at = time.monotonic()
        return self.user

    async def join(self, groups: list[str]) -> None:
        groups = [*groups, live_groups.access(self.user.pk)]
        self.joined = groups
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)

    async def leave(self) -> None:
        joined, self.joined = getattr(self, "joined", []), []
        try:
            for group in joined:
                await self.channel_layer.group_discard(group, self.channel_name)
        except LAYER_ERRORS as exc:  # the memberships expire in Redis by themselves (group_expiry)
            log.info("leaving the groups of a websocket failed: %s: %s", type(exc).__name__, exc)

    async def disconnect(self, code):
        await self.leave()

    async def check(self, event: dict) -> bool:
        """True when `event` may be delivered; closes the socket when access has ended."""
        if not await self.session_holds():
            return False
        verdict = await self.verdict(event)
        if verdict:
            await self.end(verdict)
        return verdict is None

    async def session_holds(self) -> bool:
        """False (the socket closed if need be) when the session has ended. It was read at connection and is
        read again when the user's access may have changed (`access_changed`) and at the first event after
        ACCESS_RECHECK_SECONDS; in between its expiry is checked here, without a query."""
        if self.user is None:
            return False
        if timezone.now() >= self.expires_at:
            await self.end(CLOSE_SESSION_ENDED)
            return False
        if time.monotonic() - self.access_read_at >= ACCESS_RECHECK_SECONDS:
            await self.access_changed({})
            if self.user is None:
                return False
        return True

    async def verdict(self, event: dict) -> int | None:
        """`deliverable` for this socket: in memory for a ticket's push (`decided`), else a query."""
        verdict = decided(self.user, event, self.ticket_id)
        if verdict == UNDECIDED:
            verdict = await database_sync_to_async(deliverable)(self.user, event, self.ticket_id)
        return verdict

    async def end(self, code: int) -> None:
        await self.leave()
        self.user = None
        await self.close(code=code)

    def fresh(self, event: dict) -> bool:
        """False for a push this socket has had already: the same change through the group of the ticket's
        other voivodeship (the same outbox id, `notice`). Presence and typing go straight, without one."""
        notice = event.get("notice")
        if notice is None:
            return True
        if notice in self.recent_notice_set:
            return False
        self.recent_notices.append(notice)
        self.recent_notice_set.add(notice)
        if len(self.recent_notices) > RECENT_NOTICES:
            self.recent_notice_set.discard(self.recent_notices.popleft())
        return True

    async def ticket_event(self, message):
        """One event (presence, typing: sent straight, not through the outbox) in a frame of its own."""
        event = message["event"]
        if self.fresh(event) and await self.check(event):
            await self.send(text_data=encoded(event))

    async def ticket_events(self, message):
        """The outbox's pushes for one group, in order (helpdesk.outbox._send_pushes): each is deduplicated and
        decided as `ticket_event` does, and those the user may see go in ONE frame (`encoded_batch`). When an
        event shows the user's access has ended (the ticket page's ticket out of sight), the events before it
        are sent and the socket closes, as it would have one event at a time."""
        events = [event for event in message["events"] if self.fresh(event)]
        if not events or not await self.session_holds():
            return
        sendable: list[dict] = []
        closing = None
        for event in events:
            verdict = await self.verdict(event)
            if verdict is None:
                sendable.append(event)
            elif verdict:
                closing = verdict
                break
        if sendable:
            await self.send(text_data=encoded(sendable[0]) if len(sendable) == 1 else encoded_batch(sendable))
        if closing:
            await self.end(closing)

    async def access_changed(self, message):
        """The user's access may have changed: read the session afresh; close if it has ended."""
        if self.user is None:
            return
        found = await database_sync_to_async(access.socket_access)(self.session_key, self.user.pk)
        self.access_read_at = time.monotonic()
        if found is None:
            await self.end(CLOSE_SESSION_ENDED)
            return
        self.user, self.expires_at = found.user, found.expires_at
        await self.access_still_holds()

    async def access_still_holds(self) -> None:
        """What each kind of socket does with the user's new access (their voivodeships may have changed)."""


class TicketStreamConsumer(_GroupsConsumer):
    async def connect(self):
        user = await self.authenticate()
        groups = await database_sync_to_async(ticket_access.subscriptions)(user) if user else []
        if not groups:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.join(groups)
        await self.accept()

    async def access_still_holds(self) -> None:
        groups = await database_sync_to_async(ticket_access.subscriptions)(self.user)
        if not groups:
            await self.end(CLOSE_FORBIDDEN)
        elif [*groups, live_groups.access(self.user.pk)] != self.joined:  # other voivodeships now
            await self.leave()
            await self.join(groups)


class NotifyConsumer(_GroupsConsumer):
    """/ws/notify/ on every staff page: things addressed to this user (assigned to you, a call ringing)."""

    async def connect(self):
        user = await self.authenticate()
        if user is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.join([live_groups.user(user.pk)])
        await self.accept()


def _open_ticket_page(user, reference: str) -> int | None:
    if not access.is_staff_member(user):
        return None
    try:
        return selectors.ticket_for_user(user, reference).pk
    except Http404:
        return None


class TicketPageConsumer(_GroupsConsumer):
    async def connect(self):
        user = await self.authenticate()
        reference = self.scope["url_route"]["kwargs"]["reference"]
        self.ticket_id = await database_sync_to_async(_open_ticket_page)(user, reference) if user else None
        if self.ticket_id is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        await self.join([live_groups.ticket(self.ticket_id)])
        await self.accept()
        await self._announce_presence(
            await database_sync_to_async(presence.join)(self.ticket_id, self.user.pk, str(self.user))
        )

    async def end(self, code: int) -> None:
        await self._leave_presence()
        await super().end(code)

    async def access_still_holds(self) -> None:
        if await database_sync_to_async(deliverable)(self.user, {}, self.ticket_id):
            await self.end(CLOSE_NOT_FOUND)

    async def disconnect(self, code):
        await self._leave_presence()
        await super().disconnect(code)

    async def _leave_presence(self) -> None:
        if self.ticket_id is not None and self.user is not None:
            viewers = await database_sync_to_async(presence.leave)(self.ticket_id, self.user.pk)
            await self._announce_presence(viewers)
        self.ticket_id = None

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind not in ("heartbeat", "typing") or not await self.check({}):
            return
        if kind == "heartbeat":
            await database_sync_to_async(presence.join)(self.ticket_id, self.user.pk, str(self.user))
        else:
            await self.channel_layer.group_send(
                live_groups.ticket(self.ticket_id),
                {
                    "type": "ticket.event",
                    "event": {"change": "typing", "user_id": self.user.pk, "user": str(self.user)},
                },
            )

    async def _announce_presence(self, viewers: list[dict]) -> None:
        await self.channel_layer.group_send(
            live_groups.ticket(self.ticket_id),
            {"type": "ticket.event", "event": {"change": "presence", "viewers": viewers}},
        )
