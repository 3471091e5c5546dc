"""EMG-2: affected customers chosen by equipment model and installation region — the owners of
equipment in service of that model (registry model, product model number or code) on farms in that
region — for linking tickets and for the mass notification; the incident page takes both."""

from __future__ import annotations

from typing import Any

import pytest

from herdesk.catalog.models import Product
from herdesk.customers.services import customer_create, organisation_create
from herdesk.emergency import selectors, services
from herdesk.field import services as fs
from herdesk.tickets.services import ticket_create

from .test_services import _running

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet(staff: Any) -> dict[str, Any]:
    milker = Product.objects.create(code="milker-x9", name="挤奶机 X9", kind="equipment", model_number="X9")
    out = {}
    for i, (region, model, status) in enumerate(
        [
            ("内蒙古 呼和浩特", "X9", "in_service"),
            ("内蒙古 包头", "X9", "in_service"),
            ("河北 石家庄", "X9", "in_service"),
            ("内蒙古 呼和浩特", "X7", "in_service"),
            ("内蒙古 呼和浩特", "X9", "retired"),
        ]
    ):
        farm = organisation_create(name=f"牧场{i}", region=region)
        c = customer_create(name=f"客户{i}", organisation=farm, phone=f"1380000{i:04d}")
        fs.equipment_create(
            actor=staff["admin"], customer=c, serial=f"S-{i}", product=milker if model == "X9" else None,
            model=model, status=status,
        )  # fmt: skip
        out[i] = c
    return out


def test_customers_by_equipment_model_and_region(plans: Any, staff: Any, fleet: dict[str, Any]) -> None:
    boss = staff["cs_lead"]
    inc = _running(plans, boss)
    pick = lambda **kw: set(  # noqa: E731
        selectors.customers_for_scope(user=boss, incident=inc, source="equipment", **kw).values_list(
            "pk", flat=True
        )
    )
    assert pick(equipment_model="X9") == {fleet[0].pk, fleet[1].pk, fleet[2].pk}  # not the retired one
    assert pick(equipment_model="x9", equipment_region="内蒙古") == {fleet[0].pk, fleet[1].pk}
    assert pick(equipment_model="milker-x9", equipment_region="内蒙古 呼和浩特") == {fleet[0].pk}
    assert pick(equipment_region="内蒙古 呼和浩特") == {fleet[0].pk, fleet[3].pk}
    assert pick() == set()  # never everybody by accident
    counts = services.incident_notify_customers(
        incident=inc, actor=boss, customer_ids=sorted(pick(equipment_model="X9")), channels=["sms"]
    )
    assert counts["queued"] == 3


def test_tickets_by_equipment_model(plans: Any, staff: Any, fleet: dict[str, Any], client: Any) -> None:
    boss = staff["cs_lead"]
    for c in fleet.values():
        ticket_create(
            actor=boss, customer=c, channel="phone", problem_type="after_sales", subject="挤奶机停机"
        )
    qs = selectors.tickets_for_scope(user=boss, equipment_model="X9", equipment_region="内蒙古")
    assert set(qs.values_list("customer_id", flat=True)) == {fleet[0].pk, fleet[1].pk}
    inc = _running(plans, boss)
    client.force_login(boss)
    page = client.get(f"/emergency/{inc.number}/", {"search": "1", "equipment_model": "X9"})
    assert page.status_code == 200
    assert page.context["matches"] == 3
