from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from herdesk.clocks.services import clock_sweep
from herdesk.notifications.services import outbox_dispatch


class Command(BaseCommand):
    help = "Run one clock sweep and one outbox dispatch now."

    def handle(self, *args: Any, **opts: Any) -> None:
        r = clock_sweep()
        d = outbox_dispatch()
        self.stdout.write(
            f"sweep: {r.breaches} breaches, {r.warnings} warnings in {r.duration_ms:.1f} ms; "
            f"outbox: {d['sent']} sent, {d['failed']} failed"
        )
