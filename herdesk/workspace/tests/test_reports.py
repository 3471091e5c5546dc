"""Service reports page, report pack downloads and the triage model page (KPI-1, KPI-2, INT-6)."""

import datetime as dt

import pytest
from django.test import Client

from herdesk.analytics.rollup import rollup_range
from herdesk.staff.models import User
from herdesk.tickets.services import ticket_create

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(User.objects.get(username=username))
    return c


@pytest.fixture
def month(staff, customer):
    received = dt.datetime(2026, 11, 10, 10, 0, tzinfo=dt.UTC)
    ticket_create(
        actor=staff["agent1"], customer=customer, channel="email", problem_type="order_inquiry",
        subject="订单 DD20261110001 的配送进度", description="三天了还没到",
        received_at=received, now=received,
    )  # fmt: skip
    rollup_range(dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def test_reports_page_shows_every_kpi_for_the_manager_and_refuses_agents(month) -> None:
    r = _client("manager").get("/reports/", {"kind": "month", "month": "2026-11"})
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-kpi="follow_up_rate"' in html and 'data-kpi="received"' in html
    assert "/reports/monthly/2026-11.pdf" in html and "/reports/monthly/2026-11.xlsx" in html
    assert _client("agent1").get("/reports/").status_code == 403


def test_bad_month_is_a_clear_400_not_a_500(month) -> None:
    r = _client("cs_lead").get("/reports/", {"kind": "month", "month": "2026-13"})
    assert r.status_code == 400 and "YYYY-MM" in r.content.decode()


def test_report_pack_downloads(month) -> None:
    c = _client("manager")
    pdf = c.get("/reports/monthly/2026-11.pdf")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content)[:5] == b"%PDF-"
    xlsx = c.get("/reports/quarterly/2026Q4.xlsx")
    assert xlsx.status_code == 200 and b"".join(xlsx.streaming_content)[:2] == b"PK"
    assert c.get("/reports/monthly/2026-99.pdf").status_code == 404
    assert _client("agent1").get("/reports/monthly/2026-11.pdf").status_code == 403


def test_triage_page_trains_and_shows_the_measured_quality(staff) -> None:
    c = _client("cs_lead")
    assert c.get("/supervisor/triage/").status_code == 200
    r = c.post("/supervisor/triage/", follow=True)
    html = r.content.decode()
    assert r.status_code == 200 and ("macro-F1" in html or "宏平均" in html)
    assert _client("agent1").get("/supervisor/triage/").status_code == 403


def test_peak_analysis_page(month) -> None:
    r = _client("cs_lead").get("/reports/peaks/", {"weeks": "abc", "channel": "nonsense", "handle": "-5"})
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="staffing-table"' in html and "peak-data" in html
    assert _client("agent1").get("/reports/peaks/").status_code == 403


def test_archived_packs_are_listed_and_downloadable(month) -> None:
    from zoneinfo import ZoneInfo

    from herdesk.analytics.services import report_pack_due

    report_pack_due(now=dt.datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    c = _client("manager")
    html = c.get("/reports/").content.decode()
    assert 'id="report-archive"' in html and "2026-11" in html
    from herdesk.analytics.models import ReportArchive

    pdf = ReportArchive.objects.get(label="2026-11", fmt="pdf")
    r = c.get(f"/reports/archive/{pdf.pk}/")
    assert r.status_code == 200 and b"".join(r.streaming_content)[:5] == b"%PDF-"
    assert _client("agent1").get(f"/reports/archive/{pdf.pk}/").status_code == 403
