"""FLD-3: the parts a maintenance plan lists are reserved in a warehouse when its order is generated,
released when the order is cancelled, consumed (recorded as used) when it is completed; stock never
goes below zero nor below what is reserved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from herdesk.common.errors import DomainError
from herdesk.field import services as fs
from herdesk.field.models import Part, PartUsage, Stock, StockReservation, Store, WorkOrder

from .conftest import PNG, window

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 30, 9, tzinfo=dt.UTC)


@pytest.fixture
def warehouse(staff):
    store = Store.objects.create(code="wh-1", name="呼和浩特仓库", kind="warehouse")
    liner = Part.objects.create(code="P-LINER", name="奶杯内衬")
    filt = Part.objects.create(code="P-FILTER", name="滤芯")
    fs.stock_adjust(actor=staff["admin"], store=store, part=liner, delta=5)
    fs.stock_adjust(actor=staff["admin"], store=store, part=filt, delta=1)
    return store, liner, filt


def _plan(staff, product, parts):
    return fs.maintenance_plan_create(
        actor=staff["cs_lead"], name="季度保养", starts_on=dt.date(2026, 1, 1), product=product,
        interval=3, frequency="MONTHLY", lead_days=14, parts=parts,
    )  # fmt: skip


def _stock(store, part) -> tuple[int, int]:
    s = Stock.objects.get(store=store, part=part)
    return s.quantity, s.reserved


def test_generation_reserves_and_a_second_run_reserves_nothing(equipment, product, staff, warehouse) -> None:
    store, liner, filt = warehouse
    _plan(staff, product, [{"part": "P-LINER", "quantity": 4}, {"part": "P-FILTER", "quantity": 2}])
    assert fs.maintenance_generate(now=NOW) == 1
    assert fs.maintenance_generate(now=NOW) == 0
    wo = WorkOrder.objects.get(plan__isnull=False)
    rows = {r.part.code: (r.status, r.store_id, r.quantity) for r in wo.reservations.select_related("part")}
    # Only one filter in stock for two: recorded short, nothing taken.
    assert rows == {"P-LINER": ("reserved", store.pk, 4), "P-FILTER": ("short", None, 2)}
    assert _stock(store, liner) == (5, 4) and _stock(store, filt) == (1, 0)
    # Reserved stock cannot be taken for something else, nor written off.
    with pytest.raises(DomainError):
        fs.stock_adjust(actor=staff["admin"], store=store, part=liner, delta=-2)
    assert fs.stock_adjust(actor=staff["admin"], store=store, part=liner, delta=-1) == 4


def test_cancel_releases_the_reservation(equipment, product, staff, warehouse) -> None:
    store, liner, _filt = warehouse
    _plan(staff, product, [{"part": "P-LINER", "quantity": 3}])
    fs.maintenance_generate(now=NOW)
    wo = WorkOrder.objects.get(plan__isnull=False)
    fs.work_order_cancel(actor=staff["cs_lead"], work_order=wo, reason="设备已停用")
    assert _stock(store, liner) == (5, 0)
    assert wo.reservations.get().status == "released"


def test_completion_consumes_the_reserved_parts(equipment, product, staff, warehouse) -> None:
    store, liner, _filt = warehouse
    _plan(staff, product, [{"part": "P-LINER", "quantity": 3}])
    fs.maintenance_generate(now=NOW)
    wo = WorkOrder.objects.get(plan__isnull=False)
    start, end = window(-1)
    fs.work_order_schedule(
        actor=staff["cs_lead"], work_order=wo, engineers=[staff["field1"]], start=start, end=end
    )
    fs.work_order_arrive(actor=staff["field1"], work_order=wo)
    fs.work_order_complete(
        actor=staff["field1"],
        work_order=wo,
        findings="已保养",
        signed_by="张三",
        confirmation="",
        signature_png=PNG,
    )
    assert _stock(store, liner) == (2, 0)
    assert wo.reservations.get().status == "consumed"
    assert list(PartUsage.objects.filter(work_order=wo).values_list("part__code", "quantity")) == [
        ("P-LINER", 3)
    ]
    # A second reservation for the same order and part is refused by the table.
    with pytest.raises(IntegrityError), transaction.atomic():
        StockReservation.objects.create(work_order=wo, part=liner, quantity=1)


def test_a_plan_with_unknown_parts_is_refused(product, staff, warehouse) -> None:
    with pytest.raises(ValidationError) as exc:
        _plan(staff, product, [{"part": "NOPE", "quantity": 1}, {"part": "P-LINER", "quantity": 0}])
    assert "parts" in exc.value.message_dict


def test_stock_never_below_zero_in_the_table(staff, warehouse) -> None:
    store, liner, _filt = warehouse
    with pytest.raises(IntegrityError), transaction.atomic():
        Stock.objects.filter(store=store, part=liner).update(reserved=6)
