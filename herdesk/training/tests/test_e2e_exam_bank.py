"""Editing and retiring exams and questions in Debian's Chromium (Playwright), STF-2: the supervisor
raises an exam's pass mark, edits an answered question (kept for the past attempt, replaced by the
copy), retires another question, and finally retires the exam; the agent can then complete the
module by confirming the materials were studied.

Screenshots (1440×900) go to docs/screenshots/ with
    HERDESK_SCREENSHOTS=docs/screenshots pytest -m e2e herdesk/training/tests/test_e2e_exam_bank.py
"""

from __future__ import annotations

import re

import pytest

from herdesk.workspace.tests.test_e2e import Session, browser  # noqa: F401 - the Chromium fixture

from .conftest import answers_for
from .test_e2e import _close_server_connections  # noqa: F401 - fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.usefixtures("_close_server_connections")]


def test_exam_and_question_edit_and_retire(
    browser,  # noqa: F811 - the imported fixture
    live_server,
    staff,
    module_with_exam,
    screenshot_dir,
) -> None:
    from herdesk.training import services as tr
    from herdesk.training.models import Assignment, Attempt

    exam = module_with_exam.exams.get()
    single, multiple = list(exam.questions.order_by("position"))
    agent1 = staff["agent1"]
    a = tr.assignment_create(
        agent=agent1, module_code=module_with_exam.code, reason="质检 QA-7：问候语不规范",
        source_ref="quality.review:7", actor=staff["cs_lead"],
    )  # fmt: skip
    attempt = tr.attempt_submit(exam=exam, agent=agent1, answers=answers_for(exam, right=False), actor=agent1)

    lead = Session(browser, live_server.url, screenshot_dir)
    lead.login("cs_lead")
    lead.go(f"/training/exams/{exam.pk}/")
    lead.page.click("#tr-exam-edit")
    lead.page.fill("#id_pass_mark", "80")
    lead.page.select_option("#id_kind", "practice")
    lead.shot("training-bank-01-exam-edit")
    lead.page.click("#tr-exam-save")
    lead.page.wait_for_url(re.compile(rf"/training/exams/{exam.pk}/$"))
    exam.refresh_from_db()
    assert exam.pass_mark == 80

    # The single-choice question was answered: the edit keeps it for the attempt and adds a copy.
    lead.page.click(f"#tr-q-edit-{single.pk}")
    lead.page.fill("#id_prompt", "接听电话时的标准问候语是？（2027 版）")
    lead.shot("training-bank-02-question-edit")
    lead.page.click("#tr-question-save")
    lead.page.wait_for_url(re.compile(rf"/training/exams/{exam.pk}/$"))
    single.refresh_from_db()
    assert not single.active and exam.questions.filter(active=True, prompt__contains="2027").count() == 1
    # Retire the multiple-choice question.
    lead.page.click(f"#tr-q-edit-{multiple.pk}")
    lead.page.click("#tr-question-retire-btn")
    lead.page.wait_for_url(re.compile(rf"/training/exams/{exam.pk}/$"))
    lead.page.click("#tr-retired summary")
    assert "2" in lead.page.inner_text("#tr-retired summary")
    lead.shot("training-bank-03-retired-questions")

    # Retire the whole exam with a reason.
    lead.page.click("#tr-exam-edit")
    lead.page.fill("#id_retire-reason", "改为线下实操考核")
    lead.page.click("#tr-exam-retire-btn")
    lead.page.wait_for_url(re.compile(rf"/training/exams/{exam.pk}/$"))
    assert lead.page.locator("#tr-exam-retired").count() == 1
    lead.shot("training-bank-04-exam-retired")

    # The agent: no exam to take any more; the past attempt keeps its questions; studied completes it.
    agent = Session(browser, live_server.url, screenshot_dir)
    agent.login("agent1")
    agent.go(f"/training/attempts/{attempt.pk}/")
    assert "接听电话的标准问候语是？" in agent.page.inner_text("main")
    agent.go(f"/training/modules/{module_with_exam.pk}/")
    assert agent.page.locator(f"#tr-take-{exam.pk}").count() == 0
    agent.page.click("#tr-studied")
    agent.page.locator(".hd-messages").wait_for()
    a.refresh_from_db()
    assert a.status == "completed" and Attempt.objects.filter(exam=exam).count() == 1
    assert Assignment.objects.get(pk=a.pk).status == "completed"
    agent.shot("training-bank-05-module-completed-after-retirement")
