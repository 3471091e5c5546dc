from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from .worker import broker_required


class Command(BaseCommand):
    help = (
        "Run Celery beat: schedules the clock sweep, outbox dispatch and mailbox polling "
        "(CELERY_BEAT_SCHEDULE). Run exactly one per deployment; needs REDIS_URL."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loglevel", default=os.environ.get("HERDESK_LOG_LEVEL", "INFO"))
        parser.add_argument(
            "--schedule-file",
            default=str(settings.CELERY_BEAT_SCHEDULE_FILENAME),
            help="where beat keeps its last-run times",
        )

    def argv(self, opts: dict[str, Any]) -> list[str]:
        return ["beat", f"--loglevel={opts['loglevel']}", f"--schedule={opts['schedule_file']}"]

    def handle(self, *args: Any, **opts: Any) -> None:
        broker_required()
        from config.celery import app

        os.makedirs(os.path.dirname(os.path.abspath(opts["schedule_file"])), exist_ok=True)
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
            self.stdout.write(f"beat: {name} → {entry['task']} every {entry['schedule']} s")
        app.start(argv=self.argv(opts))
