"""REST API v1 (django-ninja). Endpoints are thin: parse, call a service or selector, shape output."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Header, NinjaAPI, Query, Schema, Status

from herdesk.catalog.models import Product
from herdesk.clocks.models import Clock
from herdesk.clocks.selectors import compliance_summary
from herdesk.customers import selectors as customer_selectors
from herdesk.customers import services as customer_services
from herdesk.customers.models import Customer, Organisation
from herdesk.search import selectors as search_selectors
from herdesk.staff.models import Team, User
from herdesk.tickets import selectors as ticket_selectors
from herdesk.tickets import services as ticket_services
from herdesk.tickets.models import Category, Ticket

from . import errors
from .auth import TokenAuth
from .schemas import (
    ComplianceRow,
    CustomerIn,
    CustomerOut,
    InteractionIn,
    InteractionOut,
    TicketIn,
    TicketListOut,
    TicketOut,
    TicketPage,
    TransitionIn,
)

api = NinjaAPI(
    title="Herdesk API",
    version="1",
    urls_namespace="api",
    auth=TokenAuth(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)


def _user(request: HttpRequest) -> User:
    """The token's user (TokenAuth guarantees an authenticated User on every endpoint)."""
    return cast(User, request.user)


def _require(request: HttpRequest, perm: str) -> User:
    user = _user(request)
    if not user.has_perm(perm):
        raise PermissionDenied
    return user


def _customer_out(user: Any, c: Customer) -> dict[str, Any]:
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


@api.post("/v1/customers", response={201: CustomerOut}, tags=["customers"])
def customer_create(request: HttpRequest, payload: CustomerIn) -> Status[dict[str, Any]]:
    user = _require(request, "customers.add_customer")
    org = Organisation.objects.get(pk=payload.organisation_id) if payload.organisation_id else None
    c = customer_services.customer_create(
        actor=user,
        name=payload.name,
        kind=payload.kind,
        organisation=org,
        region=payload.region,
        tier=payload.tier,
        phone=payload.phone,
        email=payload.email,
        wechat_openid=payload.wechat_openid,
        address=payload.address,
    )
    c = customer_selectors.customers_visible_to(user).prefetch_related("contacts").get(pk=c.pk)
    return Status(201, _customer_out(user, c))


@api.get("/v1/customers", response=list[CustomerOut], tags=["customers"])
def customer_search(
    request: HttpRequest,
    q: str = Query("", max_length=100),
    phone: str = Query("", max_length=40),
    email: str = Query("", max_length=254),
    limit: int = Query(25, ge=1, le=100),
) -> list[dict[str, Any]]:
    user = _require(request, "customers.view_customer")
    qs = customer_selectors.customer_search(user=user, q=q, phone=phone, email=email)
    return [_customer_out(user, c) for c in qs.prefetch_related("contacts")[:limit]]


def _clock_out(c: Clock, now: datetime) -> dict[str, Any]:
    return {
        "kind": c.kind,
        "cycle": c.cycle,
        "target": c.target,
        "calendar": c.calendar_code,
        "state": c.state,
        "started_at": c.started_at,
        "due_at": c.due_at,
        "original_due_at": c.original_due_at,
        "renegotiated": c.renegotiated,
        "stopped_at": c.stopped_at,
        "seconds_left": None if c.stopped_at else int((c.due_at - now).total_seconds()),
    }


def _ticket_list_out(t: Ticket) -> dict[str, Any]:
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


def _ticket_out(t: Ticket) -> dict[str, Any]:
    now = timezone.now()
    clocks = Clock.objects.filter(ticket=t).exclude(state="cancelled").order_by("started_at", "id")
    return {
        **_ticket_list_out(t),
        "description": t.description,
        "region": t.region,
        "order_number": t.order_number,
        "product": str(t.product) if t.product_id else None,
        "category": str(t.category) if t.category_id else None,
        "first_contact_owner": str(t.first_contact_owner) if t.first_contact_owner_id else None,
        "solution_stage": t.solution_stage,
        "policy_version": str(t.policy_version) if t.policy_version_id else None,
        "clocks": [_clock_out(c, now) for c in clocks],
    }


@api.post("/v1/tickets", response={201: TicketOut, 200: TicketOut}, tags=["tickets"])
def ticket_create(
    request: HttpRequest,
    payload: TicketIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=200),
) -> Status[dict[str, Any]]:
    user = _user(request)
    if not (user.customer_id or user.has_perm("tickets.add_ticket")):
        raise PermissionDenied
    customer = customer_selectors.customers_visible_to(user).get(pk=payload.customer_id)
    product = Product.objects.get(code=payload.product_code) if payload.product_code else None
    category = Category.objects.get(pk=payload.category_id) if payload.category_id else None
    data = payload.dict()
    fingerprint = ticket_services.request_fingerprint(data) if idempotency_key else None
    before = timezone.now()
    ticket = ticket_services.ticket_create(
        actor=user,
        customer=customer,
        channel=payload.channel,
        problem_type=payload.problem_type,
        subject=payload.subject,
        description=payload.description,
        received_at=payload.received_at,
        priority=payload.priority,
        complexity=payload.complexity,
        complaint_severity=payload.complaint_severity,
        product=product,
        category=category,
        order_number=payload.order_number,
        region=payload.region,
        idempotency_key=idempotency_key,
        idempotency_fingerprint=fingerprint,
    )
    ticket = ticket_selectors.ticket_get(user=user, number=ticket.number)
    return Status(201 if ticket.created_at >= before else 200, _ticket_out(ticket))


@api.get("/v1/tickets", response=TicketPage, tags=["tickets"])
def ticket_list(
    request: HttpRequest,
    status: str | None = Query(None, max_length=20),
    queue: str | None = Query(None, max_length=20),
    cursor: int | None = Query(None, ge=1),
    limit: int = Query(25, ge=1, le=100),
) -> dict[str, Any]:
    """Keyset pagination: pass `next_cursor` back as `cursor`. Query count is constant."""
    items = ticket_selectors.ticket_list(
        user=_user(request), status=status, queue=queue, before_id=cursor, limit=limit
    )
    return {
        "items": [_ticket_list_out(t) for t in items],
        "next_cursor": items[-1].pk if len(items) == limit else None,
    }


class SearchPage(Schema):
    """KB-2 search results (kept beside its only endpoint)."""

    count: int
    items: list[TicketListOut]
    next_cursor: int | None


@api.get("/v1/search", response=SearchPage, tags=["search"])
def search(
    request: HttpRequest,
    q: str = Query(..., min_length=1, max_length=200),
    cursor: int | None = Query(None, ge=1),
    limit: int = Query(25, ge=1, le=100),
) -> dict[str, Any]:
    """Tickets you may see whose text (number, subject, description, customer, product, public
    interactions) contains every space-separated word of `q`, case-insensitively, in any order.
    `count` is exact; items are newest first; pass `next_cursor` back as `cursor`."""
    if not search_selectors.parse_query(q):
        raise ValidationError({"q": _("Enter something to search for.")})
    result = search_selectors.ticket_search(user=_user(request), q=q, limit=limit, before_id=cursor)
    return {
        "count": result.count,
        "items": [_ticket_list_out(t) for t in result.tickets],
        "next_cursor": result.next_cursor,
    }


@api.get("/v1/tickets/{number}", response=TicketOut, tags=["tickets"])
def ticket_get(request: HttpRequest, number: str) -> dict[str, Any]:
    return _ticket_out(ticket_selectors.ticket_get(user=_user(request), number=number[:32]))


@api.post("/v1/tickets/{number}/transitions", response=TicketOut, tags=["tickets"])
def ticket_transition(request: HttpRequest, number: str, payload: TransitionIn) -> dict[str, Any]:
    """Apply one lifecycle action; the lifecycle table decides whether it is allowed (409 if not)."""
    user = _user(request)
    ticket = ticket_selectors.ticket_get(user=user, number=number[:32])
    a = payload.action
    if user.customer_id and a not in ("choose_option", "reopen", "close"):
        raise PermissionDenied
    if not user.customer_id and not user.has_perm("tickets.change_ticket"):
        raise PermissionDenied
    s = ticket_services
    if a == "triage":
        team = Team.objects.get(code=payload.team_code) if payload.team_code else None
        s.ticket_triage(
            ticket=ticket,
            actor=user,
            problem_type=payload.problem_type,
            complexity=payload.complexity,
            priority=payload.priority,
            team=team,
        )
    elif a == "assign":
        assignee = (
            User.objects.get(username=payload.assignee, customer__isnull=True) if payload.assignee else None
        )
        team = Team.objects.get(code=payload.team_code) if payload.team_code else None
        s.ticket_assign(
            ticket=ticket,
            actor=user,
            assignee=assignee,
            team=team,
            reason=payload.reason,
            requirement=payload.requirement,
            expected_response_minutes=payload.expected_response_minutes,
        )
    elif a == "acknowledge":
        s.ticket_acknowledge(ticket=ticket, actor=user)
    elif a == "start":
        s.ticket_start(ticket=ticket, actor=user)
    elif a == "wait_customer":
        s.ticket_wait_customer(ticket=ticket, actor=user, reason=payload.reason)
    elif a == "resolve":
        s.ticket_resolve(
            ticket=ticket,
            actor=user,
            verification_method=payload.verification_method or "",
            summary=payload.reason,
        )
    elif a == "close":
        reason = "customer_confirmed" if user.customer_id else payload.close_reason
        s.ticket_close(ticket=ticket, actor=user, reason=reason, evidence=payload.evidence)
    elif a == "reopen":
        s.ticket_reopen(ticket=ticket, actor=user, reason=payload.reason)
    elif a == "cancel":
        s.ticket_cancel(ticket=ticket, actor=user, reason=payload.reason)
    elif a == "merge":
        into = ticket_selectors.ticket_get(user=user, number=payload.into or "")
        s.ticket_merge(ticket=ticket, into=into, actor=user)
    elif a == "offer_options":
        s.solution_options_offer(ticket=ticket, actor=user, options=payload.options)
    elif a == "choose_option":
        s.solution_option_choose(ticket=ticket, actor=user, position=payload.position or 0)
    return _ticket_out(ticket_selectors.ticket_get(user=user, number=ticket.number))


@api.post("/v1/tickets/{number}/interactions", response={201: InteractionOut}, tags=["tickets"])
def interaction_add(request: HttpRequest, number: str, payload: InteractionIn) -> Status[dict[str, Any]]:
    user = _user(request)
    ticket = ticket_selectors.ticket_get(user=user, number=number[:32])
    kind, direction = payload.kind, payload.direction
    if user.customer_id:  # a customer can only write to us, publicly
        kind, direction = "web_form", "inbound"
    elif not user.has_perm("tickets.add_interaction"):
        raise PermissionDenied
    i = ticket_services.interaction_add(
        ticket=ticket,
        actor=user,
        body=payload.body,
        kind=kind,
        direction=direction,
        occurred_at=payload.occurred_at,
    )
    return Status(
        201,
        {
            "id": i.pk,
            "kind": i.kind,
            "direction": i.direction,
            "channel": i.channel,
            "author": str(i.author) if i.author_id else None,
            "body": i.body,
            "is_public": i.is_public,
            "occurred_at": i.occurred_at,
        },
    )


@api.get("/v1/tickets/{number}/interactions", response=list[InteractionOut], tags=["tickets"])
def interaction_list(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    user = _user(request)
    ticket = ticket_selectors.ticket_get(user=user, number=number[:32])
    return [
        {
            "id": i.pk,
            "kind": i.kind,
            "direction": i.direction,
            "channel": i.channel,
            "author": str(i.author) if i.author_id else None,
            "body": i.body,
            "is_public": i.is_public,
            "occurred_at": i.occurred_at,
        }
        for i in ticket_selectors.interactions_for(user=user, ticket=ticket)
    ]


@api.get("/v1/compliance", response=list[ComplianceRow], tags=["reports"])
def compliance(
    request: HttpRequest, month: str = Query(..., pattern=r"^\d{4}-\d{2}$")
) -> list[dict[str, Any]]:
    _require(request, "tickets.view_reports")
    return compliance_summary(month=month)


api.add_router("/v1/notifications", "herdesk.api.notifications.router")  # staff notification centre
