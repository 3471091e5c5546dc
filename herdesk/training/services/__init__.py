"""Every write of training (STF-2). Keyword arguments, `actor=`, one transaction each, audited;
refusals are DomainError / ValidationError with a translated message.

`assignment_create` is the entry point other areas use (quality: a failed review criterion assigns
the linked module): idempotent per (agent, module code, source reference).

One module per responsibility; this package re-exports their names, so `training.services.X` (and
the ops job path `herdesk.training.services:training_sweep`) keep working."""

from __future__ import annotations

from ._base import (
    CALENDAR_SETTING,
    _local_today,
    _move,
    _person,
    _require_staff,
    _tell,
    calendar_code,
    working_days_after,
)
from .assignments import (
    _assignment_check,
    _assignment_complete,
    assignment_cancel,
    assignment_create,
    assignment_mark_studied,
)
from .curriculum import (
    MODULE_FIELDS,
    _exam_recheck_assignments,
    _question_clean,
    _question_new,
    exam_create,
    exam_retire,
    exam_update,
    module_attachment_add,
    module_attachment_path,
    module_create,
    module_update,
    question_add,
    question_retire,
    question_update,
)
from .exams import (
    _passed,
    attempt_grade,
    attempt_submit,
)
from .hold import (
    onboarding_check,
    onboarding_override,
    onboarding_progress,
)
from .mentors import (
    mentor_assign,
    mentor_end,
    mentor_note_add,
)
from .onboarding import (
    onboarding_start,
    training_sweep,
)
from .sessions import (
    session_attendance_record,
    session_cancel,
    session_schedule,
)

__all__ = [
    "CALENDAR_SETTING",
    "MODULE_FIELDS",
    "_assignment_check",
    "_assignment_complete",
    "_exam_recheck_assignments",
    "_local_today",
    "_move",
    "_passed",
    "_person",
    "_question_clean",
    "_question_new",
    "_require_staff",
    "_tell",
    "assignment_cancel",
    "assignment_create",
    "assignment_mark_studied",
    "attempt_grade",
    "attempt_submit",
    "calendar_code",
    "exam_create",
    "exam_retire",
    "exam_update",
    "mentor_assign",
    "mentor_end",
    "mentor_note_add",
    "module_attachment_add",
    "module_attachment_path",
    "module_create",
    "module_update",
    "onboarding_check",
    "onboarding_override",
    "onboarding_progress",
    "onboarding_start",
    "question_add",
    "question_retire",
    "question_update",
    "session_attendance_record",
    "session_cancel",
    "session_schedule",
    "training_sweep",
    "working_days_after",
]
