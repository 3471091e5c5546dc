"""FLD-3 preventive maintenance (calendar and meter plans, idempotent generation, catch-up, the
portal block) and FLD-4 biosecurity (a disease alert keeps the engineer away from other farms)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from herdesk.common.errors import DomainError
from herdesk.field import services as fs
from herdesk.field.models import WorkOrder

from .conftest import window

pytestmark = pytest.mark.django_db


def test_calendar_plan_generates_ahead_idempotently_and_catches_up(equipment, product, staff) -> None:
    plan = fs.maintenance_plan_create(
        actor=staff["cs_lead"], name="季度保养", starts_on=dt.date(2026, 1, 1), product=product,
        interval=3, frequency="MONTHLY", lead_days=14, checklist=["检查真空度", "更换滤芯"],
    )  # fmt: skip
    # Installed 2026-01-10: due 04-10, 07-10, 10-10 … On 2026-03-30 (lead 14 days) only 04-10.
    now = dt.datetime(2026, 3, 30, 9, tzinfo=dt.UTC)
    assert fs.maintenance_generate(now=now) == 1
    assert fs.maintenance_generate(now=now) == 0  # a second run creates nothing
    wo = WorkOrder.objects.get(plan=plan)
    assert wo.due_on == dt.date(2026, 4, 10) and wo.kind == "maintenance" and wo.status == "new"
    assert [c["label"] for c in wo.checklist] == ["检查真空度", "更换滤芯"]
    # The job was down from April to late October: the missed occurrences are created on the next run.
    later = dt.datetime(2026, 10, 1, 9, tzinfo=dt.UTC)
    assert fs.maintenance_generate(now=later) == 2  # 07-10 (overdue) and 10-10 (within the lead)
    assert fs.maintenance_generate(now=later) == 0
    assert sorted(WorkOrder.objects.filter(plan=plan).values_list("due_key", flat=True)) == [
        "2026-04-10", "2026-07-10", "2026-10-10",
    ]  # fmt: skip


def test_meter_plan_follows_the_milking_hours(equipment, staff) -> None:
    fs.maintenance_plan_create(
        actor=staff["cs_lead"], name="每 500 小时保养", starts_on=dt.date(2026, 1, 1), equipment=equipment,
        interval_kind="meter", meter_interval=500, lead_hours=50,
    )  # fmt: skip
    assert fs.maintenance_generate() == 0  # 0 h
    fs.meter_reading_record(actor=staff["field1"], equipment=equipment, value=460)
    assert fs.maintenance_generate() == 1  # within 50 h of 500
    fs.meter_reading_record(actor=staff["field1"], equipment=equipment, value=1210)
    assert fs.maintenance_generate() == 1  # 1000 (500 exists already)
    assert fs.maintenance_generate() == 0
    with pytest.raises(ValidationError):
        fs.meter_reading_record(actor=staff["field1"], equipment=equipment, value=100)  # never backwards


def test_portal_shows_upcoming_maintenance(equipment, product, staff, customer, client) -> None:
    from herdesk.portal.services import portal_user_for

    fs.maintenance_plan_create(
        actor=staff["cs_lead"], name="季度保养", starts_on=timezone.localdate() - dt.timedelta(days=80),
        equipment=equipment, interval=3, frequency="MONTHLY", lead_days=30,
    )  # fmt: skip
    from herdesk.field.models import Equipment

    Equipment.objects.filter(pk=equipment.pk).update(installed_on=None)
    assert fs.maintenance_generate() == 1
    client.force_login(portal_user_for(customer=customer))
    page = client.get("/portal/").content.decode()
    assert 'id="upcoming-maintenance"' in page and "季度保养" in page


def _farm(name):
    from herdesk.customers.services import customer_create, organisation_create

    org = organisation_create(name=name, region="内蒙古")
    return customer_create(
        name=f"{name}场长", organisation=org, phone="1390000" + str(abs(hash(name)) % 10000).zfill(4)
    )


def test_disease_alert_blocks_the_next_farm_within_the_quarantine(customer, staff, settings) -> None:
    settings.HERDESK_FIELD_QUARANTINE_HOURS = 48
    f1, lead = staff["field1"], staff["cs_lead"]
    other = _farm("青山牧场")
    sick = fs.work_order_create(actor=lead, kind="repair", customer=customer)
    start, end = window(2)
    fs.work_order_schedule(actor=lead, work_order=sick, engineers=[f1], start=start, end=end)
    fs.disease_alert_declare(actor=lead, farm=customer.organisation, disease="口蹄疫")
    nxt = fs.work_order_create(actor=lead, kind="inspection", customer=other)
    a, b = end + dt.timedelta(hours=24), end + dt.timedelta(hours=26)
    with pytest.raises(DomainError) as exc:
        fs.work_order_schedule(actor=lead, work_order=nxt, engineers=[f1], start=a, end=b)
    assert exc.value.code == "quarantine" and "口蹄疫" in exc.value.message and "48" in exc.value.message
    # Another engineer may go; so may field1 once the interval has passed.
    fs.work_order_schedule(actor=lead, work_order=nxt, engineers=[staff["field2"]], start=a, end=b)
    later = end + dt.timedelta(hours=49)
    fs.work_order_schedule(
        actor=lead, work_order=nxt, engineers=[f1], start=later, end=later + dt.timedelta(hours=2)
    )
    # The other direction: booking the farm under alert before a booking elsewhere within 48 h.
    third = fs.work_order_create(actor=lead, kind="repair", customer=customer)
    with pytest.raises(DomainError):
        fs.work_order_schedule(
            actor=lead, work_order=third, engineers=[f1], start=later - dt.timedelta(hours=10),
            end=later - dt.timedelta(hours=8),
        )  # fmt: skip


def test_no_quarantine_without_an_alert_or_after_it_ended(customer, staff) -> None:
    f1, lead = staff["field1"], staff["cs_lead"]
    other = _farm("白云牧场")
    first = fs.work_order_create(actor=lead, kind="repair", customer=customer)
    start, end = window(2)
    fs.work_order_schedule(actor=lead, work_order=first, engineers=[f1], start=start, end=end)
    nxt = fs.work_order_create(actor=lead, kind="repair", customer=other)
    fs.work_order_schedule(
        actor=lead,
        work_order=nxt,
        engineers=[f1],
        start=end + dt.timedelta(hours=1),
        end=end + dt.timedelta(hours=2),
    )
    alert = fs.disease_alert_declare(
        actor=lead,
        farm=customer.organisation,
        disease="布病",
        started_at=timezone.now() - dt.timedelta(days=10),
    )
    fs.disease_alert_end(actor=lead, alert=alert, at=timezone.now() - dt.timedelta(days=5))
    fs.work_order_unschedule(actor=lead, work_order=nxt)
    nxt.refresh_from_db()
    fs.work_order_schedule(
        actor=lead,
        work_order=nxt,
        engineers=[f1],
        start=end + dt.timedelta(hours=1),
        end=end + dt.timedelta(hours=2),
    )
