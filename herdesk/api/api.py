"""REST API v1 (django-ninja). Endpoints are thin: parse, call a service or selector, shape output.

Modules: this one (the API object, customers, tickets create/read/list, search, compliance),
`ticket_actions` (one operation per ticket action, issue #21), `tokens` (API token management).
Every operation documents its error statuses with the JSON error schema (errors.error_responses).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Header, NinjaAPI, Query, Schema, Status

from herdesk.clocks.selectors import compliance_summary
from herdesk.customers import selectors as customer_selectors
from herdesk.customers import services as customer_services
from herdesk.customers.models import Organisation
from herdesk.kb import selectors as kb_selectors
from herdesk.search import selectors as search_selectors
from herdesk.search.box import box_ticket_search
from herdesk.tickets import selectors as ticket_selectors
from herdesk.tickets import services as ticket_services
from herdesk.tickets.choices import Channel
from herdesk.triage.services import triage_ticket_received

from . import errors
from .auth import TokenAuth
from .docs import OfflineSwagger
from .errors import error_responses
from .schemas import (
    ComplianceRow,
    CustomerIn,
    CustomerOut,
    TicketIn,
    TicketListOut,
    TicketOut,
    TicketPage,
)

# Re-exported for code written against the single-module API (other branches).
from .shaping import clock_out as _clock_out  # noqa: F401
from .shaping import customer_out as _customer_out
from .shaping import require as _require
from .shaping import ticket_created_out as _ticket_created_out
from .shaping import ticket_for as _ticket_for
from .shaping import ticket_list_out as _ticket_list_out
from .shaping import ticket_out as _ticket_out
from .shaping import user_of as _user

api = NinjaAPI(
    title="Herdesk API",
    version="1",
    description=(
        "Bearer tokens (`Authorization: Bearer hdk_…`) with scopes: `read` for GET, `write` for "
        "changes, `admin` to manage other users' tokens. Rate limits per token and per IP answer "
        "429 with `Retry-After`. Every error is JSON `{code, message, errors: [{field, message}]}`."
    ),
    urls_namespace="api",
    auth=TokenAuth(),
    docs=OfflineSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)

# The largest a JSON body may be is DATA_UPLOAD_MAX_MEMORY_SIZE; beyond it the answer is 413.
READ_ERRORS = error_responses(400, 401, 403, 422, 429)
BODY_ERRORS = error_responses(400, 401, 403, 404, 413, 422, 429)
MAX_ID = 2**63 - 1  # the largest id a database integer column holds (SQLite and PostgreSQL)
MONTH_PATTERN = r"^(19[7-9]\d|2\d{3})-(0[1-9]|1[0-2])$"  # YYYY-MM, 1970-01 … 2999-12

# Fields only the service centre sets on a ticket (S1: the received time, the channel it came in
# on and the triage classification are facts recorded by staff, not claims of the customer).
STAFF_ONLY_TICKET_FIELDS = ("received_at", "channel", "priority", "complexity", "complaint_severity")


@api.post(
    "/v1/customers",
    response={201: CustomerOut, **BODY_ERRORS},
    tags=["customers"],
    operation_id="customer_create",
)
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


@api.get(
    "/v1/customers",
    response={200: list[CustomerOut], **READ_ERRORS},
    tags=["customers"],
    operation_id="customer_search",
)
def customer_search(
    request: HttpRequest,
    q: str = Query("", max_length=100),
    phone: str = Query("", max_length=40),
    email: str = Query("", max_length=254),
    limit: int = Query(25, ge=1, le=100),
) -> list[dict[str, Any]]:
    user = _require(request, "customers.view_customer")
    if "\x00" in q + phone + email:
        raise ValidationError({"q": _("Text must not contain NUL (0x00) characters.")})
    qs = customer_selectors.customer_search(user=user, q=q, phone=phone, email=email)
    return [_customer_out(user, c) for c in qs.prefetch_related("contacts")[:limit]]


@api.post(
    "/v1/tickets",
    response={201: TicketOut, 200: TicketOut, **BODY_ERRORS},
    tags=["tickets"],
    operation_id="ticket_create",
)
def ticket_create(
    request: HttpRequest,
    payload: TicketIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=200),
) -> Status[dict[str, Any]]:
    """Create a ticket (200 instead of 201 when the Idempotency-Key was seen with the same body).
    A customer's token may not set received_at, channel, priority, complexity or
    complaint_severity: 422 naming the field."""
    user = _user(request)
    if not (user.customer_id or user.has_perm("tickets.add_ticket")):
        raise PermissionDenied
    customer = customer_selectors.customer_visible_get(user, payload.customer_id)
    if user.customer_id:
        sent = [f for f in STAFF_ONLY_TICKET_FIELDS if f in payload.model_fields_set]
        if sent:
            raise ValidationError(
                {f: _("Only the service centre sets this field; leave it out.") for f in sent}
            )
        channel: str = Channel.PORTAL
    elif payload.channel is None:
        raise ValidationError({"channel": _("This field is required.")})
    else:
        channel = payload.channel
    product = ticket_selectors.product_named(payload.product_code)
    category = ticket_selectors.category_named(payload.category_id)
    # INT-3: a phone or chat contact recorded through the API is held to the intake checklist.
    ticket_services.intake_check_for_customer(
        channel=channel,
        customer=customer,
        problem_type=payload.problem_type,
        region=payload.region,
        product=product,
        order_number=payload.order_number,
        description=payload.description,
        received_at=payload.received_at,
    )
    data = payload.dict()
    fingerprint = ticket_services.request_fingerprint(data) if idempotency_key else None
    # One transaction: the ticket and its automatic suggestion (a food-safety report's escalation
    # must not be lost between two commits); an idempotent replay records nothing new.
    with transaction.atomic():
        created = _create(user, customer, channel, payload, product, category, idempotency_key, fingerprint)
        fresh = created.interaction is not None  # None: an idempotent replay of an earlier request
        acted = fresh and triage_ticket_received(ticket=created.ticket).food_safety
    if fresh and not acted and (user.customer_id or user.has_perm("tickets.view_ticket")):
        # The creator sees what they created (their customer record, or 首问: first_contact_owner),
        # and nothing changed it after its creation in this request: answer from the objects in hand.
        return Status(201, _ticket_created_out(created))
    ticket = ticket_selectors.ticket_get(user=user, number=created.ticket.number)
    return Status(201 if fresh else 200, _ticket_out(ticket))


def _create(
    user: Any,
    customer: Any,
    channel: str,
    payload: TicketIn,
    product: Any,
    category: Any,
    idempotency_key: str | None,
    fingerprint: str | None,
) -> Any:
    return ticket_services.ticket_create_detailed(
        actor=user,
        customer=customer,
        channel=channel,
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


@api.get(
    "/v1/tickets", response={200: TicketPage, **READ_ERRORS}, tags=["tickets"], operation_id="ticket_list"
)
def ticket_list(
    request: HttpRequest,
    status: str | None = Query(None, max_length=20, pattern=r"^[a-z_]*$"),
    queue: str | None = Query(None, max_length=20, pattern=r"^[a-z_]*$"),
    cursor: int | None = Query(None, ge=1, le=MAX_ID),
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


class ArticleHitOut(Schema):
    number: str
    title: str
    audience: str
    snippet: str


class SearchPage(Schema):
    """KB-2 search results (kept beside its only endpoint)."""

    count: int
    # With count=fast: `count` is a lower bound ("more than") or an estimate ("about"); see search.
    count_capped: bool = False
    count_estimated: bool = False
    items: list[TicketListOut]
    next_cursor: int | None
    # Knowledge articles the caller may read (first page only; at most 10; synonyms apply).
    articles: list[ArticleHitOut] = []


@api.get("/v1/search", response={200: SearchPage, **READ_ERRORS}, tags=["search"], operation_id="search")
def search(
    request: HttpRequest,
    q: str = Query(..., min_length=1, max_length=200),
    cursor: int | None = Query(None, ge=1, le=MAX_ID),
    limit: int = Query(25, ge=1, le=100),
    count: str = Query("exact", pattern="^(exact|fast)$"),
) -> dict[str, Any]:
    """Tickets you may see whose text (number, subject, description, customer, product, public
    interactions) contains every space-separated word of `q`, case-insensitively, in any order.
    Items are newest first; pass `next_cursor` back as `cursor`. `count` is exact by default; with
    `count=fast` the first page comes from the header box's search (the same items, in < 100 ms at
    1,000,000 tickets) and `count` may be a lower bound (`count_capped`: more than 1,000) or an
    estimate (`count_estimated`), as the workspace box shows it."""
    if "\x00" in q:
        raise ValidationError({"q": _("Text must not contain NUL (0x00) characters.")})
    terms = search_selectors.parse_query(q)
    if not terms:
        raise ValidationError({"q": _("Enter something to search for.")})
    user = _user(request)
    capped = estimated = False
    if count == "fast" and cursor is None:
        box = box_ticket_search(user=user, alternatives=[terms], limit=limit)
        tickets, total, capped, estimated = box.tickets, box.count, box.capped, box.estimated
        more = len(tickets) == limit and (capped or estimated or total > limit)
        next_cursor = tickets[-1].pk if more else None
    else:
        result = search_selectors.ticket_search(user=user, q=q, limit=limit, before_id=cursor)
        tickets, total, next_cursor = result.tickets, result.count, result.next_cursor
    articles = [] if cursor else kb_selectors.article_search(user=user, q=q, limit=10)
    return {
        "count": total,
        "count_capped": capped,
        "count_estimated": estimated,
        "items": [_ticket_list_out(t) for t in tickets],
        "next_cursor": next_cursor,
        "articles": [
            {
                "number": h.article.number,
                "title": h.title,
                "audience": h.article.audience,
                "snippet": str(h.snippet),
            }
            for h in articles
        ],
    }


@api.get(
    "/v1/tickets/{number}",
    response={200: TicketOut, **error_responses(401, 403, 404, 422, 429)},
    tags=["tickets"],
    operation_id="ticket_get",
)
def ticket_get(request: HttpRequest, number: str) -> dict[str, Any]:
    return _ticket_out(_ticket_for(_user(request), number))


@api.get(
    "/v1/compliance",
    response={200: list[ComplianceRow], **READ_ERRORS},
    tags=["reports"],
    operation_id="compliance",
)
def compliance(request: HttpRequest, month: str = Query(..., pattern=MONTH_PATTERN)) -> list[dict[str, Any]]:
    """Per clock kind for clocks started in the month (YYYY-MM, Asia/Shanghai)."""
    _require(request, "tickets.view_reports")
    return compliance_summary(month=month)


# The other operation groups register themselves on `api` (imported for that side effect).
from . import ticket_actions, tokens  # noqa: E402, F401

api.add_router("/v1/notifications", "herdesk.api.notifications.router")  # staff notification centre
api.add_router("/v1/field", "herdesk.api.field.router")  # the field engineer's phone (FLD-2)
