"""The embedded scheduler: one daemon thread in `herdesk serve` running the periodic jobs of
herdesk.ops.jobs (clock sweep, chat sweep, mail poll, inbound drain, outbox dispatch). At scale
Celery beat runs the same list instead. Everything a job does is persisted, so a restart simply
catches up (OPS-2).

The thread wakes every `interval` seconds (HERDESK_SWEEP_INTERVAL_SECONDS) and runs each job whose
own interval has passed since it last ran; a job with a shorter interval runs on every wake-up.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.db import close_old_connections

from .jobs import PeriodicJob, jobs_installed, log, run_periodic_tasks

__all__ = ["SchedulerThread", "run_periodic_tasks"]


class SchedulerThread(threading.Thread):
    def __init__(self, interval: float) -> None:
        super().__init__(name="herdesk-scheduler", daemon=True)
        self.interval = interval
        self.stopping = threading.Event()
        self._last: dict[str, float] = {}

    def due(self, now: float) -> list[PeriodicJob]:
        out = []
        for job in jobs_installed():
            every = float(getattr(settings, job.every, self.interval))
            last = self._last.get(job.name)
            if last is None or now - last >= every - 0.5:  # half a second of slack for the wake-up
                out.append(job)
                self._last[job.name] = now
        return out

    def run(self) -> None:
        log.info("embedded scheduler started (every %ss)", self.interval)
        while not self.stopping.is_set():
            started = time.monotonic()
            close_old_connections()
            run_periodic_tasks(self.due(started))
            close_old_connections()
            self.stopping.wait(max(1.0, self.interval - (time.monotonic() - started)))
