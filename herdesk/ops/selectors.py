"""Reads for operations: readiness checks and the gauges shown at /metrics (OPS-3).

Every query here is served by an index and stays cheap at 1,000,000 tickets:
- clock backlog: the partial index `clock_due_running` (state = running) on due_at;
- outbox backlog: the partial index `outbox_pending` (status = pending) on next_attempt_at;
- the last sweep: SweepRun's primary key.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.utils import timezone

from herdesk.clocks.models import Clock, ClockState, SweepRun
from herdesk.notifications.selectors import outbox_backlog

from .choices import CheckStatus
from .metrics import Gauge

log = logging.getLogger(__name__)

# Optional providers from apps that may not exist yet; each returns a list of Gauge-like dicts.
OPTIONAL_GAUGES = (
    # The inbound channels app (email, chat, CTI, WeChat): lag between receipt and processing.
    "herdesk.inbound.selectors:inbound_metrics",
    "herdesk.channels.selectors:inbound_metrics",
    "herdesk.mail.selectors:mail_metrics",
)


@dataclass
class Check:
    status: str
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"status": self.status, **({"detail": self.detail} if self.detail else {})}


def heartbeat_max_age_seconds() -> float:
    """The sweep runs every HERDESK_SWEEP_INTERVAL_SECONDS; three missed runs (and a minute of
    slack for a long catch-up sweep) mean the scheduler is not running."""
    return 3 * float(settings.HERDESK_SWEEP_INTERVAL_SECONDS) + 60


def last_sweep() -> SweepRun | None:
    return SweepRun.objects.order_by("-id").first()


def clock_backlog(*, now: datetime | None = None) -> int:
    """Running clocks past their due time that no sweep has recorded yet."""
    now = now or timezone.now()
    return Clock.objects.filter(state=ClockState.RUNNING, due_at__lte=now).count()


def check_database(alias: str = "default") -> Check:
    try:
        with connections[alias].cursor() as cur:
            cur.execute("SELECT 1")
        return Check(CheckStatus.OK)
    except Exception as exc:  # reported, not raised: the probe answers 503
        return Check(CheckStatus.FAIL, exc.__class__.__name__)


def check_redis() -> Check:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return Check(CheckStatus.SKIPPED, "REDIS_URL not set")
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        try:
            client.ping()
        finally:
            client.close()
        return Check(CheckStatus.OK)
    except Exception as exc:
        return Check(CheckStatus.FAIL, exc.__class__.__name__)


def check_scheduler(*, now: datetime | None = None) -> Check:
    """Degraded (not failed) when late: a web process can still serve without the scheduler, and
    taking every web process out of the proxy because beat died would turn a delay into an outage.
    Clocks are persisted, so the next sweep catches up (OPS-2)."""
    now = now or timezone.now()
    run = last_sweep()
    if run is None:
        return Check(CheckStatus.DEGRADED, "no sweep has run yet")
    age = (now - run.finished_at).total_seconds()
    if age > heartbeat_max_age_seconds():
        return Check(CheckStatus.DEGRADED, f"last sweep {age:.0f} s ago")
    return Check(CheckStatus.OK, f"last sweep {age:.0f} s ago")


def check_outbox(*, now: datetime | None = None) -> Check:
    limit = int(getattr(settings, "HERDESK_READYZ_OUTBOX_MAX_AGE_SECONDS", 600))
    backlog = outbox_backlog(now=now)
    detail = f"{backlog['due']} due, oldest {backlog['oldest_due_age_seconds']:.0f} s"
    if backlog["oldest_due_age_seconds"] > limit:
        return Check(CheckStatus.DEGRADED, detail)
    return Check(CheckStatus.OK, detail)


def readiness() -> tuple[bool, dict[str, dict[str, str]]]:
    """(ready, checks). Only the database and Redis decide readiness; the rest is reported."""
    checks: dict[str, Check] = {"database": check_database(), "redis": check_redis()}
    if checks["database"].status == CheckStatus.OK:
        now = timezone.now()
        for name, fn in (("scheduler", check_scheduler), ("outbox", check_outbox)):
            try:
                checks[name] = fn(now=now)
            except Exception as exc:
                checks[name] = Check(CheckStatus.DEGRADED, exc.__class__.__name__)
    if "replica" in settings.DATABASES:
        # A lagging or absent replica only slows reports down; it never stops the service.
        replica = check_database("replica")
        checks["replica"] = (
            replica if replica.status == CheckStatus.OK else Check(CheckStatus.DEGRADED, replica.detail)
        )
    ready = all(c.status != CheckStatus.FAIL for c in checks.values())
    return ready, {k: v.as_dict() for k, v in checks.items()}


def _optional_gauges() -> list[Gauge]:
    out: list[Gauge] = []
    for spec in OPTIONAL_GAUGES:
        module_name, func_name = spec.split(":")
        if not apps.is_installed(module_name.rsplit(".", 1)[0]):
            continue  # the app's code may be present before it is switched on
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        fn = getattr(module, func_name, None)
        if fn is None:
            continue
        try:
            for g in fn():
                out.append(Gauge(g["name"], g.get("help", g["name"]), g.get("value"), g.get("labels") or {}))
        except Exception:
            log.warning("metrics provider %s failed", spec, exc_info=True)
    return out


def metrics_gauges(*, now: datetime | None = None) -> list[Gauge]:
    """Database-derived gauges: clock sweep health and backlog, outbox backlog."""
    now = now or timezone.now()
    run = last_sweep()
    backlog = outbox_backlog(now=now)
    gauges = [
        Gauge(
            "herdesk_clock_backlog",
            "Running clocks past their due time not yet recorded as breached (should stay near 0).",
            clock_backlog(now=now),
        ),
        Gauge(
            "herdesk_clock_sweep_duration_seconds",
            "Duration of the last clock sweep.",
            run.duration_ms / 1000 if run else None,
        ),
        Gauge(
            "herdesk_clock_sweep_last_finished_timestamp_seconds",
            "Unix time at which the last clock sweep finished (heartbeat).",
            run.finished_at.timestamp() if run else None,
        ),
        Gauge(
            "herdesk_clock_sweep_age_seconds",
            "Seconds since the last clock sweep finished.",
            (now - run.finished_at).total_seconds() if run else None,
        ),
        Gauge(
            "herdesk_clock_sweep_last_breaches",
            "Breaches recorded by the last clock sweep.",
            run.breaches if run else None,
        ),
        Gauge(
            "herdesk_clock_sweep_last_warnings",
            "Warnings recorded by the last clock sweep.",
            run.warnings if run else None,
        ),
        Gauge("herdesk_outbox_pending", "Outbox messages not yet sent.", backlog["pending"]),
        Gauge("herdesk_outbox_backlog", "Outbox messages due to be sent now.", backlog["due"]),
        Gauge(
            "herdesk_outbox_oldest_due_age_seconds",
            "Age of the oldest outbox message that is due (dispatcher lag).",
            backlog["oldest_due_age_seconds"],
        ),
    ]
    gauges.extend(_optional_gauges())
    return gauges
