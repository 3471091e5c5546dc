"""The monthly complaint analysis against hand-computed values on a fixture month (October 2026,
Asia/Shanghai), and its page (CMP-1..5)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from herdesk.complaints import services as cs
from herdesk.complaints.models import CauseCategory
from herdesk.complaints.selectors import monthly_analysis

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def october(
    make_complaint: Any, make_ticket: Any, staff: dict[str, Any], customer: Any, other_customer: Any
) -> dict[str, Any]:
    from herdesk.catalog.models import Product
    from herdesk.customers.models import Customer
    from herdesk.customers.services import customer_create
    from herdesk.tickets.models import Category, Ticket

    customer_create(name="王五", phone="13700000001")
    customer_create(name="赵六", phone="13700000002")
    Customer.objects.update(created_at=dt.datetime(2026, 1, 1, tzinfo=SH))
    p0, p1 = Product.objects.order_by("pk")[:2]
    quality, service = Category.objects.get(code="quality"), Category.objects.get(code="service")
    qa = staff["qa1"]

    def complaint(
        at: dt.datetime,
        *,
        cust: Any,
        product: Any,
        category: Any,
        region: str,
        severity: str = "general",
        batches: tuple[str, ...] = (),
        cause: str = "",
    ) -> Any:
        c = make_complaint(cust=cust, product=product, category=category, region=region, received_at=at)
        if severity == "major" or batches:
            cs.complaint_transition(
                complaint=c,
                action="assess",
                actor=qa,
                impact="medium",
                urgency="medium",
                severity=severity,
                lots=[{"batch": b} for b in batches],
            )
        if cause:
            cs.rca_record(
                complaint=c, actor=qa, category=CauseCategory.objects.get(code=cause), whys=["为什么"]
            )
        return c

    d = lambda day, h=10, m=0: dt.datetime(2026, 10, day, h, m, tzinfo=SH)  # noqa: E731
    complaint(
        d(3),
        cust=customer,
        product=p0,
        category=quality,
        region="内蒙古 呼和浩特",
        severity="major",
        batches=("B1",),
        cause="material-packaging",
    )
    complaint(
        d(9),
        cust=customer,
        product=p0,
        category=quality,
        region="内蒙古 包头",
        batches=("B1", "B2"),
        cause="material-raw",
    )
    complaint(
        d(15), cust=other_customer, product=p1, category=service, region="河北 石家庄", cause="man-attitude"
    )
    complaint(d(20), cust=other_customer, product=p1, category=None, region="河北 保定")
    # the month's last half hour in Shanghai (16:30 UTC) is still October
    complaint(
        d(31, 23, 30), cust=customer, product=None, category=None, region="广东 广州", cause="man-training"
    )
    # not counted: next month (00:10 on 1 November in Shanghai), a merged duplicate, a non-complaint
    complaint(
        dt.datetime(2026, 11, 1, 0, 10, tzinfo=SH),
        cust=customer,
        product=p0,
        category=quality,
        region="内蒙古",
    )
    dup = complaint(d(12), cust=customer, product=p0, category=quality, region="内蒙古")
    Ticket.objects.filter(pk=dup.ticket_id).update(status="merged")
    make_ticket(problem_type="after_sales", received_at=d(5))
    # the month before: the same top cause (人) as two of October's, so 人 recurs
    complaint(
        dt.datetime(2026, 9, 15, 10, tzinfo=SH),
        cust=customer,
        product=p1,
        category=service,
        region="河北",
        cause="man-attitude",
    )
    return {"p0": p0.name, "p1": p1.name}


def test_fixture_month_matches_hand_computed(october: dict[str, Any]) -> None:
    a = monthly_analysis(month=dt.date(2026, 10, 1))
    assert a.complaints == 5
    assert a.customers == 4
    assert a.rate_per_10k == Decimal("12500.00")  # 5 ÷ 4 × 10,000
    assert a.by_type == [("—", 2), ("产品质量", 2), ("服务态度", 1)]
    assert a.by_severity == [("general", 4), ("major", 1)]
    assert a.by_product == sorted(
        [(october["p0"], 2), (october["p1"], 2), ("—", 1)], key=lambda r: (-r[1], r[0])
    )
    assert a.by_batch == [("B1", 2), ("B2", 1)]
    assert a.by_cause == [("人", 2), ("料", 2)]
    assert a.by_subcause == [
        ("人 / 培训不足", 1),
        ("人 / 服务态度", 1),
        ("料 / 包装破损", 1),
        ("料 / 原料不合格", 1),
    ]
    assert a.by_region == [("内蒙古", 2), ("河北", 2), ("广东", 1)]
    assert a.recurring == [("人", 2, 1), ("料", 2, 0)]
    assert a.without_rca == 1


def test_analysis_page(october: dict[str, Any], login: Any, django_assert_max_num_queries: Any) -> None:
    client = login("qa1")
    with django_assert_max_num_queries(40):
        r = client.get("/complaints/analysis/?month=2026-10")
    assert r.status_code == 200
    body = r.content.decode()
    assert 'id="an-complaints">5<' in body and "12500.00" in body
    assert client.get("/complaints/analysis/?month=bad").status_code == 400
    assert login("agent1").get("/complaints/analysis/").status_code == 403
