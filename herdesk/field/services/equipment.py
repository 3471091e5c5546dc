"""Equipment, meter readings and a ticket's equipment (FLD-1); the import's value parsers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.common.errors import DomainError
from herdesk.tickets.choices import Direction, InteractionKind
from herdesk.tickets.services import interaction_add

from ..choices import EquipmentStatus
from ..models import (
    Equipment,
    MeterReading,
    TicketEquipment,
    WorkOrder,
)
from ._common import _person

# ---------------------------------------------------------------- equipment (FLD-1)

EQUIPMENT_FIELDS = (
    "product",
    "model",
    "farm",
    "purchased_on",
    "installed_on",
    "warranty_months",
    "warranty_terms",
    "barn",
    "address",
    "latitude",
    "longitude",
    "status",
)


def _equipment_check(errors: dict[str, str], values: dict[str, Any]) -> None:
    if values.get("status") and values["status"] not in EquipmentStatus.values:
        errors["status"] = _("“%(value)s” is not one of: %(choices)s.") % {
            "value": str(values["status"])[:20],
            "choices": ", ".join(EquipmentStatus.values),
        }
    for name, limit in (("latitude", 90), ("longitude", 180)):
        v = values.get(name)
        if v is not None and not -limit <= Decimal(v) <= limit:
            errors[name] = _("Out of range (±%(n)d).") % {"n": limit}
    p, i = values.get("purchased_on"), values.get("installed_on")
    if p and i and i < p:
        errors["installed_on"] = _("Installed before it was purchased.")
    today = timezone.localdate()
    for name in ("purchased_on", "installed_on"):
        if values.get(name) and values[name] > today:
            errors[name] = _("The date cannot be in the future.")


@transaction.atomic
def equipment_create(*, actor: Any, customer: Any, serial: str, **values: Any) -> Equipment:
    serial = (serial or "").strip()
    errors: dict[str, str] = {}
    if not serial:
        errors["serial"] = _("This field is required.")
    elif Equipment.objects.filter(serial=serial).exists():
        errors["serial"] = _("Equipment with this serial number is already registered.")
    unknown = set(values) - set(EQUIPMENT_FIELDS) - {"meter_hours"}
    if unknown:
        raise TypeError(f"unknown equipment fields: {sorted(unknown)}")
    _equipment_check(errors, values)
    if errors:
        raise ValidationError(errors)
    if values.get("farm") is None and customer.organisation_id:
        values["farm"] = customer.organisation
    eq = Equipment.objects.create(
        customer=customer, serial=serial, **{k: v for k, v in values.items() if v is not None}
    )
    audit_record(
        actor=actor,
        action="field.equipment_created",
        object_type="equipment",
        object_id=eq.pk,
        data={"serial": serial},
    )
    return eq


@transaction.atomic
def equipment_update(*, actor: Any, equipment: Equipment, **values: Any) -> Equipment:
    unknown = set(values) - set(EQUIPMENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown equipment fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    merged = {k: getattr(equipment, k) for k in ("purchased_on", "installed_on")} | values
    _equipment_check(errors, merged)
    if errors:
        raise ValidationError(errors)
    eq = Equipment.objects.select_for_update().get(pk=equipment.pk)
    changed = {}
    for k, v in values.items():
        if getattr(eq, k) != v:
            changed[k] = str(v)
            setattr(eq, k, v)
    if changed:
        eq.save()
        audit_record(
            actor=actor,
            action="field.equipment_updated",
            object_type="equipment",
            object_id=eq.pk,
            data=changed,
        )
    return eq


@transaction.atomic
def meter_reading_record(
    *,
    actor: Any,
    equipment: Equipment,
    value: int,
    at: dt.datetime | None = None,
    work_order: WorkOrder | None = None,
) -> MeterReading:
    """A meter reading (operating / milking hours). A meter only counts up: a lower reading is
    refused."""
    at = at or timezone.now()
    eq = Equipment.objects.select_for_update().get(pk=equipment.pk)
    if not isinstance(value, int) or value < 0:
        raise ValidationError({"value": _("Give the reading as a whole number of hours.")})
    if value < eq.meter_hours:
        raise ValidationError(
            {
                "value": _("The meter shows %(old)d hours already; a reading cannot be lower.")
                % {"old": eq.meter_hours}
            }
        )
    reading = MeterReading.objects.create(
        equipment=eq, value=value, read_at=at, work_order=work_order, recorded_by=_person(actor)
    )
    Equipment.objects.filter(pk=eq.pk).update(meter_hours=value)
    equipment.meter_hours = value
    audit_record(
        actor=actor,
        action="field.meter_reading",
        object_type="equipment",
        object_id=eq.pk,
        data={"value": value},
    )
    return reading


@transaction.atomic
def ticket_equipment_link(*, actor: Any, ticket: Any, equipment: Equipment | None) -> TicketEquipment | None:
    """Point a ticket at one of its customer's pieces of equipment (None removes the link)."""

    if equipment is not None and equipment.customer_id != ticket.customer_id:
        raise DomainError(
            _("The equipment belongs to another customer."), code="equipment_customer", status=409
        )
    TicketEquipment.objects.filter(ticket=ticket).delete()
    link = TicketEquipment.objects.create(ticket=ticket, equipment=equipment) if equipment else None
    text = (_("Equipment: %(e)s") % {"e": equipment}) if equipment else _("Equipment link removed")
    interaction_add(
        ticket=ticket,
        actor=actor,
        body=text,
        kind=InteractionKind.SYSTEM_EVENT,
        direction=Direction.INTERNAL,
        is_public=False,
        data={"equipment": equipment.pk if equipment else None},
    )
    audit_record(
        actor=actor,
        action="field.ticket_equipment",
        object_type="ticket",
        object_id=ticket.number,
        data={"equipment": equipment.pk if equipment else None},
    )
    return link


# ---------------------------------------------------------------- import (FLD-1)


def parse_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def parse_decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(value)
