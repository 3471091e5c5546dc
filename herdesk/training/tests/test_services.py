"""Training services (STF-2): the assignment contract, exam grading, onboarding with the ticket
hold, sessions and the monthly rule, mentors."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from herdesk.audit.models import AuditEntry
from herdesk.common.errors import DomainError
from herdesk.notifications.models import Notification
from herdesk.training import selectors
from herdesk.training import services as tr
from herdesk.training.choices import AssignmentStatus, AttemptStatus, PlanStatus
from herdesk.training.models import Assignment, OnboardingPlan

from .conftest import answers_for

pytestmark = pytest.mark.django_db


def _new_agent(username: str = "newbie") -> Any:
    from herdesk.staff.models import Team
    from herdesk.staff.services import user_create

    return user_create(
        username=username,
        password="herdesk-demo",
        role="agent",
        team=Team.objects.get(code="customer-service"),
        display_name="新同事",
    )


# ---------------------------------------------------------------- the contract with quality


def test_assignment_create_contract(staff, module_with_exam) -> None:
    agent, qa = staff["agent1"], staff["qa1"]
    a = tr.assignment_create(
        agent=agent,
        module_code="etiquette",
        reason="质检不合格：服务态度",
        source_ref="qa-review:17",
        actor=qa,
    )
    assert a.status == AssignmentStatus.ASSIGNED and a.module == module_with_exam
    # Due 5 working days after today under the office calendar (the module's default).
    assert a.due_on == tr.working_days_after(timezone.localdate(), 5)
    assert a.due_on > timezone.localdate()
    # Idempotent per (agent, module, source): same row, no second notice or audit entry.
    again = tr.assignment_create(
        agent=agent, module_code="etiquette", reason="另一个说法", source_ref="qa-review:17", actor=qa
    )
    assert again.pk == a.pk and again.reason == "质检不合格：服务态度"
    assert Notification.objects.filter(user=agent, data__key=f"training-assigned:{a.pk}").count() == 1
    assert AuditEntry.objects.filter(action="training.assigned", object_id=str(a.pk)).count() == 1
    # Another source assigns again.
    other = tr.assignment_create(
        agent=agent, module_code="etiquette", reason="复检", source_ref="qa-review:18", actor=qa
    )
    assert other.pk != a.pk


def test_assignment_create_refusals(staff, module_with_exam, customer) -> None:
    with pytest.raises(DomainError) as exc:
        tr.assignment_create(agent=staff["agent1"], module_code="nope", reason="x", source_ref="", actor=None)
    assert exc.value.code == "invalid"
    with pytest.raises(ValidationError):
        tr.assignment_create(
            agent=staff["agent1"], module_code="etiquette", reason=" ", source_ref="", actor=None
        )
    from herdesk.portal.services import portal_user_for

    with pytest.raises(ValidationError):
        tr.assignment_create(
            agent=portal_user_for(customer=customer),
            module_code="etiquette",
            reason="x",
            source_ref="",
            actor=None,
        )
    tr.module_update(actor=staff["cs_lead"], module=module_with_exam, changes={"active": False})
    with pytest.raises(DomainError):
        tr.assignment_create(
            agent=staff["agent1"], module_code="etiquette", reason="x", source_ref="", actor=None
        )


# ---------------------------------------------------------------- exams


def test_choice_exam_passes_and_completes_the_assignment(staff, module_with_exam) -> None:
    agent = staff["agent1"]
    a = tr.assignment_create(
        agent=agent, module_code="etiquette", reason="r", source_ref="s", actor=staff["cs_lead"]
    )
    exam = module_with_exam.exams.get()
    # Wrong answers: 0 of 4, failed; the assignment stays open.
    failed = tr.attempt_submit(exam=exam, agent=agent, answers=answers_for(exam, right=False), actor=agent)
    assert (failed.status, failed.score, failed.max_score) == (AttemptStatus.FAILED, 0, 4)
    a.refresh_from_db()
    assert a.status == AssignmentStatus.ASSIGNED
    passed = tr.attempt_submit(exam=exam, agent=agent, answers=answers_for(exam), actor=agent)
    assert (passed.status, passed.score, passed.percent) == (AttemptStatus.PASSED, 4, 100.0)
    a.refresh_from_db()
    assert a.status == AssignmentStatus.COMPLETED and a.completed_at
    # The module is completed: no further attempts on it.
    with pytest.raises(DomainError):
        tr.attempt_submit(exam=exam, agent=agent, answers=answers_for(exam), actor=agent)


def test_multiple_choice_is_all_or_nothing_and_pass_mark_boundary(staff, module_with_exam) -> None:
    agent = staff["agent1"]
    tr.assignment_create(agent=agent, module_code="etiquette", reason="r", source_ref="s", actor=None)
    exam = module_with_exam.exams.get()
    ans = answers_for(exam)
    multi = exam.questions.get(kind="multiple")
    ans[multi.pk] = ans[multi.pk][:1]  # one of the two correct choices: no points
    att = tr.attempt_submit(exam=exam, agent=agent, answers=ans, actor=agent)
    # 2 of 4 = 50 % < 60 %: failed.
    assert (att.score, att.status) == (2, AttemptStatus.FAILED)
    assert tr._passed(3, 5, 60) and not tr._passed(2, 5, 60) and tr._passed(60, 100, 60)
    assert not tr._passed(59, 100, 60) and not tr._passed(0, 0, 1)


def test_free_text_is_graded_by_a_grader(staff, module_with_exam) -> None:
    agent, lead = staff["agent1"], staff["cs_lead"]
    exam = module_with_exam.exams.get()
    tr.question_add(actor=lead, exam=exam, kind="text", prompt="客户情绪激动时如何安抚？", points=4)
    tr.assignment_create(agent=agent, module_code="etiquette", reason="r", source_ref="s", actor=lead)
    att = tr.attempt_submit(
        exam=exam, agent=agent, answers=answers_for(exam, text="先倾听，表示理解，再给出方案。"), actor=agent
    )
    assert att.status == AttemptStatus.GRADING and att.score == 4 and att.max_score == 8
    assert att in selectors.grading_queue()
    # A second attempt waits for the grading.
    with pytest.raises(DomainError):
        tr.attempt_submit(exam=exam, agent=agent, answers=answers_for(exam), actor=agent)
    text_answer = att.answers.get(points__isnull=True)
    # Nobody grades their own exam; an agent may not grade at all; points within the question's.
    with pytest.raises(DomainError):
        tr.attempt_grade(attempt=att, actor=agent, points={text_answer.pk: 4})
    with pytest.raises(ValidationError):
        tr.attempt_grade(attempt=att, actor=lead, points={text_answer.pk: 5})
    with pytest.raises(ValidationError):
        tr.attempt_grade(attempt=att, actor=lead, points={})
    graded = tr.attempt_grade(
        attempt=att, actor=staff["qa1"], points={text_answer.pk: 1}, comments={text_answer.pk: "不完整"}
    )
    # 5 of 8 = 62.5 % ≥ 60 %.
    assert (graded.status, graded.score) == (AttemptStatus.PASSED, 5)
    assert Assignment.objects.get(agent=agent).status == AssignmentStatus.COMPLETED
    with pytest.raises(DomainError):
        tr.attempt_grade(attempt=att, actor=lead, points={text_answer.pk: 1})


def test_question_validation(staff, module_with_exam) -> None:
    exam = module_with_exam.exams.get()
    lead = staff["cs_lead"]
    bad = [
        dict(kind="single", prompt="q", choices=[("a", True), ("b", True)]),
        dict(kind="single", prompt="q", choices=[("a", True)]),
        dict(kind="multiple", prompt="q", choices=[("a", False), ("b", False)]),
        dict(kind="text", prompt="q", choices=[("a", True)]),
        dict(kind="text", prompt=" "),
        dict(kind="essay", prompt="q"),
        dict(kind="text", prompt="q", points=0),
    ]
    for kw in bad:
        with pytest.raises(ValidationError):
            tr.question_add(actor=lead, exam=exam, **kw)
    with pytest.raises(ValidationError):
        tr.exam_create(actor=lead, module=module_with_exam, title="x", kind="theory", pass_mark=0)
    with pytest.raises(ValidationError):
        tr.module_create(actor=lead, code="etiquette", title="dup")


def test_module_without_exam_is_completed_by_the_agent(staff) -> None:
    agent = staff["agent1"]
    tr.module_create(actor=staff["cs_lead"], code="crm", title="工单系统使用")
    a = tr.assignment_create(agent=agent, module_code="crm", reason="r", source_ref="", actor=None)
    with pytest.raises(DomainError):
        tr.assignment_mark_studied(assignment=a, actor=staff["agent2"])
    assert tr.assignment_mark_studied(assignment=a, actor=agent).status == AssignmentStatus.COMPLETED


# ---------------------------------------------------------------- onboarding and the ticket hold


def test_onboarding_spans_five_working_days_and_holds_tickets(staff, module_with_exam, make_ticket) -> None:
    from herdesk.tickets import services as ts

    lead = staff["cs_lead"]
    tr.module_update(actor=lead, module=module_with_exam, changes={"required_for_onboarding": True})
    tr.module_create(actor=lead, code="crm", title="工单系统使用", required_for_onboarding=True)
    newbie = _new_agent()
    # Monday 2026-12-07 → Friday 2026-12-11 (5 working days, the first day counts).
    plan = tr.onboarding_start(agent=newbie, starts_on=date(2026, 12, 7), actor=lead, mentor=staff["agent1"])
    assert plan.ends_on == date(2026, 12, 11) and plan.working_days == 5
    # Starting on a Saturday: the first working day is Monday.
    other = _new_agent("newbie2")
    assert tr.onboarding_start(agent=other, starts_on=date(2026, 12, 5), actor=lead).ends_on == date(
        2026, 12, 11
    )
    newbie.refresh_from_db()
    assert newbie.ticket_hold == "onboarding"
    assert {a.module.code for a in selectors.plan_assignments(plan)} == {"etiquette", "crm"}
    assert all(a.due_on == plan.ends_on for a in selectors.plan_assignments(plan))
    assert selectors.my_mentorships(newbie)[0].mentor == staff["agent1"]
    # The ticket core refuses to assign to the person on hold (take from the queue, transfer).
    ticket = make_ticket(team="customer-service")
    with pytest.raises(DomainError) as exc:
        ts.ticket_assign(ticket=ticket, actor=newbie, assignee=newbie)
    assert exc.value.code == "assignee_on_hold"
    from herdesk.tickets.services.escalation import least_loaded_agent

    assert least_loaded_agent(team=newbie.team, exclude=staff["agent1"]) != newbie
    with pytest.raises(ValidationError):
        tr.onboarding_start(agent=_new_agent("x3"), starts_on=date(2026, 12, 7), actor=lead, working_days=4)
    with pytest.raises(DomainError):
        tr.onboarding_start(agent=newbie, starts_on=date(2026, 12, 7), actor=lead)


def test_onboarding_completes_after_the_days_and_the_modules(staff, module_with_exam) -> None:
    lead = staff["cs_lead"]
    tr.module_update(actor=lead, module=module_with_exam, changes={"required_for_onboarding": True})
    newbie = _new_agent()
    start = timezone.localdate() - timedelta(days=14)
    plan = tr.onboarding_start(agent=newbie, starts_on=start, actor=lead)
    assert not tr.onboarding_check(plan=plan)  # the module is not done yet
    exam = module_with_exam.exams.get()
    tr.attempt_submit(exam=exam, agent=newbie, answers=answers_for(exam), actor=newbie)
    plan.refresh_from_db()
    newbie.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED and newbie.ticket_hold == ""
    assert AuditEntry.objects.filter(action="user.ticket_hold_set", object_id=str(newbie.pk)).count() == 2


def test_onboarding_not_complete_before_the_last_day(staff) -> None:
    newbie = _new_agent()
    plan = tr.onboarding_start(
        agent=newbie, starts_on=timezone.localdate() + timedelta(days=1), actor=staff["cs_lead"]
    )
    assert tr.training_sweep()["onboarding_completed"] == 0
    later = timezone.make_aware(datetime.combine(plan.ends_on, datetime.min.time())) + timedelta(hours=10)
    assert tr.training_sweep(at=later)["onboarding_completed"] == 1


def test_supervisor_override_with_reason(staff, make_ticket) -> None:
    from herdesk.tickets import services as ts

    newbie = _new_agent()
    plan = tr.onboarding_start(agent=newbie, starts_on=timezone.localdate(), actor=staff["cs_lead"])
    with pytest.raises(DomainError):
        tr.onboarding_override(plan=plan, actor=staff["qa1"], reason="人手不足")  # not a supervisor
    with pytest.raises(ValidationError):
        tr.onboarding_override(plan=plan, actor=staff["cs_lead"], reason=" ")
    plan = tr.onboarding_override(plan=plan, actor=staff["cs_lead"], reason="节前高峰，人手不足")
    assert plan.status == PlanStatus.OVERRIDDEN
    entry = AuditEntry.objects.get(action="training.onboarding_overridden")
    assert entry.data["reason"] == "节前高峰，人手不足" and entry.actor_id == staff["cs_lead"].pk
    newbie.refresh_from_db()
    ticket = make_ticket(team="customer-service")
    assert ts.ticket_assign(ticket=ticket, actor=newbie, assignee=newbie).assignee == newbie
    with pytest.raises(DomainError):
        tr.onboarding_override(plan=plan, actor=staff["cs_lead"], reason="again")


# ---------------------------------------------------------------- sessions and the monthly rule


def test_sessions_and_the_monthly_rule(staff) -> None:
    lead = staff["cs_lead"]
    now = timezone.now()
    month = timezone.localdate(now).replace(day=1)
    start = timezone.make_aware(datetime.combine(month, datetime.min.time())) + timedelta(hours=10)
    s = tr.session_schedule(
        actor=lead,
        title="投诉处理案例分享",
        kind="case_sharing",
        starts_at=start,
        invitees=[staff["agent1"], staff["agent2"]],
    )
    assert Notification.objects.filter(user=staff["agent2"], data__key=f"training-session:{s.pk}").exists()
    tr.session_attendance_record(session=s, actor=lead, attended=[staff["agent1"].pk, staff["tech1"].pk])
    rows = {r.person.username: r for r in selectors.monthly_rule(month, now=now)}
    assert rows["agent1"].state == "met" and rows["tech1"].state == "met"
    assert rows["agent2"].state == "pending" and rows["agent2"].count == 0
    # After the month: missed.
    later = now + timedelta(days=40)
    assert {r.person.username: r.state for r in selectors.monthly_rule(month, now=later)}[
        "agent2"
    ] == "missed"
    with pytest.raises(DomainError):
        tr.session_attendance_record(session=s, actor=lead, attended=[])
    future = tr.session_schedule(actor=lead, title="x", kind="training", starts_at=now + timedelta(days=2))
    with pytest.raises(DomainError):
        tr.session_attendance_record(session=future, actor=lead, attended=[])
    # An ad-hoc session does not count for the monthly rule.
    adhoc = tr.session_schedule(actor=lead, title="新品", kind="ad_hoc", starts_at=start)
    tr.session_attendance_record(session=adhoc, actor=lead, attended=[staff["agent2"].pk])
    assert {r.person.username: r.count for r in selectors.monthly_rule(month, now=now)}["agent2"] == 0
    tr.session_cancel(session=future, actor=lead, reason="讲师出差")


# ---------------------------------------------------------------- mentors


def test_mentor_assignment_and_notes(staff) -> None:
    lead, newbie = staff["cs_lead"], _new_agent()
    m1 = tr.mentor_assign(agent=newbie, mentor=staff["agent1"], actor=lead)
    assert tr.mentor_assign(agent=newbie, mentor=staff["agent1"], actor=lead).pk == m1.pk
    m2 = tr.mentor_assign(agent=newbie, mentor=staff["agent2"], actor=lead)
    m1.refresh_from_db()
    assert m1.ended_on is not None and m2.ended_on is None
    with pytest.raises(ValidationError):
        tr.mentor_assign(agent=newbie, mentor=newbie, actor=lead)
    tr.mentor_note_add(mentorship=m2, actor=staff["agent2"], body="第一周：熟悉工单系统，接听流程已掌握。")
    tr.mentor_note_add(mentorship=m2, actor=lead, body="主管补充")
    with pytest.raises(DomainError):
        tr.mentor_note_add(mentorship=m2, actor=staff["agent1"], body="不是导师")
    assert m2.notes.count() == 2
    tr.mentor_end(mentorship=m2, actor=lead)
    with pytest.raises(DomainError):
        tr.mentor_end(mentorship=m2, actor=lead)
    assert OnboardingPlan.objects.count() == 0


def test_demo_training_is_idempotent(staff) -> None:
    from herdesk.training.demo import training_demo_ensure
    from herdesk.training.models import Module, TrainingSession

    assert training_demo_ensure(staff, password="herdesk-demo") == 6
    assert training_demo_ensure(staff, password="herdesk-demo") == 0
    assert Module.objects.filter(required_for_onboarding=True).count() == 5
    assert TrainingSession.objects.count() == 2
    plan = OnboardingPlan.objects.get(agent__username="trainee1")
    assert plan.agent.ticket_hold == "onboarding"
    assert {r.person.username: r.state for r in selectors.monthly_rule(timezone.localdate())}[
        "agent1"
    ] == "met"


def test_assignments_by_source_and_the_notice_opens_the_module(staff, module_with_exam, login) -> None:
    a = tr.assignment_create(
        agent=staff["agent1"], module_code="etiquette", reason="r", source_ref="qa-review:9", actor=None
    )
    found = selectors.assignments_by_source(["qa-review:9", "qa-review:10"])
    assert found == {"qa-review:9": [a], "qa-review:10": []}
    notice = Notification.objects.get(user=staff["agent1"], data__key=f"training-assigned:{a.pk}")
    r = login("agent1").get(f"/notifications/{notice.pk}/open/")
    assert r.status_code == 302 and r["Location"] == f"/training/modules/{module_with_exam.pk}/"
