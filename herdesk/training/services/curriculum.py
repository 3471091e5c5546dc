"""The curriculum (STF-2): modules with their materials and attachments, exams (theory, practice,
behaviour) and their question banks; editing and retiring exams and questions (a retired one is no
longer asked, past attempts keep it)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.attachments.services import file_store_checked, stored_file_path
from herdesk.audit.services import audit_record
from herdesk.common.errors import DomainError

from ..choices import (
    AssignmentStatus,
    ExamKind,
    QuestionKind,
)
from ..models import (
    Answer,
    Assignment,
    Choice,
    Exam,
    Module,
    ModuleAttachment,
    Question,
)
from ._base import (
    _person,
)
from .assignments import _assignment_check


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
    stored = file_store_checked(upload=upload, folder="training", at=at)
    display = stored.name
    try:
        att = ModuleAttachment.objects.create(
            module=module,
            original_name=stored.name,
            extension=stored.extension,
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            storage_path=stored.rel,
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
        stored.discard()
        raise
    return att


def module_attachment_path(att: ModuleAttachment) -> Path:
    return stored_file_path(att.storage_path)


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


def _question_clean(
    kind: str, prompt: str, points: int, choices: list[tuple[str, bool]] | None
) -> tuple[str, list[tuple[str, bool]]]:
    """Single choice: exactly one correct choice; multiple choice: at least one; both need two
    choices or more. Free text has no choices and is graded by a person."""
    clean = [(t.strip(), bool(c)) for t, c in (choices or []) if t and t.strip()]
    prompt = (prompt or "").strip()
    if not prompt:
        raise ValidationError({"prompt": _("Write the question.")})
    if kind not in QuestionKind.values:
        raise ValidationError({"kind": _("Unknown question type.")})
    if not 1 <= int(points) <= 100:
        raise ValidationError({"points": _("Give between 1 and 100 points.")})
    correct = sum(1 for _t, c in clean if c)
    if kind == QuestionKind.TEXT:
        if clean:
            raise ValidationError({"choices": _("A free-text question has no choices.")})
    else:
        if len(clean) < 2:
            raise ValidationError({"choices": _("Give at least two choices.")})
        if kind == QuestionKind.SINGLE and correct != 1:
            raise ValidationError({"choices": _("Mark exactly one choice as correct.")})
        if kind == QuestionKind.MULTIPLE and correct < 1:
            raise ValidationError({"choices": _("Mark at least one choice as correct.")})
    return prompt, clean


def _question_new(
    exam: Exam, *, kind: str, prompt: str, points: int, choices: list[tuple[str, bool]], guidance: str,
    position: int,
) -> Question:  # fmt: skip
    q = Question.objects.create(
        exam=exam, kind=kind, prompt=prompt, points=points, guidance=guidance, position=position
    )
    Choice.objects.bulk_create(
        [Choice(question=q, position=i, text=t[:300], correct=c) for i, (t, c) in enumerate(choices, 1)]
    )
    return q


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
    """A question of the exam's bank (see `_question_clean` for the rules of its choices)."""
    prompt, clean = _question_clean(kind, prompt, points, choices)
    position = exam.questions.count() + 1
    q = _question_new(
        exam, kind=kind, prompt=prompt, points=points, choices=clean, guidance=guidance, position=position
    )
    audit_record(
        actor=actor,
        action="training.question_added",
        object_type="training_exam",
        object_id=exam.pk,
        data={"question": q.pk, "kind": kind, "points": points},
    )
    return q


def _exam_recheck_assignments(exam: Exam, *, actor: Any) -> int:
    """After an exam of the module is retired, an open assignment whose remaining active exams are
    all passed is complete: the retired exam is no longer asked of anyone."""
    done = 0
    now = timezone.now()
    for a in (
        Assignment.objects.select_for_update()
        .select_related("module")
        .filter(module_id=exam.module_id, status=AssignmentStatus.ASSIGNED)
    ):
        done += int(_assignment_check(a, actor=actor, at=now))
    return done


@transaction.atomic
def exam_update(*, actor: Any, exam: Exam, title: str, kind: str, pass_mark: int) -> Exam:
    """Title, type and pass mark. Past attempts keep the pass mark they were taken with."""
    if kind not in ExamKind.values:
        raise ValidationError({"kind": _("Unknown exam type.")})
    if not 1 <= int(pass_mark) <= 100:
        raise ValidationError({"pass_mark": _("The pass mark is a percentage between 1 and 100.")})
    if not (title or "").strip():
        raise ValidationError({"title": _("Give the exam a title.")})
    current = Exam.objects.select_for_update().get(pk=exam.pk)
    diff = {}
    for field, value in (("title", title.strip()[:200]), ("kind", kind), ("pass_mark", int(pass_mark))):
        if getattr(current, field) != value:
            diff[field] = [getattr(current, field), value]
            setattr(current, field, value)
    if diff:
        current.save(update_fields=list(diff))
        audit_record(
            actor=actor, action="training.exam_updated", object_type="training_exam", object_id=exam.pk,
            data=diff,
        )  # fmt: skip
    return current


@transaction.atomic
def exam_retire(*, actor: Any, exam: Exam, reason: str) -> Exam:
    """A retired exam is no longer taken (`attempt_submit` refuses it) nor needed to complete an
    assignment; past attempts keep it."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason.")})
    current = Exam.objects.select_for_update().get(pk=exam.pk)
    if not current.active:
        raise DomainError(_("This exam is retired already."), code="invalid")
    current.active = False
    current.save(update_fields=["active"])
    completed = _exam_recheck_assignments(current, actor=actor)
    audit_record(
        actor=actor,
        action="training.exam_retired",
        object_type="training_exam",
        object_id=exam.pk,
        data={"reason": reason[:300], "assignments_completed": completed},
    )
    return current


@transaction.atomic
def question_update(
    *,
    actor: Any,
    question: Question,
    kind: str,
    prompt: str,
    points: int,
    choices: list[tuple[str, bool]] | None = None,
    guidance: str = "",
) -> Question:
    """Edit a question. One never answered is changed in place; one that attempts answered is
    retired and replaced by the edited copy at its position, so a past sitting keeps the question
    it answered (and its points). Returns the question now in the bank."""
    prompt, clean = _question_clean(kind, prompt, points, choices)
    current = Question.objects.select_for_update().get(pk=question.pk)
    if not current.active:
        raise DomainError(_("A retired question cannot be edited."), code="invalid")
    answered = Answer.objects.filter(question=current).exists()
    if answered:
        current.active = False
        current.save(update_fields=["active"])
        new = _question_new(
            current.exam, kind=kind, prompt=prompt, points=points, choices=clean, guidance=guidance,
            position=current.position,
        )  # fmt: skip
    else:
        current.kind, current.prompt, current.points, current.guidance = kind, prompt, points, guidance
        current.save(update_fields=["kind", "prompt", "points", "guidance"])
        current.choices.all().delete()
        Choice.objects.bulk_create(
            Choice(question=current, position=i, text=t[:300], correct=c) for i, (t, c) in enumerate(clean, 1)
        )
        new = current
    audit_record(
        actor=actor,
        action="training.question_updated",
        object_type="training_exam",
        object_id=current.exam_id,
        data={"question": current.pk, "now": new.pk, "kind": kind, "points": points, "copied": answered},
    )
    return new


@transaction.atomic
def question_retire(*, actor: Any, question: Question) -> Question:
    """The question is no longer asked; past attempts keep their answers to it."""
    current = Question.objects.select_for_update().get(pk=question.pk)
    if not current.active:
        raise DomainError(_("This question is retired already."), code="invalid")
    if not current.exam.questions.filter(active=True).exclude(pk=current.pk).exists():
        raise DomainError(_("An exam keeps at least one question; retire the exam instead."), code="invalid")
    current.active = False
    current.save(update_fields=["active"])
    audit_record(
        actor=actor,
        action="training.question_retired",
        object_type="training_exam",
        object_id=current.exam_id,
        data={"question": current.pk},
    )
    return current
