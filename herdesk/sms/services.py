"""Sending one SMS through the configured backend (`HERDESK_SMS_BACKEND`).

Callers that change the database send *after commit* (``transaction.on_commit``) or through the
notifications outbox, so a rolled-back change never texts anybody.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from herdesk.common.pii import normalise_phone

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
