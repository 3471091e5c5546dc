"""Bottleneck analysis (#18): working time per lifecycle stage on the fixture month, by hand.

Office calendar: Mon–Fri 09–12 and 13–18, closed 10-01..07, open on the make-up Saturday 10-10.
"""

import datetime as dt

import pytest

from herdesk.analytics import periods
from herdesk.analytics.models import DailyStageStats
from herdesk.analytics.rollup import rollup_range
from herdesk.analytics.stages import bottleneck_report
from herdesk.analytics.tests import test_kpis
from herdesk.analytics.tests.test_kpis import _clock, _ticket, at
from herdesk.clocks.models import ClockState
from herdesk.tickets.models import Category, Interaction

pytestmark = pytest.mark.django_db
october = test_kpis.october  # the hand-computed fixture month, shared
OCT = periods.month("2026-10")


@pytest.fixture
def staged(october, staff, other_customer):
    """T5 (after-sales, one category) goes through every stage on Tue 10-13:
    triage 09:00–09:02 (met), acknowledge 09:05–09:30 (due 09:20: late → breached), options
    09:30–10:30 (met), waiting for the customer 11:00–14:00 (11–12 + 13–14 = 120 min), resolved
    16:00: resolution = 10:30–16:00 (90 + 180 = 270 min) less the 120 min waiting = 150 min."""
    category = Category.objects.filter(is_active=True).first()
    t5 = _ticket(
        staff, other_customer, channel="phone", problem_type="technical_support", received=at(13, 9),
        team=october["teams"]["after-sales"], category=category, acknowledged_at=at(13, 9, 30),
        resolved_at=at(13, 16),
    )  # fmt: skip
    _clock(t5, "triage", ClockState.MET, at(13, 9), at(13, 9, 3), stopped=at(13, 9, 2))
    _clock(t5, "acknowledge", ClockState.MET, at(13, 9, 5), at(13, 9, 20), stopped=at(13, 9, 30))
    _clock(t5, "solution_plan", ClockState.MET, at(13, 9, 30), at(13, 10, 30), stopped=at(13, 10, 30))
    for when, data in (
        (at(13, 11), {"from_status": "in_progress", "to_status": "waiting_customer"}),
        (at(13, 14), {"from_status": "waiting_customer", "to_status": "in_progress"}),
    ):
        Interaction.objects.create(
            ticket=t5, kind="system_event", direction="internal", is_public=False, occurred_at=when, data=data
        )
    rollup_range(dt.date(2026, 10, 13), dt.date(2026, 10, 13))
    return {**october, "t5": t5, "category": category}


def test_stage_working_time_and_breaches_by_hand(staged) -> None:
    r = bottleneck_report(OCT)
    s = {x["code"]: x for x in r["stages"]}
    # Resolution: T1 ack Fri 10:10 → Sat (make-up) 10:00 = 110 + 300 + 60 = 470 min; T2 received
    # 09-30 17:00 → 10-08 10:00 = 120 min (holiday skipped); T3 ack 09:20 → 15:00 = 280 min; T5 150.
    assert s["resolution"]["tickets"] == 4
    assert s["resolution"]["hours_total"] == pytest.approx((470 + 120 + 280 + 150) / 60)
    assert s["resolution"]["clocks"] == 2 and s["resolution"]["breached"] == 1  # T1's breached, T3's met
    # Follow-up: T1 Sat 10:00 → Mon 10:00 = 7 h on the make-up Saturday + 1 h = 480 min; T3 Mon
    # 15:00 → Tue 10:00 = 240 min. Both met.
    assert s["follow_up"]["tickets"] == 2
    assert s["follow_up"]["hours_avg"] == pytest.approx((480 + 240) / 2 / 60)
    assert s["follow_up"]["breach_rate"] == 0.0
    assert s["triage"]["hours_total"] == pytest.approx(2 / 60) and s["triage"]["breached"] == 0
    assert s["acknowledge"]["hours_total"] == pytest.approx(25 / 60) and s["acknowledge"]["breached"] == 1
    assert s["options"]["hours_total"] == pytest.approx(1.0) and s["options"]["breach_rate"] == 0.0
    assert s["customer"]["tickets"] == 1 and s["customer"]["hours_total"] == pytest.approx(2.0)
    total = (470 + 120 + 280 + 150 + 480 + 240 + 2 + 25 + 60 + 120) / 60
    assert sum(x["share"] for x in r["stages"]) == pytest.approx(1.0)
    assert s["resolution"]["share"] == pytest.approx((1020 / 60) / total)
    # Teams with the most breaches first: tech support (T1's resolution) and after-sales (T5's
    # acknowledgement) one each; after-sales has two tickets (T3, T5).
    teams = {t["name"]: t for t in r["teams"]}
    assert teams[staged["teams"]["after-sales"].name]["breached"] == 1
    assert teams[staged["teams"]["after-sales"].name]["tickets"] == 2
    assert teams[staged["teams"]["tech-support"].name]["breach_rate"] == pytest.approx(1 / 2)
    assert r["teams"][-1]["breached"] == 0  # customer service (T2): no stage clock
    cats = {c["name"]: c for c in r["categories"]}
    assert cats[staged["category"].name]["breached"] == 1 and cats[staged["category"].name]["tickets"] == 1


def test_stage_rollup_is_recomputable_and_filtered_by_team(staged) -> None:
    before = list(DailyStageStats.objects.order_by("day", "team_id", "category_id", "stage").values())
    rollup_range(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    after = list(DailyStageStats.objects.order_by("day", "team_id", "category_id", "stage").values())
    strip = lambda rows: [{k: v for k, v in r.items() if k != "id"} for r in rows]  # noqa: E731
    assert strip(before) == strip(after)
    from herdesk.analytics import kpis

    tech = bottleneck_report(OCT, kpis.Filters(team_id=staged["teams"]["tech-support"].pk))
    s = {x["code"]: x for x in tech["stages"]}
    assert s["resolution"]["tickets"] == 1 and s["resolution"]["hours_total"] == pytest.approx(470 / 60)
    assert s["customer"]["tickets"] == 0


def test_bottlenecks_in_the_monthly_pack(staged, tmp_path) -> None:
    from io import StringIO

    import openpyxl
    from django.core.management import call_command

    xlsx = tmp_path / "2026-10.xlsx"
    call_command(
        "report", "monthly", "--month", "2026-10", "--format", "xlsx", "--out", str(xlsx),
        "--language", "en", stdout=StringIO(),
    )  # fmt: skip
    book = openpyxl.load_workbook(xlsx, read_only=True)
    rows = list(book["Bottlenecks"].iter_rows(values_only=True))
    by_stage = {r[0]: r for r in rows[1:7]}
    assert by_stage["Resolution"][1] == 4 and by_stage["Resolution"][3] == pytest.approx(1020 / 60)
    assert by_stage["Waiting for acknowledgement"][6] == 1
    assert sum(r[4] for r in rows[1:7]) == pytest.approx(1.0)
    pdf = tmp_path / "2026-10.pdf"
    call_command(
        "report", "monthly", "--month", "2026-10", "--format", "pdf", "--out", str(pdf), stdout=StringIO()
    )
    assert pdf.read_bytes()[:5] == b"%PDF-"
