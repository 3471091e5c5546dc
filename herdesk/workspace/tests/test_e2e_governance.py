"""End to end in Debian's Chromium: the customer-service department (cs_lead) drafts a new version
of the service policy, management (manager) approves it with an effective date, and a ticket received
after that date runs on it while one received before keeps the old version (POL-2, S1 §六).

Run with screenshots written to docs/screenshots/:
    HERDESK_SCREENSHOTS=docs/screenshots pytest -m e2e herdesk/workspace/tests/test_e2e_governance.py
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from herdesk.workspace.tests.test_e2e import Session, browser  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SH = ZoneInfo("Asia/Shanghai")


def test_policy_drafted_approved_and_applied_by_date(
    browser,  # noqa: F811  (the fixture imported above)
    live_server,
    staff,
    customer,
    screenshot_dir,
) -> None:
    from herdesk.notifications.models import Notification
    from herdesk.notifications.services import outbox_dispatch
    from herdesk.policies.models import PolicyVersion
    from herdesk.tickets import services as ts

    base, shots = live_server.url, screenshot_dir
    v1 = PolicyVersion.objects.get(policy__code="seed-000", status="approved")

    # ---- cs_lead (customer-service department) drafts v2 from the version in force
    lead = Session(browser, base, shots)
    lead.login("cs_lead")
    lead.page.click("a.hd-nav-item:has-text('服务规定')")
    lead.page.wait_for_selector("#versions")
    assert "当前生效" in lead.page.inner_text("#main")
    lead.page.fill("#draft-form #id_notes", "热线等主要渠道首次响应由 30 分钟缩短为 20 分钟")
    lead.shot("gov-01-policies")
    lead.page.click("#draft-form button[type=submit]")
    lead.expect_message("已以 v1 为基础创建草稿 v2")
    v2 = PolicyVersion.objects.get(policy__code="seed-000", number=2)
    first = v2.clocks.get(kind="first_response", target="30m")
    row = f'#clock-table tr[data-clock="{first.pk}"]'
    # A bad target is refused with a message and nothing is saved.
    lead.page.fill(f'{row} input[name="c{first.pk}-target"]', "很快")
    lead.page.click("#save-clocks")
    lead.expect_message("部分时钟有错误")
    assert "请按 30m、4h、2h30m 或 3wd" in lead.page.inner_text(row)
    lead.page.fill(f'{row} input[name="c{first.pk}-target"]', "20m")
    lead.page.check(f'{row} input[name="c{first.pk}-breach_actions"][value="reassign"]')
    lead.page.click("#save-clocks")
    lead.expect_message("已保存：修改了 1 个时钟")
    lead.scroll_to("#clock-table")
    lead.shot("gov-02-draft-edited")
    lead.page.click("#submit-form button")
    lead.expect_message("已提交审批")
    assert "待审批" in lead.page.inner_text("#version-status") or "提交" in lead.page.inner_text(
        "#version-status"
    )

    # The manager is notified (in-app notice through the outbox).
    outbox_dispatch()
    assert Notification.objects.filter(user=staff["manager"], text__contains="seed-000 v2").exists()

    # ---- manager looks at the differences and approves with an effective date
    boss = Session(browser, base, shots)
    boss.login("manager")
    boss.go(f"/governance/policies/{v2.pk}/")
    boss.page.click("#diff-link")
    boss.page.wait_for_selector("#diff")
    assert boss.page.locator('#diff tr[data-field="target"]').count() == 1
    assert "20m" in boss.page.inner_text("#diff") and "30m" in boss.page.inner_text("#diff")
    boss.shot("gov-03-diff")
    boss.go(f"/governance/policies/{v2.pk}/")
    effective = datetime(2026, 11, 25, 0, 0, tzinfo=SH)  # the suite runs on 2026-11-24 10:00 (conftest)
    boss.page.fill("#id_effective_from", "2026-11-25T00:00")
    boss.page.fill("#id_comment", "同意，自 11 月 25 日零时起执行")
    boss.page.click("#approve-btn")
    boss.expect_message("已批准")
    assert "批准" in boss.page.inner_text("#version-status")
    assert "2026-11-25 00:00" in boss.page.inner_text("#effective-from")
    history = boss.page.inner_text("#history")
    for step in ("创建草稿", "修改时钟", "提交审批", "批准"):
        assert step in history, history
    boss.scroll_to("#history")
    boss.shot("gov-04-approved-history")
    v2.refresh_from_db()
    assert v2.status == "approved" and v2.effective_from == effective and v2.approved_by == staff["manager"]

    # ---- tickets: received before the effective date keep v1, after it run on v2
    before = ts.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="product_inquiry",
        subject="奶粉冲调比例咨询",
    )
    lead.go(f"/tickets/{before.number}/")
    assert "seed-000 v1" in lead.page.inner_text("#main")
    assert "30 分钟" in lead.page.inner_text('[data-clock="first_response"]')
    # The next morning (a nested travel: the live server's clock moves too).
    with time_machine.travel(effective + timedelta(hours=9), tick=True):
        after = ts.ticket_create(
            actor=staff["agent1"],
            customer=customer,
            channel="phone",
            problem_type="product_inquiry",
            subject="酸奶保质期咨询",
        )
        lead.go(f"/tickets/{after.number}/")
        assert "20 分钟" in lead.page.inner_text('[data-clock="first_response"]')
        assert "seed-000 v2" in lead.page.inner_text("#main")
        lead.shot("gov-05-ticket-on-v2")
    before.refresh_from_db()
    assert before.policy_version == v1 and after.policy_version == v2

    # Approved versions are read-only on the page.
    lead.go(f"/governance/policies/{v2.pk}/")
    assert lead.page.locator("#clocks-form input[name$=-target]").count() == 0


def test_calendar_editor_closure_and_holiday_import(
    browser,  # noqa: F811  (the fixture imported above)
    live_server,
    staff,
    screenshot_dir,
    tmp_path,
) -> None:
    import json

    from herdesk.calendars.models import Holiday
    from herdesk.calendars.selectors import working_calendar

    admin = Session(browser, live_server.url, screenshot_dir)
    admin.login("admin")
    admin.page.click("a.hd-nav-item:has-text('工作日历')")
    admin.page.click("#calendar-tabs a:has-text('办公时间')")
    admin.page.wait_for_selector("#hours-form")
    admin.page.fill("#closure-form #id_date", "2026-12-01")
    admin.page.fill("#closure-form #id_reason", "年度盘点")
    admin.page.click("#closure-form button")
    admin.expect_message("2026-12-01 设为停工日")
    assert not working_calendar("office").is_open(datetime(2026, 12, 1, 10, tzinfo=SH))

    schedule = tmp_path / "cn_2027.json"
    schedule.write_text(
        json.dumps(
            {"holidays": ["2027-01-01", "2027-02-17"], "workdays": ["2027-02-07"], "source": "2027 通知"}
        ),
        encoding="utf-8",
    )
    admin.page.set_input_files("#holiday-form #id_file", str(schedule))
    admin.page.click("#holiday-form button")
    admin.page.wait_for_selector("#holiday-preview")
    assert "新增 3" in admin.page.inner_text("#holiday-preview")
    assert not Holiday.objects.filter(date__year=2027).exists()
    admin.scroll_to("#holiday-preview")
    admin.shot("gov-06-calendar-import-preview")
    admin.page.click("#holiday-apply button")
    admin.expect_message("节假日安排已导入：新增 3")
    assert Holiday.objects.filter(date__year=2027).count() == 3
    assert "导入节假日安排" in admin.page.inner_text("#calendar-history")
    assert "添加停工日" in admin.page.inner_text("#calendar-history")
