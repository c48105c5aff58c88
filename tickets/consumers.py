"""Websockets of the agents' workspace, scoped exactly like the pages (helpdesk.access via tickets.selectors).

- /ws/tickets/            live ticket lists: the groups of the voivodeships the user may see
- /ws/notify/             the user's own group: assigned to you, a call ringing at your extension
- /ws/tickets/<ref>/      one ticket: changes, who else is viewing, who is typing a reply
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404

from helpdesk import access
from tickets import presence, selectors


def groups_for(user) -> list[str]:
    scope = access.voivodeship_scope(user)
    if scope.is_everything:
        return ["tickets.all"]
    return [f"tickets.v{code}" for code in sorted(scope.codes or ())]


def user_group(user) -> str:
    return f"user.{user.pk}"


def ticket_group(ticket_id: int) -> str:
    return f"ticket.{ticket_id}"


class _GroupsConsumer(AsyncJsonWebsocketConsumer):
    joined: list[str]

    async def join(self, groups: list[str]) -> None:
        self.joined = groups
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)

    async def disconnect(self, code):
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def ticket_event(self, message):
        await self.send_json(message["event"])


class TicketStreamConsumer(_GroupsConsumer):
    async def connect(self):
        user = self.scope.get("user")
        groups = await database_sync_to_async(groups_for)(user) if user else []
        if not groups:
            await self.close(code=4403)
            return
        await self.join(groups)
        await self.accept()


class NotifyConsumer(_GroupsConsumer):
    """/ws/notify/ on every staff page: things addressed to this user (assigned to you, a call ringing)."""

    async def connect(self):
        user = self.scope.get("user")
        if not (user and await database_sync_to_async(access.is_staff_member)(user)):
            await self.close(code=4403)
            return
        await self.join([user_group(user)])
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
        self.user = self.scope.get("user")
        reference = self.scope["url_route"]["kwargs"]["reference"]
        self.ticket_id = await database_sync_to_async(_open_ticket_page)(self.user, reference) if self.user else None
        if self.ticket_id is None:
            await self.close(code=4404)  # the same answer for "no such ticket" and "not yours"
            return
        await self.join([ticket_group(self.ticket_id)])
        await self.accept()
        await self._announce_presence(
            await database_sync_to_async(presence.join)(self.ticket_id, self.user.pk, str(self.user))
        )

    async def disconnect(self, code):
        if getattr(self, "ticket_id", None) is not None:
            viewers = await database_sync_to_async(presence.leave)(self.ticket_id, self.user.pk)
            await self._announce_presence(viewers)
        await super().disconnect(code)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "heartbeat":
            await database_sync_to_async(presence.join)(self.ticket_id, self.user.pk, str(self.user))
        elif kind == "typing":
            await self.channel_layer.group_send(
                ticket_group(self.ticket_id),
                {
                    "type": "ticket.event",
                    "event": {"change": "typing", "user_id": self.user.pk, "user": str(self.user)},
                },
            )

    async def _announce_presence(self, viewers: list[dict]) -> None:
        await self.channel_layer.group_send(
            ticket_group(self.ticket_id), {"type": "ticket.event", "event": {"change": "presence", "viewers": viewers}}
        )
