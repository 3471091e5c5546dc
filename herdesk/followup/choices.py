"""Choice lists and the two state machines of the follow-up app, as data (CLS-2).

The follow-up task (one per resolution: the follow-up clock's cycle) and the review (复盘) each have
a transition table; `services.task_move` and `services.review_move` are the only writers of a state.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskState(models.TextChoices):
    OPEN = "open", _("To do")
    ATTEMPTING = "attempting", _("Trying to reach")
    SURVEY_SENT = "survey_sent", _("Survey link sent")
    COMPLETED = "completed", _("Completed")
    UNREACHABLE = "unreachable", _("Unreachable")
    EXCLUDED = "excluded", _("Excluded")
    CANCELLED = "cancelled", _("Cancelled")


T = TaskState
TASK_TRANSITIONS: dict[str, frozenset[str]] = {
    # A call answered completes at once; a call not answered is an attempt; the anti-fatigue rules may
    # exclude the task; a reopened ticket cancels it (its next resolution gets a new task).
    T.OPEN: frozenset({T.ATTEMPTING, T.SURVEY_SENT, T.COMPLETED, T.EXCLUDED, T.CANCELLED}),
    T.ATTEMPTING: frozenset({T.ATTEMPTING, T.SURVEY_SENT, T.COMPLETED, T.UNREACHABLE, T.CANCELLED}),
    # While the link waits the agent may still call; the customer's answer completes the task.
    T.SURVEY_SENT: frozenset({T.ATTEMPTING, T.COMPLETED, T.UNREACHABLE, T.CANCELLED}),
    # A survey link still valid may be answered after the task was marked unreachable.
    T.UNREACHABLE: frozenset({T.COMPLETED}),
    T.COMPLETED: frozenset(),
    T.EXCLUDED: frozenset(),
    T.CANCELLED: frozenset(),
}
ACTIVE_TASK_STATES = (T.OPEN, T.ATTEMPTING, T.SURVEY_SENT)


class AttemptMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("SMS survey link")
    WECHAT = "wechat", _("WeChat survey link")
    EMAIL = "email", _("Email survey link")


class AttemptOutcome(models.TextChoices):
    ANSWERED = "answered", _("Reached: answers recorded")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy / call back later")
    WRONG_NUMBER = "wrong_number", _("Wrong or unavailable number")
    DECLINED = "declined", _("Customer declined the follow-up")
    LINK_SENT = "link_sent", _("Survey link sent")
    LINK_NOT_SENT = "link_not_sent", _("No channel to send the link")


# A call with these outcomes did not reach the customer (counts toward "unreachable").
NOT_REACHED = frozenset({AttemptOutcome.NO_ANSWER, AttemptOutcome.BUSY, AttemptOutcome.WRONG_NUMBER})


class Exclusion(models.TextChoices):
    RECENT = "recent", _("Asked within the anti-fatigue period")
    OPTED_OUT = "opted_out", _("Customer opted out")
    COMPLAINT_OPEN = "complaint_open", _("A complaint of the customer is still open")


class ReviewState(models.TextChoices):
    OPEN = "open", _("Open")
    DECIDED = "decided", _("Actions decided")
    CLOSED = "closed", _("Closed")


R = ReviewState
REVIEW_TRANSITIONS: dict[str, frozenset[str]] = {
    R.OPEN: frozenset({R.DECIDED}),
    # The lead may revise the decision before closing; a closed review stays closed.
    R.DECIDED: frozenset({R.OPEN, R.CLOSED}),
    R.CLOSED: frozenset(),
}


def task_can(from_state: str, to_state: str) -> bool:
    return to_state in TASK_TRANSITIONS.get(from_state, frozenset())


def review_can(from_state: str, to_state: str) -> bool:
    return to_state in REVIEW_TRANSITIONS.get(from_state, frozenset())
