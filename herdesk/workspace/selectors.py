"""Reads for the staff workspace: queues, counts, the ticket page, the breach board.

Every ticket query starts from `tickets_visible_to` (SEC-3), so a queue can never show what its
reader may not open. Lists are keyset-paginated (by -id, or by due time for clock queues) and
fetch related rows in a fixed number of queries, so a page costs the same at 1,000 or 1,000,000
tickets (pinned by tests with django_assert_max_num_queries).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connections
from django.db.models import Avg, Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from herdesk.clocks.models import Clock, ClockState, Renegotiation
from herdesk.customers.models import Customer
from herdesk.customers.selectors import (
    ContactView,
    address_view,
    contact_primary,
    contact_view,
    customer_find_by_phone,
    customers_visible_to,
)
from herdesk.mail.models import EmailMessage
from herdesk.savedviews.choices import Queue
from herdesk.staff.models import Team, User
from herdesk.tickets import actions as ticket_actions
from herdesk.tickets.choices import InteractionKind, ProblemType, Status
from herdesk.tickets.models import FollowUp, Interaction, Ticket
from herdesk.tickets.selectors import LIST_RELATED, interactions_for, ticket_get, tickets_visible_to

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAGE_SIZE = 25
# "Breaching soon": running clocks due within this horizon (overdue ones not yet swept included).
# One range on the partial index of running clocks (clocks.clock_due_running), so it stays cheap.
SOON_HORIZON = timedelta(hours=2)
TICKET_QUEUES = (Queue.MINE, Queue.TEAM, Queue.UNASSIGNED, Queue.TO_ACKNOWLEDGE, Queue.WAITING, Queue.ALL)
CLOCK_QUEUES = (Queue.SOON, Queue.BREACHED)
LIVE_STATES = (ClockState.RUNNING, ClockState.PAUSED, ClockState.BREACHED)

# Filter name → lookup on Ticket (see forms.QueueFilterForm for validation).
FILTER_LOOKUPS = {
    "channel": "channel",
    "problem_type": "problem_type",
    "category": "category_id",
    "priority": "priority",
    "complexity": "complexity",
    "region": "region__startswith",  # "内蒙古" matches every city of the province
    "product": "product_id",
    "tier": "customer__tier",
    "status": "status",
    "team": "team_id",
    "assignee": "assignee_id",
}


@dataclass
class Page:
    rows: list[Any]
    next_cursor: str = ""
    kind: str = "tickets"  # or "clocks"


def _apply_filters(qs: QuerySet[Ticket], filters: dict[str, Any]) -> QuerySet[Ticket]:
    for name, lookup in FILTER_LOOKUPS.items():
        value = filters.get(name)
        if value not in (None, ""):
            qs = qs.filter(**{lookup: getattr(value, "pk", value)})
    # Local days (Asia/Shanghai) as a half-open range on the indexed received_at (tkt_received),
    # the way the analytics rollups count a day.
    for what in ("received", "resolved"):
        if filters.get(f"{what}_from"):
            qs = qs.filter(**{f"{what}_at__gte": _local_midnight(filters[f"{what}_from"])})
        if filters.get(f"{what}_to"):
            qs = qs.filter(**{f"{what}_at__lt": _local_midnight(filters[f"{what}_to"] + timedelta(days=1))})
    clocks = _clock_filter(filters)
    if clocks is not None:
        qs = qs.filter(Exists(clocks))
    if filters.get("rated_from") or filters.get("rated_to"):
        rated = FollowUp.objects.filter(ticket=OuterRef("pk"), **_day_range("recorded_at", filters, "rated"))
        qs = qs.filter(Exists(rated))
    return qs


def _day_range(column: str, filters: dict[str, Any], prefix: str) -> dict[str, datetime]:
    out = {}
    if filters.get(f"{prefix}_from"):
        out[f"{column}__gte"] = _local_midnight(filters[f"{prefix}_from"])
    if filters.get(f"{prefix}_to"):
        out[f"{column}__lt"] = _local_midnight(filters[f"{prefix}_to"] + timedelta(days=1))
    return out


def _clock_filter(filters: dict[str, Any]) -> QuerySet[Clock] | None:
    """The ticket's clocks a clock filter asks for, counted as analytics.rollup counts a clock rate:
    by the local day it started, cancelled ones left out; "missed" is a finished clock that did not
    meet its original target (breached, or met only after a renegotiation)."""
    if not (filters.get("clock") or filters.get("clock_from") or filters.get("clock_to")):
        return None
    started = _day_range("started_at", filters, "clock")
    clocks = Clock.objects.filter(ticket=OuterRef("pk"), **started).exclude(state=ClockState.CANCELLED)
    if filters.get("clock"):
        clocks = clocks.filter(kind=filters["clock"])
    if filters.get("clock_missed"):
        clocks = clocks.filter(
            Q(state=ClockState.BREACHED) | Q(state=ClockState.MET, stopped_at__gt=F("original_due_at"))
        )
    return clocks


DATE_RANGES = (
    "received_from", "received_to", "resolved_from", "resolved_to",
    "clock_from", "clock_to", "rated_from", "rated_to",
)  # fmt: skip


def _history(filters: dict[str, Any]) -> bool:
    """A date range asks for history (a report's figure): closed tickets belong to it too."""
    return any(filters.get(k) for k in DATE_RANGES)


def _local_midnight(day: Any) -> datetime:
    return datetime.combine(day, datetime.min.time(), SHANGHAI)


def _queue_condition(user: Any, queue: str, filters: dict[str, Any]) -> Q | None:
    """The queue's own condition; None means the queue is empty for this user (no team)."""
    if queue == Queue.MINE:
        return Q(assignee_id=user.pk) if _history(filters) else Q(assignee_id=user.pk, status__open=True)
    if queue == Queue.TEAM:
        return Q(team_id=user.team_id, status__open=True) if user.team_id else None
    if queue == Queue.UNASSIGNED:
        return Q(assignee__isnull=True, status__open=True)
    if queue == Queue.TO_ACKNOWLEDGE:
        # HND-1: tickets assigned to me that I have not confirmed yet.
        return Q(assignee_id=user.pk, status=Status.ASSIGNED)
    if queue == Queue.WAITING:
        return Q(status=Status.WAITING_CUSTOMER)
    # ALL: every open ticket the user may see; a status filter or a received range (the drill-down
    # from a report's figure) may look at closed ones too.
    if filters.get("status") or _history(filters):
        return Q()
    return Q(status__open=True)


# The columns a queue row shows (workspace/partials/queue_cells.html and the countdown tag). Why:
# a page builds ~200 model instances (25 tickets, their customer, team, assignee, product, category
# and live clocks); loading every column (descriptions, encrypted contact fields, a dozen
# timestamps) doubled the ORM's share of a page. A field missing here is a query per row: the
# pinned query counts in tests/test_queues.py catch it.
ROW_FIELDS = (
    "number", "subject", "channel", "problem_type", "region", "status", "priority", "received_at",
    "customer", "customer__name", "customer__tier",
    "team", "team__name", "team__name_en",
    "assignee", "assignee__display_name", "assignee__username",
    "product", "product__name", "product__name_en", "product__model_number",
    "category", "category__name", "category__name_en", "category__parent",
)  # fmt: skip
CLOCK_FIELDS = (
    "ticket",
    "kind",
    "state",
    "started_at",
    "due_at",
    "warn_at",
    "stopped_at",
    "remaining_seconds",
)


def _live_clocks_prefetch() -> Prefetch:
    return Prefetch(
        "clocks",
        to_attr="live_clocks",
        queryset=Clock.objects.filter(stopped_at__isnull=True, state__in=LIVE_STATES)
        .only(*CLOCK_FIELDS)
        .order_by("due_at", "id"),
    )


def _queue_qs(user: Any, queue: str, filters: dict[str, Any]) -> QuerySet[Ticket] | None:
    """The tickets of a ticket queue (visible to `user`, filtered); None when it is empty."""
    cond = _queue_condition(user, queue, filters)
    if cond is None:
        return None
    return _apply_filters(tickets_visible_to(user).filter(cond), filters)


def queue_tickets(
    *,
    user: Any,
    queue: str,
    filters: dict[str, Any] | None = None,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> Page:
    """One page of a ticket queue, newest first; `before` is the last id of the previous page.

    The page's ids are chosen by a narrow subquery (ids only, the queue's conditions, LIMIT) and the
    rows with their related rows by primary key. Why: without statistics SQLite prefers an equality
    index on status for "status IN (…)" and then sorts every open ticket to find the newest 25
    (40 ms at 100,000 tickets, bench/bench_queues.py); over ids only, that sort reads no table rows.
    PostgreSQL reads the newest ids from the open-ticket partial indexes either way.
    """
    qs = _queue_qs(user, queue, filters or {})
    if qs is None:
        return Page([])
    if before:
        qs = qs.filter(id__lt=before)
    ids = qs.order_by("-id").values("pk")[: limit + 1]
    rows = list(
        Ticket.objects.filter(pk__in=ids)
        .select_related(*LIST_RELATED)
        .only(*ROW_FIELDS)
        .prefetch_related(_live_clocks_prefetch())
        .order_by("-id")
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, str(rows[-1].pk) if more else "")


def _clock_queue_condition(queue: str, now: datetime) -> Q:
    if queue == Queue.SOON:
        return Q(state=ClockState.RUNNING, due_at__lte=now + SOON_HORIZON)
    return Q(state=ClockState.BREACHED, stopped_at__isnull=True)


def _clock_queue_qs(user: Any, queue: str, filters: dict[str, Any], now: datetime) -> QuerySet[Clock]:
    """The clocks of a clock queue whose ticket is open, visible to `user` and filtered.

    The clocks are read from their partial index in due order (clock_due_running /
    clock_due_breached_open: nearest due first, no sort) and each is checked by one probe of its
    ticket's primary key, until the page (or the count's cap) is full. The check is a correlated
    scalar subquery (`… IS NOT NULL`), not EXISTS or IN, on purpose: PostgreSQL turns EXISTS/IN
    into a semi-join and, estimating the visible open tickets independently of the clocks (a few
    thousand of 1,000,000 tickets, so ~0.5% of the clocks), chose a hash join that read every
    breached clock and every visible open ticket (5,600 rows for an agent: 0.45 s on cold caches)
    to return 25 rows; a scalar subquery is never flattened into a join, so it stays a per-row
    filter under the LIMIT (1.4 ms). In practice these clocks nearly all belong to open tickets
    (most clocks stop on the way to resolution; a cancelled ticket's are cancelled), so an agent
    sees about a third of them and a supervisor nearly all. SQLite runs it the same way.
    """
    tickets = _apply_filters(tickets_visible_to(user).filter(status__open=True), filters)
    visible = Subquery(tickets.filter(pk=OuterRef("ticket_id")).values("pk")[:1])
    return (
        Clock.objects.filter(_clock_queue_condition(queue, now))
        .alias(visible_ticket=visible)
        .filter(visible_ticket__isnull=False)
    )


def _decode_clock_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor or "_" not in cursor:
        return None
    when, _sep, pk = cursor.rpartition("_")
    parsed = parse_datetime(when)
    if parsed is None or not pk.isdigit():
        return None
    return parsed, int(pk)


def queue_clocks(
    *,
    user: Any,
    queue: str,
    filters: dict[str, Any] | None = None,
    after: str | None = None,
    limit: int = PAGE_SIZE,
    now: datetime | None = None,
) -> Page:
    """One page of a clock queue (breaching soon / breached), nearest due time first.

    A row is a clock with its ticket; the cursor is "<due_at ISO>_<clock id>" of the last row.
    """
    qs = _clock_queue_qs(user, queue, filters or {}, now or timezone.now())
    position = _decode_clock_cursor(after)
    if position:
        due, pk = position
        qs = qs.filter(Q(due_at__gt=due) | Q(due_at=due, id__gt=pk))
    rows = list(
        qs.select_related("ticket", *(f"ticket__{r}" for r in LIST_RELATED))
        .only(*CLOCK_FIELDS, *(f"ticket__{f}" for f in ROW_FIELDS))
        .order_by("due_at", "id")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = f"{rows[-1].due_at.isoformat()}_{rows[-1].pk}" if more else ""
    return Page(rows, cursor, kind="clocks")


# Queue badges count up to this many; more shows as "999+". Why: an exact count of a large queue
# reads every row of it (a supervisor's "all open" or "breached" at 1,000,000 tickets: tens of
# thousands of rows per page view); a capped count reads at most COUNT_CAP + 1 per queue.
COUNT_CAP = 999


def _capped(qs: QuerySet[Any]) -> tuple[str, list[Any], str]:
    """(SQL of a scalar subquery counting at most COUNT_CAP + 1 rows of qs, its params, db alias)."""
    sub = qs.order_by().values("pk")[: COUNT_CAP + 1]
    sql, params = sub.query.get_compiler(using=sub.db).as_sql()
    return f"(SELECT COUNT(*) FROM ({sql}) AS capped)", list(params), sub.db


def queue_counts(
    *, user: Any, now: datetime | None = None, queues: Iterable[str] | None = None
) -> dict[str, int]:
    """Counts for every queue (or only `queues`: those the sidebar shows), each capped at
    COUNT_CAP + 1 (shown as "999+"), in one statement of scalar subqueries: each walks its queue's
    own index (the open-ticket partial indexes, running or breached clocks by due time) and stops at
    the cap. The workspace loads them after the page (htmx) and caches them briefly per user."""
    now = now or timezone.now()
    wanted = set(Queue.values if queues is None else queues)
    parts: dict[str, QuerySet[Any]] = {}
    for queue in TICKET_QUEUES:
        qs = _queue_qs(user, queue, {}) if queue.value in wanted else None
        if qs is not None:
            parts[queue.value] = qs
    for queue in CLOCK_QUEUES:
        if queue.value in wanted:
            parts[queue.value] = _clock_queue_qs(user, queue, {}, now)
    if not parts:
        return {}
    selects, params, alias = [], [], "default"
    for name, qs in parts.items():
        sql, p, alias = _capped(qs)
        selects.append(f"{sql} AS {connections[alias].ops.quote_name(name)}")
        params.extend(p)
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        row = cursor.fetchone()
    counts = {name: int(value or 0) for name, value in zip(parts, row, strict=True)}
    counts.setdefault(Queue.TEAM.value, 0)
    return counts


# ---------------------------------------------------------------- the ticket page


@dataclass
class ClockRow:
    clock: Clock
    renegotiations: list[Renegotiation]
    live: bool
    renegotiable: bool


@dataclass
class TicketPageData:
    ticket: Ticket
    clocks: list[ClockRow]
    timeline: list[Interaction]
    transfers: list[Any]
    options: list[Any]
    contact: ContactView | None
    address: str
    actions: frozenset[str]
    customer_stats: dict[str, Any] = field(default_factory=dict)
    # Timeline entry id → its email (INT-1): the link to the safely shown message, its attachments
    # and original. (Delivery status of anything sent: the entry's own data, see delivery_status.)
    emails: dict[int, EmailRef] = field(default_factory=dict)
    contact_pk: int | None = None  # for "reveal with a reason" and click-to-call


@dataclass
class EmailRef:
    pk: int
    direction: str
    attachments: int


def ticket_emails(*, ticket: Ticket) -> dict[int, EmailRef]:
    """The ticket's emails by timeline entry, in one query (the page is already the ticket's)."""

    rows = (
        EmailMessage.objects.filter(ticket=ticket, interaction__isnull=False)
        .values("pk", "interaction_id", "direction")
        .annotate(n=Count("attachments"))
        .order_by()
    )
    return {r["interaction_id"]: EmailRef(r["pk"], r["direction"], r["n"]) for r in rows}


def _without_echoes(timeline: list[Interaction]) -> list[Interaction]:
    """The lifecycle's internal step note repeats the text of the entry written with it (the
    resolution summary, the customer's dispute reason): shown once (issue 13)."""

    def internal_event(i: Interaction) -> bool:
        return i.kind == InteractionKind.SYSTEM_EVENT and not i.is_public

    said: dict[str, list[datetime]] = {}
    for i in timeline:
        if not internal_event(i):
            said.setdefault((i.body or "").strip(), []).append(i.occurred_at)
    return [
        i
        for i in timeline
        if not (
            internal_event(i)
            and (i.body or "").strip()
            and any(abs((at - i.occurred_at).total_seconds()) < 5 for at in said.get(i.body.strip(), []))
        )
    ]


def _fold_quoted(timeline: list[Interaction]) -> None:
    """An email reply's quoted part (ingest records where it starts) is folded on the page:
    `shown_body` is what the sender wrote, `quoted_body` the rest."""
    for i in timeline:
        end = (i.data or {}).get("new_part_end") if isinstance(i.data, dict) else None
        body = i.body or ""
        if isinstance(end, int) and 0 < end < len(body) and body[end:].strip():
            i.shown_body, i.quoted_body = body[:end].rstrip(), body[end:].strip()  # type: ignore[attr-defined]
        else:
            i.shown_body, i.quoted_body = body, ""  # type: ignore[attr-defined]


def available_actions(*, user: Any, ticket: Ticket) -> frozenset[str]:
    """Which action panels the page offers: the one action table (tickets.actions, shared with the
    API) decides from the role and the lifecycle. The services check again on submit."""
    return ticket_actions.available_actions(user=user, ticket=ticket)


def ticket_page(*, user: Any, number: str, now: datetime | None = None) -> TicketPageData:
    """Everything the ticket page shows. Raises Ticket.DoesNotExist when absent or not visible.

    Reading the unmasked contact is audited by `contact_view` (SEC-2) for roles that may see it.
    """

    now = now or timezone.now()
    ticket = ticket_get(user=user, number=number)
    clocks = list(
        Clock.objects.filter(ticket=ticket)
        .exclude(state=ClockState.CANCELLED)
        .prefetch_related(Prefetch("renegotiations", queryset=Renegotiation.objects.order_by("id")))
        .order_by("stopped_at", "due_at", "id")
    )
    clock_rows = [
        ClockRow(
            c,
            list(c.renegotiations.all()),
            live=c.stopped_at is None,
            renegotiable=c.state in (ClockState.RUNNING, ClockState.PAUSED) and c.due_at > now,
        )
        for c in clocks
    ]
    # Live clocks first (nearest due first), then the finished ones.
    clock_rows.sort(key=lambda r: (not r.live, r.clock.due_at if r.live else r.clock.started_at))
    contact_obj = ticket.contact or contact_primary(customer=ticket.customer)
    contact = contact_view(user=user, contact=contact_obj, purpose="ticket_page") if contact_obj else None
    timeline = _without_echoes(list(interactions_for(user=user, ticket=ticket)))
    _fold_quoted(timeline)
    return TicketPageData(
        ticket=ticket,
        clocks=clock_rows,
        timeline=timeline,
        transfers=list(
            ticket.transfers.select_related(
                "from_team", "to_team", "from_user", "to_user", "created_by__team"
            ).order_by("id")
        ),
        options=list(ticket.options.order_by("position")),
        contact=contact,
        contact_pk=contact_obj.pk if contact_obj else None,
        address=address_view(user=user, customer=ticket.customer),
        actions=available_actions(user=user, ticket=ticket),
        customer_stats=customer_stats(customer=ticket.customer),
        emails=ticket_emails(ticket=ticket),
    )


# ---------------------------------------------------------------- intake: caller look-up (INT-7)


def customer_stats(*, customer: Customer) -> dict[str, Any]:
    """Counts about the customer (not the tickets' content): total, open, open complaints, products,
    satisfaction history (INT-7: average follow-up score and how many)."""

    agg = Ticket.objects.filter(customer=customer).aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(status__open=True)),
        open_complaints=Count("id", filter=Q(status__open=True, problem_type=ProblemType.COMPLAINT)),
    )
    agg.update(
        FollowUp.objects.filter(ticket__customer=customer).aggregate(
            satisfaction=Avg("score"), follow_ups=Count("id")
        )
    )
    products = list(
        Ticket.objects.filter(customer=customer, product__isnull=False)
        .values_list("product__name", "product__model_number")
        .distinct()
        .order_by("product__name")[:10]
    )
    agg["products"] = [f"{name} {model}".strip() for name, model in products]
    return agg


@dataclass
class CallerProfile:
    customer: Customer
    contact: ContactView | None
    stats: dict[str, Any]
    recent: list[Ticket]


def caller_lookup(*, user: Any, phone: str, limit: int = 5) -> list[CallerProfile]:
    """Customers whose contact has this phone number (blind index: the number itself is never
    queried), each with the history an agent checks before serving (INT-7, S2 §2.1).

    Past tickets are the ones the agent may open; the counts cover all of the customer's tickets.
    """

    customers = list(customer_find_by_phone(user=user, phone=phone).prefetch_related("contacts")[:limit])
    profiles = []
    for c in customers:
        contact = next(iter(c.contacts.all()), None)
        recent = list(
            tickets_visible_to(user).filter(customer=c).select_related("product", "team").order_by("-id")[:5]
        )
        profiles.append(
            CallerProfile(
                customer=c,
                contact=contact_view(user=user, contact=contact, purpose="intake") if contact else None,
                stats=customer_stats(customer=c),
                recent=recent,
            )
        )
    return profiles


def customer_for_intake(*, user: Any, pk: int) -> Customer:
    return customers_visible_to(user).get(pk=pk)


# ---------------------------------------------------------------- supervisors


@dataclass
class BoardRow:
    team: str
    agent: str
    team_en: str = ""
    running: int = 0
    warning: int = 0
    overdue: int = 0
    breached: int = 0

    @property
    def total(self) -> int:
        return self.running + self.warning + self.overdue + self.breached


def breach_board(*, user: Any, now: datetime | None = None) -> list[BoardRow]:
    """Running and breached clocks of open tickets, by team and assignee (one aggregate query).

    running = before its warning time; warning = past it; overdue = past due but not yet swept;
    breached = recorded by the sweep and still open.
    """
    now = now or timezone.now()
    open_qs = tickets_visible_to(user).filter(status__open=True)
    running = Q(state=ClockState.RUNNING)
    rows = (
        Clock.objects.filter(
            ticket__in=open_qs.values("pk"),
            stopped_at__isnull=True,
            state__in=(ClockState.RUNNING, ClockState.BREACHED),
        )
        .values(
            "ticket__team__name",
            "ticket__team__name_en",
            "ticket__assignee__display_name",
            "ticket__assignee__username",
        )
        .annotate(
            running=Count("id", filter=running & Q(warn_at__gt=now)),
            warning=Count("id", filter=running & Q(warn_at__lte=now, due_at__gt=now)),
            overdue=Count("id", filter=running & Q(due_at__lte=now)),
            breached=Count("id", filter=Q(state=ClockState.BREACHED)),
        )
        .order_by("ticket__team__name", "ticket__assignee__username")
    )
    return [
        BoardRow(
            team=r["ticket__team__name"] or "",
            team_en=r["ticket__team__name_en"] or "",
            agent=r["ticket__assignee__display_name"] or r["ticket__assignee__username"] or "",
            running=r["running"],
            warning=r["warning"],
            overdue=r["overdue"],
            breached=r["breached"],
        )
        for r in rows
    ]


def teams() -> QuerySet[Team]:
    return Team.objects.order_by("id")


def assignable_staff() -> QuerySet[User]:
    """Active staff who handle tickets (never customer logins)."""
    return (
        User.objects.filter(is_active=True, customer__isnull=True, team__isnull=False)
        .select_related("team")
        .order_by("team_id", "username")
    )


# ---- XLSX export of what a list page shows (KPI-2: "every list page exports what is shown")

# The most rows one export writes; a longer list says so in its last row (a filter narrows it).
EXPORT_CAP = 100_000
_EXPORT_BATCH = 2000
EXPORT_FIELDS = (
    "id",
    "number",
    "subject",
    "status",
    "priority",
    "problem_type",
    "channel",
    "customer__name",
    "team__name",
    "team__name_en",
    "assignee__display_name",
    "assignee__username",
    "product__name",
    "product__name_en",
    "region",
    "received_at",
)


def queue_export_keys(
    *, user: Any, queue: str, filters: dict[str, Any], now: datetime
) -> list[tuple[int, Any]]:
    """The rows of a whole queue (every page, same filters, same order), at most EXPORT_CAP + 1:
    (ticket id, the clock row of a clock queue or None)."""
    if queue in CLOCK_QUEUES:
        clocks = _clock_queue_qs(user, queue, filters, now).order_by("due_at", "id")
        rows = clocks.values_list("ticket_id", "kind", "target", "due_at")[: EXPORT_CAP + 1]
        return [(r[0], r[1:]) for r in rows]
    qs = _queue_qs(user, queue, filters)
    if qs is None:
        return []
    return [(pk, None) for pk in qs.order_by("-id").values_list("pk", flat=True)[: EXPORT_CAP + 1]]


def tickets_export_rows(ids: list[int]) -> Iterator[dict[str, Any]]:
    """The listed tickets' columns, in the order of `ids`, read in batches (memory stays flat)."""
    for start in range(0, len(ids), _EXPORT_BATCH):
        chunk = ids[start : start + _EXPORT_BATCH]
        found = {r["id"]: r for r in Ticket.objects.filter(pk__in=chunk).values(*EXPORT_FIELDS)}
        for pk in chunk:
            if pk in found:
                yield found[pk]


def open_load(*, user: Any, team_id: int | None) -> list[dict[str, Any]]:
    """Agents' load for the supervisor dashboard: open tickets per assignee (of one team, or every
    team the user sees), most loaded first. One grouped query over the open-ticket partial indexes
    (tkt_open_team_id / tkt_open_assignee_id): the live state, not a rollup."""
    qs = tickets_visible_to(user).filter(status__open=True, assignee__isnull=False)
    if team_id:
        qs = qs.filter(team_id=team_id)
    return [
        dict(r)
        for r in qs.values("assignee_id", "assignee__display_name", "assignee__username")
        .annotate(n=Count("id"), waiting=Count("id", filter=Q(status=Status.WAITING_CUSTOMER)))
        .order_by("-n", "assignee__username")[:30]
    ]


def team_agents(*, team_id: int | None) -> list[dict[str, Any]]:
    """The active staff of one team (or of every team), for the team dashboard's links to each
    agent's figures; whether or not they hold open tickets now."""
    qs = User.objects.filter(is_active=True, customer__isnull=True, team__isnull=False)
    if team_id:
        qs = qs.filter(team_id=team_id)
    return [dict(r) for r in qs.order_by("username").values("pk", "display_name", "username")[:60]]
