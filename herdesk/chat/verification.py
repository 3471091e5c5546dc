"""Phone verification of a chat visitor (issue #14 "Trust", INT-7, SEC-1).

A visitor who types a phone number in the chat widget is matched to a customer by the number alone,
which anybody can type. Until they prove they hold that phone, the conversation is "not verified":
the agent sees the name they gave, never the record's history, organisation, tier or number
(`selectors.customer_context`). `verification_request` sends a 6-digit code by SMS to the number of
the matched contact (at most once a minute; valid 10 minutes; stored as a keyed hash);
`verification_check` accepts it (5 attempts per code), sets `verified_at` and tells the agent console.
Both are audited. Signed-in portal customers are verified by their sign-in.

The SMS goes through HERDESK_CHAT_SMS_SENDER (default `herdesk.sms.services.send_sms`): the chat
channel does not import another channel (import-linter "channels" contract).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.common.crypto import blind_index
from herdesk.common.errors import DomainError
from herdesk.common.pii import mask_phone

from .choices import Identity
from .models import Conversation
from .services import AGENTS_GROUP, _publish, agent_group, queue_payload

log = logging.getLogger(__name__)
CODE_TTL = timedelta(minutes=10)
RESEND_AFTER = timedelta(seconds=60)
MAX_ATTEMPTS = 5


def is_verified(c: Conversation) -> bool:
    return c.identity == Identity.PORTAL or c.verified_at is not None


def _hash(c: Conversation, code: str) -> str:
    sent = c.verify_sent_at.isoformat() if c.verify_sent_at else ""
    return blind_index(code, context=f"chat.verify:{c.public_id}:{sent}")


def _send(phone: str, text: str) -> None:
    try:
        path = getattr(settings, "HERDESK_CHAT_SMS_SENDER", "herdesk.sms.services.send_sms")
        sender = import_string(path)
        sender(phone=phone, text=text, purpose="login_code")
    except Exception:  # the visitor may ask again after a minute
        log.exception("chat verification code to %s could not be sent", mask_phone(phone))


@transaction.atomic
def verification_request(*, conversation_pk: int, now: datetime | None = None) -> Conversation:
    """Send a verification code to the phone of the conversation's contact (see the module doc)."""
    now = now or timezone.now()
    c = Conversation.objects.select_for_update(of=("self",)).get(pk=conversation_pk)
    if is_verified(c):
        return c
    phone = c.contact.phone if c.contact_id and c.contact else ""
    if c.identity != Identity.PHONE or not phone:
        raise DomainError(_("There is no phone number to verify."), code="verify_no_phone", status=400)
    if c.verify_sent_at and now - c.verify_sent_at < RESEND_AFTER:
        raise DomainError(
            _("A code was sent less than a minute ago. Please wait before asking again."),
            code="verify_wait",
            status=429,
        )
    code = f"{secrets.randbelow(10**6):06d}"
    c.verify_sent_at = now
    c.verify_code_hash = _hash(c, code)
    c.verify_attempts = 0
    c.save(update_fields=["verify_sent_at", "verify_code_hash", "verify_attempts"])
    audit_record(actor=None, action="chat.verify_sent", object_type="conversation", object_id=c.pk, data={})
    text = _("Your Herdesk chat verification code is %(code)s (valid 10 minutes).") % {"code": code}
    transaction.on_commit(lambda: _send(phone, text))
    return c


def verification_check(*, conversation_pk: int, code: str, now: datetime | None = None) -> Conversation:
    """Accept the code: the conversation becomes verified (module doc). Raises DomainError — after
    committing the failed attempt, so that it counts."""
    c, error = _check(conversation_pk=conversation_pk, code=code, now=now or timezone.now())
    if error is not None:
        raise error
    return c


@transaction.atomic
def _check(*, conversation_pk: int, code: str, now: datetime) -> tuple[Conversation, DomainError | None]:

    c = Conversation.objects.select_for_update(of=("self",)).get(pk=conversation_pk)
    if is_verified(c):
        return c, None
    code = (code if isinstance(code, str) else "").strip()
    if not c.verify_code_hash or not c.verify_sent_at or now - c.verify_sent_at > CODE_TTL:
        return c, DomainError(
            _("The code has expired. Ask for a new one."), code="verify_expired", status=400
        )
    if c.verify_attempts >= MAX_ATTEMPTS:
        return c, DomainError(_("Too many wrong codes. Ask for a new one."), code="verify_locked", status=429)
    if not (code.isdigit() and len(code) == 6 and hmac.compare_digest(_hash(c, code), c.verify_code_hash)):
        c.verify_attempts += 1
        c.save(update_fields=["verify_attempts"])
        audit_record(
            actor=None,
            action="chat.verify_failed",
            object_type="conversation",
            object_id=c.pk,
            data={"attempts": c.verify_attempts},
        )
        return c, DomainError(_("That code is not right."), code="verify_wrong", status=400)
    c.verified_at = now
    c.verify_code_hash = ""
    c.save(update_fields=["verified_at", "verify_code_hash"])
    audit_record(
        actor=None,
        action="chat.verified",
        object_type="conversation",
        object_id=c.pk,
        data={"customer": c.customer_id},
    )
    _publish(AGENTS_GROUP, queue_payload(c))
    if c.agent_id:
        _publish(agent_group(c.agent_id), {"type": "verified", "conversation": str(c.public_id)})
    return c, None
