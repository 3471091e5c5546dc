"""Every write of the follow-up app (CLS-2): tasks, attempts, survey links, answers and reviews (复盘).

Conventions of the project: keyword-only arguments, `transaction.atomic`, an audit entry per state
change, a ticket timeline entry through `herdesk.tickets.services`, refusals as DomainError with a
translated message. The task and review states move only through `task_move` / `review_move`, which
enforce the transition tables of `choices`.

The answer of a follow-up is the ticket's own `FollowUp` record, written by
`tickets.services.follow_up_record`: it stops the follow-up clock (met, or breached when late).

A package, one module per state machine (attempts, feedback, reviews, surveys, tasks; `_common`
holds what they share); every public name is re-exported here, so callers import from `followup.services`.
"""

from ._common import (
    CATCH_UP,
    MAX_TEXT,
    REVIEW_CALENDAR,
    REVIEW_TARGET,
    REVIEW_WARN_PERCENT,
    SURVEY_SALT,
    TERMINAL,
    Actor,
    Rule,
    SurveyLinkError,
    rule_for,
    task_move,
)
from .attempts import call_record
from .feedback import (
    ANONYMOUS_NAME,
    MAX_SUGGESTION,
    RATING_SALT,
    SUGGESTIONS_PER_HOUR,
    rating_answer,
    rating_link_get,
    rating_link_make,
    service_rating_record,
    suggestion_submit,
)
from .reviews import (
    review_action_done,
    review_close,
    review_decide,
    review_move,
    review_reopen,
    reviews_sweep,
)
from .surveys import (
    survey_answer,
    survey_link_check,
    survey_link_digest,
    survey_link_get,
    survey_send,
    token_hash,
)
from .tasks import followup_sweep, task_create_for_clock, task_mark_unreachable, tasks_sync

__all__ = [
    "ANONYMOUS_NAME",
    "CATCH_UP",
    "MAX_SUGGESTION",
    "MAX_TEXT",
    "RATING_SALT",
    "REVIEW_CALENDAR",
    "REVIEW_TARGET",
    "REVIEW_WARN_PERCENT",
    "SUGGESTIONS_PER_HOUR",
    "SURVEY_SALT",
    "TERMINAL",
    "Actor",
    "Rule",
    "SurveyLinkError",
    "call_record",
    "followup_sweep",
    "rating_answer",
    "rating_link_get",
    "rating_link_make",
    "review_action_done",
    "review_close",
    "review_decide",
    "review_move",
    "review_reopen",
    "reviews_sweep",
    "rule_for",
    "service_rating_record",
    "suggestion_submit",
    "survey_answer",
    "survey_link_check",
    "survey_link_digest",
    "survey_link_get",
    "survey_send",
    "task_create_for_clock",
    "task_mark_unreachable",
    "task_move",
    "tasks_sync",
    "token_hash",
]
