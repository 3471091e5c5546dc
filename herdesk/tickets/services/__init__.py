"""Every write to tickets goes through these functions (views, API, tasks and commands call them).

Conventions: keyword-only arguments, `@transaction.atomic`, the ticket row is locked
(SELECT … FOR UPDATE) before a transition, and each change writes the timeline (Interaction),
the audit log and the clock events in the same transaction.

One module per responsibility; this package re-exports every public name so callers keep
importing `from herdesk.tickets.services import X` (and tests patch names here: a caller that
imports at call time, as inbound does, runs what is patched).
"""

from ._common import (
    CHANNEL_KIND,
    FUTURE_TOLERANCE,
    MAX_TEXT,
    Actor,
    _check_choice,
    _lock,
    _system_event,
    _transition,
    request_fingerprint,
)
from .create import (
    _BATCH_VERSIONS,
    TicketCreated,
    _next_number,
    _policy_version,
    _ticket_create,
    ticket_create,
    ticket_create_batch,
    ticket_create_detailed,
)
from .escalation import least_loaded_agent, ticket_escalate_priority, ticket_reassign_on_breach
from .intake import intake_check_for_customer
from .interactions import (
    interaction_add,
    interaction_delivery_record,
    reply_opens_new_ticket,
    ticket_follow_on_create,
)
from .lifecycle import (
    customer_confirmation_recorded,
    ticket_acknowledge,
    ticket_assign,
    ticket_cancel,
    ticket_close,
    ticket_merge,
    ticket_reopen,
    ticket_resolve,
    ticket_start,
    ticket_triage,
    ticket_wait_customer,
)
from .records import (
    REQUIRED_ELEMENTS,
    follow_up_record,
    onsite_visit_record,
    record_completeness,
    record_finalize,
)
from .solutions import solution_option_choose, solution_options_offer

__all__ = [
    "CHANNEL_KIND",
    "FUTURE_TOLERANCE",
    "MAX_TEXT",
    "REQUIRED_ELEMENTS",
    "_BATCH_VERSIONS",
    "Actor",
    "TicketCreated",
    "_check_choice",
    "_lock",
    "_next_number",
    "_policy_version",
    "_system_event",
    "_ticket_create",
    "_transition",
    "customer_confirmation_recorded",
    "follow_up_record",
    "intake_check_for_customer",
    "interaction_add",
    "interaction_delivery_record",
    "least_loaded_agent",
    "onsite_visit_record",
    "record_completeness",
    "record_finalize",
    "reply_opens_new_ticket",
    "request_fingerprint",
    "solution_option_choose",
    "solution_options_offer",
    "ticket_acknowledge",
    "ticket_assign",
    "ticket_cancel",
    "ticket_close",
    "ticket_create",
    "ticket_create_batch",
    "ticket_create_detailed",
    "ticket_escalate_priority",
    "ticket_follow_on_create",
    "ticket_merge",
    "ticket_reassign_on_breach",
    "ticket_reopen",
    "ticket_resolve",
    "ticket_start",
    "ticket_triage",
    "ticket_wait_customer",
]
