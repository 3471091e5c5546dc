"""Exam attempts: choice questions graded at once (all or nothing), free text by a grader; a passed
set of exams completes the assignment."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.common.errors import DomainError, TransitionNotAllowed
from herdesk.staff.models import User

from ..choices import (
    ATTEMPT_TRANSITIONS,
    AssignmentStatus,
    AttemptStatus,
    QuestionKind,
)
from ..models import (
    Answer,
    Assignment,
    Attempt,
    Exam,
)
from ._base import (
    _move,
    _person,
    _tell,
)
from .assignments import _assignment_check


def _passed(score: int, max_score: int, pass_mark: int) -> bool:
    """Integer arithmetic: score/max ≥ pass_mark % exactly (no rounding at the boundary)."""
    return max_score > 0 and score * 100 >= pass_mark * max_score


@transaction.atomic
def attempt_submit(
    *, exam: Exam, agent: Any, answers: Mapping[int, Any], actor: Any, at: datetime | None = None
) -> Attempt:
    """Sit an exam of an assigned module. `answers`: question id → list of choice ids (choice
    questions) or text. Choice questions are graded now (all or nothing: exactly the correct set);
    with a free-text question the attempt waits for a grader, else it passes or fails at once."""
    at = at or timezone.now()
    if getattr(actor, "pk", None) != getattr(agent, "pk", None):
        raise DomainError(_("Only the person taking the exam can submit it."), code="forbidden")
    assignment = (
        Assignment.objects.select_for_update()
        .filter(agent=agent, module_id=exam.module_id, status=AssignmentStatus.ASSIGNED)
        .order_by("created_at", "pk")
        .first()
    )
    if assignment is None:
        raise DomainError(
            _("This exam is not assigned to you (or its module is completed)."), code="forbidden"
        )
    if not exam.active:
        raise DomainError(_("This exam is retired."), code="invalid")
    if assignment.attempts.filter(exam=exam, status=AttemptStatus.GRADING).exists():
        raise DomainError(_("Your previous attempt at this exam is still being graded."), code="invalid")
    # Retired questions are no longer asked (past attempts keep their answers to them).
    questions = list(exam.questions.filter(active=True).prefetch_related("choices"))
    if not questions:
        raise DomainError(_("This exam has no questions yet."), code="invalid")
    rows: list[Answer] = []
    score = max_score = 0
    waiting = False
    for q in questions:
        max_score += q.points
        given = answers.get(q.pk)
        if q.kind == QuestionKind.TEXT:
            text = str(given or "").strip()[:5000]
            waiting = waiting or bool(text)
            # An empty free-text answer scores 0 at once: nothing to grade.
            rows.append(Answer(question=q, text=text, points=None if text else 0))
            continue
        ids = sorted({int(x) for x in (given or []) if str(x).isdigit()})
        valid = {c.pk for c in q.choices.all()}
        if set(ids) - valid:
            raise ValidationError({f"q{q.pk}": _("A chosen answer does not belong to the question.")})
        if q.kind == QuestionKind.SINGLE and len(ids) > 1:
            raise ValidationError({f"q{q.pk}": _("Choose one answer.")})
        correct = {c.pk for c in q.choices.all() if c.correct}
        points = q.points if ids and set(ids) == correct else 0
        score += points
        rows.append(Answer(question=q, choice_ids=ids, points=points))
    if waiting:
        status = AttemptStatus.GRADING
    else:
        status = AttemptStatus.PASSED if _passed(score, max_score, exam.pass_mark) else AttemptStatus.FAILED
    attempt = Attempt.objects.create(
        exam=exam,
        agent=agent,
        assignment=assignment,
        status=status,
        score=score,
        max_score=max_score,
        pass_mark=exam.pass_mark,
        submitted_at=at,
        graded_at=None if waiting else at,
    )
    for r in rows:
        r.attempt = attempt
    Answer.objects.bulk_create(rows)
    audit_record(
        actor=actor,
        action="training.attempt_submitted",
        object_type="training_attempt",
        object_id=attempt.pk,
        data={"exam": exam.pk, "status": status, "score": score, "max": max_score},
    )
    if waiting:
        graders = User.objects.filter(is_active=True, customer__isnull=True).filter(
            groups__permissions__codename="grade_exam",
            groups__permissions__content_type__app_label="training",
        )
        _tell(
            graders.values_list("pk", flat=True),
            key=f"training-grade:{attempt.pk}",
            text=_("%(who)s submitted “%(e)s”: free-text answers wait for grading.")
            % {"who": agent, "e": exam.title},
            url=f"/training/attempts/{attempt.pk}/",
        )
    else:
        _assignment_check(assignment, actor=actor, at=at)
    return attempt


@transaction.atomic
def attempt_grade(
    *,
    attempt: Attempt,
    actor: Any,
    points: Mapping[int, int],
    comments: Mapping[int, str] | None = None,
    at: datetime | None = None,
) -> Attempt:
    """A grader scores the free-text answers (answer id → points, 0…the question's points); the
    attempt then passes or fails against the pass mark it was taken with."""
    at = at or timezone.now()
    comments = comments or {}
    if not getattr(actor, "has_perm", lambda p: False)("training.grade_exam"):
        raise DomainError(_("You may not grade exams."), code="forbidden")
    att = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if att.agent_id == getattr(actor, "pk", None):
        raise DomainError(_("Nobody grades their own exam."), code="forbidden")
    if not ATTEMPT_TRANSITIONS.get(att.status):
        raise TransitionNotAllowed(_("This attempt is graded already."))
    pending = list(att.answers.select_related("question").filter(points__isnull=True))
    for ans in pending:
        if ans.pk not in points:
            raise ValidationError({f"a{ans.pk}": _("Give points for every free-text answer.")})
        p = int(points[ans.pk])
        if not 0 <= p <= ans.question.points:
            raise ValidationError(
                {f"a{ans.pk}": _("Give between 0 and %(n)d points.") % {"n": ans.question.points}}
            )
        ans.points = p
        ans.comment = str(comments.get(ans.pk, ""))[:500]
        ans.save(update_fields=["points", "comment"])
    att.score = sum(a.points or 0 for a in att.answers.all())
    target = (
        AttemptStatus.PASSED if _passed(att.score, att.max_score, att.pass_mark) else AttemptStatus.FAILED
    )
    _move(att, target, ATTEMPT_TRANSITIONS)
    att.graded_at, att.graded_by = at, _person(actor)
    att.save(update_fields=["status", "score", "graded_at", "graded_by"])
    audit_record(
        actor=actor,
        action="training.attempt_graded",
        object_type="training_attempt",
        object_id=att.pk,
        data={"status": att.status, "score": att.score, "max": att.max_score},
    )
    _tell(
        [att.agent_id],
        key=f"training-graded:{att.pk}",
        text=_("Your exam “%(e)s” was graded: %(s)s (%(p)s%%).")
        % {"e": att.exam.title, "s": att.get_status_display(), "p": att.percent},
        url=f"/training/attempts/{att.pk}/",
    )
    if att.assignment_id:
        a = Assignment.objects.select_for_update().select_related("module").get(pk=att.assignment_id)
        _assignment_check(a, actor=actor, at=at)
    return att
