"""The periodic jobs: ONE list, used by the embedded scheduler thread (herdesk.ops.scheduler, inside
`herdesk serve`) and by Celery beat (CELERY_BEAT_SCHEDULE in config/settings/base.py is built from
it; the tasks are herdesk.ops.tasks). Adding a job is one line here (OPS-2).

Importable from the settings module: nothing here touches Django until a job runs. Every job is
safe to run late, twice or concurrently (row locks with SKIP LOCKED, unique keys), so a restart or a
killed worker only delays work, never loses or repeats it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("herdesk.scheduler")


@dataclass(frozen=True)
class PeriodicJob:
    name: str  # beat entry and log name
    task: str  # Celery task name (herdesk.ops.tasks)
    function: str  # "module:function", called without arguments
    every: str  # settings name of the interval in seconds
    app: str = ""  # run only when this app is installed ("" = always)


PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    # Warnings and breaches of the service clocks (the heartbeat of /readyz).
    PeriodicJob("clock-sweep", "herdesk.clock_sweep", "herdesk.clocks.services:clock_sweep",
                "HERDESK_SWEEP_INTERVAL_SECONDS"),
    # Unattended chats become tickets with a first-response clock (INT-2).
    PeriodicJob("chat-sweep", "herdesk.chat_sweep", "herdesk.chat.services:chat_sweep",
                "HERDESK_SWEEP_INTERVAL_SECONDS", app="herdesk.chat"),
    # Mailboxes (IMAP), each at its own interval; also drains the email backlog.
    PeriodicJob("mail-poll", "herdesk.mail_poll_all", "herdesk.mail.services:mail_poll_all",
                "HERDESK_MAIL_POLL_INTERVAL_SECONDS", app="herdesk.mail"),
    # Payloads of EVERY channel (CTI, WeChat, social, chat, email) left pending by an error.
    PeriodicJob("inbound-drain", "herdesk.inbound_drain", "herdesk.inbound.services:payloads_drain",
                "HERDESK_INBOUND_DRAIN_INTERVAL_SECONDS", app="herdesk.inbound"),
    # The signed chain head written outside the database (SEC-5: tampering is detectable).
    PeriodicJob("audit-anchor", "herdesk.audit_anchor", "herdesk.audit.services:audit_anchor",
                "HERDESK_AUDIT_ANCHOR_INTERVAL_SECONDS"),
    # KPI daily rollups: catch up missed days, recompute the last week's late events and today.
    PeriodicJob("kpi-rollup", "herdesk.kpi_rollup", "herdesk.analytics.rollup:rollup_catch_up",
                "HERDESK_KPI_ROLLUP_INTERVAL_SECONDS", app="herdesk.analytics"),
    # The month's (and quarter's) report pack on the first working day after it (KPI-2).
    PeriodicJob("report-pack", "herdesk.report_pack", "herdesk.analytics.services:report_pack_due",
                "HERDESK_REPORT_PACK_INTERVAL_SECONDS", app="herdesk.analytics"),
    # Staff e-mail digests of unread notifications (each user at most once a day; cheap when none due).
    PeriodicJob("notification-digest", "herdesk.notification_digest",
                "herdesk.notifications.staff_notices:notification_digest_send",
                "HERDESK_NOTIFICATION_DIGEST_INTERVAL_SECONDS"),
    # Retention: the monthly archive of finished records and the purge of what is past its retention
    # (CLS-3, SEC-4); does only what is due.
    PeriodicJob("retention", "herdesk.retention", "herdesk.privacy.retention:retention_run",
                "HERDESK_RETENTION_INTERVAL_SECONDS", app="herdesk.privacy"),
    # Training (STF-2): onboarding plans whose last day has come complete; overdue assignments told.
    PeriodicJob("training-sweep", "herdesk.training_sweep", "herdesk.training.services:training_sweep",
                "HERDESK_TRAINING_SWEEP_INTERVAL_SECONDS", app="herdesk.training"),
    # Complaints (CMP-3, CMP-5): CAPA and regulator deadlines, the +30/+90-day effectiveness checks,
    # and complaint records for complaint tickets written without one.
    PeriodicJob("complaints-sweep", "herdesk.complaints_sweep",
                "herdesk.complaints.services:complaints_sweep",
                "HERDESK_COMPLAINTS_SWEEP_INTERVAL_SECONDS", app="herdesk.complaints"),
    # Follow-up tasks for new resolutions, reopened tickets' tasks cancelled, review deadlines (CLS-2).
    PeriodicJob("followup-sweep", "herdesk.followup_sweep", "herdesk.followup.services:followup_sweep",
                "HERDESK_FOLLOWUP_SWEEP_INTERVAL_SECONDS", app="herdesk.followup"),
    # Supervision (issue #17): reviews past their 3-working-day dispute window become final; the
    # per-agent daily rollups of the agent scorecards catch up.
    PeriodicJob("quality-sweep", "herdesk.quality_sweep", "herdesk.quality.services:quality_sweep",
                "HERDESK_QUALITY_SWEEP_INTERVAL_SECONDS", app="herdesk.quality"),
    # Preventive maintenance work orders due within each plan's lead time (FLD-3; idempotent).
    PeriodicJob("maintenance-generate", "herdesk.maintenance_generate",
                "herdesk.field.services:maintenance_generate", "HERDESK_MAINTENANCE_INTERVAL_SECONDS",
                app="herdesk.field"),
    # Emergencies (EMG-1): drill reminders to the responders, level response deadlines overdue.
    PeriodicJob("emergency-sweep", "herdesk.emergency_sweep", "herdesk.emergency.drills:emergency_sweep",
                "HERDESK_EMERGENCY_SWEEP_INTERVAL_SECONDS", app="herdesk.emergency"),
    # Last: what the jobs above enqueued goes out in the same round.
    PeriodicJob("outbox-dispatch", "herdesk.outbox_dispatch",
                "herdesk.notifications.services:outbox_dispatch", "HERDESK_OUTBOX_INTERVAL_SECONDS"),
)  # fmt: skip


def beat_schedule(intervals: Mapping[str, Any], installed_apps: Iterable[str]) -> dict[str, dict[str, Any]]:
    """CELERY_BEAT_SCHEDULE from the list. `expires` drops a tick that no worker picked up before the
    next one: a late sweep is replaced by the next, never queued behind it."""
    installed = set(installed_apps)
    schedule = {}
    for job in PERIODIC_JOBS:
        if job.app and job.app not in installed:
            continue
        every = float(intervals[job.every])
        schedule[job.name] = {"task": job.task, "schedule": every, "options": {"expires": every}}
    return schedule


def job_by_task(task: str) -> PeriodicJob:
    return next(j for j in PERIODIC_JOBS if j.task == task)


def job_function(job: PeriodicJob) -> Callable[[], Any] | None:
    """The job's function, or None when its app is not installed."""
    from django.apps import apps
    from django.utils.module_loading import import_string

    if job.app and not apps.is_installed(job.app):
        return None
    fn: Callable[[], Any] = import_string(job.function.replace(":", "."))
    return fn


def jobs_installed() -> list[PeriodicJob]:
    from django.apps import apps

    return [j for j in PERIODIC_JOBS if not j.app or apps.is_installed(j.app)]


def job_run(job: PeriodicJob) -> Any:
    fn = job_function(job)
    if fn is None:
        log.info("periodic job %s: %s is not installed", job.name, job.app)
        return None
    return fn()


def run_periodic_tasks(jobs: Iterable[PeriodicJob] | None = None) -> None:
    """Run the given jobs (default: all installed) once, in list order; one failing job must not
    stop the others or the scheduler thread."""
    for job in jobs if jobs is not None else jobs_installed():
        try:
            job_run(job)
        except Exception:
            log.exception("periodic task %s failed", job.name)
