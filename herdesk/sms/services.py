"""Sending one SMS through the configured backend (`HERDESK_SMS_BACKEND`), and a handler's
progress update by SMS (HND-6) through the notifications outbox.

Callers that change the database send *after commit* (``transaction.on_commit``) or through the
notifications outbox, so a rolled-back change never texts anybody.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.common.pii import normalise_phone
from herdesk.customers.selectors import contact_primary
from herdesk.notifications.services import outbox_enqueue_many
from herdesk.tickets.choices import Direction, InteractionKind
from herdesk.tickets.services import interaction_add

from .backends import SmsMessage
from .choices import SmsPurpose
from .selectors import sms_backend

# Seven concatenated segments of 70 Chinese characters; longer texts belong in email or the portal.
MAX_TEXT = 490


@dataclass(frozen=True)
class SmsResult:
    message_id: str
    phone: str


def send_sms(*, phone: str, text: str, purpose: str) -> SmsResult:
    """Send `text` to `phone` (any form `normalise_phone` accepts) for `purpose` (SmsPurpose).

    No database writes, no locks. Raises ValidationError (keyed by field) for bad input and
    `herdesk.sms.backends.SmsError` when the provider refuses.
    """
    errors: dict[str, str] = {}
    e164 = ""
    try:
        e164 = normalise_phone(phone)
        if not e164:
            errors["phone"] = _("This field is required.")
    except ValidationError as exc:
        errors["phone"] = exc.messages[0]
    text = (text or "").strip()
    if not text:
        errors["text"] = _("This field is required.")
    elif len(text) > MAX_TEXT:
        errors["text"] = _("At most %(n)d characters (got %(got)d).") % {"n": MAX_TEXT, "got": len(text)}
    if purpose not in SmsPurpose.values:
        errors["purpose"] = _("“%(value)s” is not one of: %(choices)s.") % {
            "value": str(purpose)[:40],
            "choices": ", ".join(SmsPurpose.values),
        }
    if errors:
        raise ValidationError(errors)
    message_id = sms_backend().send(SmsMessage(phone=e164, text=text, purpose=purpose))
    return SmsResult(message_id=message_id, phone=e164)


def contact_for_sms(ticket: Any) -> Any:
    """The contact to text: the ticket's own if it has a phone, else the customer's primary (then
    oldest) contact with one; None when nobody has a phone number."""
    contact = ticket.contact
    if contact is not None and contact.phone_bidx:
        return contact

    return contact_primary(customer=ticket.customer, reachable_by="phone")


def notice_recipient(ticket: Any) -> str:
    """Whom a customer notice by text message goes to: "contact:<pk>" of `contact_for_sms` (the
    number stays in the encrypted contact row), "" when nobody has a phone number. Registered with
    herdesk.notifications.registry by this app's ready()."""
    c = contact_for_sms(ticket)
    return f"contact:{c.pk}" if c is not None else ""


@transaction.atomic
def sms_progress_send(*, ticket: Any, actor: Any, body: str, at: datetime | None = None) -> Any:
    """A progress update texted to the customer (HND-6): a public outbound timeline entry and an
    outbox row of channel "sms" in one transaction; the outbox adapter (outbound.py) sends it after
    commit, with retries, and records the delivery on the entry. The outbox row names the contact,
    not the number (personal data stays in the encrypted contact row). Locks the ticket (through
    interaction_add). Raises ValidationError when the text is empty or too long or nobody has a
    phone number."""

    body = (body or "").strip()
    errors: dict[str, str] = {}
    if not body:
        errors["body"] = _("This field is required.")
    elif len(body) > MAX_TEXT:
        errors["body"] = _("At most %(n)d characters (got %(got)d).") % {"n": MAX_TEXT, "got": len(body)}
    contact = contact_for_sms(ticket)
    if contact is None:
        errors["to"] = _("This customer has no phone number to text.")
    if errors:
        raise ValidationError(errors)
    at = at or timezone.now()
    interaction = interaction_add(
        ticket=ticket,
        actor=actor,
        body=body,
        kind=InteractionKind.SMS,
        direction=Direction.OUTBOUND,
        is_public=True,
        occurred_at=at,
        data={"progress_update": True, "delivery": {"status": "queued", "at": at.isoformat()}},
    )
    outbox_enqueue_many(
        [
            {
                "dedupe_key": f"sms:interaction:{interaction.pk}",
                "channel": "sms",
                "recipient": f"contact:{contact.pk}",
                "template": SmsPurpose.TICKET_PROGRESS,
                "payload": {"text": body, "interaction": interaction.pk},
                "ticket_id": ticket.pk,
            }
        ]
    )
    return interaction
