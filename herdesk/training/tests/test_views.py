"""Training pages (STF-2): who sees what, the exam taken through the page, refusals as 4xx."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from herdesk.training import services as tr
from herdesk.training.choices import AssignmentStatus, AttemptStatus, PlanStatus
from herdesk.training.models import Assignment, Attempt, Exam, Module, OnboardingPlan

pytestmark = pytest.mark.django_db


def test_supervisor_builds_a_module_with_an_exam_and_assigns_it(login, staff) -> None:
    lead = login("cs_lead")
    r = lead.post(
        "/training/modules/",
        {"code": "complaints", "title": "投诉处理", "materials": "先致歉，再核实。", "due_working_days": "3"},
    )
    assert r.status_code == 302
    m = Module.objects.get(code="complaints")
    r = lead.post(
        f"/training/modules/{m.pk}/do/exam/",
        {"exam-title": "投诉处理理论", "exam-kind": "theory", "exam-pass_mark": "50"},
    )
    exam = Exam.objects.get(module=m)
    assert r["Location"] == f"/training/exams/{exam.pk}/"
    r = lead.post(
        f"/training/exams/{exam.pk}/",
        {"kind": "single", "prompt": "客户投诉首先应当？", "points": "1", "choices": "*致歉并倾听\n争辩"},
    )
    assert r.status_code == 302
    # A single-choice question without a correct choice: the form shows the refusal (400).
    r = lead.post(
        f"/training/exams/{exam.pk}/", {"kind": "single", "prompt": "x", "points": "1", "choices": "a\nb"}
    )
    assert r.status_code == 400 and exam.questions.count() == 1
    r = lead.post(
        f"/training/modules/{m.pk}/do/assign/",
        {"assign-agent": staff["agent1"].pk, "assign-reason": "新规培训"},
    )
    assert r.status_code == 302
    a = Assignment.objects.get(agent=staff["agent1"], module=m)
    assert a.source_ref.startswith("page:")
    # The same assignment again the same day is the same row.
    lead.post(
        f"/training/modules/{m.pk}/do/assign/", {"assign-agent": staff["agent1"].pk, "assign-reason": "x"}
    )
    assert Assignment.objects.filter(agent=staff["agent1"], module=m).count() == 1
    assert lead.get(f"/training/modules/{m.pk}/").status_code == 200

    # agent1 sees the module, takes the exam and passes it.
    agent = login("agent1")
    assert "投诉处理" in agent.get("/training/").content.decode()
    assert agent.get(f"/training/modules/{m.pk}/").status_code == 200
    page = agent.get(f"/training/exams/{exam.pk}/take/")
    assert page.status_code == 200
    q = exam.questions.get()
    right = q.choices.get(correct=True)
    r = agent.post(f"/training/exams/{exam.pk}/take/", {f"q{q.pk}": str(right.pk)})
    att = Attempt.objects.get(agent=staff["agent1"])
    assert r["Location"] == f"/training/attempts/{att.pk}/" and att.status == AttemptStatus.PASSED
    assert agent.get(r["Location"]).status_code == 200
    a.refresh_from_db()
    assert a.status == AssignmentStatus.COMPLETED
    # The module is done: the take page sends back to the module.
    assert agent.get(f"/training/exams/{exam.pk}/take/").status_code == 302


def test_agents_cannot_manage_or_see_others(login, staff, module_with_exam) -> None:
    agent = login("agent2")
    exam = module_with_exam.exams.get()
    for url in [
        "/training/modules/",
        f"/training/exams/{exam.pk}/",
        "/training/onboarding/",
        "/training/mentors/",
        "/training/grading/",
    ]:
        assert agent.get(url).status_code == 403, url
    # Not assigned: the module and its exam are not found for them.
    assert agent.get(f"/training/modules/{module_with_exam.pk}/").status_code == 404
    assert agent.get(f"/training/exams/{exam.pk}/take/").status_code == 404
    assert agent.post(f"/training/modules/{module_with_exam.pk}/do/assign/", {}).status_code == 404
    # Someone else's attempt is not found.
    tr.assignment_create(
        agent=staff["agent1"], module_code="etiquette", reason="r", source_ref="", actor=None
    )
    att = tr.attempt_submit(exam=exam, agent=staff["agent1"], answers={}, actor=staff["agent1"])
    assert agent.get(f"/training/attempts/{att.pk}/").status_code == 404
    assert login("agent1").get(f"/training/attempts/{att.pk}/").status_code == 200


def test_bad_input_is_4xx(login, staff, module_with_exam) -> None:
    lead = login("cs_lead")
    assert lead.post("/training/modules/", {"code": "bad code!", "title": ""}).status_code == 400
    assert (
        lead.post(
            "/training/onboarding/",
            {"agent": staff["agent2"].pk, "starts_on": "2026-12-07", "working_days": "3"},
        ).status_code
        == 400
    )
    assert (
        lead.post("/training/sessions/", {"title": "x", "kind": "training", "starts_at": "nope"}).status_code
        == 400
    )
    assert lead.get("/training/sessions/?month=2026-99").status_code == 200
    assert lead.post(f"/training/modules/{module_with_exam.pk}/do/nope/").status_code == 404
    # A failed attempt's take page with a forged choice id: 400, no attempt.
    tr.assignment_create(
        agent=staff["agent1"], module_code="etiquette", reason="r", source_ref="", actor=None
    )
    exam = module_with_exam.exams.get()
    q = exam.questions.first()
    r = login("agent1").post(f"/training/exams/{exam.pk}/take/", {f"q{q.pk}": "999999"})
    assert r.status_code == 400 and not Attempt.objects.exists()


def test_free_text_grading_page(login, staff, module_with_exam) -> None:
    exam = module_with_exam.exams.get()
    tr.question_add(actor=staff["cs_lead"], exam=exam, kind="text", prompt="如何安抚客户？", points=2)
    tr.assignment_create(
        agent=staff["agent1"], module_code="etiquette", reason="r", source_ref="", actor=None
    )
    from .conftest import answers_for

    att = tr.attempt_submit(
        exam=exam, agent=staff["agent1"], answers=answers_for(exam, text="倾听"), actor=staff["agent1"]
    )
    qa = login("qa1")
    assert "如何安抚客户" not in qa.get("/training/grading/").content.decode()  # the exam's title is listed
    assert exam.title in qa.get("/training/grading/").content.decode()
    ans = att.answers.get(points__isnull=True)
    assert qa.post(f"/training/attempts/{att.pk}/", {f"a{ans.pk}": "x"}).status_code == 400
    assert qa.post(f"/training/attempts/{att.pk}/", {f"a{ans.pk}": "9"}).status_code == 400
    assert (
        qa.post(f"/training/attempts/{att.pk}/", {f"a{ans.pk}": "2", f"c{ans.pk}": "好"}).status_code == 302
    )
    att.refresh_from_db()
    assert att.status == AttemptStatus.PASSED and att.graded_by == staff["qa1"]
    # The agent cannot grade (and it is graded now anyway).
    assert login("agent1").post(f"/training/attempts/{att.pk}/", {f"a{ans.pk}": "2"}).status_code == 403


def test_onboarding_pages_and_override(login, staff) -> None:
    from herdesk.staff.services import user_create

    newbie = user_create(username="newbie", password="x", role="agent", team=staff["agent1"].team)
    lead = login("cs_lead")
    r = lead.post(
        "/training/onboarding/",
        {
            "agent": newbie.pk,
            "starts_on": timezone.localdate().isoformat(),
            "working_days": "5",
            "mentor": staff["agent1"].pk,
        },
    )
    plan = OnboardingPlan.objects.get(agent=newbie)
    assert r["Location"] == f"/training/onboarding/{plan.pk}/"
    assert lead.get("/training/onboarding/").status_code == 200
    # qa may see the plan but not override (403 with the message).
    assert login("qa1").post(f"/training/onboarding/{plan.pk}/", {"reason": "x"}).status_code == 403
    assert lead.post(f"/training/onboarding/{plan.pk}/", {"reason": ""}).status_code == 400
    assert lead.post(f"/training/onboarding/{plan.pk}/", {"reason": "高峰期支援"}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.OVERRIDDEN
    assert "高峰期支援" in lead.get(f"/training/onboarding/{plan.pk}/").content.decode()


def test_sessions_monthly_rule_and_mentor_pages(login, staff) -> None:
    lead = login("cs_lead")
    start = timezone.localtime() - timedelta(hours=1)
    r = lead.post(
        "/training/sessions/",
        {
            "title": "乳房炎案例分享",
            "kind": "case_sharing",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "60",
            "location": "三楼会议室",
            "invitees": [staff["agent1"].pk, staff["agent2"].pk],
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    url = r["Location"]
    assert lead.get(url).status_code == 200
    assert lead.post(url, {"attended": [staff["agent1"].pk]}).status_code == 302
    page = lead.get("/training/sessions/").content.decode()
    assert 'id="tr-rule-agent1"' in page
    # Management reads the monthly rule; agents do not.
    assert login("manager").get("/training/sessions/").status_code == 200
    assert login("agent1").get("/training/sessions/").status_code == 403
    r = lead.post(
        "/training/mentors/",
        {"agent": staff["agent2"].pk, "mentor": staff["agent1"].pk, "goal": "提升投诉处理"},
    )
    assert r.status_code == 302
    mentor = login("agent1")
    assert mentor.post(r["Location"], {"body": "本周跟听 5 通电话。"}).status_code == 302
    assert "本周跟听" in login("agent2").get(r["Location"]).content.decode()
    assert login("tech1").get(r["Location"]).status_code == 404


def test_list_pages_query_counts(login, staff, module_with_exam, django_assert_max_num_queries) -> None:
    for i in range(5):
        tr.module_create(actor=staff["cs_lead"], code=f"m{i}", title=f"模块{i}")
        tr.assignment_create(
            agent=staff["agent1"], module_code=f"m{i}", reason="r", source_ref="", actor=None
        )
    lead, agent = login("cs_lead"), login("agent1")
    for client, url in [
        (lead, "/training/modules/"),
        (lead, "/training/onboarding/"),
        (lead, "/training/sessions/"),
        (lead, "/training/mentors/"),
        (lead, "/training/grading/"),
        (agent, "/training/"),
    ]:
        client.get(url)
        with django_assert_max_num_queries(25):
            assert client.get(url).status_code == 200


def test_a_new_agent_in_onboarding_cannot_take_a_ticket_from_the_page(login, staff, make_ticket) -> None:
    from herdesk.staff.services import user_create

    newbie = user_create(username="newbie", password="x", role="agent", team=staff["agent1"].team)
    plan = tr.onboarding_start(agent=newbie, starts_on=timezone.localdate(), actor=staff["cs_lead"])
    ticket = make_ticket(team="customer-service", assignee="")
    client = login("newbie", lang="en")
    # The page shows the take button disabled with the reason (no form to post) ...
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert 'id="btn-take" disabled' in page and f"/tickets/{ticket.number}/do/take/" not in page
    assert "You cannot take tickets yet: onboarding not completed." in page
    # ... and the server still refuses a forged post.
    r = client.post(f"/tickets/{ticket.number}/do/take/")
    assert r.status_code == 400
    assert "cannot take tickets yet: onboarding not completed" in r.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee_id is None
    tr.onboarding_override(plan=plan, actor=staff["cs_lead"], reason="高峰期")
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert f"/tickets/{ticket.number}/do/take/" in page and "take-held-reason" not in page
    assert client.post(f"/tickets/{ticket.number}/do/take/").status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee_id == newbie.pk


def test_module_attachments_are_checked_and_downloadable(
    login, staff, module_with_exam, settings, tmp_path
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)
    lead = login("cs_lead")
    url = f"/training/modules/{module_with_exam.pk}/do/attach/"
    pdf = SimpleUploadedFile("服务礼仪手册.pdf", b"%PDF-1.4\n" + b"0" * 64, content_type="application/pdf")
    assert lead.post(url, {"file": pdf}).status_code == 302
    fake = SimpleUploadedFile("evil.pdf", b"<script>", content_type="application/pdf")
    lead.post(url, {"file": fake})
    att = module_with_exam.attachments.get()
    assert att.original_name == "服务礼仪手册.pdf"
    r = lead.get(f"/training/attachments/{att.pk}/")
    assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"%PDF-")
    # Only for managers and the people the module is assigned to.
    assert login("agent1").get(f"/training/attachments/{att.pk}/").status_code == 404
    tr.assignment_create(
        agent=staff["agent1"], module_code="etiquette", reason="r", source_ref="", actor=None
    )
    assert login("agent1").get(f"/training/attachments/{att.pk}/").status_code == 200
