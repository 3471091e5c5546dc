"""What a clock's warning or breach does to the ticket (POL-1 warn/breach actions), as ticket
services: the outbox dispatcher (notifications.services._deliver_action) calls these, so a priority
escalation or a reassignment writes the timeline, the audit log and the clocks like any other change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.clocks import services as clocks
from herdesk.common.errors import DomainError
from herdesk.staff.models import User

from ..choices import Priority, Status
from ..lifecycle import can_transition
from ..models import OPEN_LIST, Ticket
from ._common import Actor, _lock, _system_event
from .lifecycle import ticket_assign

PRIORITY_ORDER: list[str] = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]

# How a "reassign" action picks the new handler (policies.choices.Action).
REASSIGN_TO_LEAD = "lead"
REASSIGN_TO_LEAST_LOADED = "least_loaded"


@transaction.atomic
def ticket_escalate_priority(
    *, ticket: Ticket, actor: Actor = None, reason: str = "", at: datetime | None = None, to: str = ""
) -> Ticket:
    """One step up (low → normal → high → urgent; urgent stays), or straight up to `to` (a food-
    safety report goes to urgent at once: one timeline entry, one audit entry, one reconciliation;
    never down). A timeline entry and an audit entry name the reason (the clock that breached);
    clocks that depend on the priority are reconciled (POL-4 `applies_to.priorities`). Locks the
    ticket."""
    at = at or timezone.now()
    ticket = _lock(ticket)
    old = ticket.priority
    if old not in PRIORITY_ORDER or old == Priority.URGENT:
        return ticket
    new = PRIORITY_ORDER[PRIORITY_ORDER.index(old) + 1]
    if to in PRIORITY_ORDER and PRIORITY_ORDER.index(to) > PRIORITY_ORDER.index(new):
        new = to
    ticket.priority = new
    ticket.save(update_fields=["priority", "updated_at"])
    _system_event(
        ticket,
        actor,
        _("Priority escalated: %(old)s → %(new)s. %(reason)s")
        % {"old": Priority(old).label, "new": Priority(ticket.priority).label, "reason": reason},
        at,
        from_priority=old,
        to_priority=ticket.priority,
    )
    audit_record(
        actor=actor,
        action="ticket.escalate_priority",
        object_type="ticket",
        object_id=ticket.number,
        data={"from": old, "to": ticket.priority, "reason": reason},
    )
    clocks.clocks_reconcile(ticket=ticket, at=at)
    return ticket


def least_loaded_agent(*, team: Any, exclude: Any = None) -> Any:
    """The team's active handler with the fewest open tickets assigned (ties: by username).
    Handlers: active staff of the team who may change tickets."""

    qs = (
        User.objects.filter(team=team, is_active=True, customer__isnull=True, ticket_hold="")
        .annotate(load=Count("assigned_tickets", filter=Q(assigned_tickets__status__in=OPEN_LIST)))
        .order_by("load", "username")
    )
    for user in qs:
        if exclude is not None and user.pk == exclude.pk:
            continue
        if user.has_perm("tickets.change_ticket"):
            return user
    return None


def ticket_reassign_on_breach(
    *, ticket: Ticket, mode: str = REASSIGN_TO_LEAD, reason: str = "", at: datetime | None = None
) -> Ticket | None:
    """Reassign within the ticket's team to its lead or to the least-loaded handler (S1 §三(二):
    an overdue ticket changes hands rather than waiting on). Through `ticket_assign`: a transfer
    record, the timeline, the audit and a new acknowledge clock. Returns None when there is nobody
    else to give it to or the ticket's status takes no assignment (new, waiting for the customer,
    resolved …): then the notices of the action still go out."""
    at = at or timezone.now()
    ticket = Ticket.objects.select_related("team", "assignee").get(pk=ticket.pk)
    team = ticket.team
    if team is None or not can_transition(ticket.status, Status.ASSIGNED):
        return None
    if mode == REASSIGN_TO_LEAST_LOADED:
        target = least_loaded_agent(team=team, exclude=ticket.assignee)
    else:
        target = team.lead
    if target is None or target.pk == ticket.assignee_id:
        return None
    try:
        with transaction.atomic():
            return ticket_assign(
                ticket=ticket,
                actor=None,
                assignee=target,
                team=team,
                reason=reason or _("Reassigned on a clock breach"),
                at=at,
            )
    except DomainError:
        return None
