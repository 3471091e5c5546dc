"""Celery task wrappers for the periodic work (OPS-2). Beat schedules them (settings
CELERY_BEAT_SCHEDULE); any worker may run them, several at once: the functions they call are safe
to run concurrently (row locks with SKIP LOCKED, unique incident and dedupe keys), so a worker killed
mid-task loses nothing: the next run picks up what it had not committed.

The embedded scheduler thread (herdesk.common.scheduler) calls the same service functions.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(name="herdesk.clock_sweep", ignore_result=True)
def clock_sweep() -> dict[str, Any]:
    from herdesk.clocks.services import clock_sweep as sweep

    r = sweep()
    return {"breaches": r.breaches, "warnings": r.warnings, "duration_ms": round(r.duration_ms, 1)}


@shared_task(name="herdesk.outbox_dispatch", ignore_result=True)
def outbox_dispatch() -> dict[str, int]:
    from herdesk.notifications.services import outbox_dispatch as dispatch

    return dispatch()


@shared_task(name="herdesk.notification_digest", ignore_result=True)
def notification_digest() -> int:
    from herdesk.notifications.staff_notices import notification_digest_send

    return notification_digest_send()


def mail_poll_function() -> Any | None:
    """`herdesk.mail.services.mail_poll_all` if the email app is installed, else None."""
    from django.apps import apps

    if not apps.is_installed("herdesk.mail"):
        return None
    try:
        module = importlib.import_module("herdesk.mail.services")
    except ImportError:
        return None
    return getattr(module, "mail_poll_all", None)


@shared_task(name="herdesk.mail_poll_all", ignore_result=True)
def mail_poll_all() -> Any:
    fn = mail_poll_function()
    if fn is None:
        log.info("mail polling is not installed (no herdesk.mail.services.mail_poll_all)")
        return None
    return fn()
