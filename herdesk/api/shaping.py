"""Shared by the API modules: who is asking, which ticket, and the output shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone

from herdesk.clocks.models import Clock
from herdesk.customers import selectors as customer_selectors
from herdesk.customers.models import Customer
from herdesk.staff.models import User
from herdesk.tickets import selectors as ticket_selectors
from herdesk.tickets.models import Interaction, Ticket
from herdesk.tickets.services.create import TicketCreated

NUMBER_MAX = 32


def user_of(request: HttpRequest) -> User:
    """The token's user (TokenAuth guarantees an authenticated User on every endpoint)."""
    return cast(User, request.user)


def require(request: HttpRequest, perm: str) -> User:
    user = user_of(request)
    if not user.has_perm(perm):
        raise PermissionDenied
    return user


def ticket_for(user: User, number: str) -> Ticket:
    """The visible ticket with this number; Ticket.DoesNotExist (404) for anything else, including
    numbers no ticket can have (too long, NUL characters) so the database never sees them."""
    if len(number) > NUMBER_MAX or "\x00" in number:
        raise Ticket.DoesNotExist
    return ticket_selectors.ticket_get(user=user, number=number)


def customer_out(user: Any, c: Customer) -> dict[str, Any]:
    contact = next(iter(c.contacts.all()), None)
    view = customer_selectors.contact_view(user=user, contact=contact, purpose="api") if contact else None
    return {
        "id": c.pk,
        "name": c.name,
        "kind": c.kind,
        "organisation_id": c.organisation_id,
        "organisation": c.organisation.name if c.organisation is not None else None,
        "region": c.region,
        "tier": c.tier,
        "lifecycle_stage": c.lifecycle_stage,
        "account_manager": str(c.account_manager) if c.account_manager_id else None,
        "phone": view.phone if view else "",
        "email": view.email if view else "",
        "masked": view.masked if view else True,
    }


def _utc(value: datetime | None) -> datetime | None:
    """One spelling of an instant whatever computed it (a clock just started carries its due time
    in the calendar's zone, one read back from the database is in UTC)."""
    return value.astimezone(UTC) if value is not None else None


def clock_out(c: Clock, now: datetime) -> dict[str, Any]:
    return {
        "kind": c.kind,
        "cycle": c.cycle,
        "target": c.target,
        "calendar": c.calendar_code,
        "state": c.state,
        "started_at": _utc(c.started_at),
        "due_at": _utc(c.due_at),
        "original_due_at": _utc(c.original_due_at),
        "renegotiated": c.renegotiated,
        "stopped_at": _utc(c.stopped_at),
        "seconds_left": None if c.stopped_at else int((c.due_at - now).total_seconds()),
    }


def ticket_list_out(t: Ticket) -> dict[str, Any]:
    return {
        "number": t.number,
        "subject": t.subject,
        "status": t.status,
        "channel": t.channel,
        "problem_type": t.problem_type,
        "priority": t.priority,
        "complexity": t.complexity,
        "customer_id": t.customer_id,
        "customer_name": t.customer.name,
        "team": t.team.name if t.team is not None else None,
        "assignee": str(t.assignee) if t.assignee_id else None,
        "received_at": t.received_at,
        "updated_at": t.updated_at,
    }


def ticket_out(t: Ticket, clocks: list[Clock] | None = None) -> dict[str, Any]:
    """`clocks`: the ticket's clocks when the caller holds them all (else read, cancelled left out)."""
    now = timezone.now()
    if clocks is None:
        clocks = list(Clock.objects.filter(ticket=t).exclude(state="cancelled").order_by("started_at", "id"))
    return {
        **ticket_list_out(t),
        "description": t.description,
        "region": t.region,
        "order_number": t.order_number,
        "product": str(t.product) if t.product_id else None,
        "category": str(t.category) if t.category_id else None,
        "first_contact_owner": str(t.first_contact_owner) if t.first_contact_owner_id else None,
        "solution_stage": t.solution_stage,
        "complaint_severity": t.complaint_severity,
        "policy_version": str(t.policy_version) if t.policy_version_id else None,
        "clocks": [clock_out(c, now) for c in clocks],
    }


def ticket_created_out(created: TicketCreated) -> dict[str, Any]:
    """The response to the creation of a ticket, from what the creation returned (the ticket with
    its customer, team, product, category and policy version in hand, and every clock it started):
    the same body as reading the ticket again, without the read (issue 20: the re-read was a
    quarter of the request's time)."""
    clocks = sorted((c for c in created.clocks if c.state != "cancelled"), key=lambda c: (c.started_at, c.pk))
    return ticket_out(created.ticket, clocks=clocks)


def ticket_reread(user: User, t: Ticket) -> dict[str, Any]:
    """The ticket as the user now sees it, after an action."""
    return ticket_out(ticket_selectors.ticket_get(user=user, number=t.number))


def interaction_out(i: Interaction) -> dict[str, Any]:
    return {
        "id": i.pk,
        "kind": i.kind,
        "direction": i.direction,
        "channel": i.channel,
        "author": str(i.author) if i.author_id else None,
        "body": i.body,
        "is_public": i.is_public,
        "occurred_at": i.occurred_at,
    }
