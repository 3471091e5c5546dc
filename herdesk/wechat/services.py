"""Writes of the WeChat channel: an agent's reply goes onto the timeline and into the outbox in one
transaction; the outbox adapter (outbound.py) sends it through the customer-service message API
after commit, with retries (DESIGN: nothing is sent from inside a request)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.notifications.services import outbox_enqueue_many
from herdesk.tickets.choices import Channel, Direction, InteractionKind
from herdesk.tickets.services import interaction_add

from .choices import OutboundTemplate

MAX_TEXT = 2000  # WeChat's customer-service text limit is 2048 bytes of content; stay below it


def openid_for(ticket: Any) -> str:
    """The openid to answer: the ticket's contact, else the customer's most recent WeChat contact."""
    contact = ticket.contact
    if contact is not None and contact.wechat_openid:
        return str(contact.wechat_openid)
    other = ticket.customer.contacts.exclude(wechat_openid="").order_by("-id").first()
    return str(other.wechat_openid) if other is not None else ""


@transaction.atomic
def wechat_reply_send(*, ticket: Any, actor: Any, body: str, now: datetime | None = None) -> Any:
    """Reply to the customer on WeChat: a public outbound interaction (the first one stops the
    first-response clock, INT-2) and an outbox row of channel "wechat" in the same transaction.
    Raises ValidationError when the text is empty or too long, or the customer has no openid."""

    body = (body or "").strip()
    errors: dict[str, str] = {}
    if not body:
        errors["body"] = _("This field is required.")
    elif len(body) > MAX_TEXT:
        errors["body"] = _("At most %(n)d characters (got %(got)d).") % {"n": MAX_TEXT, "got": len(body)}
    openid = openid_for(ticket)
    if not openid:
        errors["ticket"] = _("This customer has no WeChat account to reply to.")
    if errors:
        raise ValidationError(errors)
    interaction = interaction_add(
        ticket=ticket,
        actor=actor,
        body=body,
        kind=InteractionKind.WECHAT,
        direction=Direction.OUTBOUND,
        channel=Channel.WECHAT,
        occurred_at=now,
        data={"delivery": {"status": "queued", "at": (now or timezone.now()).isoformat()}},
    )
    outbox_enqueue_many(
        [
            {
                "dedupe_key": f"wechat:interaction:{interaction.pk}",
                "channel": "wechat",
                "recipient": openid,
                "template": OutboundTemplate.TEXT,
                "payload": {"text": body, "interaction": interaction.pk},
                "ticket_id": ticket.pk,
            }
        ]
    )
    return interaction
