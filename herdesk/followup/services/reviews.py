"""The answer of a follow-up and the review (复盘) it opens on a low score or an unsolved problem
(seed 001 §2.3): owned by the team lead, due in one working day, decided, closed; warnings and
breaches by the sweep."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.clocks.services import compute_due
from herdesk.common.errors import DomainError, TransitionNotAllowed
from herdesk.notifications import staff_notices
from herdesk.notifications.choices import NotificationKind
from herdesk.staff.models import Team
from herdesk.tickets import services as ts
from herdesk.tickets.choices import Status

from ..choices import (
    ReviewState,
    TaskState,
    review_can,
)
from ..models import FollowUpReview, FollowUpTask, ReviewAction
from ._common import (
    MAX_TEXT,
    REVIEW_CALENDAR,
    REVIEW_TARGET,
    REVIEW_WARN_PERCENT,
    Actor,
    _supervisors,
    task_move,
)


def _answer(
    task: FollowUpTask,
    *,
    actor: Actor,
    method: str,
    fully_solved: bool,
    score: int,
    comments: str,
    at: datetime,
) -> FollowUpTask:
    """Record the answer on the ticket (stops the clock), complete the task, open the review."""
    if task.ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise TransitionNotAllowed(_("The ticket was reopened: this follow-up is no longer needed."))
    fu = ts.follow_up_record(
        ticket=task.ticket,
        actor=actor,
        method=method,
        fully_solved=fully_solved,
        score=score,
        comments=comments,
        at=at,
    )
    task.follow_up = fu
    task_move(task=task, to=TaskState.COMPLETED, actor=actor, at=at)
    if score <= 2 or not fully_solved:
        _review_open(task=task, follow_up=fu, at=at)
    return task


# --- the review (复盘) ------------------------------------------------------------------------------


def _review_owner(task: FollowUpTask) -> Any:

    team = Team.objects.filter(pk=task.team_id).select_related("lead").first() if task.team_id else None
    return team.lead if team is not None and team.lead_id else None


def _review_open(*, task: FollowUpTask, follow_up: Any, at: datetime) -> FollowUpReview:
    """A low score (≤ 2) or "not fully solved" opens the mandatory review, owned by the team lead,
    due in one working day (office calendar); the lead is told at once."""
    due, warn = compute_due(
        calendar_code=REVIEW_CALENDAR, target=REVIEW_TARGET, start=at, warn_percent=REVIEW_WARN_PERCENT
    )
    owner = _review_owner(task)
    review = FollowUpReview.objects.create(
        task=task,
        ticket=task.ticket,
        follow_up=follow_up,
        owner=owner,
        team_id=task.team_id,
        opened_at=at,
        due_at=due,
        warn_at=warn,
    )
    ts._system_event(
        task.ticket, None, _("Review (复盘) opened: low score or not fully solved"), at, review=review.pk
    )
    audit_record(
        actor=None,
        action="followup.review_opened",
        object_type="ticket",
        object_id=task.ticket.number,
        data={"review": review.pk, "owner": getattr(owner, "pk", None), "due_at": due.isoformat()},
    )
    staff_notices.notify(
        users=[owner] if owner else _supervisors(),
        kind=NotificationKind.LOW_SCORE,
        ticket=task.ticket,
        data={"review": review.pk},
        # The key of the low-score notice tickets.services.follow_up_record also queues (outbox →
        # notify): the lead is told once, by whichever comes first (this one, with the review).
        key="follow_up:low score:",
    )
    return review


def review_move(*, review: FollowUpReview, to: str, actor: Actor, at: datetime) -> FollowUpReview:
    """The only writer of a review's state (REVIEW_TRANSITIONS). Audited, on the ticket's timeline."""
    if not review_can(review.state, to):
        raise TransitionNotAllowed(
            _("A review “%(from)s” cannot become “%(to)s”.")
            % {
                "from": ReviewState(review.state).label,
                "to": ReviewState(to).label if to in ReviewState.values else to,
            }
        )
    old = review.state
    review.state = to
    if to == ReviewState.DECIDED:
        review.decided_at = at
    if to == ReviewState.CLOSED:
        review.closed_at = at
    review.save()
    audit_record(
        actor=actor,
        action="followup.review_state",
        object_type="ticket",
        object_id=review.ticket.number,
        data={"review": review.pk, "from": old, "to": to},
    )
    ts._system_event(
        review.ticket,
        actor,
        _("Review (复盘): %(state)s") % {"state": ReviewState(to).label},
        at,
        review=review.pk,
    )
    return review


def _can_own(actor: Actor, review: FollowUpReview) -> bool:
    return bool(
        actor is not None
        and (actor.pk == review.owner_id or actor.has_perm("followup.change_followupreview"))
    )


def _lock_review(review: FollowUpReview) -> FollowUpReview:
    return FollowUpReview.objects.select_for_update().select_related("ticket").get(pk=review.pk)


@transaction.atomic
def review_decide(
    *,
    review: FollowUpReview,
    actor: Actor,
    findings: str,
    actions: list[dict[str, Any]],
    reopen_ticket: bool = False,
    at: datetime | None = None,
) -> FollowUpReview:
    """The lead records what went wrong and the improvement actions (at least one); the unsolved
    answer may reopen the ticket (CLS-1, through tickets.services.ticket_reopen)."""
    at = at or timezone.now()
    review = _lock_review(review)
    if not _can_own(actor, review):
        raise DomainError(_("Only the review's owner or a supervisor decides it."), code="forbidden")
    errors: dict[str, str] = {}
    if not (findings or "").strip():
        errors["findings"] = _("Say what went wrong.")
    clean = [a for a in actions if str(a.get("description", "")).strip()]
    if not clean:
        errors["actions"] = _("Decide at least one improvement action.")
    if errors:
        raise ValidationError(errors)
    review.findings = findings.strip()[:MAX_TEXT]
    review_move(review=review, to=ReviewState.DECIDED, actor=actor, at=at)
    review.actions.all().delete()  # a revised decision replaces the actions not yet done
    ReviewAction.objects.bulk_create(
        [
            ReviewAction(
                review=review,
                description=str(a["description"]).strip()[:500],
                owner_id=getattr(a.get("owner"), "pk", a.get("owner")) or None,
                due_date=a.get("due_date"),
            )
            for a in clean
        ]
    )
    if reopen_ticket and not review.ticket_reopened:
        ticket = review.ticket
        if ticket.status in (Status.RESOLVED, Status.CLOSED):
            ts.ticket_reopen(
                ticket=ticket,
                actor=actor,
                reason=_("Follow-up review: the customer says the problem is not fully solved."),
                at=at,
            )
            review.ticket_reopened = True
            review.save(update_fields=["ticket_reopened"])
    return review


@transaction.atomic
def review_reopen(*, review: FollowUpReview, actor: Actor, at: datetime | None = None) -> FollowUpReview:
    """Back to open to revise the decision (before closing)."""
    at = at or timezone.now()
    review = _lock_review(review)
    if not _can_own(actor, review):
        raise DomainError(_("Only the review's owner or a supervisor decides it."), code="forbidden")
    return review_move(review=review, to=ReviewState.OPEN, actor=actor, at=at)


@transaction.atomic
def review_close(
    *, review: FollowUpReview, actor: Actor, closure_note: str, at: datetime | None = None
) -> FollowUpReview:
    """Close the review once its actions are decided, with what was done (the closure)."""
    at = at or timezone.now()
    review = _lock_review(review)
    if not _can_own(actor, review):
        raise DomainError(_("Only the review's owner or a supervisor decides it."), code="forbidden")
    if not (closure_note or "").strip():
        raise ValidationError({"closure_note": _("Say how the review is closed.")})
    review.closure_note = closure_note.strip()[:MAX_TEXT]
    return review_move(review=review, to=ReviewState.CLOSED, actor=actor, at=at)


def reviews_sweep(*, now: datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Warnings (75 % of the working day) and breaches of open reviews, each told once (notify keys)."""
    now = now or timezone.now()
    warned = breached = 0
    for review in FollowUpReview.objects.filter(
        state__in=(ReviewState.OPEN, ReviewState.DECIDED), warned_at__isnull=True, warn_at__lte=now
    ).select_related("ticket")[:batch]:
        with transaction.atomic():
            n = FollowUpReview.objects.filter(pk=review.pk, warned_at__isnull=True).update(warned_at=now)
            if n:
                warned += 1
                staff_notices.notify(
                    users=[review.owner_id] if review.owner_id else _supervisors(),
                    kind=NotificationKind.OTHER,
                    ticket=review.ticket,
                    data={"text": _review_text(review, breach=False), "review": review.pk},
                    key=f"review:{review.pk}:warn",
                )
    for review in FollowUpReview.objects.filter(
        state__in=(ReviewState.OPEN, ReviewState.DECIDED), breached_at__isnull=True, due_at__lte=now
    ).select_related("ticket")[:batch]:
        with transaction.atomic():
            n = FollowUpReview.objects.filter(pk=review.pk, breached_at__isnull=True).update(breached_at=now)
            if n:
                breached += 1
                staff_notices.notify(
                    users=[review.owner_id, *_supervisors()],
                    kind=NotificationKind.OTHER,
                    ticket=review.ticket,
                    data={"text": _review_text(review, breach=True), "review": review.pk},
                    key=f"review:{review.pk}:breach",
                )
    return {"reviews_warned": warned, "reviews_breached": breached}


def _review_text(review: FollowUpReview, *, breach: bool) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        due = timezone.localtime(review.due_at).strftime("%Y-%m-%d %H:%M")
        if breach:
            return str(
                _("%(ticket)s: the follow-up review (复盘) is overdue (was due %(due)s).")
                % {"ticket": review.ticket.number, "due": due}
            )
        return str(
            _("%(ticket)s: the follow-up review (复盘) is due %(due)s.")
            % {"ticket": review.ticket.number, "due": due}
        )


@transaction.atomic
def review_action_done(*, action: ReviewAction, actor: Actor, at: datetime | None = None) -> ReviewAction:
    at = at or timezone.now()
    action = (
        ReviewAction.objects.select_for_update().select_related("review", "review__ticket").get(pk=action.pk)
    )
    if action.done_at is None:
        action.done_at = at
        action.save(update_fields=["done_at"])
        audit_record(
            actor=actor,
            action="followup.review_action_done",
            object_type="ticket",
            object_id=action.review.ticket.number,
            data={"review": action.review_id, "action": action.pk},
        )
    return action
