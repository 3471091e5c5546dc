"""Scheduling and biosecurity quarantine (FLD-2, FLD-4): booking engineers, the overlap and
quarantine checks, disease alerts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.clocks.services import clocks_on_event
from herdesk.common.errors import DomainError
from herdesk.notifications.staff_notices import notify
from herdesk.policies.choices import Event

from ..choices import WorkOrderStatus
from ..models import (
    DiseaseAlert,
    WorkOrder,
)
from ._common import ZONE, _local, _lock, _person, _timeline, quarantine_hours
from .work_orders import work_order_transition


def biosecurity_conflicts(
    *, engineer: Any, farm_id: int | None, start: dt.datetime, end: dt.datetime, exclude: int | None = None
) -> list[str]:
    """FLD-4: why this engineer may not be at this farm in this window — a visit to another farm
    under a disease alert that ended less than the quarantine interval before `start`, or (when
    this farm is under alert) a booking at another farm less than the interval after `end`."""
    q = dt.timedelta(hours=quarantine_hours())
    reasons: list[str] = []
    orders = (
        WorkOrder.objects.filter(engineers=engineer)
        .exclude(status=WorkOrderStatus.CANCELLED)
        .exclude(pk=exclude or 0)
        .exclude(farm_id=farm_id)
        .select_related("farm")
    )

    def visit(o: WorkOrder) -> tuple[dt.datetime | None, dt.datetime | None]:
        return (o.arrived_at or o.scheduled_start, o.departed_at or o.scheduled_end)

    def alert_at(fid: int | None, a: dt.datetime, b: dt.datetime) -> DiseaseAlert | None:
        if fid is None:
            return None
        return (
            DiseaseAlert.objects.filter(farm_id=fid, started_at__lte=b)
            .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=a))
            .first()
        )

    before = orders.filter(
        Q(departed_at__gt=start - q, departed_at__lte=end)
        | Q(departed_at__isnull=True, scheduled_end__gt=start - q, scheduled_end__lte=end)
    )
    for o in before:
        a, b = visit(o)
        if a and b and (alert := alert_at(o.farm_id, a, b)):
            reasons.append(
                _(
                    "%(who)s visits %(farm)s (disease alert: %(disease)s) until %(end)s; "
                    "no other farm within %(h)d hours after it (until %(free)s)."
                )
                % {
                    "who": engineer,
                    "farm": o.farm,
                    "disease": alert.disease,
                    "end": _local(b),
                    "h": quarantine_hours(),
                    "free": _local(b + q),
                }
            )
    if alert_at(farm_id, start, end) is not None:
        after = orders.filter(
            Q(arrived_at__gte=start, arrived_at__lt=end + q)
            | Q(arrived_at__isnull=True, scheduled_start__gte=start, scheduled_start__lt=end + q)
        )
        for o in after:
            a, _b = visit(o)
            if a:
                reasons.append(
                    _(
                        "This farm is under a disease alert: %(who)s is booked at %(farm)s at %(at)s, "
                        "less than %(h)d hours later."
                    )
                    % {"who": engineer, "farm": o.farm or o.address, "at": _local(a), "h": quarantine_hours()}
                )
    return reasons


def schedule_conflicts(
    *, engineer: Any, start: dt.datetime, end: dt.datetime, exclude: int | None = None
) -> list[WorkOrder]:
    """Overlapping bookings of this engineer (shown on the board, not refused)."""
    return list(
        WorkOrder.objects.filter(
            engineers=engineer,
            scheduled_start__lt=end,
            scheduled_end__gt=start,
            status__in=[WorkOrderStatus.SCHEDULED, WorkOrderStatus.IN_PROGRESS],
        ).exclude(pk=exclude or 0)
    )


@transaction.atomic
def work_order_schedule(
    *,
    actor: Any,
    work_order: WorkOrder,
    engineers: list[Any],
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime | None = None,
) -> WorkOrder:
    """Book (or rebook) engineers for a window. Refused (DomainError `quarantine`, with the
    reasons) when biosecurity forbids it; overlaps with other bookings are allowed and shown.

    Booking a ticket's order is its dispatch: the policy's on-site arrival clock starts (FLD-2). A
    rebooking does not restart it (the definition does not restart: the promise made to the
    customer at the first dispatch stands)."""

    errors: dict[str, str] = {}
    if not engineers:
        errors["engineers"] = _("Choose at least one engineer.")
    if start is None or end is None or timezone.is_naive(start) or timezone.is_naive(end):
        errors["start"] = _("Give the start and end with a time zone.")
    elif end <= start:
        errors["end"] = _("The window must end after it starts.")
    elif end - start > dt.timedelta(days=7):
        errors["end"] = _("A booking window is at most 7 days.")
    if errors:
        raise ValidationError(errors)
    wo = _lock(work_order)
    reasons = [
        r
        for e in engineers
        for r in biosecurity_conflicts(engineer=e, farm_id=wo.farm_id, start=start, end=end, exclude=wo.pk)
    ]
    if reasons:
        raise DomainError(
            _("Biosecurity quarantine: %(reasons)s") % {"reasons": " ".join(reasons)},
            code="quarantine",
            status=409,
        )
    work_order_transition(
        actor=actor, work_order=wo, action="schedule", scheduled_start=start, scheduled_end=end
    )
    if wo.ticket is not None:
        clocks_on_event(ticket=wo.ticket, event=Event.DISPATCHED, at=now or timezone.now())
    wo.engineers.set(engineers)
    names = "、".join(str(e) for e in engineers)
    _timeline(
        wo.ticket,
        actor,
        _("Work order %(n)s scheduled %(start)s–%(end)s: %(who)s")
        % {
            "n": wo.number,
            "start": _local(start),
            "end": f"{timezone.localtime(end, ZONE):%H:%M}",
            "who": names,
        },
        work_order=wo.number,
    )
    notify(
        users=engineers,
        kind="assignment",
        ticket_id=wo.ticket_id,
        data={"text": _("Work order %(n)s on %(start)s") % {"n": wo.number, "start": _local(start)}},
        exclude=actor,
        key=f"wo:{wo.number}:{start.isoformat()}",
    )
    work_order.refresh_from_db()
    return wo


# ---------------------------------------------------------------- biosecurity (FLD-4)


@transaction.atomic
def disease_alert_declare(
    *, actor: Any, farm: Any, disease: str, started_at: dt.datetime | None = None
) -> DiseaseAlert:
    if not (disease or "").strip():
        raise ValidationError({"disease": _("This field is required.")})
    alert = DiseaseAlert.objects.create(
        farm=farm,
        disease=disease.strip()[:80],
        started_at=started_at or timezone.now(),
        created_by=_person(actor),
    )
    audit_record(
        actor=actor,
        action="field.disease_alert",
        object_type="organisation",
        object_id=farm.pk,
        data={"disease": alert.disease},
    )
    return alert


@transaction.atomic
def disease_alert_end(*, actor: Any, alert: DiseaseAlert, at: dt.datetime | None = None) -> DiseaseAlert:
    alert.ended_at = at or timezone.now()
    alert.save(update_fields=["ended_at"])
    audit_record(
        actor=actor, action="field.disease_alert_ended", object_type="organisation", object_id=alert.farm_id
    )
    return alert
