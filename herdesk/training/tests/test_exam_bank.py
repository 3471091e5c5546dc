"""Editing and retiring exams and questions (STF-2): a retired exam or question is no longer asked,
past attempts keep what they answered, every change is audited, bad input is a 4xx."""

from __future__ import annotations

from typing import Any

import pytest

from herdesk.audit.models import AuditEntry
from herdesk.common.errors import DomainError
from herdesk.training import services as tr
from herdesk.training.choices import AssignmentStatus, AttemptStatus
from herdesk.training.models import Answer, Assignment, Exam, Question

from .conftest import answers_for

pytestmark = pytest.mark.django_db


def _assign(staff: dict[str, Any], module: Any, ref: str = "test:1") -> Assignment:
    return tr.assignment_create(agent=staff["agent1"], module_code=module.code, reason="测试", source_ref=ref,
                                actor=staff["cs_lead"])  # fmt: skip


def test_exam_edit_page_and_retire(login: Any, staff: dict[str, Any], module_with_exam: Any) -> None:
    exam = module_with_exam.exams.get()
    lead = login("cs_lead", lang="en")
    assert lead.get(f"/training/exams/{exam.pk}/edit/").status_code == 200
    r = lead.post(
        f"/training/exams/{exam.pk}/edit/", {"title": "礼仪考试", "kind": "practice", "pass_mark": "101"}
    )
    assert r.status_code == 400
    r = lead.post(
        f"/training/exams/{exam.pk}/edit/", {"title": "礼仪考试", "kind": "practice", "pass_mark": "75"}
    )
    assert r.status_code == 302 and r["Location"] == f"/training/exams/{exam.pk}/"
    exam.refresh_from_db()
    assert (exam.title, exam.kind, exam.pass_mark) == ("礼仪考试", "practice", 75)
    assert AuditEntry.objects.filter(action="training.exam_updated", object_id=str(exam.pk)).exists()
    # The agent sat it once (failed) under pass mark 75; then it is retired with a reason.
    a = _assign(staff, module_with_exam)
    agent = staff["agent1"]
    failed = tr.attempt_submit(exam=exam, agent=agent, answers=answers_for(exam, right=False), actor=agent)
    assert failed.status == AttemptStatus.FAILED
    assert lead.post(f"/training/exams/{exam.pk}/edit/", {"retire-reason": ""}).status_code == 400
    r = lead.post(f"/training/exams/{exam.pk}/edit/", {"retire-reason": "题目过时"})
    assert r.status_code == 302
    exam.refresh_from_db()
    assert not exam.active
    # No longer taken; the past attempt keeps it; the module is now completed by studying.
    with pytest.raises(DomainError):
        tr.attempt_submit(exam=exam, agent=agent, answers=answers_for(exam), actor=agent)
    failed.refresh_from_db()
    assert failed.exam_id == exam.pk and failed.pass_mark == 75
    page = login("agent1").get(f"/training/modules/{module_with_exam.pk}/").content.decode()
    assert "tr-take-" not in page and "tr-studied" in page
    tr.assignment_mark_studied(assignment=a, actor=agent)
    a.refresh_from_db()
    assert a.status == AssignmentStatus.COMPLETED
    assert login("agent1").get(f"/training/exams/{exam.pk}/edit/").status_code == 403


def test_retiring_one_of_two_exams_completes_assignments_that_passed_the_other(
    staff: dict[str, Any], module_with_exam: Any
) -> None:
    first = module_with_exam.exams.get()
    second = tr.exam_create(actor=staff["cs_lead"], module=module_with_exam, title="实操", kind="practice",
                            pass_mark=50)  # fmt: skip
    tr.question_add(
        actor=staff["cs_lead"], exam=second, kind="single", prompt="？", choices=[("是", True), ("否", False)]
    )
    a = _assign(staff, module_with_exam)
    agent = staff["agent1"]
    tr.attempt_submit(exam=first, agent=agent, answers=answers_for(first), actor=agent)
    a.refresh_from_db()
    assert a.status == AssignmentStatus.ASSIGNED  # the second exam is still to pass
    tr.exam_retire(actor=staff["cs_lead"], exam=second, reason="合并到理论考试")
    a.refresh_from_db()
    assert a.status == AssignmentStatus.COMPLETED
    with pytest.raises(DomainError):
        tr.exam_retire(actor=staff["cs_lead"], exam=second, reason="again")


def test_question_edit_in_place_or_as_a_copy_and_retire(
    login: Any, staff: dict[str, Any], module_with_exam: Any
) -> None:
    exam = module_with_exam.exams.get()
    single, multiple = list(exam.questions.order_by("position"))
    lead = login("cs_lead", lang="en")
    page = lead.get(f"/training/questions/{single.pk}/").content.decode()
    assert "*您好，牧服客服中心" in page  # the choices as the add form writes them
    # Not yet answered: changed in place.
    r = lead.post(
        f"/training/questions/{single.pk}/",
        {"kind": "single", "prompt": "标准问候语？", "points": "3", "choices": "*您好\n喂"},
    )
    assert r.status_code == 302
    single.refresh_from_db()
    assert (single.prompt, single.points, single.active) == ("标准问候语？", 3, True)
    assert [c.text for c in single.choices.all()] == ["您好", "喂"]
    # A bad edit is a 400 on the form, nothing changes.
    r = lead.post(
        f"/training/questions/{single.pk}/",
        {"kind": "single", "prompt": "x", "points": "1", "choices": "a\nb"},
    )
    assert r.status_code == 400
    # Answered: the edit retires it and adds a copy at its position; the attempt keeps the original.
    _assign(staff, module_with_exam)
    agent = staff["agent1"]
    attempt = tr.attempt_submit(exam=exam, agent=agent, answers=answers_for(exam), actor=agent)
    r = lead.post(
        f"/training/questions/{single.pk}/",
        {"kind": "single", "prompt": "标准问候语是什么？", "points": "3", "choices": "*您好\n喂\n嗯"},
    )
    single.refresh_from_db()
    copy = exam.questions.get(active=True, position=single.position)
    assert not single.active and copy.prompt == "标准问候语是什么？" and copy.choices.count() == 3
    assert Answer.objects.filter(attempt=attempt, question=single).exists()
    assert "标准问候语？" in login("agent1").get(f"/training/attempts/{attempt.pk}/").content.decode()
    # Retire the multiple-choice question: no longer asked; the exam page lists it as retired.
    assert lead.post(f"/training/questions/{multiple.pk}/", {"retire": "1"}).status_code == 302
    multiple.refresh_from_db()
    assert not multiple.active
    page = lead.get(f"/training/exams/{exam.pk}/").content.decode()
    assert "tr-retired" in page and 'id="tr-total">3<' in page
    assert [q.pk for q in exam.questions.filter(active=True)] == [copy.pk]
    # The last question of an exam cannot be retired (retire the exam instead): 4xx, not 500.
    r = lead.post(f"/training/questions/{copy.pk}/", {"retire": "1"})
    assert r.status_code in (409, 422) and Question.objects.get(pk=copy.pk).active
    # A retired question's page is read-only; editing it through the service is refused.
    assert lead.get(f"/training/questions/{multiple.pk}/").status_code == 200
    with pytest.raises(DomainError):
        tr.question_update(actor=staff["cs_lead"], question=multiple, kind="text", prompt="x", points=1)
    assert AuditEntry.objects.filter(action="training.question_retired").count() == 1
    assert AuditEntry.objects.filter(action="training.question_updated").count() == 2
    assert login("agent1").get(f"/training/questions/{copy.pk}/").status_code == 403
    assert lead.get("/training/questions/999999/").status_code == 404
    assert Exam.objects.get(pk=exam.pk).active
