"""The outbox adapter for channel "wechat" (registered into
herdesk.notifications.services.OUTBOX_ADAPTERS by WeChatConfig.ready).

`deliver` runs after the reply was committed, outside any transaction; raising makes the
dispatcher retry with backoff. The delivery state is kept on the timeline entry
(`Interaction.data["delivery"]`: queued → sent / retrying / failed), as the email channel does.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from .client import send_text


def _mark(message: Any, **fields: Any) -> None:
    from herdesk.tickets.models import Interaction

    pk = (message.payload or {}).get("interaction")
    if not pk:
        return
    interaction = Interaction.objects.filter(pk=pk).first()
    if interaction is None:
        return
    interaction.data = {**(interaction.data or {}), **fields}
    interaction.save(update_fields=["data"])


class WeChatAdapter:
    @staticmethod
    def deliver(message: Any) -> None:
        text = str((message.payload or {}).get("text") or "")
        if not message.recipient or not text:
            raise ValueError("wechat outbox message without recipient or text")
        send_text(openid=message.recipient, text=text)
        _mark(message, delivery="sent", sent_at=timezone.now().isoformat())

    @staticmethod
    def failed(message: Any, error: str, final: bool) -> None:
        _mark(message, delivery="failed" if final else "retrying", delivery_error=error[:300])
