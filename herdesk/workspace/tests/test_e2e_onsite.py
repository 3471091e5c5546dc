"""End to end in Chromium (CLS-3, #12): the field engineer records an on-site visit from the ticket
page's action panel, sees it on the timeline, and closes as "customer confirmed" on its sign-off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from herdesk.workspace.tests.test_e2e import Session, browser  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_onsite_visit_panel_then_close_on_the_sign_off(browser, live_server, staff, screenshot_dir):  # noqa: F811
    from herdesk.customers.services import customer_create
    from herdesk.staff.models import Team
    from herdesk.tickets import services as ts

    customer = customer_create(name="张三", phone="13812348000", region="内蒙古 呼和浩特")
    agent, field = staff["agent1"], staff["field1"]
    t = ts.ticket_create(
        actor=agent, customer=customer, channel="phone", problem_type="after_sales",
        subject="灌装机需要上门维修", description="灌装阀门漏液",
    )  # fmt: skip
    ts.ticket_triage(ticket=t, actor=agent, complexity="general", team=Team.objects.get(code="after-sales"))
    ts.ticket_assign(ticket=t, actor=agent, assignee=field, reason="上门维修")
    ts.ticket_acknowledge(ticket=t, actor=field)
    ts.ticket_resolve(ticket=t, actor=field, verification_method="onsite_check", summary="已更换灌装阀门")

    s = Session(browser, live_server.url, screenshot_dir)
    s.login("field1")
    s.go(f"/tickets/{t.number}/")
    s.open_panel("onsite")
    local = timezone.localtime()
    s.page.fill("#id_onsite-content", "更换灌装阀门并试机，运行 30 分钟无漏液。")
    s.page.fill("#id_onsite-started_at", (local - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    s.page.fill("#id_onsite-ended_at", (local - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    s.page.fill("#id_onsite-place", "绿源牧场 3 号灌装车间")
    s.page.fill("#id_onsite-customer_confirmation", "张三签字：设备运行正常")
    s.scroll_to("#onsite")
    s.shot("core-01-onsite-visit-form")
    s.page.click("#btn-onsite")
    s.expect_message("已记录上门服务")
    assert "更换灌装阀门并试机" in s.page.inner_text("#timeline")

    s.open_panel("close")
    s.page.select_option("#id_close-reason", "customer_confirmed")
    s.page.click("#btn-close")
    s.expect_message("已关闭")
    s.shot("core-02-closed-on-the-sign-off")
    t.refresh_from_db()
    assert t.status == "closed" and ts.record_completeness(ticket=t) == []
