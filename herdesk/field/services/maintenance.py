"""Preventive maintenance (FLD-3): plans and the idempotent, catching-up order generator."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record

from ..choices import EquipmentStatus, IntervalKind, WorkOrderKind
from ..models import (
    Equipment,
    MaintenancePlan,
    WorkOrder,
)
from ._common import ZONE, _checklist
from .stock import plan_parts_clean, reservations_make

# ---------------------------------------------------------------- preventive maintenance (FLD-3)


@transaction.atomic
def maintenance_plan_create(*, actor: Any, name: str, starts_on: dt.date, **values: Any) -> MaintenancePlan:
    errors: dict[str, str] = {}
    if not (name or "").strip():
        errors["name"] = _("This field is required.")
    if values.get("product") is None and values.get("equipment") is None:
        errors["product"] = _("Choose a product model or a piece of equipment.")
    kind = values.get("interval_kind", IntervalKind.CALENDAR)
    if kind == IntervalKind.METER and not values.get("meter_interval"):
        errors["meter_interval"] = _("Give the meter interval in hours.")
    if kind == IntervalKind.CALENDAR and not values.get("interval", 3):
        errors["interval"] = _("Give the interval.")
    if errors:
        raise ValidationError(errors)
    if "parts" in values:
        values["parts"] = plan_parts_clean(values["parts"])
    plan = MaintenancePlan.objects.create(name=name.strip(), starts_on=starts_on, **values)
    audit_record(actor=actor, action="field.plan_created", object_type="maintenance_plan", object_id=plan.pk)
    return plan


def _calendar_due(plan: MaintenancePlan, anchor: dt.date, until: dt.date) -> list[dt.date]:
    from dateutil import rrule as rr

    freq = {"DAILY": rr.DAILY, "WEEKLY": rr.WEEKLY, "MONTHLY": rr.MONTHLY}[plan.frequency]
    start = dt.datetime.combine(anchor, dt.time())
    rule = rr.rrule(freq, interval=max(1, plan.interval), dtstart=start)
    # The anchor itself is installation/start, not a maintenance: the first visit is one interval on.
    return [d.date() for d in rule.between(start, dt.datetime.combine(until, dt.time()), inc=True)][1:]


def maintenance_generate(*, now: dt.datetime | None = None, actor: Any = None) -> int:
    """The periodic job (FLD-3): for every active plan and every piece of equipment it covers,
    create the maintenance work orders due within the lead time. Idempotent (one order per plan,
    equipment and occurrence: a unique key; a second run creates nothing) and catching up after
    downtime (every occurrence since the plan started that has no order yet is created, the
    overdue ones included). Returns the number of orders created."""
    now = now or timezone.now()
    today = timezone.localtime(now, ZONE).date()
    created = 0
    for plan in MaintenancePlan.objects.filter(is_active=True).order_by("pk"):
        created += _generate_plan(plan, today, actor)
    return created


def _generate_plan(plan: MaintenancePlan, today: dt.date, actor: Any) -> int:
    pieces = Equipment.objects.exclude(status=EquipmentStatus.RETIRED).order_by("pk")
    if plan.equipment_id:
        pieces = pieces.filter(pk=plan.equipment_id)
    else:
        pieces = pieces.filter(product_id=plan.product_id)  # type: ignore[misc]
    existing = set(WorkOrder.objects.filter(plan=plan).values_list("equipment_id", "due_key"))
    horizon = today + dt.timedelta(days=plan.lead_days)
    rows: list[WorkOrder] = []
    prefix = f"PM{today:%Y%m%d}-{plan.pk}-"
    checklist = _checklist(plan.checklist)
    for eq in pieces.only("pk", "customer_id", "farm_id", "address", "installed_on", "meter_hours"):
        due: list[tuple[str, dt.date | None]] = []
        if plan.interval_kind == IntervalKind.CALENDAR:
            anchor = max(plan.starts_on, eq.installed_on or plan.starts_on)
            due = [(d.isoformat(), d) for d in _calendar_due(plan, anchor, horizon)]
        elif plan.meter_interval:
            step = plan.meter_interval
            # Every threshold passed or within the lead hours, since the plan started (catch-up).
            top = (eq.meter_hours + plan.lead_hours) // step
            due = [(f"m{k * step}", None) for k in range(1, top + 1)]
        for key, day in due:
            if (eq.pk, key) in existing:
                continue
            rows.append(
                WorkOrder(
                    number=f"{prefix}{eq.pk}-{key}",
                    kind=WorkOrderKind.MAINTENANCE,
                    plan=plan,
                    due_key=key,
                    due_on=day or today,
                    customer_id=eq.customer_id,
                    equipment_id=eq.pk,
                    farm_id=eq.farm_id,
                    address=eq.address or "",
                    content=f"{plan.name}（{'计划日期 ' + key if day else '运行 ' + key[1:] + ' 小时'}）",
                    checklist=checklist,
                )
            )
    if not rows:
        return 0
    WorkOrder.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    if plan.parts:
        # The plan's parts are set aside for each new order (released on cancel, used on completion).
        numbers = [r.number for r in rows]
        for i in range(0, len(numbers), 500):
            for wo in WorkOrder.objects.filter(plan=plan, number__in=numbers[i : i + 500]).only("pk"):
                reservations_make(work_order=wo, parts=plan.parts)
    audit_record(
        actor=actor,
        action="field.maintenance_generated",
        object_type="maintenance_plan",
        object_id=plan.pk,
        data={"orders": len(rows)},
    )
    return len(rows)
