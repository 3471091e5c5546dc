"""Parts and stock: receipts and write-offs, parts used on site (never below zero)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.common.errors import DomainError, TransitionNotAllowed

from ..choices import WorkOrderStatus
from ..models import (
    Part,
    PartUsage,
    Stock,
    Store,
    WorkOrder,
)
from ._common import _lock, _person, _seen

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
