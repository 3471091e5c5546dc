"""The one list of actions a user may take on a ticket (issue #12), for the pages AND the API.

Each action is a row: who may do it (a staff permission, or "a customer of the ticket") and in
which state of the ticket (the lifecycle table, tickets.lifecycle, plus the ticket's own facts such
as its assignee or solution stage). The workspace page shows a panel per available action
(workspace.selectors.available_actions delegates here), the API answers 403 when the role may never
do it and 409 when the state does not allow it now (`action_check`). The services check again on
submit; this table only decides what is offered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from herdesk.common.errors import TransitionNotAllowed

from .choices import OPEN_STATUSES, SolutionStage, Status
from .lifecycle import allowed_targets
from .models import Ticket

CHANGE = "tickets.change_ticket"
INTERACT = "tickets.add_interaction"
STAFF = "staff"  # audience: staff holding `perm`
CUSTOMER = "customer"  # audience: a customer user of the ticket's organisation (portal / API)


@dataclass(frozen=True)
class State:
    """What a rule may look at: the ticket, its status's lifecycle targets and the acting user."""

    user: Any
    ticket: Ticket

    @property
    def status(self) -> str:
        return self.ticket.status

    @property
    def targets(self) -> frozenset[str]:
        return allowed_targets(self.ticket.status)


@dataclass(frozen=True)
class Action:
    name: str
    audience: str  # STAFF or CUSTOMER
    perm: str | None  # the staff permission (None for customers)
    when: Callable[[State], bool]
    help: str = ""

    def permitted(self, user: Any) -> bool:
        """The role may ever do this (403 otherwise)."""
        if getattr(user, "customer_id", None):
            return self.audience == CUSTOMER
        return self.audience == STAFF and (self.perm is None or bool(user.has_perm(self.perm)))

    def possible(self, user: Any, ticket: Ticket) -> bool:
        """The ticket's state allows it now (409 otherwise)."""
        return self.when(State(user, ticket))


def _always(s: State) -> bool:
    return True


def _open(s: State) -> bool:
    return s.status in OPEN_STATUSES


def _target(status: str, *, not_from: tuple[str, ...] = ()) -> Callable[[State], bool]:
    def rule(s: State) -> bool:
        return status in s.targets and s.status not in not_from

    return rule


def _take(s: State) -> bool:
    # a member of the ticket's team picks it from the team queue
    t = s.ticket
    return (
        s.status in (Status.TRIAGED, Status.ASSIGNED)
        and t.assignee_id is None
        and t.team_id in (None, getattr(s.user, "team_id", None))
    )


def _options(s: State) -> bool:
    return (
        s.status in (Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.WAITING_CUSTOMER)
        and s.ticket.solution_stage != SolutionStage.CHOSEN
    )


def _choose(s: State) -> bool:
    return s.ticket.solution_stage == SolutionStage.OFFERED and s.status in OPEN_STATUSES


def _customer_choose(s: State) -> bool:
    # HND-3: the customer chooses while options are on offer (also while resolved, as the portal)
    return s.ticket.solution_stage == SolutionStage.OFFERED and s.status not in (
        Status.CLOSED,
        Status.CANCELLED,
        Status.MERGED,
    )


_PRE = (Status.NEW, Status.TRIAGED)

ACTIONS: tuple[Action, ...] = (
    # --- staff (the workspace ticket page and the staff API) -----------------------------------
    Action("note", STAFF, INTERACT, _always, "Internal note or recorded interaction"),
    Action("attach", STAFF, CHANGE, _always, "Attach a file"),
    Action("triage", STAFF, CHANGE, lambda s: s.status in _PRE, "Triage (and route)"),
    Action("answer_close", STAFF, CHANGE, lambda s: s.status in _PRE, "Answer a common question"),
    Action("take", STAFF, CHANGE, _take, "Take from the team queue"),
    Action(
        "acknowledge",
        STAFF,
        CHANGE,
        lambda s: s.status == Status.ASSIGNED and s.ticket.assignee_id == getattr(s.user, "pk", None),
        "Acknowledge (查收确认), by the assignee",
    ),
    # Assigning a triaged ticket (or any later re-assignment) moves it to ASSIGNED.
    Action("assign", STAFF, CHANGE, _target(Status.ASSIGNED, not_from=(Status.NEW,)), "Assign"),
    Action("transfer", STAFF, CHANGE, _target(Status.ASSIGNED, not_from=_PRE), "Transfer"),
    Action("start", STAFF, CHANGE, lambda s: s.status == Status.ACKNOWLEDGED, "Start work"),
    Action("options", STAFF, CHANGE, _options, "Offer solution options"),
    Action("choose", STAFF, CHANGE, _choose, "Record the customer's choice"),
    Action("progress", STAFF, CHANGE, _open, "Progress update"),
    Action("renegotiate", STAFF, CHANGE, _open, "Renegotiate a clock's due time"),
    Action("wait", STAFF, CHANGE, _target(Status.WAITING_CUSTOMER), "Wait for the customer"),
    Action("resolve", STAFF, CHANGE, _target(Status.RESOLVED, not_from=_PRE), "Resolve"),
    Action("close", STAFF, CHANGE, _target(Status.CLOSED), "Close"),
    # CLS-1 dispute; CLS-2 satisfaction follow-up
    Action("reopen", STAFF, CHANGE, lambda s: s.status in (Status.RESOLVED, Status.CLOSED), "Reopen"),
    Action("follow_up", STAFF, CHANGE, lambda s: s.status in (Status.RESOLVED, Status.CLOSED), "Follow-up"),
    # CLS-3: the record is checked and finalised within 24 hours of closing
    Action(
        "finalize",
        STAFF,
        CHANGE,
        lambda s: s.status == Status.CLOSED and getattr(s.ticket, "record_finalized_at", None) is None,
        "Finalise the service record",
    ),
    Action("merge", STAFF, CHANGE, _target(Status.MERGED), "Merge into another ticket"),
    Action("cancel", STAFF, CHANGE, _target(Status.CANCELLED), "Cancel"),
)

# --- customers (the portal's rules, reachable through the API with a customer's token) ----------
CUSTOMER_ACTIONS: tuple[Action, ...] = (
    Action(
        "reply",
        CUSTOMER,
        None,
        lambda s: s.status not in (Status.CANCELLED, Status.MERGED),
        "Write on the ticket",
    ),
    Action("choose", CUSTOMER, None, _customer_choose, "Choose an offered solution option (HND-3)"),
    # CLS-1: the customer confirms (closes) or disputes (reopens) a resolution
    Action("close", CUSTOMER, None, lambda s: s.status == Status.RESOLVED, "Confirm the resolution"),
    Action("reopen", CUSTOMER, None, lambda s: s.status == Status.RESOLVED, "Dispute the resolution"),
)

ACTION_NAMES: frozenset[str] = frozenset(a.name for a in (*ACTIONS, *CUSTOMER_ACTIONS))


def _table(user: Any) -> tuple[Action, ...]:
    return CUSTOMER_ACTIONS if getattr(user, "customer_id", None) else ACTIONS


def available_actions(*, user: Any, ticket: Ticket) -> frozenset[str]:
    """The names of the actions `user` may take on `ticket` now (role AND state)."""
    return frozenset(a.name for a in _table(user) if a.permitted(user) and a.possible(user, ticket))


def action_check(*, user: Any, ticket: Ticket, name: str) -> None:
    """Raise PermissionDenied when the role may never do `name`, TransitionNotAllowed when the
    ticket's state does not allow it now. Used by the API before calling the service."""
    rule = next((a for a in _table(user) if a.name == name), None)
    if rule is None or not rule.permitted(user):
        raise PermissionDenied
    if not rule.possible(user, ticket):
        raise TransitionNotAllowed(
            _("This action is not possible while the ticket is “%(s)s”.")
            % {"s": ticket.get_status_display()},
        )
