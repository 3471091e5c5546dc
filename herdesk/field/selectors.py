"""Every read of field service, permission-aware: the customer's equipment (ticket page, caller
look-up, portal), service history, the engineer's day, the schedule board."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from herdesk.staff.models import User
from herdesk.tickets.models import Ticket

from .choices import WorkOrderStatus
from .models import DiseaseAlert, Equipment, TicketEquipment, WorkOrder

ZONE = ZoneInfo("Asia/Shanghai")
OPEN = [WorkOrderStatus.NEW, WorkOrderStatus.SCHEDULED, WorkOrderStatus.IN_PROGRESS]


def equipment_search(*, q: str = "", customer_id: int | None = None, limit: int = 200) -> QuerySet[Equipment]:
    qs = Equipment.objects.select_related("customer", "product", "farm").order_by("customer__name", "serial")
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if q:
        qs = qs.filter(
            Q(serial__icontains=q)
            | Q(model__icontains=q)
            | Q(customer__name__icontains=q)
            | Q(farm__name__icontains=q)
        )
    return qs[:limit]


def customer_equipment(*, customer_id: int | None, limit: int = 20) -> list[Equipment]:
    if not customer_id:
        return []
    return list(
        Equipment.objects.filter(customer_id=customer_id)
        .select_related("product", "farm")
        .order_by("serial")[:limit]
    )


def ticket_equipment(*, ticket_id: int) -> Equipment | None:
    link = TicketEquipment.objects.filter(ticket_id=ticket_id).select_related("equipment").first()
    return link.equipment if link else None


def service_history(*, equipment: Equipment) -> dict[str, Any]:
    """Everything that happened to this piece: its work orders and the tickets that pointed at it."""

    orders = list(
        WorkOrder.objects.filter(equipment=equipment)
        .select_related("ticket")
        .prefetch_related("engineers")
        .order_by("-created_at")[:200]
    )
    tickets = list(
        Ticket.objects.filter(Q(equipment_link__equipment=equipment) | Q(work_orders__equipment=equipment))
        .distinct()
        .order_by("-received_at")[:200]
    )
    return {"orders": orders, "tickets": tickets, "readings": list(equipment.readings.all()[:20])}


def work_orders_visible_to(user: Any) -> QuerySet[WorkOrder]:
    """The work orders this user may see: every order for those who view work orders (handlers,
    dispatchers), else only the engineer's own."""
    qs = WorkOrder.objects.select_related("customer", "farm", "equipment", "ticket")
    if user.has_perm("field.view_workorder"):
        return qs
    return qs.filter(engineers=user)


def engineer_orders(*, user: Any, status: str = "", limit: int = 50) -> list[WorkOrder]:
    """The engineer's own orders, open ones first by booked start (the phone's list and the API)."""
    qs = WorkOrder.objects.filter(engineers=user).select_related("customer", "farm", "equipment", "ticket")
    qs = qs.filter(status=status) if status else qs.filter(status__in=OPEN)
    return list(qs.order_by("scheduled_start", "pk")[:limit])


def equipment_by_code(*, code: str) -> Equipment | None:
    """The equipment of a QR label (`public_code`)."""
    if not code or len(code) > 64:
        return None
    return Equipment.objects.select_related("customer", "product", "farm").filter(public_code=code).first()


def engineer_day(*, user: Any, day: dt.date) -> list[WorkOrder]:
    start = dt.datetime.combine(day, dt.time(), ZONE)
    end = start + dt.timedelta(days=1)
    return list(
        WorkOrder.objects.filter(engineers=user)
        .filter(Q(scheduled_start__lt=end, scheduled_end__gt=start) | Q(status=WorkOrderStatus.IN_PROGRESS))
        .exclude(status=WorkOrderStatus.CANCELLED)
        .select_related("customer", "farm", "equipment", "ticket")
        .order_by("scheduled_start")
    )


def board(*, start: dt.date, days: int = 7) -> dict[str, Any]:
    """Engineers × days, with the bookings per cell, overlaps marked, and the unscheduled queue."""

    first = dt.datetime.combine(start, dt.time(), ZONE)
    last = first + dt.timedelta(days=days)
    engineers = list(
        User.objects.filter(groups__name="field_engineer", is_active=True).order_by("username").distinct()
    )
    orders = list(
        WorkOrder.objects.filter(scheduled_start__lt=last, scheduled_end__gt=first)
        .exclude(status=WorkOrderStatus.CANCELLED)
        .select_related("customer", "farm")
        .prefetch_related(Prefetch("engineers"))
        .order_by("scheduled_start")
    )
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    grid: dict[int, dict[dt.date, list[WorkOrder]]] = {e.pk: {d: [] for d in dates} for e in engineers}
    conflicts: set[int] = set()
    by_engineer: dict[int, list[WorkOrder]] = {}
    for wo in orders:
        day = timezone.localtime(wo.scheduled_start, ZONE).date()
        for e in wo.engineers.all():
            by_engineer.setdefault(e.pk, []).append(wo)
            if e.pk in grid and day in grid[e.pk]:
                grid[e.pk][day].append(wo)
    for mine in by_engineer.values():
        for i, a in enumerate(mine):
            for b in mine[i + 1 :]:
                a0, a1, b0, b1 = a.scheduled_start, a.scheduled_end, b.scheduled_start, b.scheduled_end
                if a0 and a1 and b0 and b1 and a0 < b1 and b0 < a1:
                    conflicts.update({a.pk, b.pk})
    rows = [{"engineer": e, "cells": [{"day": d, "orders": grid[e.pk][d]} for d in dates]} for e in engineers]
    unscheduled = list(
        WorkOrder.objects.filter(status=WorkOrderStatus.NEW)
        .select_related("customer", "farm")
        .order_by("due_on", "pk")[:50]
    )
    alerts = list(
        DiseaseAlert.objects.filter(Q(ended_at__isnull=True) | Q(ended_at__gte=first)).select_related("farm")[
            :50
        ]
    )
    return {
        "dates": dates,
        "rows": rows,
        "conflicts": conflicts,
        "unscheduled": unscheduled,
        "alerts": alerts,
        "engineers": engineers,
    }


def upcoming_maintenance(*, customer_id: int, limit: int = 10) -> list[WorkOrder]:
    """The customer's planned maintenance visits (the portal's read-only block)."""
    return list(
        WorkOrder.objects.filter(customer_id=customer_id, status__in=OPEN, kind="maintenance")
        .select_related("equipment")
        .order_by("due_on", "scheduled_start")[:limit]
    )
