"""Supervision end to end in Debian's Chromium (Playwright), issue #17:

qa1 creates a weekly inspection plan and draws the sample; scores a chat (a red-line failure: the
training loop and a re-check start) and a ticket (a deduction with its comment and a call-back);
agent1 disputes the ticket's review and qa2, a second reviewer, decides; a calibration session
with three reviewers scoring blind shows Krippendorff's α; the agent's scorecard shows the loop.

Screenshots (1440×900) go to docs/screenshots/ with
    HERDESK_SCREENSHOTS=docs/screenshots pytest -m e2e herdesk/quality/tests
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from herdesk.training.tests.test_e2e import _close_server_connections  # noqa: F401 - fixture
from herdesk.workspace.tests.test_e2e import Session, browser  # noqa: F401 - the Chromium fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.usefixtures("_close_server_connections")]


def _fill(page: Any, version_id: int, ratings: dict[str, Any], comments: dict[str, str]) -> None:
    """Click every criterion's rating (top of the scale unless given) and type the comments."""
    from herdesk.quality.models import ScoreCriterion

    for c in ScoreCriterion.objects.filter(section__version_id=version_id):
        value = ratings.get(c.code, c.scale.split("-")[1])
        page.click(f'label[for="r-{c.pk}-{value}"]')
        if c.code in comments:
            page.fill(f'input[name="c-{c.pk}"]', comments[c.code])


def test_plan_sample_review_dispute_calibration(
    browser,  # noqa: F811 - the imported fixture
    live_server,
    qa,
    customer,
    screenshot_dir,
) -> None:
    from herdesk.chat.models import ChatMessage
    from herdesk.quality.models import InspectionPlan, Review, Scorecard
    from herdesk.quality.services import cycle_period
    from herdesk.tickets import services as ts
    from herdesk.tickets.models import Ticket

    # Last week's contacts of agent1: a closed ticket with its timeline and a chat transcript.
    start, _end = cycle_period(InspectionPlan(cycle="weekly"), timezone.now())
    at = start + timedelta(days=1, hours=10)
    ticket = ts.ticket_create(
        actor=qa["agent1"], customer=customer, channel="phone", problem_type="technical_support",
        subject="挤奶机真空压力偏低", description="客户反映挤奶机真空压力只有 38 kPa。",
    )  # fmt: skip
    ts.interaction_add(ticket=ticket, actor=qa["agent1"], body="已指导客户检查真空泵油位与管路密封。",
                       kind="phone_call", direction="outbound", channel="phone")  # fmt: skip
    Ticket.objects.filter(pk=ticket.pk).update(
        status="closed", closed_at=at, resolved_at=at, assignee=qa["agent1"], first_contact_owner=qa["agent1"]
    )
    from herdesk.chat.models import Conversation

    chat_ticket = ts.ticket_create(
        actor=qa["agent1"],
        customer=customer,
        channel="chat",
        problem_type="product_inquiry",
        subject="酸奶保质期",
    )
    chat = Conversation.objects.create(
        customer=customer, identity="portal", status="closed", agent=qa["agent1"], ticket=chat_ticket,
        created_at=at, closed_at=at + timedelta(minutes=9), last_seq=3,
    )  # fmt: skip
    lines = [
        ("customer", None, "你好，酸奶开封后能放多久？"),
        ("agent", qa["agent1"], "您好！开封后请冷藏并在 24 小时内饮用。"),
        ("agent", qa["agent1"], "您的手机号 138****8000 已登记，订单地址是草原路 88 号。"),
    ]
    for seq, (sender, author, body) in enumerate(lines, 1):
        ChatMessage.objects.create(
            conversation=chat, seq=seq, client_id=f"m{seq}", sender=sender, author=author, body=body,
            created_at=at + timedelta(minutes=seq),
        )  # fmt: skip

    card = Scorecard.objects.get(code="seed-001-conduct")
    qa1 = Session(browser, live_server.url, screenshot_dir)
    qa1.login("qa1")
    qa1.go("/quality/plans/")
    qa1.page.fill("#id_name", "客服中心每周抽查")
    qa1.page.select_option("#id_cycle", "weekly")
    qa1.page.select_option("#id_scorecard", str(card.pk))
    qa1.page.fill("#id_percentage", "100")
    qa1.page.fill("#id_min", "1")
    qa1.shot("qa-01-plan-new")
    qa1.page.click("#plan-form button[type=submit]")
    qa1.page.wait_for_selector("#draw-form")
    qa1.page.click("#draw-form button[type=submit]")
    qa1.page.wait_for_selector("#draw-verified")
    assert "✓" in qa1.page.inner_text("#draw-verified")
    qa1.shot("qa-02-sample-drawn")

    # The chat: a red line (customer data read out in the chat).
    qa1.page.click('#draw-items tr[data-source="chat"] button')
    qa1.page.wait_for_selector("#qa-transcript")
    review_chat = Review.objects.get(source="chat")
    _fill(qa1.page, review_chat.version_id, {"privacy": 0}, {"privacy": "在聊天中透露客户手机号和地址"})
    qa1.page.click("#qa-submit")
    qa1.page.wait_for_selector("#qa-redline")
    assert qa1.page.inner_text("#qa-score").strip() == "0.00"
    assert "privacy-basics" in qa1.page.inner_text("#qa-training")
    qa1.shot("qa-03-chat-red-line")

    # The ticket: one deduction with its comment, and the call-back.
    qa1.go(f"/quality/draws/{review_chat.item.draw_id}/")
    qa1.page.click(f'#draw-items tr[data-ticket="{ticket.number}"] button')
    qa1.page.wait_for_selector("#qa-timeline")
    review_t = Review.objects.get(source="ticket", ticket=ticket)
    _fill(qa1.page, review_t.version_id, {"accuracy": 2}, {"accuracy": "未说明真空压力标准值"})
    qa1.page.select_option('select[name="callback_result"]', "confirmed")
    qa1.page.fill('input[name="callback_notes"]', "客户确认压力已恢复正常")
    qa1.scroll_to("#qa-form")
    qa1.shot("qa-04-ticket-scoring")
    qa1.page.click("#qa-submit")
    qa1.page.wait_for_selector("#qa-callback-result")
    assert qa1.page.inner_text("#qa-score").strip() == "92.50"
    qa1.shot("qa-05-ticket-scored")

    # agent1 disputes the ticket's review; qa2 decides as the second reviewer.
    agent = Session(browser, live_server.url, screenshot_dir)
    agent.login("agent1")
    agent.go("/quality/")
    agent.page.click(f'#qa-mine a[href="/quality/reviews/{review_t.pk}/"]')
    agent.page.fill("#id_reason", "已按手册说明压力标准，录音 02:10 处可查")
    agent.shot("qa-06-agent-disputes")
    agent.page.click("#dispute-form button[type=submit]")
    agent.page.wait_for_selector("#qa-dispute")
    qa2 = Session(browser, live_server.url, screenshot_dir)
    qa2.login("qa2")
    qa2.go("/quality/")
    qa2.page.click(f'#qa-disputes a[href="/quality/reviews/{review_t.pk}/"]')
    qa2.page.click('label[for="dec-amended"]')
    qa2.page.click("#decide-form details summary")
    form = qa2.page.locator("#decide-form")
    from herdesk.quality.models import ScoreCriterion

    for c in ScoreCriterion.objects.filter(section__version_id=review_t.version_id):
        form.locator(f'label[for="r-{c.pk}-{c.scale.split("-")[1]}"]').click()
    qa2.page.fill('#decide-form textarea[name="note"]', "录音核实：已说明标准值，改为满分")
    qa2.page.click("#decide-form button[type=submit]")
    qa2.page.wait_for_selector("#qa-decision")
    assert qa2.page.inner_text("#qa-score").strip() == "100.00"
    qa2.shot("qa-07-dispute-decided")
    review_t.refresh_from_db()
    assert review_t.state == "final" and review_t.dispute.decided_by == qa["qa2"]

    # Calibration: three reviewers score the same two contacts blind; α when closed.
    inspection = Scorecard.objects.get(code="seed-000-inspection")
    qa1.go("/quality/calibration/")
    qa1.page.fill('#calibration-form input[name="title"]', "11 月校准会")
    qa1.page.select_option('#calibration-form select[name="scorecard"]', str(inspection.pk))
    qa1.page.select_option("#id_cal_reviewers", [str(qa[n].pk) for n in ("qa1", "qa2", "qa3")])
    qa1.page.fill("#id_items", f"{ticket.number} chat:{chat.pk}")
    qa1.page.click("#calibration-form button[type=submit]")
    qa1.page.wait_for_selector("#cal-items")
    session_url = qa1.page.url
    qa3 = Session(browser, live_server.url, screenshot_dir)
    qa3.login("qa3")
    ratings = {"qa1": ({"phrases": 3}, {"phrases": 2}), "qa2": ({"phrases": 4}, {"phrases": 2}),
               "qa3": ({"phrases": 3}, {"phrases": 1})}  # fmt: skip
    for name, s in (("qa1", qa1), ("qa2", qa2), ("qa3", qa3)):
        for i in range(2):
            s.page.goto(session_url)
            s.page.click("#cal-items a.btn >> nth=0")
            s.page.wait_for_selector("#qa-form")
            version_id = Scorecard.objects.get(code="seed-000-inspection").versions.get().pk
            r = ratings[name][i]
            _fill(s.page, version_id, r, {"phrases": "用语不够规范"} if r["phrases"] < 4 else {})
            s.page.click("#qa-submit")
            s.page.wait_for_selector("#cal-items")
    qa1.page.goto(session_url)
    qa1.page.click("#cal-close")
    qa1.page.wait_for_selector("#alpha-value")
    assert "α =" in qa1.page.inner_text("#alpha-value")
    qa1.shot("qa-08-calibration-alpha")

    # The agent's scorecard shows the reviews, the training to assign and the pending re-check.
    agent.go(f"/quality/agents/{qa['agent1'].pk}/?period={timezone.localtime(at):%Y-%m}")
    agent.page.wait_for_selector("#agent-loop")
    assert "privacy-basics" in agent.page.inner_text("#agent-loop")
    # The chat's red line keeps its re-check; the amended ticket review withdrew its own.
    assert agent.page.locator(".recheck-row").count() == 1
    agent.shot("qa-09-agent-scorecard")
