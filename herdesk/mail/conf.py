"""Email channel settings with their defaults (config/settings/base.py, "email channel" block)."""

from __future__ import annotations

from django.conf import settings


def _get(name: str, default: int | str) -> int | str:
    return getattr(settings, name, default)


def max_bytes() -> int:
    """Larger mail is kept raw but not unpacked; the sender gets a polite notice."""
    return int(_get("HERDESK_MAIL_MAX_BYTES", 25 * 1024 * 1024))


def attachment_max_bytes() -> int:
    return int(_get("HERDESK_MAIL_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024))


def attachments_per_message() -> int:
    return int(_get("HERDESK_MAIL_ATTACHMENTS_PER_MESSAGE", 50))


def autoreply_daily_cap() -> int:
    """RFC 3834 §2: automatic replies per recipient per day."""
    return int(_get("HERDESK_MAIL_AUTOREPLY_DAILY_CAP", 5))


def max_past_days() -> int:
    return int(_get("HERDESK_MAIL_MAX_PAST_DAYS", 7))


def poll_batch() -> int:
    return int(_get("HERDESK_MAIL_POLL_BATCH", 200))


def poll_interval_seconds() -> int:
    return int(_get("HERDESK_MAIL_POLL_INTERVAL_SECONDS", 60))


def imap_timeout() -> int:
    return int(_get("HERDESK_MAIL_IMAP_TIMEOUT_SECONDS", 30))


def loop_id() -> str:
    """Our X-Loop value; mail carrying it is our own coming back."""
    return str(_get("HERDESK_MAIL_LOOP_ID", "herdesk")).strip().lower()


def smtpd_max_bytes() -> int:
    """The SMTP receiver refuses (552) only above this; between max_bytes() and this, mail is kept."""
    return int(_get("HERDESK_SMTPD_MAX_BYTES", 4 * max_bytes()))


def default_from() -> str:
    return str(_get("DEFAULT_FROM_EMAIL", "webmaster@localhost"))
