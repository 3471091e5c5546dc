"""Every write of the follow-up app (CLS-2): tasks, attempts, survey links, answers and reviews (复盘).

Conventions of the project: keyword-only arguments, `transaction.atomic`, an audit entry per state
change, a ticket timeline entry through `herdesk.tickets.services`, refusals as DomainError with a
translated message. The task and review states move only through `task_move` / `review_move`, which
enforce the transition tables of `choices`.

The answer of a follow-up is the ticket's own `FollowUp` record, written by
`tickets.services.follow_up_record`: it stops the follow-up clock (met, or breached when late).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.clocks.choices import ClockState
from herdesk.clocks.models import Clock
from herdesk.clocks.services import compute_due
from herdesk.common.errors import DomainError, TransitionNotAllowed
from herdesk.customers.models import Customer
from herdesk.customers.services import customer_create
from herdesk.notifications import staff_notices
from herdesk.notifications.choices import NotificationKind
from herdesk.notifications.customer_notices import notice_route, preference_for
from herdesk.notifications.services import outbox_enqueue_many
from herdesk.policies.models import PolicyVersion
from herdesk.staff.models import Team, User
from herdesk.tickets import services as ts
from herdesk.tickets.choices import OPEN_STATUSES, Direction, InteractionKind, ProblemType, Status
from herdesk.tickets.models import Ticket
from herdesk.tickets.services._common import _person
from herdesk.triage.services import triage_ticket_received

from .choices import (
    ACTIVE_TASK_STATES,
    NOT_REACHED,
    AttemptMethod,
    AttemptOutcome,
    Exclusion,
    ReviewState,
    TaskState,
    review_can,
    task_can,
)
from .models import FollowUpAttempt, FollowUpReview, FollowUpRule, FollowUpTask, ReviewAction, SurveyLink

Actor = Any
MAX_TEXT = 2000
REVIEW_TARGET = "1wd"  # the review's own clock: one working day (S2 §2.3)
REVIEW_CALENDAR = "office"
REVIEW_WARN_PERCENT = 75
SURVEY_SALT = "herdesk.followup.survey"
# How far back the job looks for follow-up clocks without a task (a missed run catches up).
CATCH_UP = timedelta(days=30)


class SurveyLinkError(DomainError):
    """A survey link that cannot be used: invalid/tampered (400), used or expired (410)."""

    code = "link_invalid"


# --- rules -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    max_attempts: int
    survey_after_calls: int
    survey_channels: tuple[str, ...]
    fatigue_days: int
    survey_ttl_days: int


def _rule_from(row: FollowUpRule | None) -> Rule:
    if row is not None:
        return Rule(
            max_attempts=max(1, row.max_attempts),
            survey_after_calls=max(1, row.survey_after_calls),
            survey_channels=tuple(c.strip() for c in row.survey_channels.split(",") if c.strip()),
            fatigue_days=row.fatigue_days,
            survey_ttl_days=max(1, row.survey_ttl_days),
        )
    return Rule(
        max_attempts=int(getattr(settings, "HERDESK_FOLLOWUP_MAX_ATTEMPTS", 3)),
        survey_after_calls=int(getattr(settings, "HERDESK_FOLLOWUP_SURVEY_AFTER_CALLS", 1)),
        survey_channels=tuple(
            getattr(settings, "HERDESK_FOLLOWUP_SURVEY_CHANNELS", ("sms", "wechat", "email"))
        ),
        fatigue_days=int(getattr(settings, "HERDESK_FOLLOWUP_FATIGUE_DAYS", 30)),
        survey_ttl_days=int(getattr(settings, "HERDESK_FOLLOWUP_SURVEY_TTL_DAYS", 7)),
    )


def rule_for(ticket: Ticket) -> Rule:
    """The rule of the ticket's service policy, else the default row, else the settings."""
    policy_id = None
    if ticket.policy_version_id:
        policy_id = (
            PolicyVersion.objects.filter(pk=ticket.policy_version_id)
            .values_list("policy_id", flat=True)
            .first()
        )
    cond = Q(policy__isnull=True) | (Q(policy_id=policy_id) if policy_id else Q(pk__in=[]))
    rows = {r.policy_id: r for r in FollowUpRule.objects.filter(cond)}
    return _rule_from(rows.get(policy_id) or rows.get(None))


# --- the task state machine ------------------------------------------------------------------------

TERMINAL = frozenset({TaskState.COMPLETED, TaskState.UNREACHABLE, TaskState.EXCLUDED, TaskState.CANCELLED})


def task_move(*, task: FollowUpTask, to: str, actor: Actor, at: datetime, reason: str = "") -> FollowUpTask:
    """The only writer of a task's state: refuses what TASK_TRANSITIONS does not allow. Audited."""
    if not task_can(task.state, to):
        raise TransitionNotAllowed(
            _("A follow-up “%(from)s” cannot become “%(to)s”.")
            % {
                "from": TaskState(task.state).label,
                "to": TaskState(to).label if to in TaskState.values else to,
            }
        )
    old = task.state
    task.state = to
    if to in TERMINAL:
        task.ended_at = at
    if to == TaskState.COMPLETED:
        task.completed_at = at
    task.save(
        update_fields=[
            "state",
            "ended_at",
            "completed_at",
            "exclusion",
            "attempts",
            "calls_not_reached",
            "follow_up",
        ]
    )
    audit_record(
        actor=actor,
        action="followup.task_state",
        object_type="ticket",
        object_id=task.ticket.number,
        data={"task": task.pk, "from": old, "to": to, **({"reason": reason} if reason else {})},
    )
    return task


def _lock_task(task: FollowUpTask) -> FollowUpTask:
    return FollowUpTask.objects.select_for_update().select_related("ticket", "customer").get(pk=task.pk)


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


# --- attempts --------------------------------------------------------------------------------------


def _attempt(task: FollowUpTask, *, actor: Actor, method: str, outcome: str, note: str, at: datetime) -> None:
    FollowUpAttempt.objects.create(
        task=task, at=at, method=method, outcome=outcome, note=note[:500], by=_person(actor)
    )
    task.attempts += 1
    if method == AttemptMethod.PHONE and outcome in NOT_REACHED:
        task.calls_not_reached += 1
    ts._system_event(
        task.ticket,
        actor,
        _("Follow-up attempt (%(method)s): %(outcome)s")
        % {"method": AttemptMethod(method).label, "outcome": AttemptOutcome(outcome).label},
        at,
        follow_up_attempt=True,
    )


def _comments(other_needs: str, suggestions: str, comment: str = "") -> str:
    parts = []
    if comment.strip():
        parts.append(comment.strip())
    if other_needs.strip():
        parts.append(_("Other needs: %(text)s") % {"text": other_needs.strip()})
    if suggestions.strip():
        parts.append(_("Suggestions: %(text)s") % {"text": suggestions.strip()})
    return "\n".join(parts)[:MAX_TEXT]


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


@transaction.atomic
def call_record(
    *,
    task: FollowUpTask,
    actor: Actor,
    outcome: str,
    fully_solved: bool | None = None,
    score: int | None = None,
    other_needs: str = "",
    suggestions: str = "",
    note: str = "",
    at: datetime | None = None,
    base_url: str | None = None,
) -> FollowUpTask:
    """A follow-up call (the call script). Reached: the answers are recorded and the task completed.
    Not reached: the attempt counts; after `survey_after_calls` the survey link goes out, after
    `max_attempts` the task is unreachable. Declined: completed without a score is not possible, so
    the task ends unreachable with the reason."""
    at = at or timezone.now()
    if outcome not in AttemptOutcome.values or outcome in (
        AttemptOutcome.LINK_SENT,
        AttemptOutcome.LINK_NOT_SENT,
    ):
        raise ValidationError({"outcome": _("Choose the outcome of the call.")})
    task = _lock_task(task)
    if task.state not in ACTIVE_TASK_STATES:
        raise TransitionNotAllowed(_("This follow-up is already finished."))
    rule = rule_for(task.ticket)
    if outcome == AttemptOutcome.ANSWERED:
        errors = {}
        if fully_solved is None:
            errors["fully_solved"] = _("Ask whether the problem is fully solved.")
        if not isinstance(score, int) or not 1 <= score <= 5:
            errors["score"] = _("Give a score from 1 to 5.")
        if errors:
            raise ValidationError(errors)
        assert score is not None and fully_solved is not None
        _attempt(task, actor=actor, method=AttemptMethod.PHONE, outcome=outcome, note=note, at=at)
        return _answer(
            task,
            actor=actor,
            method="phone",
            fully_solved=fully_solved,
            score=score,
            comments=_comments(other_needs, suggestions, note),
            at=at,
        )
    _attempt(task, actor=actor, method=AttemptMethod.PHONE, outcome=outcome, note=note, at=at)
    if outcome == AttemptOutcome.DECLINED:
        if task.state == TaskState.OPEN:
            task_move(task=task, to=TaskState.ATTEMPTING, actor=actor, at=at)
        return task_move(task=task, to=TaskState.UNREACHABLE, actor=actor, at=at, reason="declined")
    if task.calls_not_reached >= rule.max_attempts:
        if task.state == TaskState.OPEN:
            task_move(task=task, to=TaskState.ATTEMPTING, actor=actor, at=at)
        return task_move(task=task, to=TaskState.UNREACHABLE, actor=actor, at=at, reason="max_attempts")
    if (
        task.calls_not_reached >= rule.survey_after_calls
        and not task.links.exists()
        and _survey_send(task, actor=actor, rule=rule, at=at, base_url=base_url)
    ):
        return task_move(task=task, to=TaskState.SURVEY_SENT, actor=actor, at=at)
    return task_move(task=task, to=TaskState.ATTEMPTING, actor=actor, at=at)


# --- survey links ----------------------------------------------------------------------------------


def _signer() -> signing.Signer:
    return signing.Signer(salt=SURVEY_SALT)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def survey_link_digest(token: str) -> str:
    try:
        secret = _signer().unsign((token or "").strip()[:200])
    except signing.BadSignature:
        raise SurveyLinkError(
            _("This survey link is not valid. Please check that you opened the whole link.")
        )
    return token_hash(secret)


def survey_link_check(row: SurveyLink | None, *, now: datetime) -> SurveyLink:
    if row is None:
        raise SurveyLinkError(
            _("This survey link is not valid. Please check that you opened the whole link.")
        )
    if row.used_at is not None:
        raise SurveyLinkError(
            _("This survey has already been answered. Thank you!"), code="link_used", status=410
        )
    if now >= row.expires_at:
        raise SurveyLinkError(_("This survey link has expired."), code="link_expired", status=410)
    if row.task.state not in (*ACTIVE_TASK_STATES, TaskState.UNREACHABLE):
        raise SurveyLinkError(_("This survey is no longer open. Thank you!"), code="link_used", status=410)
    return row


def _survey_route(task: FollowUpTask, rule: Rule) -> Any:

    others = tuple(c for c in ("email", "sms", "wechat") if c not in rule.survey_channels)
    return notice_route(ticket=task.ticket, kind="survey", exclude=others)


def _survey_send(
    task: FollowUpTask, *, actor: Actor, rule: Rule, at: datetime, base_url: str | None
) -> SurveyLink | None:
    """Make a link and queue it on the customer's channel (outbox); None when there is no channel."""
    route = _survey_route(task, rule)
    if route.via not in ("sms", "wechat", "email"):
        _attempt(
            task,
            actor=actor,
            method=AttemptMethod.SMS,
            outcome=AttemptOutcome.LINK_NOT_SENT,
            note=route.reason,
            at=at,
        )
        return None
    secret = secrets.token_urlsafe(32)
    link = SurveyLink.objects.create(
        task=task,
        token_hash=token_hash(secret),
        channel=route.via,
        created_at=at,
        expires_at=at + timedelta(days=rule.survey_ttl_days),
    )
    base = (base_url if base_url is not None else getattr(settings, "HERDESK_PUBLIC_URL", "")).rstrip("/")
    url = base + reverse("followup:survey", args=[_signer().sign(secret)])
    ticket = task.ticket

    def build(with_link: str) -> str:
        text = _(
            "Your request %(number)s was resolved. How did we do? Please rate our service (1 minute): %(url)s"
        ) % {"number": ticket.number, "url": with_link}
        return str(text)

    with translation.override(settings.LANGUAGE_CODE):
        text = build(url)
        subject = str(_("How did we do? Your request %(number)s") % {"number": ticket.number})
        body = build(_("(survey link)"))
    kind = {"sms": InteractionKind.SMS, "wechat": InteractionKind.WECHAT}.get(
        route.via, InteractionKind.EMAIL
    )
    entry = ts.interaction_add(
        ticket=ticket,
        actor=None,
        body=body,
        kind=kind,
        direction=Direction.OUTBOUND,
        channel=ticket.channel,
        is_public=True,
        is_automatic=True,
        occurred_at=at,
        data={
            "customer_notice": {"kind": "survey", "via": route.via},
            "delivery": {"status": "queued", "at": at.isoformat()},
        },
        savepoint=False,
    )
    outbox_enqueue_many(
        [
            {
                "dedupe_key": f"survey:{link.pk}",
                "channel": route.via,
                "recipient": route.recipient,
                "template": "survey",
                "ticket_id": ticket.pk,
                "payload": {
                    "text": text,
                    "subject": subject,
                    "interaction": entry.pk,
                    "ticket": ticket.number,
                },
            }
        ]
    )
    method = {"sms": AttemptMethod.SMS, "wechat": AttemptMethod.WECHAT}.get(route.via, AttemptMethod.EMAIL)
    _attempt(task, actor=actor, method=method, outcome=AttemptOutcome.LINK_SENT, note="", at=at)
    audit_record(
        actor=actor,
        action="followup.survey_sent",
        object_type="ticket",
        object_id=ticket.number,
        data={"task": task.pk, "link": link.pk, "via": route.via, "expires_at": link.expires_at.isoformat()},
    )
    return link


@transaction.atomic
def survey_send(
    *, task: FollowUpTask, actor: Actor, at: datetime | None = None, base_url: str | None = None
) -> SurveyLink:
    """The agent sends the survey link now (instead of, or after, calling)."""
    at = at or timezone.now()
    task = _lock_task(task)
    if task.state not in ACTIVE_TASK_STATES:
        raise TransitionNotAllowed(_("This follow-up is already finished."))
    if not task_can(task.state, TaskState.SURVEY_SENT):
        task_move(task=task, to=TaskState.ATTEMPTING, actor=actor, at=at)
    link = _survey_send(task, actor=actor, rule=rule_for(task.ticket), at=at, base_url=base_url)
    if link is None:
        raise DomainError(
            _("The customer has no phone, WeChat or email to send the survey to."), code="invalid"
        )
    task_move(task=task, to=TaskState.SURVEY_SENT, actor=actor, at=at)
    return link


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


def survey_link_get(*, token: str, now: datetime | None = None) -> SurveyLink:
    row = (
        SurveyLink.objects.select_related("task", "task__ticket")
        .filter(token_hash=survey_link_digest(token))
        .first()
    )
    return survey_link_check(row, now=now or timezone.now())


@transaction.atomic
def survey_answer(
    *, token: str, score: Any, fully_solved: Any, comment: str = "", now: datetime | None = None
) -> FollowUpTask:
    """The customer answers the survey (no sign-in: the signed single-use link is the authority).
    A refused answer rolls back and leaves the link usable."""
    now = now or timezone.now()
    digest = survey_link_digest(token)
    row = SurveyLink.objects.select_for_update().filter(token_hash=digest).first()
    row = survey_link_check(row, now=now)
    errors = {}
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        errors["score"] = _("Choose a score from 1 to 5.")
    if fully_solved not in (True, False):
        errors["fully_solved"] = _("Tell us whether the problem is fully solved.")
    if errors:
        raise ValidationError(errors)
    row.used_at = now
    row.save(update_fields=["used_at"])
    task = _lock_task(row.task)
    if task.state == TaskState.OPEN:  # a link from an older attempt row order: move through attempting
        task_move(task=task, to=TaskState.ATTEMPTING, actor=None, at=now)
    method = {"sms": "sms", "email": "email"}.get(row.channel, "link")
    audit_record(
        actor=None,
        action="followup.survey_answered",
        object_type="ticket",
        object_id=task.ticket.number,
        data={"task": task.pk, "link": row.pk, "score": score, "fully_solved": fully_solved},
    )
    return _answer(
        task,
        actor=None,
        method=method,
        fully_solved=bool(fully_solved),
        score=score,
        comments=_comments("", "", comment or ""),
        at=now,
    )


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


def _supervisors() -> list[int]:

    return list(
        User.objects.filter(is_active=True, customer__isnull=True, groups__name="supervisor").values_list(
            "pk", flat=True
        )
    )


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


# --- the suggestion box (QA-2: external supervision) ----------------------------------------------

ANONYMOUS_NAME = "匿名建议人"
MAX_SUGGESTION = 2000
SUGGESTIONS_PER_HOUR = 5


def _anonymous_customer() -> Any:

    found = Customer.objects.filter(name=ANONYMOUS_NAME, organisation__isnull=True).order_by("pk").first()
    return found or customer_create(name=ANONYMOUS_NAME)


@transaction.atomic
def suggestion_submit(
    *,
    text: str,
    name: str = "",
    phone: str = "",
    email: str = "",
    anonymous: bool = True,
    client_key: str = "",
    now: datetime | None = None,
) -> Ticket:
    """A suggestion from the public box becomes a suggestion ticket (channel portal), routed like
    every new ticket (the intake team's queue, the triage suggestion). Anonymous unless the person
    leaves a name and a phone or email to be answered on. At most 5 per client and hour."""
    from django.core.cache import cache

    now = now or timezone.now()
    text = (text or "").strip()
    errors: dict[str, str] = {}
    if not text:
        errors["text"] = _("Write your suggestion.")
    elif len(text) > MAX_SUGGESTION:
        errors["text"] = _("At most %(n)d characters (got %(got)d).") % {
            "n": MAX_SUGGESTION,
            "got": len(text),
        }
    if not anonymous and not (name.strip() and (phone.strip() or email.strip())):
        errors["name"] = _("Leave your name and a phone number or email, or send it anonymously.")
    if errors:
        raise ValidationError(errors)
    key = f"followup:suggest:{hashlib.sha256(client_key.encode()).hexdigest()[:32]}"
    if client_key:
        count = int(cache.get_or_set(key, 0, 3600) or 0)
        if count >= SUGGESTIONS_PER_HOUR:
            raise DomainError(
                _("Too many suggestions from here; please try again later."), code="rate_limited"
            )
        cache.set(key, count + 1, 3600)
    if anonymous:
        customer = _anonymous_customer()
    else:
        try:
            customer = customer_create(name=name.strip()[:120], phone=phone.strip(), email=email.strip())
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages})
    first_line = text.splitlines()[0][:60]
    ticket = ts.ticket_create(
        actor=None,
        customer=customer,
        channel="portal",
        problem_type=ProblemType.SUGGESTION,
        subject=_("Suggestion: %(text)s") % {"text": first_line},
        description=text,
        now=now,
    )
    triage_ticket_received(ticket=ticket)
    audit_record(
        actor=None,
        action="followup.suggestion",
        object_type="ticket",
        object_id=ticket.number,
        data={"anonymous": anonymous},
    )
    return ticket


# --- rating after service (QA-2): the customer rates a resolved ticket on the portal ---------------


@transaction.atomic
def service_rating_record(
    *,
    ticket: Ticket,
    actor: Actor,
    score: Any,
    fully_solved: bool,
    comment: str = "",
    at: datetime | None = None,
) -> Any:
    """The customer rates the service of their resolved or closed ticket (portal). It is the
    follow-up's answer: the task (made now if the job has not run yet) is completed, the clock
    stops, a low score opens the review. A ticket already rated is refused. Returns the FollowUp."""
    at = at or timezone.now()
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ValidationError({"score": _("Choose a score from 1 to 5.")})
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise TransitionNotAllowed(_("A request is rated once it is resolved."))
    clock = Clock.objects.filter(ticket=ticket, kind="follow_up").order_by("-cycle").first()
    task = FollowUpTask.objects.filter(clock=clock).first() if clock is not None else None
    if task is None and clock is not None:
        task = task_create_for_clock(clock=clock, at=at)
    comments = _comments("", "", comment or "")
    if task is not None and task.state in (*ACTIVE_TASK_STATES, TaskState.UNREACHABLE):
        task = _lock_task(task)
        if task.state == TaskState.OPEN:
            task_move(task=task, to=TaskState.ATTEMPTING, actor=actor, at=at)
        _answer(
            task, actor=actor, method="link", fully_solved=fully_solved, score=score, comments=comments, at=at
        )
        return task.follow_up
    if ticket.follow_ups.exists():
        raise TransitionNotAllowed(_("You have already rated this request. Thank you!"))
    # Excluded by the anti-fatigue rules, or no follow-up clock: the rating is kept all the same.
    return ts.follow_up_record(
        ticket=ticket,
        actor=actor,
        method="link",
        fully_solved=fully_solved,
        score=score,
        comments=comments,
        at=at,
    )
