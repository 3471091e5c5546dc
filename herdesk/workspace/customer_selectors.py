"""Reads of the staff customer page, the customer list and the follow-up list (issue 13).

Everything starts from the permission-filtered selectors: customers_visible_to for the customer,
tickets_visible_to for its history (a handler sees the tickets they may open; the counts cover
all of the customer's tickets, as on the caller look-up). Unmasked contacts are audited by
contact_view (SEC-2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from herdesk.customers.models import Contact, Customer
from herdesk.customers.selectors import ContactView, contact_view, customer_search, customers_visible_to
from herdesk.tickets.choices import OPEN_STATUSES, ProblemType, Status
from herdesk.tickets.models import FollowUp, Ticket
from herdesk.tickets.selectors import tickets_visible_to

from .selectors import customer_stats

HISTORY_LIMIT = 200


@dataclass
class ContactRow:
    pk: int
    view: ContactView
    is_primary: bool


@dataclass
class CustomerPageData:
    customer: Customer
    contacts: list[ContactRow]
    stats: dict[str, Any]
    history: list[Ticket]
    open_complaints: list[Ticket]
    follow_ups: list[FollowUp]
    colleagues: list[Customer] = field(default_factory=list)  # the organisation's other contacts


def customer_page(*, user: Any, pk: int) -> CustomerPageData:
    """Raises Customer.DoesNotExist when absent or not visible."""
    customer = customers_visible_to(user).get(pk=pk)
    contacts = [
        ContactRow(c.pk, contact_view(user=user, contact=c, purpose="customer_page"), c.is_primary)
        for c in Contact.objects.filter(customer=customer).order_by("-is_primary", "id")
    ]
    history = list(
        tickets_visible_to(user)
        .filter(customer=customer)
        .select_related("product", "team", "assignee")
        .order_by("-received_at", "-id")[:HISTORY_LIMIT]
    )
    complaints = [t for t in history if t.problem_type == ProblemType.COMPLAINT and t.status in OPEN_STATUSES]
    follow_ups = list(
        FollowUp.objects.filter(ticket__in=[t.pk for t in history])
        .select_related("ticket", "recorded_by")
        .order_by("-recorded_at")[:50]
    )
    colleagues: list[Customer] = []
    if customer.organisation_id:
        colleagues = list(
            customers_visible_to(user)
            .filter(organisation_id=customer.organisation_id)
            .exclude(pk=customer.pk)
            .order_by("name")[:20]
        )
    return CustomerPageData(
        customer=customer,
        contacts=contacts,
        stats=customer_stats(customer=customer),
        history=history,
        open_complaints=complaints,
        follow_ups=follow_ups,
        colleagues=colleagues,
    )


def customer_list(*, user: Any, q: str = "", phone: str = "", limit: int = 50) -> list[Customer]:
    """The customer look-up of the staff (name or organisation contains `q`; or the exact phone
    number through the blind index). Without a query: the most recently created."""
    qs: QuerySet[Customer] = customer_search(user=user, q=q.strip()[:60], phone=phone.strip()[:40])
    return list(qs.select_related("organisation", "account_manager")[:limit])


def contact_for_staff(*, user: Any, pk: int) -> Contact:
    """A contact of a customer `user` may see. Raises Contact.DoesNotExist."""
    return Contact.objects.select_related("customer").get(
        pk=pk, customer__in=customers_visible_to(user).values("pk")
    )


FOLLOW_UP_WINDOW_DAYS = 30


def follow_up_due(*, user: Any, now: datetime | None = None, limit: int = 100) -> list[Ticket]:
    """Resolved or closed tickets without a satisfaction follow-up (回访, CLS-2: within 3 working
    days of resolution), oldest resolution first, of the last FOLLOW_UP_WINDOW_DAYS days."""
    now = now or timezone.now()
    done = FollowUp.objects.filter(ticket=OuterRef("pk"))
    return list(
        tickets_visible_to(user)
        .filter(
            status__in=(Status.RESOLVED, Status.CLOSED),
            resolved_at__gte=now - timedelta(days=FOLLOW_UP_WINDOW_DAYS),
        )
        .exclude(Exists(done))
        .select_related("customer", "assignee", "team")
        .order_by("resolved_at", "id")[:limit]
    )
