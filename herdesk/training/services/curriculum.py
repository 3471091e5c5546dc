"""The curriculum (STF-2): modules with their materials and attachments, exams (theory, practice,
behaviour) and their question banks."""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.attachments.choices import ALLOWED, SNIFF_BYTES
from herdesk.attachments.services import clean_name, max_bytes, media_root
from herdesk.audit.services import audit_record

from ..choices import (
    ExamKind,
    QuestionKind,
)
from ..models import (
    Choice,
    Exam,
    Module,
    ModuleAttachment,
    Question,
)
from ._base import (
    _person,
)


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
