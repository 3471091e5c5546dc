"""Celery task wrappers for the periodic jobs (OPS-2): one task per entry of herdesk.ops.jobs
PERIODIC_JOBS, which also builds the beat schedule (settings CELERY_BEAT_SCHEDULE). Any worker may
run them, several at once: the functions they call are safe to run concurrently (row locks with SKIP
LOCKED, unique incident and dedupe keys), so a worker killed mid-task loses nothing: the next run
picks up what it had not committed.

The embedded scheduler thread (herdesk.ops.scheduler) runs the same list.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from .jobs import job_by_task, job_function, job_run

log = logging.getLogger(__name__)


@shared_task(name="herdesk.clock_sweep", ignore_result=True)
def clock_sweep() -> dict[str, Any]:
    r = job_run(job_by_task("herdesk.clock_sweep"))
    return {"breaches": r.breaches, "warnings": r.warnings, "duration_ms": round(r.duration_ms, 1)}


@shared_task(name="herdesk.outbox_dispatch", ignore_result=True)
def outbox_dispatch() -> dict[str, int]:
    result: dict[str, int] = job_run(job_by_task("herdesk.outbox_dispatch"))
    return result


@shared_task(name="herdesk.chat_sweep", ignore_result=True)
def chat_sweep() -> Any:
    return job_run(job_by_task("herdesk.chat_sweep"))


@shared_task(name="herdesk.inbound_drain", ignore_result=True)
def inbound_drain() -> Any:
    return job_run(job_by_task("herdesk.inbound_drain"))


@shared_task(name="herdesk.audit_anchor", ignore_result=True)
def audit_anchor() -> Any:
    return job_run(job_by_task("herdesk.audit_anchor"))


@shared_task(name="herdesk.kpi_rollup", ignore_result=True)
def kpi_rollup() -> Any:
    return str(job_run(job_by_task("herdesk.kpi_rollup")))


@shared_task(name="herdesk.report_pack", ignore_result=True)
def report_pack() -> Any:
    return job_run(job_by_task("herdesk.report_pack"))


@shared_task(name="herdesk.quality_sweep", ignore_result=True)
def quality_sweep() -> Any:
    return str(job_run(job_by_task("herdesk.quality_sweep")))


@shared_task(name="herdesk.notification_digest", ignore_result=True)
def notification_digest() -> Any:
    return job_run(job_by_task("herdesk.notification_digest"))


@shared_task(name="herdesk.training_sweep", ignore_result=True)
def training_sweep() -> Any:
    return job_run(job_by_task("herdesk.training_sweep"))


@shared_task(name="herdesk.maintenance_generate", ignore_result=True)
def maintenance_generate() -> Any:
    return job_run(job_by_task("herdesk.maintenance_generate"))


@shared_task(name="herdesk.emergency_sweep", ignore_result=True)
def emergency_sweep() -> Any:
    return job_run(job_by_task("herdesk.emergency_sweep"))


def mail_poll_function() -> Any | None:
    """`herdesk.mail.services.mail_poll_all` if the email app is installed, else None."""
    try:
        return job_function(job_by_task("herdesk.mail_poll_all"))
    except ImportError:
        return None


@shared_task(name="herdesk.mail_poll_all", ignore_result=True)
def mail_poll_all() -> Any:
    fn = mail_poll_function()
    if fn is None:
        log.info("mail polling is not installed (no herdesk.mail.services.mail_poll_all)")
        return None
    return fn()


@shared_task(name="herdesk.retention", ignore_result=True)
def retention() -> Any:
    return job_run(job_by_task("herdesk.retention"))


@shared_task(name="herdesk.complaints_sweep", ignore_result=True)
def complaints_sweep() -> Any:
    return str(job_run(job_by_task("herdesk.complaints_sweep")))


@shared_task(name="herdesk.followup_sweep", ignore_result=True)
def followup_sweep() -> Any:
    return job_run(job_by_task("herdesk.followup_sweep"))
