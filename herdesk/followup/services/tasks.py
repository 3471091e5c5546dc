"""Follow-up tasks: one per follow-up clock, made by the periodic job (idempotent), with the
anti-fatigue exclusions; the sweep; marking a task unreachable by hand."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.clocks.choices import ClockState
from herdesk.clocks.models import Clock
from herdesk.common.errors import TransitionNotAllowed
from herdesk.notifications.customer_notices import preference_for
from herdesk.tickets import services as ts
from herdesk.tickets.choices import OPEN_STATUSES, ProblemType
from herdesk.tickets.models import Ticket

from ..choices import (
    ACTIVE_TASK_STATES,
    Exclusion,
    TaskState,
)
from ..models import FollowUpTask
from ._common import CATCH_UP, Actor, Rule, _lock_task, rule_for, task_move
from .reviews import reviews_sweep

# --- creating tasks (the periodic job; idempotent) ------------------------------------------------


def _exclusion(*, ticket: Ticket, rule: Rule, at: datetime) -> str:
    """Why this customer is not to be asked now ("" = ask): opted out of non-essential notices, a
    complaint still open, or already asked within the anti-fatigue period."""

    pref = preference_for(ticket.customer_id)
    if pref is not None and pref.opt_out_non_essential:
        return Exclusion.OPTED_OUT
    if (
        Ticket.objects.filter(
            customer_id=ticket.customer_id, problem_type=ProblemType.COMPLAINT, status__in=OPEN_STATUSES
        )
        .exclude(pk=ticket.pk)
        .exists()
    ):
        return Exclusion.COMPLAINT_OPEN
    if rule.fatigue_days and (
        FollowUpTask.objects.filter(
            customer_id=ticket.customer_id, created_at__gt=at - timedelta(days=rule.fatigue_days)
        )
        .exclude(state__in=(TaskState.EXCLUDED, TaskState.CANCELLED))
        .exclude(ticket_id=ticket.pk)
        .exists()
    ):
        return Exclusion.RECENT
    return ""


@transaction.atomic
def task_create_for_clock(*, clock: Clock, at: datetime | None = None) -> FollowUpTask | None:
    """The follow-up task of one follow-up clock (None when it exists already: idempotent).

    Due at the clock's due time; owned by the agent who resolved the ticket and their team. The
    anti-fatigue rules may create it excluded: then the clock is cancelled (the customer is not to
    be asked, so it neither breaches nor counts as met)."""
    at = at or timezone.now()
    if FollowUpTask.objects.filter(clock_id=clock.pk).exists():
        return None
    ticket = Ticket.objects.select_related("assignee").get(pk=clock.ticket_id)
    rule = rule_for(ticket)
    team_id = ticket.team_id or getattr(ticket.assignee, "team_id", None)
    task = FollowUpTask(
        ticket=ticket,
        clock_id=clock.pk,
        customer_id=ticket.customer_id,
        assignee_id=ticket.assignee_id,
        team_id=team_id,
        resolved_at=clock.started_at,
        due_at=clock.due_at,
        created_at=at,
    )
    exclusion = _exclusion(ticket=ticket, rule=rule, at=at)
    try:
        with transaction.atomic():
            task.save(force_insert=True)
    except IntegrityError:  # another run made it meanwhile
        return None
    audit_record(
        actor=None,
        action="followup.task_created",
        object_type="ticket",
        object_id=ticket.number,
        data={"task": task.pk, "due_at": task.due_at.isoformat()},
    )
    if exclusion:
        task.exclusion = exclusion
        task_move(task=task, to=TaskState.EXCLUDED, actor=None, at=at, reason=exclusion)
        if clock.stopped_at is None and clock.state in (ClockState.RUNNING, ClockState.PAUSED):
            from herdesk.clocks.services import _cancel  # the follow-up is not owed: no breach

            _cancel(Clock.objects.select_for_update().get(pk=clock.pk), at)
        ts._system_event(
            ticket,
            None,
            _("No satisfaction follow-up: %(reason)s") % {"reason": Exclusion(exclusion).label},
            at,
        )
    return task


def tasks_sync(*, now: datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Periodic job: a task for every follow-up clock without one (started in the last 30 days), and
    the active tasks of reopened tickets (their clock cancelled) cancelled. Safe to run twice."""
    now = now or timezone.now()
    created = cancelled = 0
    pending = list(
        Clock.objects.filter(kind="follow_up", started_at__gte=now - CATCH_UP, follow_up_task__isnull=True)
        .exclude(state=ClockState.CANCELLED)
        .order_by("started_at")[:batch]
    )
    for clock in pending:
        if task_create_for_clock(clock=clock, at=now) is not None:
            created += 1
    stale = list(
        FollowUpTask.objects.filter(
            state__in=ACTIVE_TASK_STATES, clock__state=ClockState.CANCELLED
        ).values_list("pk", flat=True)[:batch]
    )
    for pk in stale:
        with transaction.atomic():
            task = FollowUpTask.objects.select_for_update().select_related("ticket").get(pk=pk)
            if task.state in ACTIVE_TASK_STATES:
                task_move(task=task, to=TaskState.CANCELLED, actor=None, at=now, reason="reopened")
                cancelled += 1
    return {"created": created, "cancelled": cancelled}


def followup_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic job (ops.jobs): tasks for new resolutions, then the reviews' warnings and breaches."""
    now = now or timezone.now()
    out = tasks_sync(now=now)
    out.update(reviews_sweep(now=now))
    return out


@transaction.atomic
def task_mark_unreachable(
    *, task: FollowUpTask, actor: Actor, note: str = "", at: datetime | None = None
) -> FollowUpTask:
    """The agent gives up (e.g. the survey was never answered)."""
    at = at or timezone.now()
    task = _lock_task(task)
    if task.state == TaskState.OPEN:
        raise TransitionNotAllowed(_("Try to reach the customer at least once first."))
    task_move(task=task, to=TaskState.UNREACHABLE, actor=actor, at=at, reason=note[:200] or "manual")
    ts._system_event(task.ticket, actor, _("Follow-up: customer unreachable"), at)
    return task
