"""SMS backends: one small interface, chosen by the setting ``HERDESK_SMS_BACKEND`` (a dotted path).

A real provider adapter (HTTP gateway) implements `SmsBackend.send` and raises `SmsError` when the
provider refuses or cannot be reached; nothing else in the project needs to change.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from dataclasses import dataclass

from herdesk.common.errors import DomainError
from herdesk.common.pii import mask_phone

log = logging.getLogger("herdesk.sms")


@dataclass(frozen=True)
class SmsMessage:
    phone: str  # E.164, already normalised by send_sms
    text: str
    purpose: str


class SmsError(DomainError):
    """The provider did not accept the message (network, quota, rejected template)."""

    code = "sms_failed"
    status = 502


class SmsBackend:
    """Base class. `send` returns the provider's message id."""

    def send(self, message: SmsMessage) -> str:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleBackend(SmsBackend):
    """Default for the embedded install and development: writes each text to the log.

    The number is masked (SEC-1) and so are the codes in the text (issue #14: a sign-in code in a
    shared or shipped log lets anyone who reads the log sign in as the customer). The full text goes
    to HERDESK_SMS_CONSOLE_FILE (var/sms-console.log, created 0600), where a developer of the
    embedded install reads the demo sign-in code. Do not use in production.
    """

    def send(self, message: SmsMessage) -> str:
        import os

        from django.conf import settings

        message_id = f"console-{uuid.uuid4().hex[:12]}"
        path = getattr(settings, "HERDESK_SMS_CONSOLE_FILE", "")
        log.info(
            "SMS to %s [%s] %s: %s%s",
            mask_phone(message.phone),
            message.purpose,
            message_id,
            _CODE_RE.sub(lambda m: "*" * len(m.group(0)), message.text),
            f" (full text in {path})" if path else "",
        )
        if path:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                line = f"{message_id} {mask_phone(message.phone)} [{message.purpose}] {message.text}\n"
                os.write(fd, line.encode())
            finally:
                os.close(fd)
        return message_id


# Codes in texts: 4 to 8 digits standing alone.
_CODE_RE = re.compile(r"(?<!\d)\d{4,8}(?!\d)")


# Messages "sent" by LocmemBackend, for tests (like Django's locmem email backend).
outbox: list[SmsMessage] = []
_outbox_lock = threading.Lock()


class LocmemBackend(SmsBackend):
    def send(self, message: SmsMessage) -> str:
        with _outbox_lock:
            outbox.append(message)
        return f"locmem-{len(outbox)}"


class FailingBackend(SmsBackend):
    """Always refuses: lets tests prove that a provider failure never becomes a 5xx page."""

    def send(self, message: SmsMessage) -> str:
        raise SmsError("SMS provider unavailable", code="sms_failed")
