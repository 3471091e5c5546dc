"""What the follow-up services share: the rules per policy, the task state machine's one writer
(`task_move`, enforcing `choices.TASK_TRANSITIONS`), the attempt record and the constants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.common.errors import DomainError, TransitionNotAllowed
from herdesk.policies.models import PolicyVersion
from herdesk.staff.models import User
from herdesk.tickets import services as ts
from herdesk.tickets.models import Ticket
from herdesk.tickets.services._common import _person

from ..choices import (
    NOT_REACHED,
    AttemptMethod,
    AttemptOutcome,
    TaskState,
    task_can,
)
from ..models import FollowUpAttempt, FollowUpRule, FollowUpTask

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


def _supervisors() -> list[int]:

    return list(
        User.objects.filter(is_active=True, customer__isnull=True, groups__name="supervisor").values_list(
            "pk", flat=True
        )
    )
