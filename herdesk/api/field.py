"""Field service for the engineer's phone app (API v1, FLD-2): list my work orders, read one, record
the arrival, the departure and the signed completion, look equipment up by its QR code.

Registered in herdesk.api.api with one line (`api.add_router("/v1/field", …)`). One operation per
action, each with its own input schema. The gate is the pages' own: `field.change_workorder` to work
orders (field engineers, dispatchers), `field.view_equipment` for the QR look-up, and the field
services' check that the user is an engineer of the order (403 otherwise). Every write takes an
`Idempotency-Key` header: a repeated request (the phone resending after a lost answer) is answered
with the order as it is and applied once — the same `Submission` record as the phone pages' forms,
keyed per user so two users' keys never collide.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema

from herdesk.field import selectors, services
from herdesk.field.choices import WorkOrderStatus
from herdesk.field.models import Equipment, WorkOrder

from .errors import error_responses
from .shaping import require

router = Router(tags=["field service"])
READ = error_responses(400, 401, 403, 404, 422, 429)
WRITE = error_responses(400, 401, 403, 404, 409, 413, 422, 429)
KEY = Header(..., alias="Idempotency-Key", min_length=8, max_length=64)
NUMBER_MAX = 40


class WorkOrderOut(Schema):
    number: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    ticket: str | None
    customer: str
    farm: str | None
    address: str
    content: str
    equipment_serial: str | None
    scheduled_start: datetime | None
    scheduled_end: datetime | None
    arrived_at: datetime | None
    departed_at: datetime | None
    completed_at: datetime | None
    checklist: list[dict[str, Any]]
    findings: str
    signed_by: str


class EquipmentOut(Schema):
    id: int
    serial: str
    model: str
    product: str | None
    customer: str
    farm: str | None
    barn: str
    status: str
    warranty_status: str
    meter_hours: int
    open_work_orders: list[str]


class ArriveIn(Schema):
    at: datetime | None = Field(None, description="When the engineer arrived (default: now).")


class DepartIn(Schema):
    at: datetime | None = Field(None, description="When the engineer left the site (default: now).")


class CompleteIn(Schema):
    findings: str = Field(..., min_length=1, max_length=5000)
    signed_by: str = Field(..., min_length=1, max_length=80, description="The customer's name.")
    confirmation: str = Field("", max_length=500, description="The customer's remarks.")
    signature: str = Field(
        ..., max_length=600_000, description="The customer's signature: a data:image/png;base64 URL."
    )
    checklist_done: list[int] = Field(default_factory=list, max_length=50)
    meter_hours: int | None = Field(None, ge=0, le=10_000_000)
    departed_at: datetime | None = None


def _engineer(request: HttpRequest) -> Any:
    return require(request, "field.change_workorder")


def _order(user: Any, number: str) -> WorkOrder:
    if len(number) > NUMBER_MAX or "\x00" in number:
        raise WorkOrder.DoesNotExist
    return selectors.work_orders_visible_to(user).get(number=number)


def _key(user: Any, key: str) -> str:
    # The Submission key is unique across users: bind the client's key to the user (64 hex chars).
    return hashlib.sha256(f"api:{user.pk}:{key}".encode()).hexdigest()


def _out(wo: WorkOrder) -> dict[str, Any]:
    return {
        "number": wo.number,
        "kind": wo.kind,
        "kind_label": wo.get_kind_display(),
        "status": wo.status,
        "status_label": wo.get_status_display(),
        "ticket": wo.ticket.number if wo.ticket_id and wo.ticket else None,
        "customer": wo.customer.name,
        "farm": wo.farm.name if wo.farm_id and wo.farm else None,
        "address": wo.address or "",
        "content": wo.content,
        "equipment_serial": wo.equipment.serial if wo.equipment_id and wo.equipment else None,
        "scheduled_start": wo.scheduled_start,
        "scheduled_end": wo.scheduled_end,
        "arrived_at": wo.arrived_at,
        "departed_at": wo.departed_at,
        "completed_at": wo.completed_at,
        "checklist": list(wo.checklist or []),
        "findings": wo.findings,
        "signed_by": wo.signed_by,
    }


def _reread(user: Any, wo: WorkOrder) -> dict[str, Any]:
    return _out(_order(user, wo.number))


@router.get("/work-orders", response={200: list[WorkOrderOut], **READ}, operation_id="field_my_work_orders")
def my_work_orders(
    request: HttpRequest,
    status: str = Query("", max_length=20, description="One status; default: the open ones."),
    limit: int = Query(50, ge=1, le=200),
) -> list[dict[str, Any]]:
    """The signed-in engineer's work orders, by booked start."""
    user = _engineer(request)
    if status and status not in WorkOrderStatus.values:
        raise ValidationError(
            {
                "status": _("“%(value)s” is not one of: %(choices)s.")
                % {"value": status[:20], "choices": ", ".join(WorkOrderStatus.values)}
            }
        )
    return [_out(wo) for wo in selectors.engineer_orders(user=user, status=status, limit=limit)]


@router.get("/work-orders/{number}", response={200: WorkOrderOut, **READ}, operation_id="field_work_order")
def work_order_get(request: HttpRequest, number: str) -> dict[str, Any]:
    """One work order (an engineer sees their own; dispatchers and handlers every one)."""
    return _out(_order(_engineer(request), number))


@router.post(
    "/work-orders/{number}/arrive", response={200: WorkOrderOut, **WRITE}, operation_id="field_arrive"
)
def work_order_arrive(
    request: HttpRequest, number: str, payload: ArriveIn, idempotency_key: str = KEY
) -> dict[str, Any]:
    """Record the arrival on site (stops the on-site clock of the ticket)."""
    user = _engineer(request)
    wo = _order(user, number)
    services.work_order_arrive(
        actor=user, work_order=wo, at=payload.at, idempotency_key=_key(user, idempotency_key)
    )
    return _reread(user, wo)


@router.post(
    "/work-orders/{number}/depart", response={200: WorkOrderOut, **WRITE}, operation_id="field_depart"
)
def work_order_depart(
    request: HttpRequest, number: str, payload: DepartIn, idempotency_key: str = KEY
) -> dict[str, Any]:
    """Record the departure from the site (the order stays in progress until completed)."""
    user = _engineer(request)
    wo = _order(user, number)
    services.work_order_depart(
        actor=user, work_order=wo, at=payload.at, idempotency_key=_key(user, idempotency_key)
    )
    return _reread(user, wo)


@router.post(
    "/work-orders/{number}/complete", response={200: WorkOrderOut, **WRITE}, operation_id="field_complete"
)
def work_order_complete(
    request: HttpRequest, number: str, payload: CompleteIn, idempotency_key: str = KEY
) -> dict[str, Any]:
    """Complete the visit with the customer's signed confirmation: writes the ticket's on-site
    record (CLS-3) and queues the PDF service report to the customer."""
    user = _engineer(request)
    wo = _order(user, number)
    services.work_order_complete(
        actor=user,
        work_order=wo,
        findings=payload.findings,
        signed_by=payload.signed_by,
        confirmation=payload.confirmation,
        signature_png=services.signature_decode(payload.signature),
        checklist_done=payload.checklist_done,
        meter_hours=payload.meter_hours,
        departed_at=payload.departed_at,
        idempotency_key=_key(user, idempotency_key),
    )
    return _reread(user, wo)


@router.get(
    "/equipment/by-code/{code}", response={200: EquipmentOut, **READ}, operation_id="field_equipment_qr"
)
def equipment_by_code(request: HttpRequest, code: str) -> dict[str, Any]:
    """The equipment a QR label points at (the code after /field/e/ on the label)."""
    require(request, "field.view_equipment")
    eq = selectors.equipment_by_code(code=code)
    if eq is None:
        raise Equipment.DoesNotExist
    return {
        "id": eq.pk,
        "serial": eq.serial,
        "model": eq.model,
        "product": eq.product.name if eq.product_id and eq.product else None,
        "customer": eq.customer.name,
        "farm": eq.farm.name if eq.farm_id and eq.farm else None,
        "barn": eq.barn,
        "status": eq.status,
        "warranty_status": eq.warranty_status(),
        "meter_hours": eq.meter_hours,
        "open_work_orders": list(
            eq.work_orders.filter(status__in=selectors.OPEN)
            .order_by("pk")
            .values_list("number", flat=True)[:20]
        ),
    }
