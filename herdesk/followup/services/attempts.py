"""The call script (CLS-2): a follow-up call reached or not; after the rule's calls the survey link
goes out, after `max_attempts` the task is unreachable."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.common.errors import TransitionNotAllowed

from ..choices import (
    ACTIVE_TASK_STATES,
    AttemptMethod,
    AttemptOutcome,
    TaskState,
)
from ..models import FollowUpTask
from ._common import Actor, _attempt, _comments, _lock_task, rule_for, task_move
from .reviews import _answer
from .surveys import _survey_send


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
