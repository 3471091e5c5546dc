"""Normalising and masking personal data (SEC-1). Masking is what every list and page shows."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DEFAULT_REGION = "CN"


def normalise_phone(raw: str) -> str:
    """Return E.164 (+8613812348000) or raise ValidationError with a readable message."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(_("“%(value)s” is not a phone number."), params={"value": raw[:40]})
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(_("“%(value)s” is not a phone number."), params={"value": raw[:40]})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    return (raw or "").strip().lower()


def mask_phone(e164: str) -> str:
    """+8613812348000 → 138****8000 (national number, middle four hidden)."""
    if not e164:
        return ""
    digits = e164[3:] if e164.startswith("+86") else e164.lstrip("+")
    if len(digits) <= 7:
        return digits[:2] + "*" * max(len(digits) - 4, 1) + digits[-2:]
    return digits[:3] + "****" + digits[-4:]


def mask_email(email: str) -> str:
    if not email or "@" not in email:
        return "***" if email else ""
    local, domain = email.split("@", 1)
    return (local[:1] or "*") + "***@" + domain


def mask_text(text: str, keep: int = 2) -> str:
    """Addresses and ID numbers: keep the first characters only."""
    if not text:
        return ""
    return text[:keep] + "*" * min(max(len(text) - keep, 1), 8)
