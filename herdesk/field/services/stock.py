"""Parts and stock: receipts and write-offs, parts used on site, and the parts a maintenance plan
lists reserved for its generated orders (reserved → released on cancel / consumed on completion).
Stock never goes below zero, and never below what is reserved: every take is one conditional
UPDATE (no lost update), backed by the table's CHECK constraints."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.common.errors import DomainError, TransitionNotAllowed

from ..choices import ReservationStatus, StoreKind, WorkOrderStatus
from ..models import (
    Part,
    PartUsage,
    Stock,
    StockReservation,
    Store,
    WorkOrder,
)
from ._common import _lock, _person, _seen

# ---------------------------------------------------------------- parts and stock


@transaction.atomic
def stock_adjust(*, actor: Any, store: Store, part: Part, delta: int, reason: str = "") -> int:
    """Receive (+) or write off (−) stock; never below zero. Returns the new quantity."""
    stock, _created = Stock.objects.select_for_update().get_or_create(store=store, part=part)
    if stock.quantity + delta < stock.reserved:
        raise DomainError(
            _("Only %(n)d of %(part)s available in %(store)s (%(r)d reserved).")
            % {"n": stock.available, "part": part, "store": store, "r": stock.reserved},
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
    # Only what is not reserved for a maintenance order can be taken.
    taken = Stock.objects.filter(store=store, part=part, quantity__gte=F("reserved") + quantity).update(
        quantity=F("quantity") - quantity
    )
    if not taken:
        stock = Stock.objects.filter(store=store, part=part).first()
        have = stock.available if stock else 0
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


# ---------------------------------------------------------------- reservations (FLD-3)


def plan_parts_clean(items: list[Any] | None) -> list[dict[str, Any]]:
    """A plan's parts as [{"part": code, "quantity": n}]; unknown or inactive parts and quantities
    outside 1–100 are refused (ValidationError on `parts`)."""
    out: dict[str, int] = {}
    bad: list[str] = []
    for item in items or []:
        code = str(item.get("part", "") if isinstance(item, dict) else item).strip()[:40]
        qty = item.get("quantity", 1) if isinstance(item, dict) else 1
        if not code or not isinstance(qty, int) or not 1 <= qty <= 100:
            bad.append(code or "?")
            continue
        out[code] = out.get(code, 0) + qty
    known = set(Part.objects.filter(code__in=list(out), is_active=True).values_list("code", flat=True))
    bad += [c for c in out if c not in known]
    if bad:
        raise ValidationError(
            {
                "parts": _("Unknown part or quantity not 1–100: %(codes)s.")
                % {"codes": ", ".join(sorted(set(bad)))[:200]}
            }
        )
    return [{"part": c, "quantity": n} for c, n in out.items()][:30]


def reservations_make(*, work_order: WorkOrder, parts: list[dict[str, Any]]) -> int:
    """Reserve the plan's parts for a newly generated order, each in the first warehouse (by code)
    with enough available (one conditional UPDATE: `reserved + n <= quantity`). A part no store can
    cover is recorded `short` and nothing is taken. Idempotent: one reservation per order and part
    (unique), so a repeated or concurrent run reserves nothing twice. Returns how many reserved."""
    by_code = {p.code: p for p in Part.objects.filter(code__in=[x["part"] for x in parts])}
    done = 0
    for item in parts:
        part, qty = by_code.get(item["part"]), int(item["quantity"])
        if part is None:
            continue
        try:
            with transaction.atomic():
                row = StockReservation.objects.create(
                    work_order=work_order, part=part, quantity=qty, status=ReservationStatus.SHORT
                )
                for stock_id, store_id in (
                    Stock.objects.filter(part=part, store__kind=StoreKind.WAREHOUSE)
                    .order_by("store__code")
                    .values_list("pk", "store_id")
                ):
                    if Stock.objects.filter(pk=stock_id, quantity__gte=F("reserved") + qty).update(
                        reserved=F("reserved") + qty
                    ):
                        row.store_id, row.status = store_id, ReservationStatus.RESERVED
                        row.save(update_fields=["store", "status"])
                        done += 1
                        break
        except IntegrityError:  # reserved by another run already
            continue
    return done


def reservations_release(*, work_order: WorkOrder) -> int:
    """The order is cancelled: its reserved parts are available again."""
    n = 0
    for row in StockReservation.objects.select_for_update().filter(
        work_order=work_order, status__in=[ReservationStatus.RESERVED, ReservationStatus.SHORT]
    ):
        if row.status == ReservationStatus.RESERVED and row.store_id is not None:
            Stock.objects.filter(store_id=row.store_id, part_id=row.part_id).update(
                reserved=F("reserved") - row.quantity
            )
            n += 1
        row.status = ReservationStatus.RELEASED
        row.save(update_fields=["status"])
    return n


def reservations_consume(*, work_order: WorkOrder, actor: Any) -> list[PartUsage]:
    """The order is completed: each reserved part leaves the store (quantity and reservation both
    go down in one UPDATE) and is recorded as used on the order; a `short` one is closed."""
    used = []
    for row in StockReservation.objects.select_for_update().filter(
        work_order=work_order, status__in=[ReservationStatus.RESERVED, ReservationStatus.SHORT]
    ):
        if row.status == ReservationStatus.RESERVED and row.store_id is not None:
            Stock.objects.filter(store_id=row.store_id, part_id=row.part_id).update(
                quantity=F("quantity") - row.quantity, reserved=F("reserved") - row.quantity
            )
            used.append(
                PartUsage.objects.create(
                    work_order=work_order,
                    part_id=row.part_id,
                    store_id=row.store_id,
                    quantity=row.quantity,
                    used_by=_person(actor),
                )
            )
            row.status = ReservationStatus.CONSUMED
        else:
            row.status = ReservationStatus.RELEASED
        row.save(update_fields=["status"])
    return used
