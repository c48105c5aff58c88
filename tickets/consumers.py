"""Live updates of ticket lists: a websocket joins the groups of the voivodeships its user may see."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from helpdesk import access


def groups_for(user) -> list[str]:
    scope = access.voivodeship_scope(user)
    if scope.is_everything:
        return ["tickets.all"]
    return [f"tickets.v{code}" for code in sorted(scope.codes or ())]


class TicketStreamConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        self.joined = await database_sync_to_async(groups_for)(user) if user else []
        if not self.joined:
            await self.close(code=4403)
            return
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def ticket_event(self, message):
        await self.send_json(message["event"])
