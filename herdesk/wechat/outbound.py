"""The outbox adapter for channel "wechat" (registered into
herdesk.notifications.services.OUTBOX_ADAPTERS by WeChatConfig.ready).

`deliver` runs after the reply was committed, outside any transaction; raising makes the
dispatcher retry with backoff. The delivery state is kept on the timeline entry
(`Interaction.data["delivery"]`: queued → sent / retrying / failed), as the email channel does.
"""

from __future__ import annotations

from typing import Any

from herdesk.tickets.services import interaction_delivery_record

from .client import send_text


def _mark(message: Any, status: str, **extra: Any) -> None:
    pk = (message.payload or {}).get("interaction")
    if pk:
        interaction_delivery_record(interaction_id=pk, status=status, **extra)


class WeChatAdapter:
    @staticmethod
    def deliver(message: Any) -> None:
        text = str((message.payload or {}).get("text") or "")
        if not message.recipient or not text:
            raise ValueError("wechat outbox message without recipient or text")
        send_text(openid=message.recipient, text=text)
        _mark(message, "sent")

    @staticmethod
    def failed(message: Any, error: str, final: bool) -> None:
        _mark(message, "failed" if final else "retrying", error=error[:300])
