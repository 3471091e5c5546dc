"""`herdesk smtpd --host H --port P`: receive mail for our mailboxes by SMTP (aiosmtpd)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from herdesk.mail.smtpd import SmtpServer


class Command(BaseCommand):
    help = "Receive email by SMTP: store each message (250 after commit, 451 on failure), then process it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)

    def handle(self, *args: Any, **opts: Any) -> None:
        server = SmtpServer(host=opts["host"], port=opts["port"]).start()
        self.stdout.write(f"herdesk smtpd listening on {opts['host']}:{server.port} (Ctrl+C stops)")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_a: stop.set())
        try:
            stop.wait()
        finally:
            server.stop()
            self.stdout.write("herdesk smtpd stopped")
