"""The outbox adapter for channel "sms" (registered into
herdesk.notifications.services.OUTBOX_ADAPTERS by the sms app's ready()).

`deliver` runs after the update was committed, outside any transaction; raising makes the
dispatcher retry with backoff. The number is read from the contact at delivery (the outbox row
holds `contact:<pk>`, never the number). The delivery is kept on the timeline entry
(`Interaction.data["delivery"]`: queued → sent / retrying / failed), as email and WeChat do.
"""

from __future__ import annotations

from typing import Any

from herdesk.customers.models import Contact
from herdesk.tickets.services import interaction_delivery_record

from .choices import SmsPurpose
from .services import send_sms


def _mark(message: Any, status: str, **extra: Any) -> None:
    pk = (message.payload or {}).get("interaction")
    if pk:
        interaction_delivery_record(interaction_id=pk, status=status, **extra)


def _phone(recipient: str) -> str:
    kind, _sep, pk = (recipient or "").partition(":")
    if kind != "contact" or not pk.isdigit():
        raise ValueError(f"sms outbox recipient must be contact:<id>, got {recipient[:40]!r}")
    contact = Contact.objects.filter(pk=int(pk)).first()
    if contact is None or not contact.phone:
        raise ValueError("the contact has no phone number any more")
    return str(contact.phone)


class SmsAdapter:
    @staticmethod
    def deliver(message: Any) -> None:
        text = str((message.payload or {}).get("text") or "")
        purpose = message.template if message.template in SmsPurpose.values else SmsPurpose.NOTICE
        result = send_sms(phone=_phone(message.recipient), text=text, purpose=purpose)
        _mark(message, "sent", provider_id=result.message_id)

    @staticmethod
    def failed(message: Any, error: str, final: bool) -> None:
        _mark(message, "failed" if final else "retrying", error=error[:300])
