"""Raised by channel handlers to send a payload to quarantine with a reason (never lost)."""

from __future__ import annotations

from .choices import ReasonCode


class Quarantine(Exception):
    """The payload cannot become a ticket or interaction: keep it for a human, with the reason.

    `message` is shown to admins (gettext, English msgid); `code` is a ReasonCode value.
    """

    def __init__(self, code: str, message: str, **detail: object) -> None:
        super().__init__(message)
        self.code = code if code in ReasonCode.values else ReasonCode.HANDLER_ERROR
        self.message = message
        self.detail = detail
