"""Choices and state machines (as data) of training (STF-2)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ExamKind(models.TextChoices):
    """Seed 001 §5.2.2: theory, practice and behaviour assessments."""

    THEORY = "theory", _("Theory")
    PRACTICE = "practice", _("Practice")
    BEHAVIOUR = "behaviour", _("Behaviour")


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TEXT = "text", _("Free text (graded by a person)")


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", pgettext_lazy("training assignment", "Assigned")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class AttemptStatus(models.TextChoices):
    GRADING = "grading", _("Awaiting grading")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")


class PlanStatus(models.TextChoices):
    ACTIVE = "active", _("In onboarding")
    COMPLETED = "completed", _("Completed")
    OVERRIDDEN = "overridden", _("Overridden by a supervisor")


class SessionKind(models.TextChoices):
    TRAINING = "training", _("Business training")
    CASE_SHARING = "case_sharing", _("Case-sharing session")
    AD_HOC = "ad_hoc", _("Ad-hoc training")


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class AttendanceStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    ATTENDED = "attended", _("Attended")
    ABSENT = "absent", _("Absent")


# The state machines: from → the states it may move to. `services._move` is the only place a status
# changes and refuses anything else (tests/test_transitions.py covers every pair).
ASSIGNMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    AssignmentStatus.ASSIGNED: frozenset({AssignmentStatus.COMPLETED, AssignmentStatus.CANCELLED}),
    AssignmentStatus.COMPLETED: frozenset(),
    AssignmentStatus.CANCELLED: frozenset(),
}
ATTEMPT_TRANSITIONS: dict[str, frozenset[str]] = {
    AttemptStatus.GRADING: frozenset({AttemptStatus.PASSED, AttemptStatus.FAILED}),
    AttemptStatus.PASSED: frozenset(),
    AttemptStatus.FAILED: frozenset(),
}
PLAN_TRANSITIONS: dict[str, frozenset[str]] = {
    PlanStatus.ACTIVE: frozenset({PlanStatus.COMPLETED, PlanStatus.OVERRIDDEN}),
    PlanStatus.COMPLETED: frozenset(),
    PlanStatus.OVERRIDDEN: frozenset({PlanStatus.COMPLETED}),
}
SESSION_TRANSITIONS: dict[str, frozenset[str]] = {
    SessionStatus.SCHEDULED: frozenset({SessionStatus.HELD, SessionStatus.CANCELLED}),
    SessionStatus.HELD: frozenset(),
    SessionStatus.CANCELLED: frozenset(),
}

# Sessions that count for the "at least one a month" rule (seed 000 §(二)1, seed 001 §5 在岗培训).
MONTHLY_RULE_KINDS = (SessionKind.TRAINING, SessionKind.CASE_SHARING)
# Seed 000 §(二)1 入职培训: at least 5 working days.
ONBOARDING_MIN_WORKING_DAYS = 5
