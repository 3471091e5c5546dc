"""Normalising and masking personal data (SEC-1). Masking is what every list and page shows."""

from __future__ import annotations

import re

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


# --- masking free text and raw messages (issue #14: raw downloads for roles that see masked data) ---

_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Mobile numbers (optionally +86), ID card numbers, landlines with an area code.
_MOBILE_RE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
_ID_RE = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_LANDLINE_RE = re.compile(r"(?<!\d)(0\d{2,3})[- ]?(\d{3,4})[- ]?(\d{4})(?!\d)")


def mask_free_text(text: str) -> str:
    """Mask the email addresses, mobile and landline numbers and ID numbers found in free text."""
    if not text:
        return ""
    text = _EMAIL_RE.sub(lambda m: mask_email(m.group(0)), text)
    text = _ID_RE.sub(lambda m: m.group(1) + "********" + m.group(2), text)
    text = _MOBILE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
    return _LANDLINE_RE.sub(lambda m: m.group(1) + "-****" + m.group(3), text)


def mask_raw_message(raw: bytes, *, channel: str) -> bytes:
    """A masked rendering of a raw inbound message for people who may not see personal data: an
    email is parsed (so base64 and quoted-printable bodies are decoded before masking), its
    headers and text parts masked, its attachments listed by name, type and size only; any other
    payload is decoded as UTF-8 text and masked. Never the original bytes."""
    if channel != "email":
        return mask_free_text(raw.decode("utf-8", errors="replace")).encode()
    from email import message_from_bytes, policy

    msg = message_from_bytes(raw, policy=policy.default)
    lines = ["# Masked copy: personal data hidden (SEC-1). / 已脱敏副本：个人信息已隐藏。", ""]
    for name in ("From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To"):
        for value in msg.get_all(name, []):
            lines.append(f"{name}: {mask_free_text(str(value))}")
    lines.append("")
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = part.get_filename()
        if filename or not ctype.startswith("text/"):
            size = len(bytes(part.get_payload(decode=True) or b""))
            lines.append(f"[attachment: {mask_free_text(filename or '')} ({ctype}, {size} bytes)]")
            continue
        try:
            body = part.get_content()
        except (LookupError, ValueError):
            body = bytes(part.get_payload(decode=True) or b"").decode("utf-8", errors="replace")
        lines.append(f"--- {ctype} ---")
        lines.append(mask_free_text(str(body)))
    return "\n".join(lines).encode()
