"""The embedded default's outgoing mail "server": files under var/sent-mail, like Django's file
backend, but with the recipients masked (To, Cc, Bcc: the log of sent mail is not a customer
address book; issue #14) and each file created 0600."""

from __future__ import annotations

import os
from typing import Any

from django.core.mail.backends.filebased import EmailBackend

from .pii import mask_free_text


class MaskedFileEmailBackend(EmailBackend):
    def write_message(self, message: Any) -> None:
        msg = message.message()
        for header in ("To", "Cc", "Bcc", "Reply-To"):
            values = msg.get_all(header)
            if values:
                del msg[header]
                for value in values:
                    msg[header] = mask_free_text(str(value))
        stream: Any = self.stream
        stream.write(msg.as_bytes() + b"\n")
        stream.write(b"-" * 79)
        stream.write(b"\n")

    def open(self) -> bool:
        if self.stream is None:
            fd = os.open(self._get_filename(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self.stream = os.fdopen(fd, "ab")
            return True
        return False
