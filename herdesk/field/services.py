"""Every write of field service (FLD-1..4): equipment, meter readings, ticket links, parts and
stock, work orders (one transition function enforcing `lifecycle.TRANSITIONS`), the on-site record
of a completed order (CLS-3), biosecurity, and the preventive-maintenance generator.

Keyword arguments, `actor=`, one transaction each; refused input raises ValidationError keyed by
field, a refused business rule DomainError (bilingual through gettext). Every change is audited;
one that concerns a ticket also gets a timeline entry through the ticket services.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.common.errors import DomainError, TransitionNotAllowed
from herdesk.notifications.services import outbox_enqueue_many
from herdesk.notifications.staff_notices import notify
from herdesk.tickets import services as ts
from herdesk.tickets.choices import Direction, InteractionKind
from herdesk.tickets.services import interaction_add

from .choices import EquipmentStatus, IntervalKind, WorkOrderKind, WorkOrderStatus
from .lifecycle import next_status
from .models import (
    DiseaseAlert,
    Equipment,
    MaintenancePlan,
    MeterReading,
    Part,
    PartUsage,
    Stock,
    Store,
    Submission,
    TicketEquipment,
    WorkOrder,
    WorkOrderPhoto,
)
from .reports import render_report_pdf

ZONE = ZoneInfo("Asia/Shanghai")
MAX_SIGNATURE_BYTES = 400_000
MAX_PHOTO_BYTES = 8_000_000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def quarantine_hours() -> int:
    return int(getattr(settings, "HERDESK_FIELD_QUARANTINE_HOURS", 48))


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


def _person(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


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


# ---------------------------------------------------------------- parts and stock


@transaction.atomic
def stock_adjust(*, actor: Any, store: Store, part: Part, delta: int, reason: str = "") -> int:
    """Receive (+) or write off (−) stock; never below zero. Returns the new quantity."""
    stock, _created = Stock.objects.select_for_update().get_or_create(store=store, part=part)
    if stock.quantity + delta < 0:
        raise DomainError(
            _("Only %(n)d of %(part)s in %(store)s.") % {"n": stock.quantity, "part": part, "store": store},
            code="stock_short",
            status=409,
        )
    stock.quantity += delta
    stock.save(update_fields=["quantity"])
    audit_record(
        actor=actor,
        action="field.stock_adjusted",
        object_type="stock",
        object_id=f"{store.code}:{part.code}",
        data={"delta": delta, "quantity": stock.quantity, "reason": reason[:200]},
    )
    return stock.quantity


# ---------------------------------------------------------------- work orders (FLD-2)


def _number() -> str:
    today = timezone.localdate()
    prefix = f"WO{today:%Y%m%d}-"
    last = (
        WorkOrder.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{n:04d}"


def _farm_of(customer: Any, equipment: Equipment | None) -> Any:
    if equipment is not None and equipment.farm_id:
        return equipment.farm
    return customer.organisation if customer.organisation_id else None


def _checklist(items: list[str] | list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    out = []
    for item in items or []:
        label = (item.get("label") if isinstance(item, dict) else item) or ""
        label = str(label).strip()[:200]
        if label:
            out.append({"label": label, "done": bool(isinstance(item, dict) and item.get("done"))})
    return out[:50]


def _timeline(ticket: Any, actor: Any, text: str, **data: Any) -> None:
    if ticket is None:
        return

    interaction_add(
        ticket=ticket,
        actor=actor,
        body=text,
        kind=InteractionKind.SYSTEM_EVENT,
        direction=Direction.INTERNAL,
        is_public=False,
        data=data,
    )


@transaction.atomic
def work_order_create(
    *,
    actor: Any,
    kind: str,
    customer: Any = None,
    ticket: Any = None,
    equipment: Equipment | None = None,
    content: str = "",
    address: str = "",
    checklist: list[Any] | None = None,
) -> WorkOrder:
    """A work order from a ticket (its customer, its linked equipment) or for a customer."""
    errors: dict[str, str] = {}
    if kind not in WorkOrderKind.values:
        errors["kind"] = _("“%(value)s” is not one of: %(choices)s.") % {
            "value": str(kind)[:20],
            "choices": ", ".join(WorkOrderKind.values),
        }
    if ticket is not None:
        customer = ticket.customer
        if equipment is None:
            link = TicketEquipment.objects.filter(ticket=ticket).select_related("equipment").first()
            equipment = link.equipment if link else None
        if ticket.status in ("cancelled", "merged") or ticket.record_finalized_at is not None:
            raise DomainError(
                _("A work order cannot be opened on a cancelled, merged or finalised ticket."),
                code="record_closed",
            )
    if customer is None:
        errors["customer"] = _("This field is required.")
    if equipment is not None and customer is not None and equipment.customer_id != customer.pk:
        errors["equipment"] = _("The equipment belongs to another customer.")
    if len(content) > 5000:
        errors["content"] = _("At most %(n)d characters (got %(got)d).") % {"n": 5000, "got": len(content)}
    if errors:
        raise ValidationError(errors)
    address = (
        (address or "").strip()
        or (equipment.address if equipment else "")
        or getattr(customer, "address", "")
        or ""
    )
    wo = WorkOrder.objects.create(
        number=_number(),
        kind=kind,
        ticket=ticket,
        customer=customer,
        equipment=equipment,
        farm=_farm_of(customer, equipment),
        address=address[:200],
        content=(content or (ticket.subject if ticket else "")).strip(),
        checklist=_checklist(checklist),
        created_by=_person(actor),
    )
    _timeline(
        ticket,
        actor,
        _("Work order %(n)s opened (%(k)s)") % {"n": wo.number, "k": wo.get_kind_display()},
        work_order=wo.number,
    )
    audit_record(
        actor=actor,
        action="field.work_order_created",
        object_type="work_order",
        object_id=wo.number,
        data={"kind": kind},
    )
    return wo


def _lock(wo: WorkOrder) -> WorkOrder:
    return WorkOrder.objects.select_for_update().get(pk=wo.pk)


def _seen(key: str, actor: Any, wo: WorkOrder, action: str) -> bool:
    """True when this submission was applied before (the caller then does nothing); else records
    the key in the caller's transaction, so it commits exactly with the change."""
    if not key:
        return False
    key = key[:64]
    if Submission.objects.filter(key=key).exists():
        return True
    try:
        with transaction.atomic():
            Submission.objects.create(key=key, user=actor, work_order=wo, action=action)
    except IntegrityError:  # the same key racing in: the other one applies it
        return True
    return False


def work_order_transition(*, actor: Any, work_order: WorkOrder, action: str, **fields: Any) -> WorkOrder:
    """The one place a work order's status changes: `lifecycle.TRANSITIONS` decides. Expects the
    row locked by the caller (inside its transaction)."""
    to = next_status(work_order.status, action)
    if to is None:
        raise TransitionNotAllowed(
            _("A work order that is “%(status)s” cannot be given “%(action)s”.")
            % {"status": work_order.get_status_display(), "action": action}
        )
    before = work_order.status
    work_order.status = to
    for k, v in fields.items():
        setattr(work_order, k, v)
    work_order.save()
    audit_record(
        actor=actor,
        action=f"field.work_order_{action}",
        object_type="work_order",
        object_id=work_order.number,
        data={"from": before, "to": to},
    )
    return work_order


def _local(when: dt.datetime) -> str:
    return f"{timezone.localtime(when, ZONE):%Y-%m-%d %H:%M}"


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
    *, actor: Any, work_order: WorkOrder, engineers: list[Any], start: dt.datetime, end: dt.datetime
) -> WorkOrder:
    """Book (or rebook) engineers for a window. Refused (DomainError `quarantine`, with the
    reasons) when biosecurity forbids it; overlaps with other bookings are allowed and shown."""

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


@transaction.atomic
def work_order_unschedule(*, actor: Any, work_order: WorkOrder) -> WorkOrder:
    wo = _lock(work_order)
    work_order_transition(
        actor=actor, work_order=wo, action="unschedule", scheduled_start=None, scheduled_end=None
    )
    wo.engineers.clear()
    return wo


@transaction.atomic
def work_order_cancel(*, actor: Any, work_order: WorkOrder, reason: str) -> WorkOrder:
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the work order is cancelled.")})
    wo = _lock(work_order)
    work_order_transition(actor=actor, work_order=wo, action="cancel")
    _timeline(
        wo.ticket, actor, _("Work order %(n)s cancelled: %(r)s") % {"n": wo.number, "r": reason.strip()[:300]}
    )
    return wo


def _is_engineer(actor: Any, wo: WorkOrder) -> bool:
    return wo.engineers.filter(pk=actor.pk).exists() or actor.has_perm("field.schedule_workorder")


@transaction.atomic
def work_order_arrive(
    *, actor: Any, work_order: WorkOrder, at: dt.datetime | None = None, idempotency_key: str = ""
) -> WorkOrder:
    """The engineer is on site (the arrival time)."""
    wo = _lock(work_order)
    if _seen(idempotency_key, actor, wo, "arrive"):
        return wo
    if not _is_engineer(actor, wo):
        raise DomainError(
            _("Only an engineer of this work order can record the visit."), code="not_engineer", status=403
        )
    at = at or timezone.now()
    work_order_transition(actor=actor, work_order=wo, action="arrive", arrived_at=at)
    _timeline(
        wo.ticket, actor, _("Engineer arrived on site (%(n)s)") % {"n": wo.number}, work_order=wo.number
    )
    return wo


@transaction.atomic
def part_use(
    *, actor: Any, work_order: WorkOrder, part: Part, store: Store, quantity: int, idempotency_key: str = ""
) -> PartUsage | None:
    """A part used on site: taken from a warehouse or van (one conditional UPDATE; refused when the
    store holds fewer)."""
    wo = _lock(work_order)
    if _seen(idempotency_key, actor, wo, "part"):
        return None
    if wo.status != WorkOrderStatus.IN_PROGRESS:
        raise TransitionNotAllowed(_("Parts are recorded while the engineer is on site."))
    if not isinstance(quantity, int) or quantity < 1 or quantity > 1000:
        raise ValidationError({"quantity": _("Give a quantity from 1 to 1000.")})
    taken = Stock.objects.filter(store=store, part=part, quantity__gte=quantity).update(
        quantity=F("quantity") - quantity
    )
    if not taken:
        have = Stock.objects.filter(store=store, part=part).values_list("quantity", flat=True).first() or 0
        raise DomainError(
            _("Only %(n)d of %(part)s in %(store)s.") % {"n": have, "part": part, "store": store},
            code="stock_short",
            status=409,
        )
    usage = PartUsage.objects.create(
        work_order=wo, part=part, store=store, quantity=quantity, used_by=_person(actor)
    )
    audit_record(
        actor=actor,
        action="field.part_used",
        object_type="work_order",
        object_id=wo.number,
        data={"part": part.code, "store": store.code, "quantity": quantity},
    )
    return usage


def signature_decode(data_url: str) -> bytes:
    """The signature canvas's PNG (a data: URL) → bytes; refuses anything but a small PNG."""
    head, _sep, body = (data_url or "").partition(",")
    if head != "data:image/png;base64" or not body:
        raise ValidationError({"signature": _("The customer's signature is missing.")})
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({"signature": _("The signature could not be read.")})
    if not raw.startswith(PNG_MAGIC) or len(raw) > MAX_SIGNATURE_BYTES:
        raise ValidationError({"signature": _("The signature could not be read.")})
    return raw


@transaction.atomic
def photo_add(
    *, actor: Any, work_order: WorkOrder, content: bytes, name: str, caption: str = ""
) -> WorkOrderPhoto:
    if len(content) > MAX_PHOTO_BYTES:
        raise ValidationError({"photo": _("A photo is at most 8 MB.")})
    if not (content.startswith(b"\xff\xd8") or content.startswith(PNG_MAGIC)):
        raise ValidationError({"photo": _("Upload a JPEG or PNG photo.")})
    wo = _lock(work_order)
    if wo.status not in (WorkOrderStatus.SCHEDULED, WorkOrderStatus.IN_PROGRESS, WorkOrderStatus.COMPLETED):
        raise TransitionNotAllowed(_("Photos are added to a scheduled or ongoing work order."))
    ext = "png" if content.startswith(PNG_MAGIC) else "jpg"
    photo = WorkOrderPhoto(work_order=wo, caption=caption[:120])
    photo.image.save(f"{wo.number}.{ext}", ContentFile(content), save=True)
    audit_record(
        actor=actor,
        action="field.photo_added",
        object_type="work_order",
        object_id=wo.number,
        data={"name": name[:80]},
    )
    return photo


@transaction.atomic
def work_order_complete(
    *,
    actor: Any,
    work_order: WorkOrder,
    findings: str,
    signed_by: str,
    confirmation: str,
    signature_png: bytes,
    checklist_done: list[int] | None = None,
    meter_hours: int | None = None,
    departed_at: dt.datetime | None = None,
    idempotency_key: str = "",
) -> WorkOrder:
    """Close the visit with the customer's signed confirmation. On a ticket's order this writes the
    ticket's on-site interaction with every element the record-completeness check needs (content,
    time, place, staff, customer confirmation: CLS-3), and the customer's sign-off counts as the
    confirmation for closing (CLS-1). The Chinese PDF service report is queued to the customer
    through the outbox."""

    wo = _lock(work_order)
    if _seen(idempotency_key, actor, wo, "complete"):
        return wo
    if not _is_engineer(actor, wo):
        raise DomainError(
            _("Only an engineer of this work order can record the visit."), code="not_engineer", status=403
        )
    errors: dict[str, str] = {}
    findings, signed_by, confirmation = (
        (findings or "").strip(),
        (signed_by or "").strip(),
        (confirmation or "").strip(),
    )
    if not findings:
        errors["findings"] = _("This field is required.")
    if not signed_by:
        errors["signed_by"] = _("This field is required.")
    if not signature_png:
        errors["signature"] = _("The customer's signature is missing.")
    if errors:
        raise ValidationError(errors)
    departed_at = departed_at or timezone.now()
    if wo.arrived_at and departed_at < wo.arrived_at:
        raise ValidationError({"departed_at": _("The visit cannot end before it started.")})
    checklist = list(wo.checklist or [])
    for i in checklist_done or []:
        if 0 <= i < len(checklist):
            checklist[i] = {**checklist[i], "done": True}
    wo.signature.save(f"{wo.number}.png", ContentFile(signature_png), save=False)
    work_order_transition(
        actor=actor,
        work_order=wo,
        action="complete",
        findings=findings[:5000],
        signed_by=signed_by[:80],
        confirmation=confirmation[:500],
        checklist=checklist,
        departed_at=departed_at,
        completed_at=timezone.now(),
    )
    if meter_hours is not None and wo.equipment is not None:
        meter_reading_record(
            actor=actor, equipment=wo.equipment, value=meter_hours, at=departed_at, work_order=wo
        )
    if wo.ticket is not None:
        parts = "；".join(f"{u.part.name} × {u.quantity}" for u in wo.parts_used.select_related("part"))
        content = f"{wo.get_kind_display()}：{wo.content}\n{_('Findings')}：{findings}"
        if parts:
            content += f"\n{_('Parts used')}：{parts}"
        entry = ts.onsite_visit_record(
            ticket=wo.ticket,
            actor=actor,
            content=content,
            started_at=wo.arrived_at,
            ended_at=departed_at,
            place=(wo.farm.name + " " if wo.farm_id and wo.farm else "") + wo.address,
            staff="、".join(str(e) for e in wo.engineers.all()) or str(actor),
            customer_confirmation=_("Signed by %(who)s: %(text)s")
            % {"who": signed_by, "text": confirmation or _("work accepted")},
        )
        wo.interaction_id = entry.pk
        wo.save(update_fields=["interaction_id"])
    if wo.equipment is not None and wo.equipment.status == EquipmentStatus.UNDER_REPAIR:
        Equipment.objects.filter(pk=wo.equipment.pk).update(status=EquipmentStatus.IN_SERVICE)
    report_send(work_order=wo)
    return wo


def report_send(*, work_order: WorkOrder) -> None:
    """Render the Chinese PDF service report onto the order and queue it to the customer (email)."""

    pdf = render_report_pdf(work_order)
    work_order.report.save(f"{work_order.number}.pdf", ContentFile(pdf), save=False)
    WorkOrder.objects.filter(pk=work_order.pk).update(report=work_order.report.name)
    text = (
        f"尊敬的{work_order.customer.name}：\n"
        f"您的{work_order.get_kind_display()}服务（工单 {work_order.number}）已于 "
        f"{_local(work_order.departed_at or timezone.now())} 完成。服务报告（PDF）见附件。\n"
        f"处理结果：{work_order.findings}"
    )
    outbox_enqueue_many(
        [
            {
                "dedupe_key": f"field-report:{work_order.number}",
                "channel": "email",
                "recipient": f"customer:{work_order.customer_id}",
                "template": "field_service_report",
                "ticket_id": work_order.ticket_id,
                "payload": {
                    "subject": f"服务报告 {work_order.number}",
                    "text": text,
                    "ticket": work_order.ticket.number if work_order.ticket is not None else "",
                    "files": [work_order.report.name],
                },
            }
        ]
    )


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
    audit_record(
        actor=actor,
        action="field.maintenance_generated",
        object_type="maintenance_plan",
        object_id=plan.pk,
        data={"orders": len(rows)},
    )
    return len(rows)


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
