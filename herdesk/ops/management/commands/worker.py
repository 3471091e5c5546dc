from __future__ import annotations

import os
import socket
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _


def broker_required() -> str:
    """The broker URL; refuses the in-memory broker, which no other process can reach."""
    url = str(getattr(settings, "CELERY_BROKER_URL", ""))
    if not url or url.startswith("memory://"):
        raise CommandError(
            _(
                "Celery needs a broker shared by every process: set REDIS_URL (e.g. "
                "redis://127.0.0.1:6379/0). Without it, `herdesk serve` runs the periodic tasks itself."
            )
        )
    return url


class Command(BaseCommand):
    help = "Run a Celery worker (clock sweep, outbox dispatch, mailbox polling); needs REDIS_URL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--concurrency",
            type=int,
            default=int(os.environ.get("HERDESK_WORKER_CONCURRENCY", "2")),
            help="worker processes (default 2, or HERDESK_WORKER_CONCURRENCY)",
        )
        parser.add_argument("--name", default="", help="node name (default herdesk@HOSTNAME-PID)")
        parser.add_argument("--loglevel", default=os.environ.get("HERDESK_LOG_LEVEL", "INFO"))
        parser.add_argument("--pool", default="prefork", choices=["prefork", "solo", "threads"])

    def argv(self, opts: dict[str, Any]) -> list[str]:
        name = opts["name"] or f"herdesk@{socket.gethostname()}-{os.getpid()}"
        return [
            "worker",
            f"--loglevel={opts['loglevel']}",
            f"--concurrency={opts['concurrency']}",
            f"--pool={opts['pool']}",
            f"--hostname={name}",
            # Periodic tasks need no gossip between nodes; skipping it makes start-up and
            # restart after a crash faster.
            "--without-gossip",
            "--without-mingle",
        ]

    def handle(self, *args: Any, **opts: Any) -> None:
        broker_required()
        from config.celery import app

        app.worker_main(argv=self.argv(opts))
