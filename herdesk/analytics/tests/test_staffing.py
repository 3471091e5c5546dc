"""Peak analysis and Erlang C staffing (KPI-4): the textbook values, and working days from the calendar."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from herdesk.analytics import staffing
from herdesk.analytics.rollup import rollup_range
from herdesk.tickets.services import ticket_create

Z = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(("agents", "expected"), [(11, 0.6821), (12, 0.4494), (13, 0.2853)])
def test_erlang_c_matches_the_published_table_for_ten_erlangs(agents: int, expected: float) -> None:
    assert staffing.erlang_c(agents, 10.0) == pytest.approx(expected, abs=1e-4)


def test_agents_needed_is_the_fewest_that_meet_the_service_level() -> None:
    n = staffing.agents_needed(contacts_per_hour=100, handle_seconds=180, target_seconds=20, level=0.8)
    traffic = 100 * 180 / 3600
    assert (
        staffing.service_level(n, traffic, 180, 20) >= 0.8 > staffing.service_level(n - 1, traffic, 180, 20)
    )
    assert staffing.agents_needed(contacts_per_hour=0, handle_seconds=180, target_seconds=20) == 0


@pytest.mark.django_db
def test_profile_counts_a_make_up_saturday_as_a_working_day(staff, customer) -> None:
    # Sat 2026-10-10 is a 调休 working day; Sun 2026-10-11 is a day off; Wed 10-07 a holiday.
    for day, hour in [(10, 9), (10, 9), (10, 14), (11, 9), (7, 10)]:
        at = dt.datetime(2026, 10, day, hour, 5, tzinfo=Z)
        ticket_create(
            actor=staff["agent1"], customer=customer, channel="phone", problem_type="order_inquiry",
            subject="订单查询", description="", received_at=at, now=at,
        )  # fmt: skip
    rollup_range(dt.date(2026, 10, 7), dt.date(2026, 10, 11))
    p = staffing.hourly_profile(dt.date(2026, 10, 7), dt.date(2026, 10, 11))
    # Working days in the range: Thu 10-08, Fri 10-09, Sat 10-10 (make-up) → 3; days off: 10-07, 10-11.
    assert (p.days_working, p.days_non_working) == (3, 2)
    assert p.working[9] == pytest.approx(2 / 3) and p.working[14] == pytest.approx(1 / 3)
    assert p.non_working[9] == pytest.approx(1 / 2) and p.non_working[10] == pytest.approx(1 / 2)
    assert p.by_weekday[5][9] == 2  # the Saturday
    days = staffing.forecast(p, dt.date(2026, 10, 10), weeks=1)
    assert days[0]["working"] is True and days[1]["working"] is False
    plan = staffing.staffing_plan(p)
    assert plan["working"][9] == 1 and plan["working"][3] == 0
