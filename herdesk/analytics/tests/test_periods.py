"""Day, ISO week and custom report periods beside months and quarters (#18): parsing, the periods
they are compared with, and the same figures whatever period covers the same days."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from herdesk.analytics import kpis, periods
from herdesk.analytics.tests.test_kpis import OCT_1, OCT_31, october  # noqa: F401 - the fixture
from herdesk.staff.models import User


def test_days_weeks_and_custom_spans_with_their_comparisons() -> None:
    d = periods.day("2026-11-03")
    assert (d.first, d.last, d.label) == (dt.date(2026, 11, 3), dt.date(2026, 11, 3), "2026-11-03")
    assert d.previous().first == dt.date(2026, 11, 2) and d.year_before().first == dt.date(2025, 11, 3)
    assert periods.day("2028-02-29").year_before().first == dt.date(2027, 2, 28)
    w = periods.week("2026-W45")  # what a browser's week field sends
    assert (w.first, w.last) == (dt.date(2026, 11, 2), dt.date(2026, 11, 8)) and w.first.weekday() == 0
    assert periods.week("2026w45") == w
    assert w.previous().label == "2026-W44" and w.year_before().label == "2025-W45"
    assert periods.week("2026-W53").year_before().label == "2025-W52"  # 2025 has 52 ISO weeks
    assert periods.week("2026-W01").first == dt.date(2025, 12, 29)  # ISO weeks cross years
    c = periods.custom("2026-11-01", "2026-11-15")
    assert c.label == "2026-11-01..2026-11-15"
    assert (c.previous().first, c.previous().last) == (dt.date(2026, 10, 17), dt.date(2026, 10, 31))


@pytest.mark.parametrize(
    "make",
    [
        lambda: periods.day("2026-13-01"),
        lambda: periods.day("03/11/2026"),
        lambda: periods.week("2026-W54"),
        lambda: periods.week("2025-W53"),
        lambda: periods.custom("2026-11-15", "2026-11-01"),
        lambda: periods.custom("2025-01-01", "2026-12-31"),
        lambda: periods.custom("", "2026-12-31"),
    ],
)
def test_bad_periods_say_what_to_enter(make) -> None:
    with pytest.raises(periods.PeriodError) as exc:
        make()
    assert "/" in str(exc.value)  # English / 中文


def _kpi(*args: str) -> dict:
    out = StringIO()
    call_command("kpi", *args, "--json", stdout=out)
    return {r["code"]: r["value"] for r in json.loads(out.getvalue())["kpis"]}


@pytest.mark.django_db
def test_the_same_days_give_the_same_figures_whatever_the_period(october) -> None:  # noqa: F811
    month = _kpi("--month", "2026-10")
    assert _kpi("--from", "2026-10-01", "--to", "2026-10-31") == month
    days = [
        kpis.compute(OCT_1 + dt.timedelta(days=i), OCT_1 + dt.timedelta(days=i), customers=2)
        for i in range(31)
    ]
    assert sum(d["received"].value for d in days) == month["received"]
    assert sum(d["resolved"].value for d in days) == month["resolved"]
    weeks = {periods.week(f"2026-W{n}") for n in range(40, 45)}  # Sep 28 … Nov 1 covers October
    in_weeks = sum(kpis.compute(w.first, w.last, customers=2)["received"].value for w in weeks)
    assert in_weeks >= month["received"]
    assert _kpi("--day", "2026-10-01")["received"] == days[0]["received"].value
    assert dt.date(2026, 10, 31) == OCT_31


@pytest.mark.django_db
def test_reports_page_reads_any_period_and_offers_packs_for_months_and_quarters(october) -> None:  # noqa: F811
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(User.objects.get(username="manager"))
    for params in (
        {"kind": "day", "day": "2026-10-09"},
        {"kind": "week", "week": "2026-W41"},
        {"kind": "custom", "from": "2026-10-01", "to": "2026-10-15"},
    ):
        r = c.get("/reports/", params)
        html = r.content.decode()
        assert r.status_code == 200 and 'data-kpi="received"' in html, params
        assert 'id="no-pack"' in html and 'id="download-pdf"' not in html
    r = c.get("/reports/", {"kind": "week", "week": "2026-W41"})
    assert 'value="2026-W41"' in r.content.decode()
    bad = c.get("/reports/", {"kind": "custom", "from": "2026-10-15", "to": "2026-10-01"})
    assert bad.status_code == 400 and "结束日期早于开始日期" in bad.content.decode()
    assert 'id="download-pdf"' in c.get("/reports/", {"kind": "month", "month": "2026-10"}).content.decode()
