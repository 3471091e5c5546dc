"""The periodic job `complaints-sweep`: missing records, CAPA and regulator deadlines, the
effectiveness checks that fell due."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from herdesk.notifications.choices import NotificationKind
from herdesk.notifications.staff_notices import notify

from ..choices import CapaStatus
from ..models import Capa, CapaCheck, Complaint
from ._common import _audit, _now
from .capa import capa_check_run
from .workflow import complaints_ensure_missing

# --- the sweep -------------------------------------------------------------------------------------


def complaints_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The periodic job: missing complaint records, CAPA warnings and breaches (owner and complaint
    owner told once each), regulator deadlines, and the effectiveness checks that fell due (at most
    200 of each per run, so a backlog drains over a few runs)."""
    now = _now(now)
    counts = {"records": complaints_ensure_missing(at=now), "warnings": 0, "breaches": 0, "checks": 0}
    open_statuses = [CapaStatus.OPEN, CapaStatus.IN_PROGRESS, CapaStatus.REOPENED]
    for capa in Capa.objects.filter(
        status__in=open_statuses, breached_at__isnull=True, due_at__lte=now
    ).select_related("complaint__ticket")[:200]:
        with transaction.atomic():
            Capa.objects.filter(pk=capa.pk).update(breached_at=now, warned_at=capa.warned_at or now)
            notify(
                users=[capa.owner_id, capa.complaint.owner_id],
                kind=NotificationKind.CLOCK_BREACH,
                ticket=capa.complaint.ticket,
                key=f"capa-{capa.pk}-breach-{capa.reopen_count}",
                data={"clock": "capa", "due_at": capa.due_at.isoformat()},
            )
            _audit(None, "capa.breach", capa.complaint, capa=capa.pk)
        counts["breaches"] += 1
    for capa in Capa.objects.filter(
        status__in=open_statuses, warned_at__isnull=True, warn_at__lte=now, due_at__gt=now
    ).select_related("complaint__ticket")[:200]:
        with transaction.atomic():
            Capa.objects.filter(pk=capa.pk).update(warned_at=now)
            notify(
                users=[capa.owner_id],
                kind=NotificationKind.CLOCK_WARNING,
                ticket=capa.complaint.ticket,
                key=f"capa-{capa.pk}-warn-{capa.reopen_count}",
                data={"clock": "capa", "due_at": capa.due_at.isoformat()},
            )
        counts["warnings"] += 1
    regulated = Complaint.objects.filter(regulator_replied_at__isnull=True).exclude(regulator="")
    for c in regulated.filter(regulator_breached_at__isnull=True, regulator_due_at__lte=now).select_related(
        "ticket"
    )[:200]:
        with transaction.atomic():
            Complaint.objects.filter(pk=c.pk).update(regulator_breached_at=now)
            notify(
                users=[c.owner_id, c.account_manager_id, c.ticket.assignee_id],
                kind=NotificationKind.CLOCK_BREACH,
                ticket=c.ticket,
                key="regulator-breach",
                data={
                    "clock": "regulator",
                    "due_at": c.regulator_due_at.isoformat() if c.regulator_due_at else "",
                },
            )
            _audit(None, "regulator.breach", c)
        counts["breaches"] += 1
    for c in regulated.filter(
        regulator_warned_at__isnull=True, regulator_warn_at__lte=now, regulator_due_at__gt=now
    ).select_related("ticket")[:200]:
        with transaction.atomic():
            Complaint.objects.filter(pk=c.pk).update(regulator_warned_at=now)
            notify(
                users=[c.owner_id, c.ticket.assignee_id],
                kind=NotificationKind.CLOCK_WARNING,
                ticket=c.ticket,
                key="regulator-warn",
                data={
                    "clock": "regulator",
                    "due_at": c.regulator_due_at.isoformat() if c.regulator_due_at else "",
                },
            )
        counts["warnings"] += 1
    for check in CapaCheck.objects.filter(performed_at__isnull=True, due_at__lte=now).order_by("due_at")[
        :200
    ]:
        capa_check_run(check=check, at=now)
        counts["checks"] += 1
    return counts
