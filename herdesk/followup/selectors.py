"""Reads of the follow-up app: the worklists, their counts, reviews and the follow-up rate (CLS-2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from herdesk.analytics.periods import Period
from herdesk.clocks.selectors import SHANGHAI, month_bounds

from .choices import ACTIVE_TASK_STATES, ReviewState, TaskState
from .models import FollowUpReview, FollowUpTask

TARGET_RATE = 0.90  # S3 §6.1: follow-up rate ≥ 90 %
SCOPES = ("mine", "team", "all")


def can_see_all(user: Any) -> bool:
    return bool(user.has_perm("tickets.view_all_tickets"))


def _scoped(user: Any, scope: str) -> QuerySet[FollowUpTask]:
    qs = FollowUpTask.objects.all()
    if scope == "all" and can_see_all(user):
        return qs
    if scope == "team" and user.team_id:
        return qs.filter(team_id=user.team_id)
    return qs.filter(assignee_id=user.pk)


@dataclass(frozen=True)
class Filters:
    scope: str = "mine"
    state: str = "active"  # "active", "all" or one TaskState
    due: str = ""  # "", "overdue", "today"
    team: int | None = None
    agent: int | None = None


def worklist(
    *, user: Any, filters: Filters, now: datetime | None = None, limit: int = 100
) -> list[FollowUpTask]:
    """The follow-up tasks of one agent, their team, or (supervisors) everyone; soonest due first."""
    now = now or timezone.now()
    qs = _scoped(user, filters.scope)
    if filters.state == "active":
        qs = qs.filter(state__in=ACTIVE_TASK_STATES)
    elif filters.state in TaskState.values:
        qs = qs.filter(state=filters.state)
    if filters.due == "overdue":
        qs = qs.filter(due_at__lt=now)
    elif filters.due == "today":
        local = timezone.localtime(now, SHANGHAI)
        end = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        qs = qs.filter(due_at__lt=end)
    if filters.team and filters.scope == "all":
        qs = qs.filter(team_id=filters.team)
    if filters.agent and filters.scope in ("all", "team"):
        qs = qs.filter(assignee_id=filters.agent)
    return list(qs.select_related("ticket", "customer", "assignee", "team").order_by("due_at", "id")[:limit])


def worklist_counts(*, user: Any, scope: str, now: datetime | None = None) -> dict[str, int]:
    """Active tasks by state, and overdue ones, of the scope (one query)."""
    now = now or timezone.now()
    row = (
        _scoped(user, scope)
        .filter(state__in=ACTIVE_TASK_STATES)
        .aggregate(
            active=Count("id"),
            open=Count("id", filter=Q(state=TaskState.OPEN)),
            attempting=Count("id", filter=Q(state=TaskState.ATTEMPTING)),
            survey_sent=Count("id", filter=Q(state=TaskState.SURVEY_SENT)),
            overdue=Count("id", filter=Q(due_at__lt=now)),
        )
    )
    return {k: int(v or 0) for k, v in row.items()}


def my_active_count(*, user: Any) -> int:
    return FollowUpTask.objects.filter(assignee_id=user.pk, state__in=ACTIVE_TASK_STATES).count()


def task_for_user(*, user: Any, pk: int) -> FollowUpTask:
    """A task the user may work: theirs, their team's, or any for supervisors. DoesNotExist else."""
    qs = FollowUpTask.objects.select_related("ticket", "customer", "assignee", "team", "follow_up")
    if not can_see_all(user):
        qs = qs.filter(
            Q(assignee_id=user.pk) | Q(team_id=user.team_id) if user.team_id else Q(assignee_id=user.pk)
        )
    return qs.get(pk=pk)


def reviews_for(*, user: Any, state: str = "active", limit: int = 100) -> list[FollowUpReview]:
    qs = FollowUpReview.objects.select_related("ticket", "owner", "follow_up", "task__assignee")
    if not can_see_all(user):
        qs = qs.filter(owner_id=user.pk)
    if state == "active":
        qs = qs.filter(state__in=(ReviewState.OPEN, ReviewState.DECIDED))
    elif state in ReviewState.values:
        qs = qs.filter(state=state)
    return list(qs.order_by("due_at", "id")[:limit])


def review_for_user(*, user: Any, pk: int) -> FollowUpReview:
    qs = FollowUpReview.objects.select_related("ticket", "owner", "follow_up", "task__assignee", "team")
    if not can_see_all(user):
        qs = qs.filter(Q(owner_id=user.pk) | Q(task__assignee_id=user.pk))
    return qs.get(pk=pk)


# --- the follow-up rate ----------------------------------------------------------------------------


@dataclass
class RateRow:
    key: Any
    label: str
    resolved: int
    excluded: int
    in_time: int
    late: int

    @property
    def owed(self) -> int:
        return self.resolved - self.excluded

    @property
    def rate(self) -> float | None:
        return self.in_time / self.owed if self.owed else None

    @property
    def percent(self) -> str:
        """The rate in per cent with one decimal ("93.3"), "" when nothing was owed."""
        return f"{self.rate * 100:.1f}" if self.rate is not None else ""

    @property
    def meets_target(self) -> bool:
        return self.rate is not None and self.rate >= TARGET_RATE


_RATE_COUNTS = {
    "resolved": Count("id"),
    "excluded": Count("id", filter=Q(state=TaskState.EXCLUDED)),
    "in_time": Count("id", filter=Q(state=TaskState.COMPLETED, completed_at__lte=F("due_at"))),
    "late": Count("id", filter=Q(state=TaskState.COMPLETED, completed_at__gt=F("due_at"))),
}


def _rate_rows(qs: QuerySet[FollowUpTask], by: str, label: str) -> list[RateRow]:
    rows = qs.values(by, label).annotate(**_RATE_COUNTS).order_by(label)
    return [
        RateRow(
            key=r[by],
            label=str(r[label] or "—"),
            resolved=r["resolved"],
            excluded=r["excluded"],
            in_time=r["in_time"],
            late=r["late"],
        )
        for r in rows
    ]


def follow_up_rate(*, month: str) -> dict[str, Any]:
    """Follow-up rate of the tickets resolved in the month (Asia/Shanghai): followed up within the
    3-working-day follow-up clock ÷ resolutions owed a follow-up (the anti-fatigue exclusions are
    counted and shown, not owed), per agent, per team and in total. Raises ValueError on a bad month."""
    start, end = month_bounds(month)
    qs = FollowUpTask.objects.filter(resolved_at__gte=start, resolved_at__lt=end)
    agg = qs.aggregate(**_RATE_COUNTS)
    t = RateRow(key=None, label=month, **{k: int(v or 0) for k, v in agg.items()})
    return {
        "month": month,
        "target": TARGET_RATE,
        "total": t,
        "agents": _rate_rows(qs, "assignee_id", "assignee__display_name"),
        "teams": _rate_rows(qs, "team_id", "team__name"),
    }


def follow_up_rate_section(period: Period) -> dict[str, Any]:
    """The follow-up rate of a report period (its months added up): the report pack's and the
    compliance page's section (#18), the same counts as the follow-up rate page per month."""
    months = []
    day = period.first.replace(day=1)
    while day <= period.last:
        months.append(follow_up_rate(month=f"{day:%Y-%m}"))
        day = (day + timedelta(days=32)).replace(day=1)
    fields = ("resolved", "excluded", "in_time", "late")

    def added(rows: list[RateRow], key: Any, label: str) -> RateRow:
        return RateRow(key=key, label=label, **{f: sum(getattr(r, f) for r in rows) for f in fields})

    total = added([m["total"] for m in months], None, period.label)
    teams: dict[Any, list[RateRow]] = {}
    for m in months:
        for r in m["teams"]:
            teams.setdefault(r.key, []).append(r)
    return {
        "target": TARGET_RATE,
        "total": total,
        "months": [m["total"] for m in months],
        "teams": sorted((added(rs, k, rs[0].label) for k, rs in teams.items()), key=lambda r: r.label),
    }
