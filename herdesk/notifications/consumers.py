"""The staff notification socket: /ws/notifications/ (session auth). Every open staff page joins the
user's group `notify-u-<user pk>` (staff_notices.user_group) and receives each new notification,
rendered in the page's language, and the bell's unread count (docs/architecture/notifications.md)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from django.utils import translation
from django.utils.translation import gettext as _

from herdesk.realtime.sockets import JsonSocket, error_frame

from .choices import NotificationKind
from .staff_notices import notification_text, user_group

LANGS = ("zh-hans", "en")


def _is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and not getattr(user, "customer_id", None)


class NotificationConsumer(JsonSocket):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if not _is_staff(user):  # the session user is loaded by AuthMiddlewareStack
            await self.close(code=4403)
            return
        query = parse_qs((self.scope.get("query_string") or b"").decode("latin-1"))
        lang = (query.get("lang") or [""])[0].lower()
        self.lang = lang if lang in LANGS else "zh-hans"
        self.group = user_group(user.pk)
        await self.accept()
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json({"type": "ready"})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_frame(self, content: dict[str, Any], raw: str) -> None:
        if content["type"] == "ping":
            # Re-join: a layer drops a socket from its groups when an event waited too long for it.
            await self.channel_layer.group_add(self.group, self.channel_name)
            await self.send_json({"type": "pong"})
        else:
            await self.send_json(
                error_frame(
                    "unknown_type", _("Unknown frame type “%(type)s”.") % {"type": content["type"][:40]}
                )
            )

    async def notify_event(self, event: dict[str, Any]) -> None:
        n = dict(event["notification"])
        with translation.override(self.lang):
            n["text"] = notification_text(n["kind"], n.get("data") or {})
            try:
                n["kind_label"] = str(NotificationKind(n["kind"]).label)
            except ValueError:
                n["kind_label"] = n["kind"]
        n.pop("data", None)
        await self.send_json({"type": "notification", "notification": n, "unread": event["unread"]})

    async def notify_count(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "count", "unread": event["unread"]})
