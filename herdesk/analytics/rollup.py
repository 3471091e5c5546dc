"""Maintaining the daily rollups (KPI-1): one local day at a time, replaced whole.

`rollup_day` recomputes one day from the tickets, clocks and follow-ups of that day (a handful of
grouped queries over indexed time ranges). Late events — a clock breached, a record finalised or a
follow-up made after the day — change a past day's figures, so the nightly job recomputes the last
`LATE_DAYS` days as well; `rollup_catch_up` fills every day missed while the system was down, and
`herdesk kpi --recompute` rebuilds any period (with a progress bar). Each day writes the wide rollup
rows and, from the same rows in memory, the narrow ones (#18; analytics.sources says who reads which).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from herdesk.calendars.selectors import working_calendar
from herdesk.clocks.models import Clock, ClockState
from herdesk.tickets.choices import Status
from herdesk.tickets.models import FollowUp, Ticket, Transfer

from .kpis import HANDLING_CALENDAR, TICKET_SUMS, bucket_of, empty_histogram
from .models import (
    DailyAgentStats,
    DailyClockStats,
    DailyClockStatsNarrow,
    DailyTicketStats,
    DailyTicketStatsNarrow,
    HourlyContactStats,
    RollupState,
)
from .rows import replace_day
from .stages import rollup_stages

ZONE = ZoneInfo("Asia/Shanghai")
LATE_DAYS = 7
REPEAT_WINDOW = dt.timedelta(days=7)
STATE_KEY = "daily"


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), ZONE)
    return start, start + dt.timedelta(days=1)


Dims = tuple[int, str, str, str, int, str]
# The rollup's dimensions as lookups from a Ticket, and from a row related to one (follow-ups, clocks).
DIMS = ("team_id", "channel", "problem_type", "region", "product_id", "tier")
TICKET_DIMS = {"tier": F("customer__tier")}
RELATED_DIMS = {d: F(f"ticket__{d}") for d in DIMS[:5]} | {"tier": F("ticket__customer__tier")}


def _dims(row: Any) -> Dims:
    return (
        row.get("team_id") or 0,
        row["channel"],
        row["problem_type"],
        row.get("region") or "",
        row.get("product_id") or 0,
        row.get("tier") or "",
    )


def _no_jit() -> None:
    """PostgreSQL compiles the day's grouped queries (many FILTER aggregates over tens of thousands
    of rows, a high plan cost) with JIT: at 1,000,000 tickets that took ~1 s per query, more than
    running it. Off for this transaction only (SET LOCAL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET LOCAL jit = off")


@transaction.atomic
def rollup_day(day: dt.date) -> int:
    """Replace the rollup rows of one local day. Returns the number of rows written."""
    _no_jit()
    start, end = day_bounds(day)
    stats: dict[Dims, dict[str, Any]] = defaultdict(lambda: {"handling_histogram": empty_histogram()})
    dims = DIMS[:5]

    received = Ticket.objects.filter(received_at__gte=start, received_at__lt=end)
    earlier_same = Ticket.objects.filter(
        customer_id=OuterRef("customer_id"),
        problem_type=OuterRef("problem_type"),
        received_at__lt=OuterRef("received_at"),
        received_at__gte=OuterRef("received_at") - REPEAT_WINDOW,
    )
    for row in (
        received.annotate(repeat=Exists(earlier_same))
        .values(*dims, **TICKET_DIMS)
        .annotate(n=Count("id"), rep=Count("id", filter=Q(repeat=True)))
    ):
        s = stats[_dims(row)]
        s["received"] = row["n"]
        s["repeat_contacts"] = row["rep"]

    # Resolved on the day: first-contact resolution, handling time (working time), follow-up in time.
    calendar = working_calendar(HANDLING_CALENDAR)
    agents: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    follow_up_met = Clock.objects.filter(
        ticket_id=OuterRef("pk"),
        kind="follow_up",
        state=ClockState.MET,
        stopped_at__lte=F("original_due_at"),
    )
    transfers = (
        Transfer.objects.filter(ticket_id=OuterRef("pk"))
        .values("ticket_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    for t in (
        Ticket.objects.filter(resolved_at__gte=start, resolved_at__lt=end)
        .annotate(fu=Exists(follow_up_met), n_transfers=Subquery(transfers))
        .values(
            *dims,
            "assignee_id",
            "received_at",
            "resolved_at",
            "reopen_count",
            "fu",
            "n_transfers",
            **TICKET_DIMS,
        )
        .iterator(chunk_size=2000)
    ):
        s = stats[_dims(t)]
        s["resolved"] = s.get("resolved", 0) + 1
        first_contact = (t["n_transfers"] or 0) <= 1 and t[
            "reopen_count"
        ] == 0  # the first routing is no transfer
        s["resolved_first_contact"] = s.get("resolved_first_contact", 0) + first_contact
        s["resolved_reopened"] = s.get("resolved_reopened", 0) + (t["reopen_count"] > 0)
        seconds = calendar.elapsed(t["received_at"], t["resolved_at"])
        s["handling_seconds"] = s.get("handling_seconds", 0) + seconds
        s["handling_histogram"][bucket_of(seconds)] += 1
        s["followed_up_in_time"] = s.get("followed_up_in_time", 0) + bool(t["fu"])
        if t["assignee_id"]:
            a = agents[t["assignee_id"]]
            a["team_id"] = t["team_id"] or 0
            a["resolved"] += 1
            a["resolved_first_contact"] += first_contact
            a["handling_seconds"] += seconds
            a["followed_up_in_time"] += bool(t["fu"])

    for row in (
        FollowUp.objects.filter(recorded_at__gte=start, recorded_at__lt=end)
        .values(**RELATED_DIMS)
        .annotate(
            n=Count("id"),
            total=Sum("score"),
            satisfied=Count("id", filter=Q(score__gte=4)),
            solved=Count("id", filter=Q(fully_solved=True)),
        )
    ):
        s = stats[_dims(row)]
        s["ratings"] = row["n"]
        s["rating_sum"] = row["total"] or 0
        s["ratings_satisfied"] = row["satisfied"]
        s["ratings_fully_solved"] = row["solved"]

    has_follow_up = FollowUp.objects.filter(ticket_id=OuterRef("pk"))
    for row in (
        Ticket.objects.filter(closed_at__gte=start, closed_at__lt=end)
        .annotate(fu=Exists(has_follow_up))
        .values(*dims, **TICKET_DIMS)
        .annotate(
            n=Count("id"),
            finalised=Count("id", filter=Q(record_finalized_at__isnull=False)),
            compliant=Count(
                "id",
                filter=Q(
                    record_finalized_at__isnull=False,
                    acknowledged_at__isnull=False,
                    first_response_at__isnull=False,
                    fu=True,
                ),
            ),
        )
    ):
        s = stats[_dims(row)]
        s["closed"] = row["n"]
        s["closed_finalised"] = row["finalised"]
        s["closed_compliant"] = row["compliant"]

    # Backlog at the end of the day: received by then and not yet closed or cancelled by then.
    for row in (
        Ticket.objects.filter(received_at__lt=end)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end))
        .exclude(status=Status.CANCELLED)
        .exclude(status=Status.CLOSED, closed_at__isnull=True)
        .values(*dims, **TICKET_DIMS)
        .annotate(n=Count("id"))
    ):
        stats[_dims(row)]["backlog_end_of_day"] = row["n"]

    # Plain tuples through COPY (analytics.rows): the busiest day has tens of thousands of wide rows.
    replace_day(
        DailyTicketStats, day, (*DIMS, *TICKET_COLUMNS), ((*k, *_ticket_values(v)) for k, v in stats.items())
    )
    narrow = _narrow_tickets(stats)
    replace_day(
        DailyTicketStatsNarrow,
        day,
        (*NARROW_DIMS, *TICKET_COLUMNS),
        ((*k, *_ticket_values(v)) for k, v in narrow.items()),
    )

    clocks: list[Any] = list(
        Clock.objects.filter(started_at__gte=start, started_at__lt=end)
        .exclude(state=ClockState.CANCELLED)
        .values("kind", complexity=F("ticket__complexity"), **RELATED_DIMS)
        .annotate(
            total=Count("id"),
            met_on_time=Count("id", filter=Q(state=ClockState.MET, stopped_at__lte=F("original_due_at"))),
            met_after_renegotiation=Count(
                "id", filter=Q(state=ClockState.MET, renegotiated=True, stopped_at__gt=F("original_due_at"))
            ),
            breached=Count("id", filter=Q(state=ClockState.BREACHED)),
            running=Count("id", filter=Q(state__in=[ClockState.RUNNING, ClockState.PAUSED])),
            renegotiated_n=Count("id", filter=Q(renegotiated=True)),  # (a Clock field is "renegotiated")
        )
        .order_by()
    )
    clock_rows = [
        (c["kind"], *_dims(c), c["complexity"], *(c[f] for f in CLOCK_FIGURES[:-1]), c["renegotiated_n"])
        for c in clocks
    ]
    replace_day(DailyClockStats, day, ("kind", *DIMS, "complexity", *CLOCK_FIGURES), clock_rows)
    narrow_clocks = _narrow_clocks(clock_rows)
    replace_day(
        DailyClockStatsNarrow,
        day,
        (*NARROW_CLOCK_DIMS, *CLOCK_FIGURES),
        ((*k, *v) for k, v in narrow_clocks.items()),
    )

    _rollup_agents(day, start, end, agents)
    stage_rows = rollup_stages(day, start, end)

    hourly: dict[tuple[int, str], int] = defaultdict(int)
    for received_at, channel in received.values_list("received_at", "channel").iterator(chunk_size=5000):
        hourly[(received_at.astimezone(ZONE).hour, channel)] += 1
    HourlyContactStats.objects.filter(day=day).delete()
    HourlyContactStats.objects.bulk_create(
        HourlyContactStats(day=day, hour=h, channel=c, received=n) for (h, c), n in hourly.items()
    )
    wide = len(stats) + len(clock_rows)
    return wide + len(narrow) + len(narrow_clocks) + len(hourly) + len(agents) + stage_rows


# The narrow rollup (#18) is the wide one summed over region, product and tier, computed from the
# same in-memory rows in the same transaction — so the two tables cannot disagree.
NARROW_DIMS = ("team_id", "channel", "problem_type")
NARROW_CLOCK_DIMS = ("kind", "team_id", "channel", "problem_type", "complexity")
CLOCK_FIGURES = ("total", "met_on_time", "met_after_renegotiation", "breached", "running", "renegotiated")
TICKET_COLUMNS = (*TICKET_SUMS, "backlog_end_of_day", "handling_histogram")


def _ticket_values(v: dict[str, Any]) -> list[Any]:
    return [v.get(c, 0) for c in TICKET_COLUMNS[:-1]] + [v["handling_histogram"]]


def _narrow_tickets(stats: dict[Dims, dict[str, Any]]) -> dict[tuple[int, str, str], dict[str, Any]]:
    out: dict[tuple[int, str, str], dict[str, Any]] = {}
    for k, v in stats.items():
        n = out.setdefault(k[:3], {"handling_histogram": empty_histogram()})
        for column, x in v.items():
            if column == "handling_histogram":
                n[column] = [a + b for a, b in zip(n[column], x, strict=True)]
            else:
                n[column] = n.get(column, 0) + x
    return out


def _narrow_clocks(rows: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], list[int]]:
    """Wide clock rows (kind, team, channel, type, region, product, tier, complexity, figures…) summed
    by kind, team, channel, type and complexity."""
    out: dict[tuple[Any, ...], list[int]] = {}
    width = len(CLOCK_FIGURES)
    for r in rows:
        n = out.setdefault((*r[:4], r[7]), [0] * width)
        for i, x in enumerate(r[8:]):
            n[i] += x
    return out


def _rollup_agents(day: dt.date, start: dt.datetime, end: dt.datetime, agents: Any) -> None:
    """The agent dashboard's rollup (by the ticket's current assignee); `agents` already holds the
    resolved tickets' figures from rollup_day's pass over them."""
    for row in (
        Ticket.objects.filter(closed_at__gte=start, closed_at__lt=end, assignee_id__isnull=False)
        .values("assignee_id")
        .annotate(n=Count("id"), finalised=Count("id", filter=Q(record_finalized_at__isnull=False)))
    ):
        agents[row["assignee_id"]]["closed"] = row["n"]
        agents[row["assignee_id"]]["closed_finalised"] = row["finalised"]
    rated: Any
    for rated in (
        FollowUp.objects.filter(
            recorded_at__gte=start, recorded_at__lt=end, ticket__assignee_id__isnull=False
        )
        .values(assignee_id=F("ticket__assignee_id"))
        .annotate(n=Count("id"), total=Sum("score"), satisfied=Count("id", filter=Q(score__gte=4)))
    ):
        a = agents[rated["assignee_id"]]
        a["ratings"], a["rating_sum"] = rated["n"], rated["total"] or 0
        a["ratings_satisfied"] = rated["satisfied"]
    finished = Q(state=ClockState.BREACHED) | Q(state=ClockState.MET)
    on_time = Q(state=ClockState.MET, stopped_at__lte=F("original_due_at"))
    clock: Any
    for clock in (
        Clock.objects.filter(
            started_at__gte=start,
            started_at__lt=end,
            kind__in=("first_response", "resolution"),
            ticket__assignee_id__isnull=False,
        )
        .values("kind", assignee_id=F("ticket__assignee_id"))
        .annotate(done=Count("id", filter=finished), met=Count("id", filter=on_time))
    ):
        a = agents[clock["assignee_id"]]
        a[f"{clock['kind']}_finished"] = clock["done"]
        a[f"{clock['kind']}_met"] = clock["met"]
    DailyAgentStats.objects.filter(day=day).delete()
    DailyAgentStats.objects.bulk_create(
        DailyAgentStats(day=day, assignee_id=pk, **fields) for pk, fields in agents.items()
    )


def rollup_range(first: dt.date, last: dt.date, *, progress: Callable[[dt.date], None] | None = None) -> int:
    """Recompute every day from `first` to `last` inclusive (any past period, e.g. a whole year)."""
    written = 0
    day = first
    while day <= last:
        written += rollup_day(day)
        if progress:
            progress(day)
        day += dt.timedelta(days=1)
    return written


def rollup_catch_up(*, now: dt.datetime | None = None) -> tuple[dt.date, dt.date] | None:
    """The nightly job: every day since the last complete one (catching up after downtime), the last
    LATE_DAYS again for late events, and today so far (dashboards show "today")."""
    today = timezone.localtime(now or timezone.now(), ZONE).date()
    state, _ = RollupState.objects.get_or_create(key=STATE_KEY)
    if state.last_day is None:
        oldest = Ticket.objects.order_by("received_at").values_list("received_at", flat=True).first()
        if oldest is None:
            return None
        first = timezone.localtime(oldest, ZONE).date()
    else:
        first = min(state.last_day + dt.timedelta(days=1), today) - dt.timedelta(days=LATE_DAYS)
    rollup_range(first, today)
    state.last_day = today - dt.timedelta(days=1)
    state.save(update_fields=["last_day", "updated_at"])
    return first, today
