"""Work orders (FLD-2): creation, the one transition function enforcing `lifecycle.TRANSITIONS`,
the engineer's arrival, photos and the signed completion that writes the ticket's on-site record
(CLS-3)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.clocks.services import clocks_on_event, clocks_withdraw
from herdesk.common.errors import DomainError, TransitionNotAllowed
from herdesk.policies.choices import Event
from herdesk.tickets import services as ts

from ..choices import EquipmentStatus, WorkOrderKind, WorkOrderStatus
from ..lifecycle import next_status
from ..models import (
    Equipment,
    TicketEquipment,
    WorkOrder,
    WorkOrderPhoto,
)
from ._common import (
    MAX_PHOTO_BYTES,
    MAX_SIGNATURE_BYTES,
    PNG_MAGIC,
    _checklist,
    _lock,
    _person,
    _seen,
    _timeline,
)
from .equipment import meter_reading_record
from .reporting import report_send
from .stock import reservations_consume, reservations_release

# The statuses in which an engineer is booked to go (or is there).
BOOKED = (WorkOrderStatus.SCHEDULED, WorkOrderStatus.IN_PROGRESS)

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
    reservations_release(work_order=wo)
    if wo.ticket is not None and not (
        WorkOrder.objects.filter(ticket=wo.ticket, status__in=BOOKED).exclude(pk=wo.pk).exists()
    ):
        # Nobody is going any more: the on-site promise of the dispatch no longer applies.
        clocks_withdraw(ticket=wo.ticket, start_event=Event.DISPATCHED, at=timezone.now())
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
    if wo.ticket is not None:
        # The recorded arrival (the phone's time, also when the submission was queued offline)
        # stops the on-site clock (FLD-2).
        clocks_on_event(ticket=wo.ticket, event=Event.ARRIVED_ON_SITE, at=at)
    _timeline(
        wo.ticket, actor, _("Engineer arrived on site (%(n)s)") % {"n": wo.number}, work_order=wo.number
    )
    return wo


@transaction.atomic
def work_order_depart(
    *, actor: Any, work_order: WorkOrder, at: dt.datetime | None = None, idempotency_key: str = ""
) -> WorkOrder:
    """The engineer leaves the site (recorded on its own, e.g. when the customer signs later); the
    completion then takes this departure time. The order stays in progress."""
    wo = _lock(work_order)
    if _seen(idempotency_key, actor, wo, "depart"):
        return wo
    if not _is_engineer(actor, wo):
        raise DomainError(
            _("Only an engineer of this work order can record the visit."), code="not_engineer", status=403
        )
    if wo.status != WorkOrderStatus.IN_PROGRESS:
        raise TransitionNotAllowed(_("The departure is recorded after the arrival, before completion."))
    at = at or timezone.now()
    if wo.arrived_at and at < wo.arrived_at:
        raise ValidationError({"departed_at": _("The visit cannot end before it started.")})
    wo.departed_at = at
    wo.save(update_fields=["departed_at"])
    audit_record(actor=actor, action="field.work_order_depart", object_type="work_order", object_id=wo.number)
    return wo


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
    departed_at = departed_at or wo.departed_at or timezone.now()
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
    reservations_consume(work_order=wo, actor=actor)
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
