"""Every KPI on a fixture month against values computed by hand (#18), including tickets that cross
the National Day holiday (2026-10-01..07) and the make-up working Saturday 2026-10-10 (调休).

The office calendar works Mon–Fri 09:00–12:00 and 13:00–18:00, closed on public holidays and open
on make-up days. The lifecycle services are tested elsewhere; here the tickets' timestamps, transfers,
follow-ups and clocks are set directly, so the figures below depend only on the KPI formulas.
"""

import datetime as dt
import json
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from herdesk.analytics import kpis
from herdesk.analytics.rollup import rollup_catch_up, rollup_range
from herdesk.catalog.models import Product
from herdesk.clocks.models import Clock, ClockState
from herdesk.customers.models import Customer
from herdesk.staff.models import Team
from herdesk.tickets.models import FollowUp, Ticket, Transfer
from herdesk.tickets.services import ticket_create

Z = ZoneInfo("Asia/Shanghai")
OCT_1, OCT_31 = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
pytestmark = pytest.mark.django_db


def at(day: int, hour: int, minute: int = 0, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=Z)


def _ticket(staff, customer, *, channel, problem_type, received, **fields):
    t = ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel=channel,
        problem_type=problem_type,
        subject=f"{problem_type} {received:%m-%d %H:%M}",
        description="",
        received_at=received,
        now=received,
        complaint_severity="general" if problem_type == "complaint" else "",
    )
    Clock.objects.filter(ticket=t).delete()  # the clocks of this month are set explicitly below
    Ticket.objects.filter(pk=t.pk).update(**fields)
    return Ticket.objects.get(pk=t.pk)


def _clock(ticket, kind, state, started, due, stopped=None, renegotiated=False, original_due=None):
    definition = Clock._meta.get_field("definition").related_model.objects.first()
    return Clock.objects.create(
        ticket=ticket,
        definition=definition,
        kind=kind,
        target="30m",
        calendar_code="hotline",
        state=state,
        started_at=started,
        due_at=due,
        warn_at=due,
        original_due_at=original_due or due,
        stopped_at=stopped,
        renegotiated=renegotiated,
    )


@pytest.fixture
def october(staff, customer, other_customer):
    teams = {t.code: t for t in Team.objects.all()}
    # T1: phone, received Fri 10-09 10:00, resolved on the make-up Saturday 10-10 10:00.
    #     Office time: Fri 10–12 (2 h) + 13–18 (5 h) + Sat 09–10 (1 h) = 480 min. One routing only.
    t1 = _ticket(
        staff,
        customer,
        channel="phone",
        problem_type="technical_support",
        received=at(9, 10),
        team=teams["tech-support"],
        resolved_at=at(10, 10),
        closed_at=at(10, 11),
        record_finalized_at=at(10, 12),
        acknowledged_at=at(9, 10, 10),
        first_response_at=at(9, 10, 5),
    )
    Transfer.objects.create(ticket=t1, to_team=teams["tech-support"])
    # T2: email, received Wed 09-30 17:00 (September), resolved Thu 10-08 10:00 after the holiday:
    #     Wed 17–18 (1 h) + Thu 09–10 (1 h) = 120 min. Closed, never finalised, no follow-up.
    t2 = _ticket(
        staff,
        other_customer,
        channel="email",
        problem_type="product_inquiry",
        received=at(30, 17, month=9),
        team=teams["customer-service"],
        resolved_at=at(8, 10),
        closed_at=at(8, 12),
    )
    # T3: WeChat complaint, Mon 10-12 09:00, routed then transferred (2 transfers: not first contact),
    #     resolved 15:00: 09–12 (3 h) + 13–15 (2 h) = 300 min.
    t3 = _ticket(
        staff,
        customer,
        channel="wechat",
        problem_type="complaint",
        received=at(12, 9),
        team=teams["after-sales"],
        resolved_at=at(12, 15),
        acknowledged_at=at(12, 9, 20),
    )
    Transfer.objects.create(ticket=t3, to_team=teams["account-managers"])
    Transfer.objects.create(ticket=t3, from_team=teams["account-managers"], to_team=teams["after-sales"])
    # T4: the same customer's complaint again an hour later: a repeat contact; still open.
    t4 = _ticket(
        staff,
        customer,
        channel="wechat",
        problem_type="complaint",
        received=at(12, 10),
        team=teams["account-managers"],
    )
    # Follow-ups: T1 scored 5 on Mon 10-12, T3 scored 2 on Tue 10-13 (both inside 3 working days).
    FollowUp.objects.create(ticket=t1, method="phone", fully_solved=True, score=5, recorded_at=at(12, 10))
    FollowUp.objects.create(ticket=t3, method="phone", fully_solved=False, score=2, recorded_at=at(13, 10))
    _clock(t1, "follow_up", ClockState.MET, at(10, 10), at(14, 10), stopped=at(12, 10))
    _clock(t3, "follow_up", ClockState.MET, at(12, 15), at(15, 15), stopped=at(13, 10))
    # First-response clocks: T1 met on time (phone: primary); T3 met after renegotiation (WeChat:
    # primary); T4 breached (primary); T2's started in September (not counted in October).
    _clock(t1, "first_response", ClockState.MET, at(9, 10), at(9, 10, 30), stopped=at(9, 10, 5))
    _clock(
        t3,
        "first_response",
        ClockState.MET,
        at(12, 9),
        at(12, 11),
        stopped=at(12, 10),
        renegotiated=True,
        original_due=at(12, 9, 30),
    )
    _clock(t4, "first_response", ClockState.BREACHED, at(12, 10), at(12, 10, 30))
    _clock(
        t2,
        "first_response",
        ClockState.MET,
        at(30, 17, month=9),
        at(30, 19, month=9),
        stopped=at(30, 17, 10, month=9),
    )
    # Resolution clocks: T1 general breached (4 h), T3 running at month end? no: met on time.
    Ticket.objects.filter(pk=t1.pk).update(complexity="general")
    Ticket.objects.filter(pk=t3.pk).update(complexity="simple")
    _clock(t1, "resolution", ClockState.BREACHED, at(9, 10), at(9, 14))
    _clock(t3, "resolution", ClockState.MET, at(12, 9), at(12, 16), stopped=at(12, 15))
    # Dimensions (#18 filters): region, product model, customer tier.
    milker = Product.objects.create(code="mk-9", name="挤奶机", kind="equipment", model_number="MK-9")
    Ticket.objects.filter(pk=t1.pk).update(region="内蒙古 呼和浩特", product=milker)
    Ticket.objects.filter(pk=t2.pk).update(region="内蒙古 包头")
    Ticket.objects.filter(pk__in=[t3.pk, t4.pk]).update(region="山东 济南", product=milker)
    Customer.objects.filter(pk=customer.pk).update(tier="key_account")
    Customer.objects.filter(pk=other_customer.pk).update(tier="regular")
    rollup_range(dt.date(2026, 9, 30), OCT_31)
    return {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "teams": teams, "milker": milker}


def test_every_kpi_matches_the_hand_computed_month(october) -> None:
    k = kpis.compute(OCT_1, OCT_31, customers=2)
    v = {code: x.value for code, x in k.items()}
    assert v["received"] == 3  # T1, T3, T4 (T2 arrived in September)
    assert v["resolved"] == 3  # T1, T2, T3
    assert v["repeat_contact_rate"] == pytest.approx(1 / 3)  # T4
    assert v["first_contact_resolution"] == pytest.approx(2 / 3)  # T3 was transferred
    assert v["handling_time_avg"] == pytest.approx((480 + 120 + 300) / 3)
    assert v["handling_time_p90"] == 480
    assert v["follow_up_rate"] == pytest.approx(2 / 3)  # T2 never followed up
    assert v["csat"] == pytest.approx(1 / 2) and v["csat_average"] == pytest.approx(3.5)
    assert v["record_completeness"] == pytest.approx(1 / 2)  # T2 closed, not finalised
    assert v["process_compliance"] == pytest.approx(1 / 2)  # T1 has every step
    assert v["complaint_rate"] == pytest.approx(2 * 10000 / 2)  # T3, T4 of 2 customers
    assert v["backlog"] == 2  # T3 (resolved, not closed) and T4
    # Clocks started in October: first response 1 met on time of 3 finished.
    assert v["first_response_on_time"] == pytest.approx(1 / 3)
    assert v["first_response_on_time_primary"] == pytest.approx(1 / 3)
    assert v["first_response_on_time_secondary"] is None  # T2's email clock started in September
    assert v["resolution_on_time"] == pytest.approx(1 / 2)
    assert v["resolution_on_time_simple"] == 1.0 and v["resolution_on_time_general"] == 0.0
    assert v["renegotiation_rate"] == pytest.approx(1 / 7)  # 7 October clocks, one renegotiated


def test_filters_and_september(october) -> None:
    teams = october["teams"]
    tech = kpis.compute(OCT_1, OCT_31, kpis.Filters(team_id=teams["tech-support"].pk), customers=2)
    assert tech["received"].value == 1 and tech["handling_time_avg"].value == 480
    wechat = kpis.compute(OCT_1, OCT_31, kpis.Filters(channel="wechat"), customers=2)
    assert wechat["received"].value == 2 and wechat["repeat_contact_rate"].value == 0.5
    september = kpis.compute(dt.date(2026, 9, 1), dt.date(2026, 9, 30), customers=2)
    assert september["received"].value == 1 and september["resolved"].value == 0
    assert september["first_response_on_time_primary"].value == 1.0  # T2 by official email


def test_region_product_and_tier_filters(october) -> None:
    """The same hand-computed figures, restricted to one region / product / tier."""
    # Inner Mongolia (a province prefix): T1 received in October (T2 in September); T1 and T2 resolved.
    nm = kpis.compute(OCT_1, OCT_31, kpis.Filters(region="内蒙古"), customers=2)
    assert nm["received"].value == 1 and nm["resolved"].value == 2
    assert nm["handling_time_avg"].value == pytest.approx((480 + 120) / 2)
    assert nm["follow_up_rate"].value == pytest.approx(1 / 2)  # T2 never followed up
    assert nm["record_completeness"].value == pytest.approx(1 / 2)
    assert nm["first_response_on_time"].value == 1.0  # T1's clock; T2's started in September
    assert nm["resolution_on_time"].value == 0.0 and nm["backlog"].value == 0
    # Shandong: T3, T4 (both complaints, T4 a repeat contact).
    sd = kpis.compute(OCT_1, OCT_31, kpis.Filters(region="山东 济南"), customers=2)
    assert sd["received"].value == 2 and sd["repeat_contact_rate"].value == pytest.approx(1 / 2)
    assert sd["complaint_rate"].value == pytest.approx(2 * 10000 / 2)
    assert sd["first_response_on_time"].value == 0.0  # T3 renegotiated, T4 breached
    assert sd["csat"].value == 0.0 and sd["csat_average"].value == 2  # T3 scored 2
    assert sd["backlog"].value == 2
    # The milking machine MK-9: T1, T3, T4.
    mk = kpis.compute(OCT_1, OCT_31, kpis.Filters(product_id=october["milker"].pk), customers=2)
    assert mk["received"].value == 3 and mk["resolved"].value == 2
    assert mk["first_contact_resolution"].value == pytest.approx(1 / 2)
    assert mk["handling_time_avg"].value == pytest.approx((480 + 300) / 2)
    assert mk["csat_average"].value == pytest.approx(3.5)
    assert mk["renegotiation_rate"].value == pytest.approx(1 / 7)
    # Key accounts: the first customer's T1, T3, T4; the regular customer: T2 only.
    key = kpis.compute(OCT_1, OCT_31, kpis.Filters(tier="key_account"), customers=2)
    assert key["received"].value == 3 and key["resolved"].value == 2
    assert key["follow_up_rate"].value == 1.0 and key["process_compliance"].value == 1.0
    regular = kpis.compute(OCT_1, OCT_31, kpis.Filters(tier="regular"), customers=2)
    assert regular["received"].value == 0 and regular["resolved"].value == 1
    assert regular["handling_time_avg"].value == 120 and regular["record_completeness"].value == 0.0
    # Combined with the existing filters.
    both = kpis.compute(OCT_1, OCT_31, kpis.Filters(channel="wechat", tier="regular"), customers=2)
    assert both["received"].value == 0
    assert kpis.compute(OCT_1, OCT_31, kpis.Filters(region="广东"), customers=2)["received"].value == 0


def test_filtered_kpi_command_and_report_pack(october, tmp_path) -> None:
    import openpyxl

    out = StringIO()
    call_command("kpi", "--month", "2026-10", "--json", "--region", "山东", stdout=out)
    data = json.loads(out.getvalue())
    assert next(r for r in data["kpis"] if r["code"] == "received")["value"] == 2
    xlsx = tmp_path / "f.xlsx"
    call_command(
        "report", "monthly", "--month", "2026-10", "--format", "xlsx", "--out", str(xlsx),
        "--tier", "key_account", stdout=StringIO(),
    )  # fmt: skip
    book = openpyxl.load_workbook(xlsx, read_only=True)
    indicators = {r[0]: r[2] for r in book[book.sheetnames[1]].iter_rows(min_row=2, values_only=True)}
    assert indicators["received"] == 3 and indicators["resolved"] == 2
    assert len(list(book[book.sheetnames[-1]].iter_rows(min_row=2, values_only=True))) == 3


def test_rollup_is_idempotent_and_catches_up(october) -> None:
    before = kpis.compute(OCT_1, OCT_31, customers=2)
    rollup_range(OCT_1, OCT_31)
    after = kpis.compute(OCT_1, OCT_31, customers=2)
    assert {c: x.value for c, x in before.items()} == {c: x.value for c, x in after.items()}
    first, last = rollup_catch_up(now=at(2, 3, month=11))
    assert first == dt.date(2026, 9, 30) and last == dt.date(2026, 11, 2)
    first, _last = rollup_catch_up(now=at(5, 3, month=11))
    assert first == dt.date(2026, 11, 2) - dt.timedelta(days=7)  # late events of the last week


def test_kpi_command_prints_every_indicator_as_json(october) -> None:
    out = StringIO()
    call_command("kpi", "--month", "2026-10", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["period"] == {"first": "2026-10-01", "last": "2026-10-31"}
    codes = {row["code"] for row in data["kpis"]}
    assert codes == {k.code for k in kpis.KPIS}
    received = next(r for r in data["kpis"] if r["code"] == "received")
    assert received["value"] == 3


def test_report_pack_pdf_and_xlsx_whose_totals_equal_the_kpis(october, tmp_path) -> None:
    import openpyxl

    pdf, xlsx = tmp_path / "2026-10.pdf", tmp_path / "2026-10.xlsx"
    call_command(
        "report", "monthly", "--month", "2026-10", "--format", "pdf", "--out", str(pdf), stdout=StringIO()
    )
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 5000
    call_command(
        "report", "monthly", "--month", "2026-10", "--format", "xlsx", "--out", str(xlsx), stdout=StringIO()
    )
    book = openpyxl.load_workbook(xlsx, read_only=True)
    sheets = book.sheetnames
    assert len(sheets) == 11  # summary, indicators, 6 breakdowns, bottlenecks, follow-up, tickets
    by_channel = list(book[sheets[2]].iter_rows(values_only=True))
    assert by_channel[-1][1] == 3  # total received = the KPI
    indicators = {row[0]: row[2] for row in book[sheets[1]].iter_rows(min_row=2, values_only=True)}
    assert indicators["received"] == 3 and indicators["follow_up_rate"] == pytest.approx(2 / 3)
    for i in range(2, 8):  # every breakdown adds up to the contacts received
        assert list(book[sheets[i]].iter_rows(values_only=True))[-1][1] == 3
    tickets = list(book[sheets[-1]].iter_rows(min_row=2, values_only=True))
    assert len(tickets) == 3


# ---- the narrow rollup (#18): the same figures as the wide one --------------------------------

NARROW_FILTERS = [
    None,
    {"team": "tech-support"},
    {"team": "after-sales"},
    {"channel": "wechat"},
    {"channel": "email"},
    {"problem_type": "complaint"},
    {"team": "account-managers", "channel": "wechat", "problem_type": "complaint"},
]
PERIODS = [
    (OCT_1, OCT_31),
    (dt.date(2026, 9, 1), dt.date(2026, 9, 30)),
    (dt.date(2026, 9, 30), OCT_31),
    (dt.date(2026, 10, 10), dt.date(2026, 10, 10)),  # the make-up working Saturday
    (dt.date(2026, 10, 1), dt.date(2026, 10, 8)),  # the National Day holiday and the day after
    (dt.date(2026, 10, 12), dt.date(2026, 10, 13)),
]


def _filters(spec, teams):
    if spec is None:
        return None
    spec = dict(spec)
    if "team" in spec:
        spec["team_id"] = teams[spec.pop("team")].pk
    return kpis.Filters(**spec)


def _figures(values):
    return {c: (v.value, v.numerator, v.denominator, v.extra) for c, v in values.items()}


@pytest.mark.parametrize("spec", NARROW_FILTERS)
def test_every_kpi_is_the_same_from_the_narrow_and_the_wide_rollup(october, spec) -> None:
    from herdesk.analytics import sources

    filters = _filters(spec, october["teams"])
    assert sources.rollup_source(filters) is sources.NARROW
    for first, last in PERIODS:
        wide = kpis.compute(first, last, filters, customers=2, source=sources.WIDE)
        narrow = kpis.compute(first, last, filters, customers=2, source=sources.NARROW)
        assert _figures(narrow) == _figures(wide), (first, last, spec)
        assert _figures(kpis.compute(first, last, filters, customers=2)) == _figures(narrow)
        for by in ("channel", "problem_type", "team_id"):
            assert kpis.volumes(first, last, by, filters, source=sources.NARROW) == kpis.volumes(
                first, last, by, filters, source=sources.WIDE
            )
    # The 12-month trends of the management dashboard.
    from herdesk.analytics import dashboards, periods

    month = periods.month("2026-10")
    trend = {
        s.name: dashboards.monthly_trend(month, filters, source=s) for s in (sources.WIDE, sources.NARROW)
    }
    for t in trend.values():
        t.pop("periods")
    assert trend["narrow"] == trend["wide"]


def test_the_hand_computed_month_holds_in_both_rollups(october) -> None:
    """The hand-computed October (make-up Saturday, National Day) read from each table; the narrow
    one has fewer rows (T1–T4 differ only by region, product and tier within a team/channel/type)."""
    from herdesk.analytics import sources
    from herdesk.analytics.models import DailyTicketStats, DailyTicketStatsNarrow

    for source in (sources.WIDE, sources.NARROW):
        v = {c: x.value for c, x in kpis.compute(OCT_1, OCT_31, customers=2, source=source).items()}
        assert v["received"] == 3 and v["resolved"] == 3 and v["backlog"] == 2
        assert v["handling_time_avg"] == pytest.approx((480 + 120 + 300) / 3)
        assert v["handling_time_p90"] == 480
        assert v["first_response_on_time"] == pytest.approx(1 / 3)
        assert v["renegotiation_rate"] == pytest.approx(1 / 7)
    assert 0 < DailyTicketStatsNarrow.objects.count() <= DailyTicketStats.objects.count()


def test_only_a_region_product_or_tier_filter_reads_the_wide_rollup(october) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from herdesk.analytics import sources

    def tables(filters):
        with CaptureQueriesContext(connection) as ctx:
            kpis.compute(OCT_1, OCT_31, filters, customers=2)
        sql = " ".join(q["sql"] for q in ctx.captured_queries)
        return {t for t in ("dailyticketstats", "dailyclockstats") if f'"analytics_{t}"' in sql}, {
            t for t in ("dailyticketstatsnarrow", "dailyclockstatsnarrow") if f'"analytics_{t}"' in sql
        }

    teams = october["teams"]
    assert tables(None) == (set(), {"dailyticketstatsnarrow", "dailyclockstatsnarrow"})
    assert tables(kpis.Filters(team_id=teams["tech-support"].pk, channel="phone"))[0] == set()
    for f in (kpis.Filters(region="内蒙古"), kpis.Filters(product_id=october["milker"].pk),
              kpis.Filters(tier="key_account", channel="wechat")):  # fmt: skip
        assert sources.rollup_source(f) is sources.WIDE
        assert tables(f) == ({"dailyticketstats", "dailyclockstats"}, set())
    assert sources.rollup_source(None, by="region") is sources.WIDE
    assert sources.rollup_source(None, by="channel") is sources.NARROW


def test_the_migration_fills_the_narrow_rollup_from_the_wide_one(october) -> None:
    """An installation upgraded with wide rows only gets the same figures without a recomputation."""
    import importlib

    from django.apps import apps

    from herdesk.analytics import sources
    from herdesk.analytics.models import DailyClockStatsNarrow, DailyTicketStatsNarrow

    before = _figures(kpis.compute(dt.date(2026, 9, 1), OCT_31, customers=2, source=sources.NARROW))
    DailyTicketStatsNarrow.objects.all().delete()
    DailyClockStatsNarrow.objects.all().delete()
    importlib.import_module("herdesk.analytics.migrations.0007_narrow_rollup").fill_narrow(apps, None)
    after = _figures(kpis.compute(dt.date(2026, 9, 1), OCT_31, customers=2, source=sources.NARROW))
    assert after == before
