"""The loop of issue #17 end to end in Debian's Chromium (Playwright), QA-4 with STF-2:

qa1 fails a criterion linked to a training module in a review → the module is assigned to the agent
(the agent sees it on "My training") → the agent takes the module's exam and passes (the assignment
is completed) → qa1 draws the next sample: it contains the agent's next contacts (pick "re-check"),
and the agent's scorecard shows the re-check as sampled.

Screenshots (1440×900) go to docs/screenshots/ with
    HERDESK_SCREENSHOTS=docs/screenshots pytest -m e2e herdesk/quality/tests/test_e2e_loop.py
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from herdesk.training.tests.test_e2e import _close_server_connections  # noqa: F401 - fixture
from herdesk.workspace.tests.test_e2e import Session, browser  # noqa: F401 - the Chromium fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.usefixtures("_close_server_connections")]


def _closed_ticket(qa: dict[str, Any], customer: Any, subject: str, at: Any) -> Any:
    from herdesk.tickets import services as ts
    from herdesk.tickets.models import Ticket

    t = ts.ticket_create(actor=qa["agent1"], customer=customer, channel="phone",
                         problem_type="product_inquiry", subject=subject)  # fmt: skip
    Ticket.objects.filter(pk=t.pk).update(
        status="closed", closed_at=at, resolved_at=at, assignee=qa["agent1"], first_contact_owner=qa["agent1"]
    )
    t.refresh_from_db()
    return t


def test_failed_criterion_training_exam_and_recheck(
    browser,  # noqa: F811 - the imported fixture
    live_server,
    qa,
    customer,
    screenshot_dir,
) -> None:
    from herdesk.quality import services as qs
    from herdesk.quality.models import InspectionPlan, Recheck, Review, SampleDraw, Scorecard, ScoreCriterion
    from herdesk.training import services as tr
    from herdesk.training.models import Assignment

    # The module the shipped seed-001 scorecard links "greeting" to, with a one-question exam.
    lead = qa["cs_lead"]
    greeting_text = "您好，牧服客服中心，请问有什么可以帮您？"
    module = tr.module_create(
        actor=lead,
        code="service-etiquette",
        title="服务礼仪与沟通技巧",
        materials=f"接听电话先问候：“{greeting_text}”",
    )
    exam = tr.exam_create(actor=lead, module=module, title="服务礼仪测验", kind="theory", pass_mark=100)
    question = tr.question_add(
        actor=lead,
        exam=exam,
        kind="single",
        prompt="接听电话的标准问候语是？",
        choices=[(greeting_text, True), ("喂，谁啊？", False)],
    )
    card = Scorecard.objects.get(code="seed-001-conduct")
    plan = qs.plan_create(actor=qa["qa1"], name="客服中心每周抽查", cycle="weekly", sources=["ticket"],
                          scorecard=card, reviewers=[qa["qa1"]], percentage=100, per_agent_minimum=1,
                          recheck_count=2)  # fmt: skip
    start, _end = qs.cycle_period(plan, timezone.now())
    ticket = _closed_ticket(qa, customer, "询问鲜奶配送时间", start + timedelta(days=2, hours=3))

    # ---- 1. qa1 draws last week's sample and fails "greeting" (linked to service-etiquette).
    qa1 = Session(browser, live_server.url, screenshot_dir)
    qa1.login("qa1")
    qa1.go(f"/quality/plans/{plan.pk}/")
    qa1.page.click("#draw-form button[type=submit]")
    qa1.page.wait_for_selector("#draw-verified")
    qa1.page.click(f'#draw-items tr[data-ticket="{ticket.number}"] button')
    qa1.page.wait_for_selector("#qa-timeline")
    review = Review.objects.get(ticket=ticket)
    greeting = ScoreCriterion.objects.get(section__version_id=review.version_id, code="greeting")
    for c in ScoreCriterion.objects.filter(section__version_id=review.version_id):
        value = 1 if c.pk == greeting.pk else int(c.scale.split("-")[1])
        qa1.page.click(f'label[for="r-{c.pk}-{value}"]')
    qa1.page.fill(f'input[name="c-{greeting.pk}"]', "未使用标准问候语，直接询问订单号")
    qa1.page.click("#qa-submit")
    qa1.page.wait_for_selector("#qa-training")
    assert "service-etiquette" in qa1.page.inner_text("#qa-training")
    qa1.shot("qa-loop-01-criterion-failed")
    assignment = Assignment.objects.get(agent=qa["agent1"], module=module)
    assert assignment.source_ref == f"quality.review:{review.pk}" and assignment.status == "assigned"
    recheck = Recheck.objects.get(review=review)
    assert recheck.agent == qa["agent1"] and recheck.count == 2 and recheck.draw_id is None

    # ---- 2. agent1 finds the training on "My training", takes the exam and passes.
    agent = Session(browser, live_server.url, screenshot_dir)
    agent.login("agent1")
    agent.go("/training/")
    row = agent.page.locator("#tr-my-assignments tr", has_text="服务礼仪与沟通技巧")
    assert f"QA-{review.pk}" in row.inner_text()
    agent.shot("training-loop-01-assigned-from-review")
    row.locator("a").first.click()
    agent.page.click(f"#tr-take-{exam.pk}")
    right = question.choices.get(correct=True)
    agent.page.check(f"#c{right.pk}")
    agent.page.click("#tr-submit")
    agent.page.wait_for_url("**/training/attempts/*/")
    assignment.refresh_from_db()
    assert assignment.status == "completed"
    agent.shot("training-loop-02-exam-passed")

    # ---- 3. agent1's next contacts (after the re-check opened) go into the next draw.
    after = recheck.since + timedelta(minutes=5)
    nexts = [_closed_ticket(qa, customer, f"复查样本 {i}", after + timedelta(minutes=i)) for i in (1, 2, 3)]
    today = timezone.localdate(after).isoformat()
    qa1.go(f"/quality/plans/{plan.pk}/")
    assert "王晓燕" in qa1.page.inner_text("#qa-plan-rechecks")
    qa1.page.fill("#id_start", today)
    qa1.page.fill("#id_end", today)
    qa1.page.click("#draw-form button[type=submit]")
    qa1.page.wait_for_selector("#draw-verified")
    draw = SampleDraw.objects.filter(plan=plan).latest("pk")
    rechecked = list(
        draw.items.filter(pick="recheck").order_by("occurred_at").values_list("ticket_id", flat=True)
    )
    # The next N (= 2) contacts of the agent after the failure, in order.
    assert rechecked == [nexts[0].pk, nexts[1].pk]
    for t in nexts[:2]:
        assert qa1.page.locator(f'#draw-items tr[data-ticket="{t.number}"]').count() == 1
    recheck.refresh_from_db()
    assert recheck.draw_id == draw.pk
    qa1.shot("qa-loop-02-next-draw-rechecks")

    # The agent's scorecard shows the failed criterion, its training and the re-check sampled.
    qa1.go(f"/quality/agents/{qa['agent1'].pk}/")
    assert "已抽中，尚未评分" in qa1.page.inner_text(".recheck-row")
    assert qa1.page.inner_text(".qa-training-status").strip() == "已完成"
    qa1.shot("qa-loop-03-agent-scorecard")
    assert InspectionPlan.objects.get(pk=plan.pk).draws.count() == 2
