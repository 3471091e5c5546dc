"""Reads of training (STF-2), permission-aware where a person's own rows are concerned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from herdesk.staff.models import User

from .choices import (
    MONTHLY_RULE_KINDS,
    AssignmentStatus,
    AttemptStatus,
    AttendanceStatus,
    SessionStatus,
)
from .models import (
    Assignment,
    Attempt,
    Attendance,
    Exam,
    Mentorship,
    Module,
    OnboardingPlan,
    Question,
    TrainingSession,
)

# The people the monthly rule and the pickers are about: frontline staff roles.
FRONTLINE_ROLES = ("agent", "tech_engineer", "field_engineer", "account_manager")


def can_manage(user: Any) -> bool:
    return bool(user.has_perm("training.manage_training"))


def staff_people() -> QuerySet[User]:
    return User.objects.filter(is_active=True, customer__isnull=True).order_by("username")


def frontline_people() -> QuerySet[User]:
    return staff_people().filter(groups__name__in=FRONTLINE_ROLES).distinct()


def modules_list() -> QuerySet[Module]:
    return Module.objects.annotate(
        n_exams=Count("exams", distinct=True),
        n_open=Count("assignments", filter=Q(assignments__status=AssignmentStatus.ASSIGNED), distinct=True),
    ).order_by("-active", "code")


def module_get(pk: int) -> Module:
    return Module.objects.prefetch_related(
        "attachments",
        Prefetch(
            "exams",
            queryset=Exam.objects.annotate(n_questions=Count("questions", filter=Q(questions__active=True))),
        ),
    ).get(pk=pk)


def exam_get(pk: int) -> Exam:
    return (
        Exam.objects.select_related("module")
        .prefetch_related(Prefetch("questions", queryset=Question.objects.prefetch_related("choices")))
        .get(pk=pk)
    )


def assignments_of(user: Any) -> list[Assignment]:
    return list(
        Assignment.objects.filter(agent=user)
        .select_related("module", "assigned_by")
        .order_by("status", "due_on")
    )


def open_assignment(user: Any, module: Module) -> Assignment | None:
    return (
        Assignment.objects.filter(agent=user, module=module, status=AssignmentStatus.ASSIGNED)
        .order_by("created_at", "pk")
        .first()
    )


def module_assignments(module: Module, limit: int = 200) -> list[Assignment]:
    return list(module.assignments.select_related("agent", "assigned_by").order_by("-created_at")[:limit])


def attempts_of(user: Any, limit: int = 50) -> list[Attempt]:
    return list(Attempt.objects.filter(agent=user).select_related("exam", "exam__module")[:limit])


def attempt_visible(user: Any, pk: int) -> Attempt:
    """The agent's own attempt, or any for a grader / training manager (DoesNotExist otherwise)."""
    qs = Attempt.objects.select_related("exam", "exam__module", "agent", "graded_by")
    if not (user.has_perm("training.grade_exam") or can_manage(user)):
        qs = qs.filter(agent=user)
    return qs.get(pk=pk)


def grading_queue(limit: int = 200) -> list[Attempt]:
    return list(
        Attempt.objects.filter(status=AttemptStatus.GRADING)
        .select_related("exam", "exam__module", "agent")
        .order_by("submitted_at")[:limit]
    )


def plans_list(limit: int = 200) -> list[OnboardingPlan]:
    return list(OnboardingPlan.objects.select_related("agent", "overridden_by")[:limit])


def plan_progress_map(plans: list[OnboardingPlan]) -> dict[int, tuple[int, int]]:
    """plan id → (completed, total) in one query."""
    refs = {p.source_ref: p.pk for p in plans}
    out = {p.pk: (0, 0) for p in plans}
    rows = (
        Assignment.objects.filter(source_ref__in=list(refs))
        .exclude(status=AssignmentStatus.CANCELLED)
        .values("source_ref")
        .annotate(total=Count("pk"), done=Count("pk", filter=Q(status=AssignmentStatus.COMPLETED)))
    )
    for r in rows:
        out[refs[r["source_ref"]]] = (r["done"], r["total"])
    return out


def plan_assignments(plan: OnboardingPlan) -> list[Assignment]:
    return list(
        Assignment.objects.filter(agent_id=plan.agent_id, source_ref=plan.source_ref)
        .select_related("module")
        .order_by("module__code")
    )


def sessions_list(limit: int = 100) -> list[TrainingSession]:
    return list(
        TrainingSession.objects.select_related("module").annotate(
            n_invited=Count("attendance"),
            n_attended=Count("attendance", filter=Q(attendance__status=AttendanceStatus.ATTENDED)),
        )[:limit]
    )


def upcoming_sessions_of(user: Any, now: datetime | None = None) -> list[TrainingSession]:
    now = now or timezone.now()
    return list(
        TrainingSession.objects.filter(
            attendance__agent=user, status=SessionStatus.SCHEDULED, starts_at__gte=now
        ).order_by("starts_at")[:10]
    )


def session_get(pk: int) -> TrainingSession:
    return TrainingSession.objects.select_related("module", "created_by").get(pk=pk)


def session_roster(session: TrainingSession) -> list[Attendance]:
    return list(session.attendance.select_related("agent").order_by("agent__username"))


@dataclass
class MonthRow:
    person: User
    count: int
    state: str  # met | missed | pending (the month is not over yet)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in the installation's time zone."""
    first = month.replace(day=1)
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(first, time()), tz),
        timezone.make_aware(datetime.combine(nxt, time()), tz),
    )


def monthly_rule(month: date, *, now: datetime | None = None) -> list[MonthRow]:
    """The "at least one training or case-sharing session a month" rule per frontline person: the
    sessions held in the month that they attended (one query for the counts)."""
    now = now or timezone.now()
    start, end = month_bounds(month)
    people = list(
        frontline_people().annotate(
            n=Count(
                "training_attendance",
                filter=Q(
                    training_attendance__status=AttendanceStatus.ATTENDED,
                    training_attendance__session__status=SessionStatus.HELD,
                    training_attendance__session__kind__in=MONTHLY_RULE_KINDS,
                    training_attendance__session__starts_at__gte=start,
                    training_attendance__session__starts_at__lt=end,
                ),
                distinct=True,
            )
        )
    )
    over = now >= end
    return [
        MonthRow(person=p, count=p.n, state="met" if p.n >= 1 else ("missed" if over else "pending"))  # type: ignore[attr-defined]
        for p in people
    ]


def mentorships_list(limit: int = 200) -> list[Mentorship]:
    return list(Mentorship.objects.select_related("agent", "mentor").annotate(n_notes=Count("notes"))[:limit])


def mentorship_visible(user: Any, pk: int) -> Mentorship:
    """Visible to its mentor, its agent and to training managers."""
    qs = Mentorship.objects.select_related("agent", "mentor")
    if not can_manage(user):
        qs = qs.filter(Q(mentor=user) | Q(agent=user))
    return qs.get(pk=pk)


def my_mentorships(user: Any) -> tuple[Mentorship | None, list[Mentorship]]:
    """(my current mentor's mentorship, the current mentorships where I mentor)."""
    mine = Mentorship.objects.select_related("mentor").filter(agent=user, ended_on__isnull=True).first()
    mentees = list(Mentorship.objects.select_related("agent").filter(mentor=user, ended_on__isnull=True))
    return mine, mentees


def assignments_by_source(source_refs: list[str]) -> dict[str, list[Assignment]]:
    """source reference → its assignments (for callers such as quality: "the review's training is
    completed"), in one query."""
    out: dict[str, list[Assignment]] = {ref: [] for ref in source_refs}
    for a in Assignment.objects.filter(source_ref__in=source_refs).select_related("module", "agent"):
        out[a.source_ref].append(a)
    return out
