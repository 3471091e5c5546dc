"""Training end to end in Debian's Chromium (Playwright), STF-2.

1. The supervisor (cs_lead) creates a module with an exam (single and multiple choice), assigns it
   to agent1 from the module page (`assignment_create`); agent1 sees it, takes the exam and passes;
   the assignment is completed.
2. The supervisor starts the onboarding of a new agent; the new agent cannot claim a ticket (a clear
   message) until the supervisor overrides the onboarding with a reason; then the claim works.
3. The sessions page shows the "at least one a month" rule per person (met / not yet).

Screenshots (1440×900) go to docs/screenshots/ with
    HERDESK_SCREENSHOTS=docs/screenshots pytest -m e2e herdesk/training/tests
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from herdesk.workspace.tests.test_e2e import Session, browser  # noqa: F401 - the Chromium fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.usefixtures("_close_server_connections")]


@pytest.fixture(scope="session")
def _close_server_connections(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """On PostgreSQL, end the idle sessions the live server's threads leave behind, once, after the
    last test, so the test database can be dropped (the quality e2e tests use it too)."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle'"
                )


def test_module_exam_assignment_and_onboarding_block(
    browser,  # noqa: F811 - the imported fixture
    live_server,
    staff,
    make_ticket,
    screenshot_dir,
) -> None:
    from herdesk.staff.models import Team
    from herdesk.staff.services import user_create
    from herdesk.training import services as tr
    from herdesk.training.models import Assignment, Attempt, Module, OnboardingPlan

    base, shots = live_server.url, screenshot_dir
    # Earlier modules (demo-like) so the curriculum and the plan are not empty.
    tr.module_create(
        actor=staff["cs_lead"], code="crm", title="工单系统使用", required_for_onboarding=True,
        summary="受理、查收确认、转派、解决与关闭",
    )  # fmt: skip
    ticket = make_ticket(
        team="customer-service", assignee="", subject="客户咨询酸奶保质期", problem_type="product_inquiry"
    )

    # ---- 1. the supervisor builds the module and its exam, and assigns it to agent1
    lead = Session(browser, base, shots)
    lead.login("cs_lead")
    lead.go("/training/modules/")
    lead.page.fill("#id_code", "complaints")
    lead.page.fill("#id_title", "投诉处理")
    lead.page.fill("#id_summary", "投诉受理、分级、时限与回访")
    lead.page.fill(
        "#id_materials",
        "投诉 24 小时内响应并给出处理方案；重大投诉立即上报主管。\n受理时记录客户诉求、证据与期望。",
    )
    lead.page.check("#id_required_for_onboarding")
    lead.page.click("#tr-module-create")
    lead.page.wait_for_url(re.compile(r"/training/modules/\d+/$"))
    module = Module.objects.get(code="complaints")
    lead.page.fill("#id_exam-title", "投诉处理理论考试")
    lead.page.fill("#id_exam-pass_mark", "60")
    lead.page.click("#tr-exam-create")
    lead.page.wait_for_url(re.compile(r"/training/exams/\d+/$"))
    lead.page.select_option("#id_kind", "single")
    lead.page.fill("#id_prompt", "一般投诉应在多长时间内响应？")
    lead.page.fill("#id_points", "2")
    lead.page.fill("#id_choices", "*24 小时内\n3 个工作日内\n一周内")
    lead.page.click("#tr-question-add")
    lead.page.locator("#tr-bank li").first.wait_for()
    lead.page.select_option("#id_kind", "multiple")
    lead.page.fill("#id_prompt", "受理投诉时应记录哪些信息？")
    lead.page.fill("#id_points", "2")
    lead.page.fill("#id_choices", "*客户诉求\n*证据\n客服个人意见")
    lead.page.click("#tr-question-add")
    lead.page.locator("#tr-bank li").nth(1).wait_for()
    assert lead.page.inner_text("#tr-total") == "4"
    lead.shot("training-01-exam-question-bank")
    lead.go(f"/training/modules/{module.pk}/")
    lead.page.select_option("#id_assign-agent", str(staff["agent1"].pk))
    lead.page.fill("#id_assign-reason", "质检复核：投诉处理流程不完整")
    lead.page.click("#tr-assign-submit")
    lead.page.locator("#tr-assigned tbody tr td", has_text="王晓燕").first.wait_for()
    assert "王晓燕" in lead.page.inner_text(".hd-messages")
    lead.shot("training-02-module-assigned")
    assignment = Assignment.objects.get(agent=staff["agent1"], module=module)
    assert assignment.source_ref.startswith("page:")

    # ---- agent1 takes and passes the exam
    agent = Session(browser, base, shots)
    agent.login("agent1")
    agent.go("/training/")
    agent.page.locator("#tr-my-assignments", has_text="投诉处理").wait_for()
    agent.shot("training-03-my-training")
    agent.page.click("#tr-my-assignments a:has-text('投诉处理')")
    exam = module.exams.get()
    agent.page.click(f"#tr-take-{exam.pk}")
    agent.page.check("label:has-text('24 小时内')")
    agent.page.check("label:has-text('客户诉求')")
    agent.page.check("label:has-text('证据')")
    agent.shot("training-04-taking-the-exam")
    agent.page.click("#tr-submit")
    agent.page.wait_for_url(re.compile(r"/training/attempts/\d+/$"))
    assert "通过" in agent.page.inner_text("#tr-status")
    assert "4/4" in agent.page.inner_text("#tr-score")
    agent.shot("training-05-exam-passed")
    assert Attempt.objects.get(agent=staff["agent1"]).status == "passed"
    assignment.refresh_from_db()
    assert assignment.status == "completed"

    # ---- 2. onboarding of a new agent blocks claiming a ticket until the supervisor overrides it
    newbie = user_create(
        username="trainee1",
        password="herdesk-demo",
        role="agent",
        team=Team.objects.get(code="customer-service"),
        display_name="陈晨",
    )
    lead.go("/training/onboarding/")
    lead.page.select_option("#id_agent", str(newbie.pk))
    lead.page.select_option("#id_mentor", str(staff["agent1"].pk))
    lead.page.click("#tr-plan-start")
    lead.page.wait_for_url(re.compile(r"/training/onboarding/\d+/$"))
    plan = OnboardingPlan.objects.get(agent=newbie)
    assert plan.working_days == 5
    assert "入职培训完成前不能接单" in lead.page.inner_text("#tr-plan-hold")
    lead.shot("training-06-onboarding-plan")

    trainee = Session(browser, base, shots)
    trainee.login("trainee1")
    trainee.go(f"/tickets/{ticket.number}/")
    # The take button is disabled with the reason; the server-side refusal is tested in test_views.
    assert trainee.page.is_disabled("#btn-take")
    assert "入职培训未完成" in trainee.page.inner_text("#take-held-reason")
    assert trainee.page.locator(f"form[action$='/tickets/{ticket.number}/do/take/']").count() == 0
    trainee.shot("training-07-claim-refused-during-onboarding")
    ticket.refresh_from_db()
    assert ticket.assignee_id is None

    lead.page.fill("#id_reason", "节前咨询高峰，由导师王晓燕陪同接单")
    lead.page.click("#tr-override-submit")
    lead.page.locator("#tr-override-note").wait_for()
    assert "节前咨询高峰" in lead.page.inner_text("#tr-override-note")
    lead.shot("training-08-onboarding-overridden")

    trainee.go(f"/tickets/{ticket.number}/")
    trainee.page.click(f"form[action$='/tickets/{ticket.number}/do/take/'] button")
    trainee.page.locator(".hd-messages", has_text="15").wait_for()
    ticket.refresh_from_db()
    assert ticket.assignee_id == newbie.pk

    # ---- 3. the monthly rule: agent1 attended this month's case-sharing session
    from datetime import timedelta

    from django.utils import timezone

    s = tr.session_schedule(
        actor=staff["cs_lead"],
        title="投诉处理优秀案例分享",
        kind="case_sharing",
        starts_at=timezone.now() - timedelta(hours=1),
        location="客服中心三楼会议室",
        invitees=[staff["agent1"], staff["agent2"]],
    )
    tr.session_attendance_record(session=s, actor=staff["cs_lead"], attended=[staff["agent1"].pk])
    lead.go("/training/sessions/")
    assert "已达成" in lead.page.inner_text("#tr-rule-agent1")
    assert "尚未参加" in lead.page.inner_text("#tr-rule-agent2")
    lead.shot("training-09-sessions-monthly-rule")
