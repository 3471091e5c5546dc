"""Staff workspace pages, one module per page area. Views are thin: parse a form, call a selector
or a service (or one workspace.actions step), show the result. Domain and validation errors
become form errors and messages with a 4xx status, never a 500.

This package keeps exporting every name the old single-module `views` did (urls.py, tests, bench
and other branches import them from here).
"""

from .common import (
    COUNTS_CACHE_SECONDS,
    PORTAL_URL,
    QUEUE_ICONS,
    _apply_errors,
    _counts,
    _is_htmx,
    _nav,
    _nav_queues,
    _page,
    _queues_shown,
    counts_cache_key,
    favicon,
    staff_required,
)
from .customers import (
    chat_waiting_fragment,
    contact_dial,
    contact_reveal,
    customer_detail,
    customer_edit,
    customers,
    follow_up,
)
from .intake_pages import _intake_context, _lookup, intake_lookup, intake_page
from .queues import (
    bulk_reassign,
    go,
    home,
    queue,
    queue_counts_fragment,
    queue_export,
    savedview_create,
    savedview_remove,
)
from .supervisor import compliance, supervisor_board
from .ticket_actions import PROGRESS_SENDERS, TICKET_ACTIONS, TicketAction, perform, ticket_action
from .ticket_page import (
    _live_clocks,
    _progress_kind,
    _render_ticket,
    _ticket_forms,
    _ticket_or_404,
    attachment_download,
    route_suggestion,
    ticket_detail,
)

# The old name of the action table.
ACTIONS = TICKET_ACTIONS

__all__ = [
    "ACTIONS",
    "COUNTS_CACHE_SECONDS",
    "PORTAL_URL",
    "PROGRESS_SENDERS",
    "QUEUE_ICONS",
    "TICKET_ACTIONS",
    "TicketAction",
    "_apply_errors",
    "_counts",
    "_intake_context",
    "_is_htmx",
    "_live_clocks",
    "_lookup",
    "_nav",
    "_nav_queues",
    "_page",
    "_progress_kind",
    "_queues_shown",
    "_render_ticket",
    "_ticket_forms",
    "_ticket_or_404",
    "attachment_download",
    "bulk_reassign",
    "chat_waiting_fragment",
    "compliance",
    "contact_dial",
    "contact_reveal",
    "counts_cache_key",
    "customer_detail",
    "customer_edit",
    "customers",
    "favicon",
    "follow_up",
    "go",
    "home",
    "intake_lookup",
    "intake_page",
    "perform",
    "queue",
    "queue_counts_fragment",
    "queue_export",
    "route_suggestion",
    "savedview_create",
    "savedview_remove",
    "staff_required",
    "supervisor_board",
    "ticket_action",
    "ticket_detail",
]
