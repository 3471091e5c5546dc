"""Reads for tickets, permission-filtered in one place (SEC-3): pages, API and exports all use these."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from .choices import OPEN_STATUSES
from .models import Interaction, Ticket

LIST_RELATED = ("customer", "team", "assignee", "product", "category")


def tickets_visible_to(user: Any) -> QuerySet[Ticket]:
    """Every ticket query starts here.

    - customers (portal/API): their organisation's tickets, or only their own without one;
    - holders of tickets.view_all_tickets (supervisor, QA, management, admin): everything;
    - account managers: their accounts plus their team's and their own;
    - handlers: their team's queue, tickets assigned to them, and tickets they took first (首问负责制).
    """
    qs = Ticket.objects.all()
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.customer_id:
        me = user.customer
        if me.organisation_id:
            return qs.filter(organisation_id=me.organisation_id)
        return qs.filter(customer_id=me.pk)
    if user.has_perm("tickets.view_all_tickets"):
        return qs
    if not user.has_perm("tickets.view_ticket"):
        return qs.none()
    cond = Q(assignee_id=user.pk) | Q(first_contact_owner_id=user.pk)
    if user.team_id:
        cond |= Q(team_id=user.team_id)
    if user.has_perm("customers.view_personal_data"):  # account managers
        cond |= Q(customer__account_manager_id=user.pk)
    return qs.filter(cond)


def ticket_get(*, user: Any, number: str) -> Ticket:
    """Raises Ticket.DoesNotExist when absent *or* not visible (no existence leak)."""
    return (
        tickets_visible_to(user)
        .select_related(*LIST_RELATED, "first_contact_owner", "policy_version", "contact")
        .get(number=number)
    )


def ticket_list(
    *,
    user: Any,
    status: str | None = None,
    queue: str | None = None,
    before_id: int | None = None,
    limit: int = 25,
    customer_id: int | None = None,
) -> list[Ticket]:
    """Keyset-paginated (by -id) list: constant query count and cost at any depth."""
    qs = tickets_visible_to(user).select_related(*LIST_RELATED)
    if status:
        qs = qs.filter(status=status)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if queue == "mine":
        qs = qs.filter(assignee_id=user.pk, status__in=OPEN_STATUSES)
    elif queue == "team":
        qs = qs.filter(team_id=user.team_id, status__in=OPEN_STATUSES)
    elif queue == "unassigned":
        qs = qs.filter(assignee__isnull=True, status__in=OPEN_STATUSES)
    elif queue == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    if before_id:
        qs = qs.filter(id__lt=before_id)
    return list(qs.order_by("-id")[:limit])


def interactions_for(*, user: Any, ticket: Ticket) -> QuerySet[Interaction]:
    """The timeline; customers never see internal notes or system events."""
    qs = ticket.interactions.select_related("author").order_by("occurred_at", "id")
    if getattr(user, "customer_id", None):
        qs = qs.filter(is_public=True)
    return qs
