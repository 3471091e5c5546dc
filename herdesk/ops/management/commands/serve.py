from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from herdesk.ops import metrics
from herdesk.ops.scheduler import SchedulerThread


class Command(BaseCommand):
    help = (
        "Serve Herdesk (HTTP, API, WebSockets) with uvicorn: --workers N starts N worker processes. "
        "Runs the embedded scheduler when configured (HERDESK_EMBEDDED_SCHEDULER)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HERDESK_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("HERDESK_PORT", "8000")))
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("HERDESK_WEB_WORKERS", "1")),
            help="uvicorn worker processes (default 1, or HERDESK_WEB_WORKERS); about one per core",
        )
        parser.add_argument("--no-scheduler", action="store_true", help="do not start the embedded scheduler")
        parser.add_argument(
            "--no-access-log", action="store_true", help="do not log every request (saves CPU under load)"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        import uvicorn

        workers = opts["workers"]
        if workers < 1:
            raise CommandError(_("--workers must be at least 1."))
        if settings.HERDESK_EMBEDDED_SCHEDULER and not opts["no_scheduler"]:
            # With several workers uvicorn's parent process only supervises them (they are spawned,
            # not forked, so they do not inherit this thread): the one scheduler runs there. At
            # scale (REDIS_URL) the embedded scheduler is off and `herdesk beat` runs it instead.
            SchedulerThread(settings.HERDESK_SWEEP_INTERVAL_SECONDS).start()
        if workers > 1:
            # One scrape target per instance: the workers share their metrics through files in
            # this directory (prometheus_client's multiprocess mode; herdesk.ops.metrics). Set
            # before uvicorn spawns them, so each worker inherits it.
            path = os.environ.get(metrics.MULTIPROC_ENV) or str(
                settings.VAR_DIR / "prometheus" / str(opts["port"])
            )
            metrics.multiprocess_prepare(path)
            os.environ[metrics.MULTIPROC_ENV] = path
        self.stdout.write(f"Herdesk on http://{opts['host']}:{opts['port']}/ ({workers} worker(s))")
        uvicorn.run(
            "config.asgi:application",
            host=opts["host"],
            port=opts["port"],
            workers=workers,
            log_level="info",
            access_log=not opts["no_access_log"],
            # Phone numbers and emails typed into look-ups are masked in the access log (issue #14).
            log_config=__import__("herdesk.common.logfilters", fromlist=["x"]).access_log_config(),
            lifespan="off",
            # Behind the proxy of the distributed layout (docs/operations.md): trust its
            # X-Forwarded-* headers only from the addresses listed here.
            proxy_headers=True,
            forwarded_allow_ips=os.environ.get("HERDESK_FORWARDED_ALLOW_IPS", "127.0.0.1"),
            timeout_graceful_shutdown=20,
        )
