from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Herdesk (HTTP, API, WebSockets) with uvicorn; runs the embedded scheduler when configured."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
        parser.add_argument("--no-scheduler", action="store_true", help="do not start the embedded scheduler")

    def handle(self, *args: Any, **opts: Any) -> None:
        import uvicorn

        from herdesk.common.scheduler import SchedulerThread

        if settings.HERDESK_EMBEDDED_SCHEDULER and not opts["no_scheduler"]:
            if opts["workers"] > 1:
                self.stderr.write(
                    "Several workers: run `herdesk beat` + `herdesk worker` for the periodic tasks."
                )
            else:
                SchedulerThread(settings.HERDESK_SWEEP_INTERVAL_SECONDS).start()
        self.stdout.write(f"Herdesk on http://{opts['host']}:{opts['port']}/")
        uvicorn.run(
            "config.asgi:application",
            host=opts["host"],
            port=opts["port"],
            workers=opts["workers"],
            log_level="info",
            lifespan="off",
        )
