"""End to end in Debian's Chromium (Playwright): an agent works the follow-up worklist.

agent1 opens the worklist (two resolved tickets), calls the first customer (answers recorded), cannot
reach the second → the survey link goes out by SMS (read here from the SMS console file, as the
portal's sign-in test reads its code) → the customer answers on a phone-sized screen with a score of
2 → a review (复盘) opens for the team lead, who decides the improvement action and closes it.

Screenshots (docs/screenshots/followup-*.png) when HERDESK_SCREENSHOTS is set:
    HERDESK_SCREENSHOTS=docs/screenshots pytest -m e2e herdesk/followup/tests/test_e2e.py
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from herdesk.workspace.tests.test_e2e import Session, browser  # noqa: F401  (the browser fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}


def _survey_path() -> str:
    from django.conf import settings

    for line in reversed(Path(settings.HERDESK_SMS_CONSOLE_FILE).read_text().splitlines()):
        m = re.search(r"(/followup/s/[^/\s]+/)", line)
        if m:
            return m.group(1)
    raise AssertionError("no survey link in the SMS console file")


def test_agent_works_the_worklist_and_a_low_score_is_reviewed(
    browser: Any,  # noqa: F811
    live_server: Any,
    staff: dict[str, Any],
    screenshot_dir: str,
) -> None:
    from herdesk.followup.models import FollowUpReview, FollowUpTask
    from herdesk.followup.services import tasks_sync
    from herdesk.notifications.services import outbox_dispatch

    from .conftest import new_customer, resolved

    start = timezone.now() - timedelta(hours=3)
    reached = resolved(staff, new_customer("王芳"), at=start)
    unreached = resolved(staff, new_customer("刘强"), at=start + timedelta(minutes=5))
    tasks_sync()
    first = FollowUpTask.objects.get(ticket=reached)
    second = FollowUpTask.objects.get(ticket=unreached)
    base = live_server.url

    agent = Session(browser, base, screenshot_dir)
    agent.login("agent1")
    agent.go("/followup/")
    rows = agent.page.locator("tr.followup-row")
    assert rows.count() == 2
    assert agent.page.locator("#nav-followup .hd-followup-count[data-count='2']").count() == 1
    agent.shot("followup-worklist")

    # The first customer answers: fully solved, 4/5, another need.
    agent.page.click(f"tr.followup-row[data-task='{first.pk}'] a.btn")
    agent.page.wait_for_url(f"**/followup/tasks/{first.pk}/")
    agent.page.check("input[name=outcome][value=answered]")
    agent.page.check("input[name=fully_solved][value=yes]")
    agent.page.check("input[name=score][value='4']")
    agent.page.fill("textarea[name=other_needs]", "想了解 TMR 搅拌车的保养套餐")
    agent.shot("followup-call-script")
    agent.page.click("#call-save")
    agent.page.locator("#task-state[data-state=completed]").wait_for()
    assert "4/5" in agent.page.locator("#task-answer").inner_text()

    # The second does not answer: the survey link goes out by SMS.
    agent.go(f"/followup/tasks/{second.pk}/")
    agent.page.check("input[name=outcome][value=no_answer]")
    agent.page.click("#call-save")
    agent.page.locator("#task-state[data-state=survey_sent]").wait_for()
    assert agent.page.locator("#attempts tbody tr").count() == 2  # the call, the link
    agent.shot("followup-unreachable-sms-sent")
    outbox_dispatch()
    path = _survey_path()

    # The customer answers on the phone (no sign-in), score 2.
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", is_mobile=True)
    phone = ctx.new_page()
    phone.set_default_timeout(20000)
    response = phone.goto(base + path)
    assert response is not None and response.status == 200
    assert len(response.body()) < 100_000
    phone.locator("#q-score label").nth(1).click()  # 2
    phone.locator("#q-solved label").nth(0).click()  # yes
    phone.fill("textarea[name=comment]", "等了三天才有人上门")
    if screenshot_dir:
        phone.screenshot(path=str(Path(screenshot_dir) / "followup-survey-phone.png"), full_page=True)
    phone.click("#survey-submit")
    phone.locator("#survey-done").wait_for()
    assert phone.goto(base + path).status == 410  # single use
    assert "已" in phone.locator("#survey-error").inner_text()
    ctx.close()

    second.refresh_from_db()
    assert second.state == "completed" and second.follow_up.score == 2
    review = FollowUpReview.objects.get(task=second)
    assert review.owner == staff["cs_lead"]

    # The team lead decides the improvement action and closes the review.
    lead = Session(browser, base, screenshot_dir)
    lead.login("cs_lead")
    lead.go("/followup/reviews/")
    lead.page.click(f"#review-rows a[href$='/followup/reviews/{review.pk}/']")
    lead.page.fill("textarea[name=findings]", "上门排期没有告知客户，客户等待三天")
    lead.page.fill("input[name=action_1]", "上门排期当天短信告知客户")
    lead.shot("followup-review-decide")
    lead.page.click("#decide-save")
    lead.page.locator("#review-state[data-state=decided]").wait_for()
    lead.page.fill("textarea[name=closure_note]", "已在排班流程中加入短信通知")
    lead.page.click("#close-save")
    lead.page.locator("#review-state[data-state=closed]").wait_for()
    lead.shot("followup-review-closed")
    review.refresh_from_db()
    assert review.state == "closed" and review.actions.count() == 1


def test_customer_rates_from_the_resolution_notice_on_a_phone(
    browser: Any,  # noqa: F811
    live_server: Any,
    staff: dict[str, Any],
    screenshot_dir: str,
) -> None:
    """QA-2: the rating link inside the resolution notice opens the small rating page on a phone;
    the score lands on the ticket (its follow-up answer) and the link is then used up."""
    from herdesk.notifications.models import OutboxMessage

    from .conftest import new_customer, resolved

    t = resolved(staff, new_customer("周敏"), at=timezone.now() - timedelta(hours=3))
    text = OutboxMessage.objects.filter(ticket=t, template="resolution").latest("pk").payload["text"]
    m = re.search(r"(/followup/r/[^/\s]+/)", text)
    assert m, text
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", is_mobile=True)
    phone = ctx.new_page()
    phone.set_default_timeout(20000)
    response = phone.goto(live_server.url + m.group(1))
    assert response is not None and response.status == 200 and len(response.body()) < 100_000
    phone.locator("#q-score label").nth(4).click()  # 5
    phone.locator("#q-solved label").nth(0).click()  # yes
    if screenshot_dir:
        phone.screenshot(path=str(Path(screenshot_dir) / "followup-rating-link-phone.png"), full_page=True)
    phone.click("#survey-submit")
    phone.locator("#survey-done").wait_for()
    assert phone.goto(live_server.url + m.group(1)).status == 410
    ctx.close()
    assert t.follow_ups.get().score == 5
