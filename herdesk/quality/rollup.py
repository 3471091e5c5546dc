"""Per-agent daily rollups for the agent scorecard (KPI-3), on the model of analytics.rollup.

The KPI definitions are analytics.kpis' (the same day bounds, the same working-time handling time
on the office calendar, the same first-contact and follow-up-in-time rules, the same on-time rule
for clocks: met on time ÷ finished); only the dimension differs: the ticket's assignee. One row
per (agent, local day), additive, so a month, quarter or year is a SUM over an index range.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from herdesk.analytics.kpis import HANDLING_CALENDAR
from herdesk.analytics.rollup import LATE_DAYS, ZONE, day_bounds
from herdesk.calendars.selectors import working_calendar
from herdesk.clocks.choices import ClockState
from herdesk.clocks.models import Clock
from herdesk.tickets.models import FollowUp, Ticket, Transfer

from .models import AgentDailyStats, RollupMark

MARK = "agent-daily"


@transaction.atomic
def agent_rollup_day(day: dt.date) -> int:
    start, end = day_bounds(day)
    stats: dict[int, dict[str, Any]] = defaultdict(dict)

    def add(agent: int | None, key: str, n: int) -> None:
        if agent:
            stats[agent][key] = stats[agent].get(key, 0) + n

    calendar = working_calendar(HANDLING_CALENDAR)
    follow_up_met = Clock.objects.filter(
        ticket_id=OuterRef("pk"), kind="follow_up", state=ClockState.MET, stopped_at__lte=F("original_due_at")
    )
    transfers = (
        Transfer.objects.filter(ticket_id=OuterRef("pk"))
        .values("ticket_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    for t in (
        Ticket.objects.filter(resolved_at__gte=start, resolved_at__lt=end, assignee__isnull=False)
        .annotate(fu=Exists(follow_up_met), n_transfers=Subquery(transfers))
        .values("assignee_id", "received_at", "resolved_at", "reopen_count", "fu", "n_transfers")
        .iterator(chunk_size=2000)
    ):
        a = t["assignee_id"]
        add(a, "resolved", 1)
        add(a, "resolved_first_contact", int((t["n_transfers"] or 0) <= 1 and t["reopen_count"] == 0))
        add(a, "handling_seconds", calendar.elapsed(t["received_at"], t["resolved_at"]))  # type: ignore[arg-type]
        add(a, "followed_up_in_time", int(bool(t["fu"])))

    for row in (
        Clock.objects.filter(started_at__gte=start, started_at__lt=end, ticket__assignee__isnull=False)
        .values(agent=F("ticket__assignee_id"))
        .annotate(
            met=Count("id", filter=Q(state=ClockState.MET, stopped_at__lte=F("original_due_at"))),
            finished=Count("id", filter=Q(state__in=[ClockState.MET, ClockState.BREACHED])),
        )
    ):
        add(row["agent"], "clocks_met", row["met"])
        add(row["agent"], "clocks_finished", row["finished"])

    for rating in (
        FollowUp.objects.filter(recorded_at__gte=start, recorded_at__lt=end, ticket__assignee__isnull=False)
        .values(agent=F("ticket__assignee_id"))
        .annotate(n=Count("id"), total=Sum("score"))
    ):
        add(rating["agent"], "ratings", rating["n"])
        add(rating["agent"], "rating_sum", rating["total"] or 0)
    for done in (
        FollowUp.objects.filter(recorded_at__gte=start, recorded_at__lt=end, recorded_by__isnull=False)
        .values("recorded_by_id")
        .annotate(n=Count("id"))
    ):
        add(done["recorded_by_id"], "follow_ups_done", done["n"])

    AgentDailyStats.objects.filter(day=day).delete()
    AgentDailyStats.objects.bulk_create(AgentDailyStats(day=day, agent_id=a, **v) for a, v in stats.items())
    return len(stats)


def agent_rollup_range(first: dt.date, last: dt.date) -> int:
    n = 0
    day = first
    while day <= last:
        agent_rollup_day(day)
        n += 1
        day += dt.timedelta(days=1)
    return n


def agent_rollup_catch_up(*, now: dt.datetime | None = None) -> int:
    """Every day since the last complete one, the last LATE_DAYS again, and today so far."""
    today = timezone.localtime(now or timezone.now(), ZONE).date()
    mark, _created = RollupMark.objects.get_or_create(key=MARK)
    if mark.last_day is None:
        oldest = Ticket.objects.order_by("received_at").values_list("received_at", flat=True).first()
        if oldest is None:
            return 0
        first = timezone.localtime(oldest, ZONE).date()
    else:
        first = min(mark.last_day + dt.timedelta(days=1), today) - dt.timedelta(days=LATE_DAYS)
    n = agent_rollup_range(first, today)
    mark.last_day = today - dt.timedelta(days=1)
    mark.save(update_fields=["last_day"])
    return n
