"""SMS backends: one small interface, chosen by the setting ``HERDESK_SMS_BACKEND`` (a dotted path).

A real provider adapter (HTTP gateway) implements `SmsBackend.send` and raises `SmsError` when the
provider refuses or cannot be reached; nothing else in the project needs to change.
"""

from __future__ import annotations

import logging
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

    The number is masked (SEC-1) but the text is written in full, so a developer can read a sign-in
    code from the server log. Do not use in production.
    """

    def send(self, message: SmsMessage) -> str:
        message_id = f"console-{uuid.uuid4().hex[:12]}"
        log.info(
            "SMS to %s [%s] %s: %s", mask_phone(message.phone), message.purpose, message_id, message.text
        )
        return message_id


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
