"""Reads of the inbound machinery: channel health, quarantine lists, gauges, acknowledgement times.

The health queries use the partial indexes `inbound_pending` / `inbound_quarantine` (small: only
unprocessed and quarantined rows) and one indexed look-up per source for the last payload.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from herdesk.notifications.acknowledgement import (  # re-exported: the one INT-2 implementation
    Estimate as Estimate,
)
from herdesk.notifications.acknowledgement import acknowledgement_estimate as acknowledgement_estimate
from herdesk.notifications.acknowledgement import acknowledgement_text as acknowledgement_text
from herdesk.notifications.acknowledgement import local_text as local_text
from herdesk.notifications.acknowledgement import target_text as target_text
from herdesk.notifications.models import OutboxMessage, OutboxStatus

from .choices import HealthStatus, PayloadState
from .models import InboundPayload, InboundSource

# A backlog older than this means processing has stalled.
BACKLOG_MAX_AGE_SECONDS = 300
FAILING_AFTER_FAILURES = 3


def is_staff_user(user: Any) -> bool:
    """Signed-in, active staff (not a portal customer)."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and not getattr(user, "customer_id", None)
    )


def can_view_health(user: Any) -> bool:
    return is_staff_user(user)


def can_manage_quarantine(user: Any) -> bool:
    """Reprocess and discard: holders of inbound.change_inboundpayload (administrators)."""
    return is_staff_user(user) and user.has_perm("inbound.change_inboundpayload")


def payloads_visible_to(user: Any) -> QuerySet[InboundPayload]:
    """Raw payloads hold personal data: administrators only (SEC-1/SEC-3)."""
    if not is_staff_user(user) or not user.has_perm("inbound.view_inboundpayload"):
        return InboundPayload.objects.none()
    return InboundPayload.objects.all()


def quarantine_visible_to(user: Any) -> QuerySet[InboundPayload]:
    return payloads_visible_to(user).filter(state=PayloadState.QUARANTINED).defer("raw").order_by("-id")


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _age(now: datetime, at: datetime | None) -> float | None:
    return round((now - at).total_seconds(), 1) if at else None


def channel_health(*, now: datetime | None = None) -> dict[str, Any]:
    """Per channel endpoint: last successful fetch, last payload, backlog, quarantine, failures,
    and a status; per outbox channel: pending, retrying and failed messages."""
    now = now or timezone.now()
    sources: dict[tuple[str, str], InboundSource | None] = {
        (s.channel, s.code): s for s in InboundSource.objects.order_by("channel", "code")
    }
    backlog = {
        (r["channel"], r["source"]): r
        for r in InboundPayload.objects.filter(state=PayloadState.PENDING)
        .values("channel", "source")
        .annotate(n=Count("id"), oldest=Min("received_at"))
        .order_by()
    }
    quarantine = {
        (r["channel"], r["source"]): r["n"]
        for r in InboundPayload.objects.filter(state=PayloadState.QUARANTINED)
        .values("channel", "source")
        .annotate(n=Count("id"))
        .order_by()
    }
    for key in [*backlog, *quarantine]:
        sources.setdefault(key, None)
    rows = []
    worst = HealthStatus.OK
    order = [HealthStatus.OK, HealthStatus.DEGRADED, HealthStatus.FAILING]
    for (channel, code), src in sorted(sources.items()):
        last_received = (
            InboundPayload.objects.filter(channel=channel, source=code)
            .order_by("-received_at")
            .values_list("received_at", flat=True)
            .first()
        )
        b = backlog.get((channel, code))
        q = quarantine.get((channel, code), 0)
        oldest_age = _age(now, b["oldest"]) if b else None
        problems: list[str] = []
        status = HealthStatus.OK
        failures = src.consecutive_failures if src else 0
        if src is not None and src.active and src.poll_interval_seconds:
            limit = 3 * src.poll_interval_seconds + 60
            since = src.last_success_at
            if since is None and src.last_attempt_at is not None:
                problems.append(_("never fetched successfully"))
                status = HealthStatus.FAILING
            elif since is not None and (now - since).total_seconds() > limit:
                problems.append(_("no successful fetch for %(s)d s") % {"s": (now - since).total_seconds()})
                status = HealthStatus.DEGRADED
        if failures >= FAILING_AFTER_FAILURES:
            status = HealthStatus.FAILING
            problems.append(_("%(n)d failed fetches in a row") % {"n": failures})
        elif failures:
            status = max(status, HealthStatus.DEGRADED, key=order.index)
            problems.append(_("last fetch failed"))
        if oldest_age is not None and oldest_age > BACKLOG_MAX_AGE_SECONDS:
            status = max(status, HealthStatus.DEGRADED, key=order.index)
            problems.append(_("backlog waiting for %(s)d s") % {"s": oldest_age})
        if q:
            status = max(status, HealthStatus.DEGRADED, key=order.index)
            problems.append(
                ngettext("%(n)d payload in quarantine", "%(n)d payloads in quarantine", q) % {"n": q}
            )
        worst = max(worst, status, key=order.index)
        rows.append(
            {
                "channel": channel,
                "source": code,
                "label": src.label if src else "",
                "active": src.active if src else True,
                "status": str(status),
                "problems": problems,
                "last_success_at": _iso(src.last_success_at) if src else None,
                "last_attempt_at": _iso(src.last_attempt_at) if src else None,
                "last_error": src.last_error if src and failures else "",
                "consecutive_failures": failures,
                "last_received_at": _iso(last_received),
                "backlog": b["n"] if b else 0,
                "backlog_oldest_age_seconds": oldest_age,
                "quarantine": q,
            }
        )
    outbox: dict[str, dict[str, int]] = {}
    for r in (
        OutboxMessage.objects.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED])
        .exclude(channel__in=["action", "internal"])
        .values("channel", "status", "attempts")
        .annotate(n=Count("id"))
        .order_by()
    ):
        slot = outbox.setdefault(r["channel"], {"pending": 0, "retrying": 0, "failed": 0})
        if r["status"] == OutboxStatus.FAILED:
            slot["failed"] += r["n"]
        elif r["attempts"]:
            slot["retrying"] += r["n"]
        else:
            slot["pending"] += r["n"]
    if any(v["failed"] for v in outbox.values()):
        worst = max(worst, HealthStatus.DEGRADED, key=order.index)
    return {"status": str(worst), "generated_at": now.isoformat(), "sources": rows, "outbox": outbox}


def inbound_metrics() -> list[dict[str, Any]]:
    """Gauges for /metrics (herdesk.ops): backlog, its age, quarantine and fetch age per source."""
    health = channel_health()
    now = timezone.now()
    out: list[dict[str, Any]] = []
    for row in health["sources"]:
        labels = {"channel": row["channel"], "source": row["source"]}
        out.append(
            {
                "name": "herdesk_inbound_backlog",
                "help": "Inbound payloads stored but not yet processed.",
                "value": row["backlog"],
                "labels": labels,
            }
        )
        out.append(
            {
                "name": "herdesk_inbound_backlog_oldest_age_seconds",
                "help": "Age of the oldest unprocessed inbound payload.",
                "value": row["backlog_oldest_age_seconds"] or 0,
                "labels": labels,
            }
        )
        out.append(
            {
                "name": "herdesk_inbound_quarantined",
                "help": "Inbound payloads in quarantine.",
                "value": row["quarantine"],
                "labels": labels,
            }
        )
        if row["last_success_at"]:
            age = (now - datetime.fromisoformat(row["last_success_at"])).total_seconds()
            out.append(
                {
                    "name": "herdesk_inbound_last_fetch_age_seconds",
                    "help": "Seconds since the last successful fetch of a polled source.",
                    "value": round(age, 1),
                    "labels": labels,
                }
            )
    return out


def default_problem_type() -> str:
    return str(getattr(settings, "HERDESK_INBOUND_DEFAULT_PROBLEM_TYPE", "product_inquiry"))
