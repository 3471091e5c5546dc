"""The agent's screen-pop socket: /ws/phone/ (session auth). When the CTI says the agent's extension
rings, the caller's profile arrives here (services.call_event_apply → group phone-u-<user id>)."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from django.utils.translation import gettext as _

from herdesk.realtime.sockets import JsonSocket, error_frame

from .selectors import can_take_calls
from .services import agent_group


class ScreenPopConsumer(JsonSocket):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if not await database_sync_to_async(can_take_calls)(user):
            await self.close(code=4403)
            return
        self.group = agent_group(user.pk)
        await self.accept()
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json({"type": "ready", "extension": getattr(user, "extension", "")})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_frame(self, content: dict[str, Any], raw: str) -> None:
        if content["type"] == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_json(
                error_frame(
                    "unknown_type", _("Unknown frame type “%(type)s”.") % {"type": content["type"][:40]}
                )
            )

    async def phone_event(self, event: dict[str, Any]) -> None:
        await self.send_json(event["payload"])
