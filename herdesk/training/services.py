"""Every write of training (STF-2). Keyword arguments, `actor=`, one transaction each, audited;
refusals are DomainError / ValidationError with a translated message.

`assignment_create` is the entry point other areas use (quality: a failed review criterion assigns
the linked module): idempotent per (agent, module code, source reference).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from herdesk.attachments.choices import ALLOWED, SNIFF_BYTES
from herdesk.attachments.services import clean_name, max_bytes, media_root
from herdesk.audit.services import audit_record
from herdesk.calendars.selectors import working_calendar
from herdesk.common.errors import DomainError, TransitionNotAllowed
from herdesk.notifications.choices import NotificationKind
from herdesk.notifications.staff_notices import notify
from herdesk.staff.models import TicketHold, User
from herdesk.staff.services import user_ticket_hold_set

from .choices import (
    ASSIGNMENT_TRANSITIONS,
    ATTEMPT_TRANSITIONS,
    ONBOARDING_MIN_WORKING_DAYS,
    PLAN_TRANSITIONS,
    SESSION_TRANSITIONS,
    AssignmentStatus,
    AttemptStatus,
    AttendanceStatus,
    ExamKind,
    PlanStatus,
    QuestionKind,
    SessionKind,
    SessionStatus,
)
from .models import (
    Answer,
    Assignment,
    Attempt,
    Attendance,
    Choice,
    Exam,
    MentorNote,
    Mentorship,
    Module,
    ModuleAttachment,
    OnboardingPlan,
    Question,
    TrainingSession,
)

# The working calendar for due dates and onboarding days (the office's, with 调休 make-up days).
CALENDAR_SETTING = "HERDESK_TRAINING_CALENDAR"


def calendar_code() -> str:
    return str(getattr(settings, CALENDAR_SETTING, "office"))


def _local_today(at: datetime | None = None) -> date:
    return timezone.localtime(at or timezone.now()).date()


def _person(actor: Any) -> Any:
    return actor if isinstance(actor, User) else None


def _move(obj: Any, to: str, table: Mapping[str, frozenset[str]]) -> None:
    """The one place a training status changes: refuses a move the table does not allow."""
    if to not in table.get(obj.status, frozenset()):
        raise TransitionNotAllowed(
            _("Cannot change the status from “%(a)s” to “%(b)s”.") % {"a": obj.status, "b": to}
        )
    obj.status = to


def _tell(users: Iterable[Any], *, key: str, text: str, url: str = "") -> None:
    """A staff notice (the bell) in Chinese first, the installation's language."""
    with translation.override(settings.LANGUAGE_CODE):
        notify(users=users, kind=NotificationKind.OTHER, data={"text": str(text)[:280], "url": url}, key=key)


def _require_staff(user: Any, field: str) -> None:
    if (
        user is None
        or not getattr(user, "pk", None)
        or getattr(user, "customer_id", None)
        or not user.is_active
    ):
        raise ValidationError({field: _("Choose an active staff member.")})


def working_days_after(start: date, n: int, *, code: str | None = None) -> date:
    """The n-th working day after `start` (start's own day not counted) under the calendar."""
    cal = working_calendar(code or calendar_code())
    noon = timezone.make_aware(datetime.combine(start, time(12)), cal.zone)
    return timezone.localtime(cal.add_working_days(noon, n), cal.zone).date()


# ---------------------------------------------------------------- curriculum


@transaction.atomic
def module_create(
    *,
    actor: Any,
    code: str,
    title: str,
    summary: str = "",
    materials: str = "",
    required_for_onboarding: bool = False,
    due_working_days: int = 5,
) -> Module:
    code = (code or "").strip().lower()
    if Module.objects.filter(code=code).exists():
        raise ValidationError({"code": _("A module with the code “%(c)s” exists already.") % {"c": code}})
    if not 1 <= int(due_working_days) <= 60:
        raise ValidationError({"due_working_days": _("Give between 1 and 60 working days.")})
    module = Module(
        code=code,
        title=title.strip(),
        summary=summary.strip(),
        materials=materials,
        required_for_onboarding=required_for_onboarding,
        due_working_days=due_working_days,
        created_by=_person(actor),
    )
    module.full_clean()
    module.save()
    audit_record(
        actor=actor,
        action="training.module_created",
        object_type="training_module",
        object_id=module.pk,
        data={"code": code, "title": module.title, "onboarding": required_for_onboarding},
    )
    return module


MODULE_FIELDS = {"title", "summary", "materials", "required_for_onboarding", "due_working_days", "active"}


@transaction.atomic
def module_update(*, actor: Any, module: Module, changes: dict[str, Any]) -> Module:
    unknown = set(changes) - MODULE_FIELDS
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    current = Module.objects.select_for_update().get(pk=module.pk)
    diff = {}
    for k, v in changes.items():
        if getattr(current, k) != v:
            diff[k] = [str(getattr(current, k))[:80], str(v)[:80]]
            setattr(current, k, v)
    if diff:
        current.full_clean()
        current.save()
        audit_record(
            actor=actor,
            action="training.module_updated",
            object_type="training_module",
            object_id=module.pk,
            data=diff,
        )
    return current


@transaction.atomic
def module_attachment_add(
    *, actor: Any, module: Module, upload: Any, at: datetime | None = None
) -> ModuleAttachment:
    """A file of the materials, checked like ticket attachments (SEC-5: listed type, size limit,
    content matches the extension) and stored outside the web root under a random name."""

    at = at or timezone.now()
    display = clean_name(getattr(upload, "name", ""))
    ext = display.rpartition(".")[2].lower() if "." in display else ""
    kind = ALLOWED.get(ext)
    if not display or kind is None:
        raise ValidationError(
            {
                "file": _("Files of type “.%(ext)s” are not accepted. Accepted: %(allowed)s.")
                % {"ext": ext[:10] or "?", "allowed": ", ".join(sorted(ALLOWED))}
            }
        )
    data = upload.read(max_bytes() + 1)
    if not data:
        raise ValidationError({"file": _("The file is empty.")})
    if len(data) > max_bytes():
        raise ValidationError({"file": _("The file is too large.")})
    if not kind.matches(data[:SNIFF_BYTES]):
        raise ValidationError(
            {
                "file": _("The content of “%(name)s” does not match its type (.%(ext)s).")
                % {"name": display[:80], "ext": ext}
            }
        )
    rel = Path("training") / f"{at:%Y}" / f"{at:%m}" / uuid.uuid4().hex
    target = (media_root() / rel).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "xb") as out:
        out.write(data)
    os.chmod(target, 0o640)
    try:
        att = ModuleAttachment.objects.create(
            module=module,
            original_name=display,
            extension=ext,
            content_type=kind.content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            storage_path=str(rel),
            uploaded_by=_person(actor),
            uploaded_at=at,
        )
        audit_record(
            actor=actor,
            action="training.attachment_added",
            object_type="training_module",
            object_id=module.pk,
            data={"file": display, "sha256": att.sha256},
        )
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return att


def module_attachment_path(att: ModuleAttachment) -> Path:

    root = media_root()
    path = (root / att.storage_path).resolve()
    if root not in path.parents:
        raise FileNotFoundError(att.storage_path)
    return path


@transaction.atomic
def exam_create(*, actor: Any, module: Module, title: str, kind: str, pass_mark: int) -> Exam:
    if kind not in ExamKind.values:
        raise ValidationError({"kind": _("Unknown exam type.")})
    if not 1 <= int(pass_mark) <= 100:
        raise ValidationError({"pass_mark": _("The pass mark is a percentage between 1 and 100.")})
    exam = Exam.objects.create(
        module=module, title=title.strip() or module.title, kind=kind, pass_mark=pass_mark
    )
    audit_record(
        actor=actor,
        action="training.exam_created",
        object_type="training_exam",
        object_id=exam.pk,
        data={"module": module.code, "kind": kind, "pass_mark": pass_mark},
    )
    return exam


@transaction.atomic
def question_add(
    *,
    actor: Any,
    exam: Exam,
    kind: str,
    prompt: str,
    points: int = 1,
    choices: list[tuple[str, bool]] | None = None,
    guidance: str = "",
) -> Question:
    """A question of the exam's bank. Single choice: exactly one correct choice; multiple choice:
    at least one; both need two choices or more. Free text has no choices and is graded by a person."""
    choices = [(t.strip(), bool(c)) for t, c in (choices or []) if t and t.strip()]
    prompt = (prompt or "").strip()
    if not prompt:
        raise ValidationError({"prompt": _("Write the question.")})
    if kind not in QuestionKind.values:
        raise ValidationError({"kind": _("Unknown question type.")})
    if not 1 <= int(points) <= 100:
        raise ValidationError({"points": _("Give between 1 and 100 points.")})
    correct = sum(1 for _t, c in choices if c)
    if kind == QuestionKind.TEXT:
        if choices:
            raise ValidationError({"choices": _("A free-text question has no choices.")})
    else:
        if len(choices) < 2:
            raise ValidationError({"choices": _("Give at least two choices.")})
        if kind == QuestionKind.SINGLE and correct != 1:
            raise ValidationError({"choices": _("Mark exactly one choice as correct.")})
        if kind == QuestionKind.MULTIPLE and correct < 1:
            raise ValidationError({"choices": _("Mark at least one choice as correct.")})
    position = exam.questions.count() + 1
    q = Question.objects.create(
        exam=exam, kind=kind, prompt=prompt, points=points, guidance=guidance, position=position
    )
    Choice.objects.bulk_create(
        [Choice(question=q, position=i, text=t[:300], correct=c) for i, (t, c) in enumerate(choices, 1)]
    )
    audit_record(
        actor=actor,
        action="training.question_added",
        object_type="training_exam",
        object_id=exam.pk,
        data={"question": q.pk, "kind": kind, "points": points},
    )
    return q


# ---------------------------------------------------------------- assignments


@transaction.atomic
def assignment_create(
    *, agent: Any, module_code: str, reason: str, source_ref: str, actor: Any
) -> Assignment:
    """Assign a module (and its exams) to a staff member, due `module.due_working_days` working days
    from now. Idempotent per (agent, module_code, source_ref): the same source assigning twice gets
    the first assignment back, unchanged and without a second notice. The agent is notified; audited."""
    _require_staff(agent, "agent")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the assignment.")})
    source_ref = (source_ref or "").strip()[:120]
    module = Module.objects.filter(code=(module_code or "").strip().lower()).first()
    if module is None:
        raise DomainError(
            _("There is no training module with the code “%(c)s”.") % {"c": (module_code or "")[:40]},
            code="invalid",
            field="module_code",
        )
    existing = Assignment.objects.filter(agent=agent, module=module, source_ref=source_ref).first()
    if existing is not None:
        return existing
    if not module.active:
        raise DomainError(
            _("The module “%(c)s” is retired.") % {"c": module.code}, code="invalid", field="module_code"
        )
    now = timezone.now()
    a = Assignment.objects.create(
        agent=agent,
        module=module,
        reason=reason[:300],
        source_ref=source_ref,
        due_on=working_days_after(_local_today(now), module.due_working_days),
        assigned_by=_person(actor),
        created_at=now,
    )
    audit_record(
        actor=actor,
        action="training.assigned",
        object_type="training_assignment",
        object_id=a.pk,
        data={
            "agent": agent.pk,
            "module": module.code,
            "reason": a.reason,
            "source": source_ref,
            "due": str(a.due_on),
        },
    )
    _tell(
        [agent],
        key=f"training-assigned:{a.pk}",
        text=_("Training assigned: %(m)s, due %(d)s (%(r)s).")
        % {"m": module.title, "d": a.due_on, "r": a.reason},
        url=f"/training/modules/{module.pk}/",
    )
    return a


def _assignment_complete(a: Assignment, *, actor: Any, at: datetime) -> None:
    _move(a, AssignmentStatus.COMPLETED, ASSIGNMENT_TRANSITIONS)
    a.completed_at = at
    a.save(update_fields=["status", "completed_at"])
    audit_record(
        actor=actor,
        action="training.assignment_completed",
        object_type="training_assignment",
        object_id=a.pk,
        data={"agent": a.agent_id, "module": a.module.code},
    )
    if a.source_ref.startswith("onboarding:"):
        plan = OnboardingPlan.objects.filter(agent_id=a.agent_id).first()
        if plan is not None:
            onboarding_check(plan=plan, at=at)


def _assignment_check(a: Assignment, *, actor: Any, at: datetime) -> bool:
    """Completed when every active exam of the module has a passed attempt on this assignment."""
    if a.status != AssignmentStatus.ASSIGNED:
        return False
    exam_ids = set(a.module.exams.filter(active=True).values_list("pk", flat=True))
    if not exam_ids:
        return False
    passed = set(a.attempts.filter(status=AttemptStatus.PASSED).values_list("exam_id", flat=True))
    if exam_ids <= passed:
        _assignment_complete(a, actor=actor, at=at)
        return True
    return False


@transaction.atomic
def assignment_mark_studied(*, assignment: Assignment, actor: Any, at: datetime | None = None) -> Assignment:
    """A module without an exam is completed when its agent confirms having studied the materials."""
    at = at or timezone.now()
    a = Assignment.objects.select_for_update().select_related("module").get(pk=assignment.pk)
    if getattr(actor, "pk", None) != a.agent_id:
        raise DomainError(_("Only the assigned person can confirm this."), code="forbidden")
    if a.module.exams.filter(active=True).exists():
        raise DomainError(_("This module is completed by passing its exams."), code="invalid")
    _assignment_complete(a, actor=actor, at=at)
    return a


@transaction.atomic
def assignment_cancel(*, assignment: Assignment, actor: Any, reason: str) -> Assignment:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason.")})
    a = Assignment.objects.select_for_update().select_related("module").get(pk=assignment.pk)
    _move(a, AssignmentStatus.CANCELLED, ASSIGNMENT_TRANSITIONS)
    a.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="training.assignment_cancelled",
        object_type="training_assignment",
        object_id=a.pk,
        data={"reason": reason[:300]},
    )
    if a.source_ref.startswith("onboarding:"):
        plan = OnboardingPlan.objects.filter(agent_id=a.agent_id).first()
        if plan is not None:
            onboarding_check(plan=plan)
    return a


# ---------------------------------------------------------------- exams


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
    questions = list(exam.questions.prefetch_related("choices"))
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


# ---------------------------------------------------------------- onboarding


@transaction.atomic
def onboarding_start(
    *,
    agent: Any,
    starts_on: date,
    actor: Any,
    working_days: int = ONBOARDING_MIN_WORKING_DAYS,
    mentor: Any = None,
) -> OnboardingPlan:
    """入职培训 (seed 000 §(二)1): at least 5 working days from `starts_on` with every module marked
    required for onboarding assigned (due on the last day). The agent is put on hold for tickets
    until the plan is complete or a supervisor overrides it."""
    _require_staff(agent, "agent")
    if int(working_days) < ONBOARDING_MIN_WORKING_DAYS:
        raise ValidationError(
            {
                "working_days": _("Onboarding lasts at least %(n)d working days.")
                % {"n": ONBOARDING_MIN_WORKING_DAYS}
            }
        )
    if OnboardingPlan.objects.filter(agent=agent).exists():
        raise DomainError(_("%(who)s already has an onboarding plan.") % {"who": agent}, code="invalid")
    code = calendar_code()
    # Working day 1 is `starts_on` itself when it is a working day: count from the day before.
    ends_on = working_days_after(starts_on - timedelta(days=1), int(working_days), code=code)
    now = timezone.now()
    plan = OnboardingPlan.objects.create(
        agent=agent,
        starts_on=starts_on,
        ends_on=ends_on,
        working_days=working_days,
        calendar_code=code,
        created_by=_person(actor),
        created_at=now,
    )
    audit_record(
        actor=actor,
        action="training.onboarding_started",
        object_type="onboarding_plan",
        object_id=plan.pk,
        data={"agent": agent.pk, "starts_on": str(starts_on), "ends_on": str(ends_on), "days": working_days},
    )
    for module in Module.objects.filter(required_for_onboarding=True, active=True).order_by("code"):
        a = assignment_create(
            agent=agent,
            module_code=module.code,
            reason=_("Onboarding (入职培训)"),
            source_ref=plan.source_ref,
            actor=actor,
        )
        if a.due_on != ends_on:
            Assignment.objects.filter(pk=a.pk).update(due_on=ends_on)
    user_ticket_hold_set(
        user=agent, hold=TicketHold.ONBOARDING, actor=actor, reason=f"onboarding plan {plan.pk}"
    )
    if mentor is not None:
        mentor_assign(agent=agent, mentor=mentor, actor=actor, started_on=starts_on, goal=_("Onboarding"))
    return plan


def onboarding_progress(plan: OnboardingPlan) -> tuple[int, int]:
    """(completed, total) of the plan's modules (cancelled ones left out)."""
    qs = Assignment.objects.filter(agent_id=plan.agent_id, source_ref=plan.source_ref).exclude(
        status=AssignmentStatus.CANCELLED
    )
    return qs.filter(status=AssignmentStatus.COMPLETED).count(), qs.count()


@transaction.atomic
def onboarding_check(*, plan: OnboardingPlan, at: datetime | None = None) -> bool:
    """Complete the plan once its last working day has come and every module is completed; the
    agent is released for tickets. Returns whether it completed now."""
    at = at or timezone.now()
    plan = OnboardingPlan.objects.select_for_update().select_related("agent").get(pk=plan.pk)
    if plan.status == PlanStatus.COMPLETED or _local_today(at) < plan.ends_on:
        return False
    done, total = onboarding_progress(plan)
    if done < total:
        return False
    _move(plan, PlanStatus.COMPLETED, PLAN_TRANSITIONS)
    plan.completed_at = at
    plan.save(update_fields=["status", "completed_at"])
    audit_record(
        actor=None,
        action="training.onboarding_completed",
        object_type="onboarding_plan",
        object_id=plan.pk,
        data={"agent": plan.agent_id, "modules": total},
    )
    user_ticket_hold_set(
        user=plan.agent, hold=TicketHold.NONE, actor=None, reason=f"onboarding plan {plan.pk} completed"
    )
    _tell(
        [plan.agent_id],
        key=f"training-onboarded:{plan.pk}",
        text=_("Onboarding completed: you can take tickets now."),
        url="/training/",
    )
    return True


@transaction.atomic
def onboarding_override(*, plan: OnboardingPlan, actor: Any, reason: str) -> OnboardingPlan:
    """A supervisor lets the agent take tickets before onboarding is complete (with a reason,
    audited). The plan's modules stay assigned; the plan completes when they are done."""
    if not getattr(actor, "has_perm", lambda p: False)("training.override_onboarding"):
        raise DomainError(_("Only a supervisor can override onboarding."), code="forbidden")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": _("Give the reason for the override.")})
    plan = OnboardingPlan.objects.select_for_update().select_related("agent").get(pk=plan.pk)
    _move(plan, PlanStatus.OVERRIDDEN, PLAN_TRANSITIONS)
    plan.override_reason = reason[:300]
    plan.overridden_by = _person(actor)
    plan.overridden_at = timezone.now()
    plan.save(update_fields=["status", "override_reason", "overridden_by", "overridden_at"])
    audit_record(
        actor=actor,
        action="training.onboarding_overridden",
        object_type="onboarding_plan",
        object_id=plan.pk,
        data={"agent": plan.agent_id, "reason": plan.override_reason},
    )
    user_ticket_hold_set(user=plan.agent, hold=TicketHold.NONE, actor=actor, reason=plan.override_reason)
    _tell(
        [plan.agent_id],
        key=f"training-override:{plan.pk}",
        text=_("A supervisor lets you take tickets before onboarding is complete: %(r)s")
        % {"r": plan.override_reason},
        url="/training/",
    )
    return plan


def training_sweep(*, at: datetime | None = None) -> dict[str, int]:
    """Periodic job `training-sweep`: completes onboarding plans whose last day has come with every
    module done, and tells agents (once) of overdue assignments."""
    at = at or timezone.now()
    today = _local_today(at)
    completed = 0
    for plan in OnboardingPlan.objects.exclude(status=PlanStatus.COMPLETED).filter(ends_on__lte=today):
        completed += int(onboarding_check(plan=plan, at=at))
    overdue = 0
    for a in Assignment.objects.filter(status=AssignmentStatus.ASSIGNED, due_on__lt=today).select_related(
        "module"
    ):
        with transaction.atomic():
            _tell(
                [a.agent_id],
                key=f"training-overdue:{a.pk}",
                text=_("Training overdue: %(m)s was due %(d)s.") % {"m": a.module.title, "d": a.due_on},
                url=f"/training/modules/{a.module_id}/",
            )
        overdue += 1
    return {"onboarding_completed": completed, "overdue": overdue}


# ---------------------------------------------------------------- sessions


@transaction.atomic
def session_schedule(
    *,
    actor: Any,
    title: str,
    kind: str,
    starts_at: datetime,
    duration_minutes: int = 60,
    location: str = "",
    materials: str = "",
    module: Module | None = None,
    invitees: Iterable[Any] = (),
) -> TrainingSession:
    if kind not in SessionKind.values:
        raise ValidationError({"kind": _("Unknown session type.")})
    if not (title or "").strip():
        raise ValidationError({"title": _("Give the session a title.")})
    if not 10 <= int(duration_minutes) <= 600:
        raise ValidationError({"duration_minutes": _("Give between 10 and 600 minutes.")})
    s = TrainingSession.objects.create(
        title=title.strip()[:200],
        kind=kind,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        location=location[:120],
        materials=materials,
        module=module,
        created_by=_person(actor),
        created_at=timezone.now(),
    )
    people = list(dict.fromkeys(getattr(u, "pk", u) for u in invitees))
    Attendance.objects.bulk_create([Attendance(session=s, agent_id=u) for u in people])
    audit_record(
        actor=actor,
        action="training.session_scheduled",
        object_type="training_session",
        object_id=s.pk,
        data={"title": s.title, "kind": kind, "starts_at": starts_at.isoformat(), "invitees": people},
    )
    when = timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M")
    _tell(
        people,
        key=f"training-session:{s.pk}",
        text=_("Training session “%(t)s” at %(w)s, %(l)s.")
        % {"t": s.title, "w": when, "l": s.location or "—"},
        url=f"/training/sessions/{s.pk}/",
    )
    return s


@transaction.atomic
def session_attendance_record(
    *, session: TrainingSession, actor: Any, attended: Iterable[int], at: datetime | None = None
) -> TrainingSession:
    """The session was held: who attended (invited or not); the other invitees were absent."""
    at = at or timezone.now()
    s = TrainingSession.objects.select_for_update().get(pk=session.pk)
    if s.starts_at > at:
        raise DomainError(_("Attendance can be recorded once the session has started."), code="invalid")
    _move(s, SessionStatus.HELD, SESSION_TRANSITIONS)
    s.save(update_fields=["status"])
    present = {int(u) for u in attended}
    known = set(User.objects.filter(pk__in=present, customer__isnull=True).values_list("pk", flat=True))
    if present - known:
        raise ValidationError({"attended": _("Choose staff members.")})
    invited = set(s.attendance.values_list("agent_id", flat=True))
    s.attendance.filter(agent_id__in=present).update(status=AttendanceStatus.ATTENDED)
    s.attendance.exclude(agent_id__in=present).update(status=AttendanceStatus.ABSENT)
    Attendance.objects.bulk_create(
        [
            Attendance(session=s, agent_id=u, status=AttendanceStatus.ATTENDED)
            for u in sorted(present - invited)
        ]
    )
    audit_record(
        actor=actor,
        action="training.session_held",
        object_type="training_session",
        object_id=s.pk,
        data={"attended": sorted(present), "absent": sorted(invited - present)},
    )
    return s


@transaction.atomic
def session_cancel(*, session: TrainingSession, actor: Any, reason: str) -> TrainingSession:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason.")})
    s = TrainingSession.objects.select_for_update().get(pk=session.pk)
    _move(s, SessionStatus.CANCELLED, SESSION_TRANSITIONS)
    s.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="training.session_cancelled",
        object_type="training_session",
        object_id=s.pk,
        data={"reason": reason[:300]},
    )
    _tell(
        s.attendance.values_list("agent_id", flat=True),
        key=f"training-session-cancelled:{s.pk}",
        text=_("Training session “%(t)s” is cancelled: %(r)s") % {"t": s.title, "r": reason[:200]},
    )
    return s


# ---------------------------------------------------------------- mentors


@transaction.atomic
def mentor_assign(
    *, agent: Any, mentor: Any, actor: Any, started_on: date | None = None, goal: str = ""
) -> Mentorship:
    """导师制度: the agent's current mentor (a previous one ends today)."""
    _require_staff(agent, "agent")
    _require_staff(mentor, "mentor")
    if agent.pk == mentor.pk:
        raise ValidationError({"mentor": _("Nobody mentors themselves.")})
    today = _local_today()
    current = Mentorship.objects.select_for_update().filter(agent=agent, ended_on__isnull=True).first()
    if current is not None:
        if current.mentor_id == mentor.pk:
            return current
        current.ended_on = today
        current.save(update_fields=["ended_on"])
    m = Mentorship.objects.create(
        agent=agent, mentor=mentor, started_on=started_on or today, goal=goal[:300], created_by=_person(actor)
    )
    audit_record(
        actor=actor,
        action="training.mentor_assigned",
        object_type="mentorship",
        object_id=m.pk,
        data={"agent": agent.pk, "mentor": mentor.pk, "previous": getattr(current, "mentor_id", None)},
    )
    _tell(
        [mentor],
        key=f"training-mentor:{m.pk}",
        text=_("You are now the mentor of %(who)s.") % {"who": agent},
        url=f"/training/mentors/{m.pk}/",
    )
    return m


@transaction.atomic
def mentor_end(*, mentorship: Mentorship, actor: Any) -> Mentorship:
    m = Mentorship.objects.select_for_update().get(pk=mentorship.pk)
    if m.ended_on is not None:
        raise DomainError(_("This mentorship has ended already."), code="invalid")
    m.ended_on = _local_today()
    m.save(update_fields=["ended_on"])
    audit_record(
        actor=actor, action="training.mentor_ended", object_type="mentorship", object_id=m.pk, data={}
    )
    return m


@transaction.atomic
def mentor_note_add(*, mentorship: Mentorship, actor: Any, body: str) -> MentorNote:
    """A note of the mentor (or of someone who manages training) on the mentee's progress."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the note.")})
    if getattr(actor, "pk", None) != mentorship.mentor_id and not actor.has_perm("training.manage_training"):
        raise DomainError(_("Only the mentor can write notes here."), code="forbidden")
    note = MentorNote.objects.create(
        mentorship=mentorship, author=_person(actor), body=body[:5000], created_at=timezone.now()
    )
    audit_record(
        actor=actor,
        action="training.mentor_note_added",
        object_type="mentorship",
        object_id=mentorship.pk,
        data={"note": note.pk},
    )
    return note
