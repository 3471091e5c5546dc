"""Supervisor views: breach board by team and agent, compliance summary for a month (HND-5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from herdesk.clocks.services import clock_sweep

pytestmark = pytest.mark.django_db


def test_breach_board_counts_by_team_and_agent(login, make_ticket) -> None:
    make_ticket(team="tech-support", assignee="tech2", received_at=timezone.now() - timedelta(minutes=50))
    make_ticket(team="after-sales", assignee="field1")
    clock_sweep()
    r = login("cs_lead").get("/supervisor/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "技术支持" in html and "售后服务" in html and "孙志强" in html and "周建国" in html
    assert "hd-num-breached" in html  # tech2's first-response clock breached
    assert 'id="board-data"' in html and "echarts.min.js" in html


def test_board_query_count_is_flat(login, make_ticket, django_assert_max_num_queries) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = login("cs_lead")
    make_ticket(team="tech-support", assignee="tech2")
    with CaptureQueriesContext(connection) as few:
        c.get("/supervisor/")
    for _ in range(8):
        make_ticket(team="after-sales", assignee="field1", received_at=timezone.now() - timedelta(minutes=40))
    clock_sweep()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert c.get("/supervisor/").status_code == 200


def test_compliance_summary_for_a_month(login, make_ticket) -> None:
    make_ticket(team="tech-support", assignee="tech2")
    month = timezone.localtime().strftime("%Y-%m")
    html = login("manager").get(f"/supervisor/compliance/?month={month}").content.decode()
    assert "首次响应" in html and "查收确认" in html and 'id="compliance-data"' in html
    r = login("manager", lang="en").get("/supervisor/compliance/?month=2026-13")
    assert r.status_code == 400 and "Give the month as YYYY-MM." in r.content.decode()


def test_qa_sees_board_but_cannot_reassign(login, make_ticket) -> None:
    t = make_ticket(team="tech-support", assignee="tech2")
    qa = login("qa1")
    assert qa.get("/supervisor/").status_code == 200
    assert "bulk-form" not in qa.get("/queues/all/").content.decode()
    assert qa.post("/queues-bulk-reassign/", {"tickets": [t.number]}).status_code == 403
    assert "bulk-form" in login("cs_lead").get("/queues/all/").content.decode()
