"""The embedded scheduler: one daemon thread in `herdesk serve` running the periodic tasks
(clock sweep, outbox dispatch). At scale Celery beat runs the same task functions instead.
Everything it does is persisted, so a restart simply catches up (OPS-2)."""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections

log = logging.getLogger("herdesk.scheduler")


def run_periodic_tasks() -> None:
    from herdesk.chat.services import chat_sweep
    from herdesk.clocks.services import clock_sweep
    from herdesk.mail.services import mail_poll_all
    from herdesk.notifications.services import outbox_dispatch
    from herdesk.notifications.staff_notices import notification_digest_send

    for name, fn in (
        ("clock_sweep", clock_sweep),
        # Unattended chats become tickets (first-response clock) in the embedded mode too (INT-2).
        ("chat_sweep", chat_sweep),
        ("mail_poll_all", mail_poll_all),
        ("notification_digest", notification_digest_send),  # e-mail digests (each at most daily)
        ("outbox_dispatch", outbox_dispatch),
    ):
        try:
            fn()
        except Exception:  # one failing task must not stop the others or the thread
            log.exception("periodic task %s failed", name)


class SchedulerThread(threading.Thread):
    def __init__(self, interval: float) -> None:
        super().__init__(name="herdesk-scheduler", daemon=True)
        self.interval = interval
        self.stopping = threading.Event()

    def run(self) -> None:
        log.info("embedded scheduler started (every %ss)", self.interval)
        while not self.stopping.is_set():
            started = time.monotonic()
            close_old_connections()
            run_periodic_tasks()
            close_old_connections()
            self.stopping.wait(max(1.0, self.interval - (time.monotonic() - started)))
