"""Structured logs (OPS-3): one JSON object a line with the request id, the user id and the ticket
number of the work in progress, and no personal data.

The context lives in context variables, set by herdesk.ops.middleware.RequestContextMiddleware for
a request (request id from X-Request-ID or a fresh one, the signed-in user's id, the ticket number
of a /tickets/<number>/ page) and by `log_context(ticket=…)` anywhere else (a Celery task, the
sweep). `LogContextFilter` copies them onto every record and masks what looks like a mobile number
or an email address in the message: PIPL/SEC-1 — log files are read by more people, and kept
longer, than the encrypted contact columns.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str] = ContextVar("herdesk_request_id", default="")
user_var: ContextVar[str] = ContextVar("herdesk_user", default="")
ticket_var: ContextVar[str] = ContextVar("herdesk_ticket", default="")

_VARS = {"request_id": request_id_var, "user": user_var, "ticket": ticket_var}

# Chinese mobile numbers (with or without +86 and spacing) and email addresses.
_PHONE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def redact(text: str) -> str:
    """Mask mobile numbers (keep the first 3 and last 4 digits) and email addresses (keep the domain)."""

    def phone(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))[-11:]
        return f"{digits[:3]}****{digits[-4:]}"

    return _EMAIL.sub(lambda m: "***@" + m.group(0).rpartition("@")[2], _PHONE.sub(phone, text))


class LogContextFilter(logging.Filter):
    """Adds request_id, user and ticket to every record; masks personal data in the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in _VARS.items():
            if not getattr(record, name, ""):
                setattr(record, name, var.get())
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it to the handler, as logging does
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


@contextmanager
def log_context(**values: Any) -> Iterator[None]:
    """Set request_id / user / ticket for the records logged inside the block."""
    tokens = [(_VARS[k], _VARS[k].set(str(v or ""))) for k, v in values.items() if k in _VARS]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)
