"""FLD-2: the policy's on-site arrival clock — started by dispatching a ticket's work order, on the
office working calendar, key accounts sooner, warned at 80 %, breached through the sweep's
notification path, stopped by the recorded arrival, ended when the order is cancelled.

Friday 2026-02-13 15:00 (Asia/Shanghai) is the day before the Saturday 2026-02-14 make-up working
day (调休上班 before the Spring Festival), so the promise runs on into that Saturday."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from herdesk.clocks.models import Clock, ClockIncident, ClockState
from herdesk.clocks.services import clock_sweep
from herdesk.customers.models import Customer
from herdesk.field import services as fs
from herdesk.notifications.models import OutboxMessage
from herdesk.policies.models import ClockDefinition

from .conftest import window

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
DISPATCH = dt.datetime(2026, 2, 13, 15, 0, tzinfo=SH)


def _onsite(ticket) -> Clock:
    return Clock.objects.filter(ticket=ticket, kind="onsite_arrival").latest("cycle")


def _dispatch(ticket, staff, at=DISPATCH):
    wo = fs.work_order_create(actor=staff["cs_lead"], kind="repair", ticket=ticket, content="挤奶机漏气")
    start, end = window(2)
    return fs.work_order_schedule(
        actor=staff["cs_lead"], work_order=wo, engineers=[staff["field1"]], start=start, end=end, now=at
    )


def test_the_policy_in_force_has_the_onsite_rows() -> None:
    rows = ClockDefinition.objects.filter(
        version__policy__code="seed-000", version__status="approved", kind="onsite_arrival"
    )
    assert sorted((r.applies_to["tiers"][0], r.target, r.calendar_code) for r in rows) == [
        ("key_account", "4h", "office"),
        ("regular", "8h", "office"),
    ]
    assert {(r.start_event, r.stop_event, r.warn_at_percent) for r in rows} == {
        ("dispatched", "arrived_on_site", 80)
    }


def test_key_account_due_on_the_make_up_saturday(ticket, staff) -> None:
    Customer.objects.filter(pk=ticket.customer_id).update(tier="key_account")
    ticket.customer.refresh_from_db()
    _dispatch(ticket, staff)
    clock = _onsite(ticket)
    assert (clock.target, clock.calendar_code, clock.state) == ("4h", "office", ClockState.RUNNING)
    # 15:00–18:00 Friday (3 h), then the make-up Saturday from 09:00: 1 h more.
    assert clock.due_at.astimezone(SH).isoformat() == "2026-02-14T10:00:00+08:00"
    # 80 % of 4 h = 3 h 12 min: Friday's 3 h and 12 minutes of Saturday.
    assert clock.warn_at.astimezone(SH).isoformat() == "2026-02-14T09:12:00+08:00"


def test_regular_customer_gets_eight_working_hours(ticket, staff) -> None:
    Customer.objects.filter(pk=ticket.customer_id).update(tier="regular")
    ticket.customer.refresh_from_db()
    _dispatch(ticket, staff)
    clock = _onsite(ticket)
    assert clock.target == "8h"
    # Friday 3 h; Saturday 09:00–12:00 (3 h), lunch, 13:00–15:00 (2 h).
    assert clock.due_at.astimezone(SH).isoformat() == "2026-02-14T15:00:00+08:00"
    # 80 % = 6 h 24 min: Friday 3 h, Saturday morning 3 h, then 24 minutes after lunch.
    assert clock.warn_at.astimezone(SH).isoformat() == "2026-02-14T13:24:00+08:00"


def test_arrival_stops_the_clock_as_met(ticket, staff) -> None:
    Customer.objects.filter(pk=ticket.customer_id).update(tier="key_account")
    ticket.customer.refresh_from_db()
    wo = _dispatch(ticket, staff)
    fs.work_order_arrive(actor=staff["field1"], work_order=wo, at=dt.datetime(2026, 2, 14, 9, 40, tzinfo=SH))
    clock = _onsite(ticket)
    assert clock.state == ClockState.MET
    assert clock.stopped_at.astimezone(SH).isoformat() == "2026-02-14T09:40:00+08:00"


def test_warning_and_breach_through_the_sweep_then_late_arrival(ticket, staff) -> None:
    Customer.objects.filter(pk=ticket.customer_id).update(tier="key_account")
    ticket.customer.refresh_from_db()
    wo = _dispatch(ticket, staff)
    clock = _onsite(ticket)
    clock_sweep(now=dt.datetime(2026, 2, 14, 9, 12, tzinfo=SH))
    clock.refresh_from_db()
    assert clock.warned_at is not None and clock.state == ClockState.RUNNING
    warn_keys = set(
        OutboxMessage.objects.filter(dedupe_key__startswith=f"clock:{clock.pk}:warning:").values_list(
            "template", flat=True
        )
    )
    assert warn_keys == {"notify_assignee", "notify_team_lead"}
    clock_sweep(now=dt.datetime(2026, 2, 14, 10, 0, tzinfo=SH))
    clock.refresh_from_db()
    assert clock.state == ClockState.BREACHED
    assert ClockIncident.objects.filter(clock=clock, kind="breach").count() == 1
    assert OutboxMessage.objects.filter(
        dedupe_key=f"clock:{clock.pk}:breach:notify_supervisor", template="notify_supervisor"
    ).exists()
    fs.work_order_arrive(actor=staff["field1"], work_order=wo, at=dt.datetime(2026, 2, 14, 11, 0, tzinfo=SH))
    clock.refresh_from_db()
    assert clock.state == ClockState.BREACHED and clock.stopped_at is not None


def test_rebooking_keeps_the_first_promise(ticket, staff) -> None:
    wo = _dispatch(ticket, staff)
    due = _onsite(ticket).due_at
    start, end = window(30)
    fs.work_order_schedule(
        actor=staff["cs_lead"],
        work_order=wo,
        engineers=[staff["field1"]],
        start=start,
        end=end,
        now=DISPATCH + dt.timedelta(hours=2),
    )
    assert Clock.objects.filter(ticket=ticket, kind="onsite_arrival").count() == 1
    assert _onsite(ticket).due_at == due


def test_cancelling_the_only_order_ends_the_clock(ticket, staff) -> None:
    wo = _dispatch(ticket, staff, at=timezone.now())
    fs.work_order_cancel(actor=staff["cs_lead"], work_order=wo, reason="客户自行修好")
    assert _onsite(ticket).state == ClockState.CANCELLED


def test_cancelling_an_overdue_order_keeps_the_breach(ticket, staff) -> None:
    wo = _dispatch(ticket, staff)  # dispatched in February, never visited
    fs.work_order_cancel(actor=staff["cs_lead"], work_order=wo, reason="客户自行修好")
    assert _onsite(ticket).state == ClockState.BREACHED


def test_a_maintenance_order_without_ticket_has_no_clock(customer, staff) -> None:
    wo = fs.work_order_create(actor=staff["cs_lead"], kind="maintenance", customer=customer, content="保养")
    start, end = window(2)
    fs.work_order_schedule(
        actor=staff["cs_lead"], work_order=wo, engineers=[staff["field1"]], start=start, end=end
    )
    assert not Clock.objects.filter(kind="onsite_arrival").exists()
