from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

# A 1×1 PNG (what the signature canvas sends, in miniature).
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PNG_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def product(reference: Any) -> Any:
    from herdesk.catalog.models import Product

    return Product.objects.create(code="milker-x9", name="挤奶机 X9", kind="equipment", model_number="X9")


@pytest.fixture
def equipment(customer: Any, staff: Any, product: Any) -> Any:
    from herdesk.field import services as fs

    return fs.equipment_create(
        actor=staff["admin"],
        customer=customer,
        serial="X9-0001",
        product=product,
        model="X9",
        installed_on=dt.date(2026, 1, 10),
        barn="2 号牛舍",
        address="呼和浩特市赛罕区草原路 88 号",
    )


@pytest.fixture
def van(staff: Any) -> Any:
    from herdesk.field import services as fs
    from herdesk.field.models import Part, Store

    store = Store.objects.create(
        code="van-field1", name="周建国的服务车", kind="van", engineer=staff["field1"]
    )
    part = Part.objects.create(code="P-LINER", name="奶杯内衬", unit="个")
    fs.stock_adjust(actor=staff["admin"], store=store, part=part, delta=5, reason="入库")
    return store, part


@pytest.fixture
def ticket(customer: Any, staff: Any) -> Any:
    from herdesk.staff.models import Team
    from herdesk.tickets import services as s

    agent, field = staff["agent1"], staff["field1"]
    t = s.ticket_create(
        actor=agent, customer=customer, channel="phone", problem_type="after_sales", subject="挤奶机上门维修"
    )
    s.ticket_triage(ticket=t, actor=agent, complexity="general", team=Team.objects.get(code="after-sales"))
    s.ticket_assign(ticket=t, actor=agent, assignee=field, reason="上门")
    s.ticket_acknowledge(ticket=t, actor=field)
    return t


def window(hours_from_now: float, length: float = 2) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.now() + dt.timedelta(hours=hours_from_now)
    return start, start + dt.timedelta(hours=length)
