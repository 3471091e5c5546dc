"""Reads of the customer portal, permission-filtered: a customer sees only their organisation's
tickets (SEC-3) and only the public timeline; everything starts from tickets.selectors."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.catalog.models import Product
from herdesk.inbound.selectors import Estimate, acknowledgement_estimate
from herdesk.inbound.selectors import acknowledgement_text as acknowledgement_text  # re-export
from herdesk.inbound.selectors import local_text as local_text  # re-export
from herdesk.inbound.selectors import target_text as target_text  # re-export
from herdesk.tickets.choices import Direction, SolutionStage, Status
from herdesk.tickets.models import Interaction, SolutionOption, Ticket
from herdesk.tickets.selectors import interactions_for, ticket_get, tickets_visible_to

from .choices import CUSTOMER_STATUS, STATUS_COLOUR, TokenPurpose
from .errors import LinkError
from .models import PortalToken

PAGE_SIZE = 20


def is_portal_user(user: Any) -> bool:
    return bool(
        user is not None and user.is_authenticated and user.is_active and getattr(user, "customer_id", None)
    )


def portal_tickets(
    *,
    user: Any,
    before_id: int | None = None,
    limit: int = PAGE_SIZE,
    before: tuple[datetime, int] | None = None,
    status: str = "",
) -> list[Ticket]:
    """The signed-in customer's organisation's tickets, newest first by when they were received
    (then id), keyset-paginated (constant queries): `before` is the (received_at, id) of the last
    row shown. `status` keeps one customer-facing status (CustomerStatus code)."""
    from django.db.models import Q

    if not is_portal_user(user):
        return []
    qs = tickets_visible_to(user).select_related("product", "customer")
    if status:
        qs = qs.filter(status__in=[s for s, shown in CUSTOMER_STATUS.items() if shown == status])
    if before is not None:
        at, pk = before
        qs = qs.filter(Q(received_at__lt=at) | Q(received_at=at, id__lt=pk))
    elif before_id:
        qs = qs.filter(id__lt=before_id)
    return list(qs.order_by("-received_at", "-id")[:limit])


def portal_ticket(*, user: Any, number: str) -> Ticket:
    """Raises Ticket.DoesNotExist when absent *or* of another organisation (views answer 404)."""
    if not is_portal_user(user):
        raise Ticket.DoesNotExist
    return ticket_get(user=user, number=number[:32])


def portal_timeline(*, user: Any, ticket: Ticket) -> QuerySet[Interaction]:
    """Public entries only: internal notes and system events never reach a customer."""
    return interactions_for(user=user, ticket=ticket)


def offered_options(*, ticket: Ticket) -> list[SolutionOption]:
    return list(ticket.options.filter(offered_at__isnull=False).order_by("position"))


def resolution_note(*, ticket: Ticket) -> Interaction | None:
    """The handler's public resolution summary (tickets.services.ticket_resolve), newest first."""
    return (
        ticket.interactions.filter(
            is_public=True, direction=Direction.OUTBOUND, data__has_key="verification_method"
        )
        .order_by("-occurred_at", "-id")
        .first()
    )


def can_choose_option(ticket: Ticket) -> bool:
    return ticket.solution_stage == SolutionStage.OFFERED and ticket.status not in (
        Status.CLOSED,
        Status.CANCELLED,
        Status.MERGED,
    )


def can_reply(ticket: Ticket) -> bool:
    return ticket.status not in (Status.CANCELLED, Status.MERGED)


def customer_status(ticket: Ticket) -> dict[str, str]:
    status = CUSTOMER_STATUS[ticket.status]
    return {"code": status.value, "label": str(status.label), "colour": STATUS_COLOUR[status]}


def active_products() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True).order_by("kind", "code")


# --- expected handling times (INT-2) -------------------------------------------------------------
# One implementation for every channel: herdesk.inbound.selectors (acknowledgement_estimate/_text).


def ticket_estimate(*, ticket: Ticket) -> Estimate:
    """The latest non-cancelled cycle of the first-response and resolution clocks."""
    return acknowledgement_estimate(ticket=ticket)


# --- signed single-use links ---------------------------------------------------------------------


def _signer(purpose: str) -> signing.Signer:
    # The purpose is part of the salt: a sign-in link cannot be replayed as an action link.
    return signing.Signer(salt=f"herdesk.portal.link.{purpose}")


def token_sign(*, secret: str, purpose: str) -> str:
    return _signer(purpose).sign(secret)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_digest(*, token: str, purpose: str) -> str:
    """SHA-256 of the secret inside a signed link; LinkError if the signature does not match."""
    try:
        secret = _signer(purpose).unsign((token or "").strip()[:200])
    except signing.BadSignature:
        raise LinkError(_("This link is not valid. Please check that you opened the whole link."))
    return token_hash(secret)


def token_check(row: PortalToken | None, *, now: datetime) -> PortalToken:
    if row is None:
        raise LinkError(_("This link is not valid. Please check that you opened the whole link."))
    if row.used_at is not None:
        raise LinkError(
            _("This link has already been used. Each link works only once."), code="link_used", status=410
        )
    if now >= row.expires_at:
        raise LinkError(_("This link has expired."), code="link_expired", status=410)
    return row


def portal_token_get(*, token: str, purpose: str, now: datetime | None = None) -> PortalToken:
    """The unexpired, unused link row for `token`, or LinkError (invalid 400, expired/used 410)."""
    if purpose not in TokenPurpose.values:
        raise LinkError(_("This link is not valid. Please check that you opened the whole link."))
    digest = token_digest(token=token, purpose=purpose)
    row = (
        PortalToken.objects.select_related("customer", "ticket")
        .filter(token_hash=digest, purpose=purpose)
        .first()
    )
    return token_check(row, now=now or timezone.now())


def action_link_get(*, token: str, purpose: str, now: datetime | None = None) -> tuple[PortalToken, Ticket]:
    """An action link (choose_option, confirm_resolution) and its ticket, or LinkError."""
    row = portal_token_get(token=token, purpose=purpose, now=now)
    if row.ticket is None:
        raise LinkError(_("This link is not valid. Please check that you opened the whole link."))
    return row, row.ticket
