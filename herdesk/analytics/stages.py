"""Bottleneck analysis (#18; S2 服务数据汇总 "瓶颈分析"): where the working time of a ticket goes,
stage by stage of the lifecycle, per team and category, and which stages, teams and categories
miss their promises most.

Basis: tickets **resolved** on a local day (their stages are known by then; the follow-up comes
later and is caught by the rollup's late-event window, like the follow-up rate). Working time is
counted on the office calendar (analytics.kpis.HANDLING_CALENDAR), with 调休 make-up days.

- triage: the triage clock, from its start (received) to its stop (routed);
- acknowledge: the acknowledge clock, from the assignment to the acknowledgement;
- options: the solution-plan clock, to the solution options given;
- customer: every spell in "waiting for customer" (the ticket's status-change events);
- resolution: from the end of the options (else the acknowledgement, else receipt) to the
  resolution, less the time waiting for the customer; its clock is the resolution clock;
- follow_up: the follow-up clock, from the resolution to the follow-up made.

A clock that never stopped counts up to the resolution (follow-up: not at all until it stops). A
stage "breached" when its clock missed its original due time (breached, or met late after a
renegotiation — HND-5 counts a renegotiated clock against its original promise). Clocks of every
cycle (after a reopening) add up.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from herdesk.calendars.selectors import working_calendar
from herdesk.clocks.models import Clock, ClockState
from herdesk.staff.models import Team
from herdesk.tickets.choices import InteractionKind, Status
from herdesk.tickets.models import Category, Interaction, Ticket

from . import kpis
from .models import DailyStageStats
from .periods import Period

STAGES: tuple[tuple[str, Any], ...] = (
    ("triage", _lazy("Waiting for triage")),
    ("acknowledge", _lazy("Waiting for acknowledgement")),
    ("options", _lazy("Waiting for solution options")),
    ("customer", _lazy("Waiting for the customer")),
    ("resolution", _lazy("Resolution")),
    ("follow_up", _lazy("Follow-up")),
)
CLOCK_OF = {
    "triage": "triage",
    "acknowledge": "acknowledge",
    "options": "solution_plan",
    "resolution": "resolution",
    "follow_up": "follow_up",
}
STAGE_OF = {v: k for k, v in CLOCK_OF.items()}
CHUNK = 2000
LATE = ExpressionWrapper(Q(stopped_at__gt=F("original_due_at")), output_field=BooleanField())


def _breached(c: dict[str, Any]) -> bool:
    if c["state"] == ClockState.BREACHED:
        return True
    return bool(c["late"])  # stopped after the original due time (computed in SQL: see rollup_stages)


def _waiting(events: list[Any], resolved: dt.datetime, calendar: Any) -> int:
    """Working seconds in "waiting for customer", from the ticket's status-change events."""
    total, since = 0, None
    for e in events:
        data = e["data"] or {}
        if data.get("to_status") == Status.WAITING_CUSTOMER and since is None:
            since = e["occurred_at"]
        elif data.get("from_status") == Status.WAITING_CUSTOMER and since is not None:
            total += calendar.elapsed(since, min(e["occurred_at"], resolved))
            since = None
    if since is not None and since < resolved:
        total += calendar.elapsed(since, resolved)
    return total


def ticket_stages(
    t: Any, clocks: list[Any], events: list[Any], calendar: Any
) -> dict[str, tuple[int, int, int]]:
    """stage → (working seconds, clocks, breached) of one resolved ticket."""
    out: dict[str, list[int]] = {}
    resolved = t["resolved_at"]
    options_end = None
    for c in clocks:
        stage = STAGE_OF[c["kind"]]
        end = c["stopped_at"]
        if end is None:
            if stage == "follow_up":
                continue
            end = resolved
        if stage == "options" and c["stopped_at"]:
            options_end = max(options_end or c["stopped_at"], c["stopped_at"])
        if stage == "resolution":
            continue  # the resolution stage is measured below; its clock only counts the breach
        s = out.setdefault(stage, [0, 0, 0])
        s[0] += calendar.elapsed(c["started_at"], max(end, c["started_at"]))
        s[1] += 1
        s[2] += _breached(c)
    waiting = _waiting(events, resolved, calendar)
    if waiting:
        out["customer"] = [waiting, 0, 0]
    anchor = options_end or t["acknowledged_at"] or t["received_at"]
    work = max(0, calendar.elapsed(min(anchor, resolved), resolved) - waiting)
    res = out.setdefault("resolution", [work, 0, 0])
    for c in clocks:
        if c["kind"] == "resolution":
            res[1] += 1
            res[2] += _breached(c)
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


@transaction.atomic
def rollup_stages(day: dt.date, start: dt.datetime, end: dt.datetime) -> int:
    """Replace one local day's stage rollup (tickets resolved that day). Returns rows written."""
    calendar = working_calendar(kpis.HANDLING_CALENDAR)
    stats: dict[tuple[int, int, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    tickets: list[Any] = list(
        Ticket.objects.filter(resolved_at__gte=start, resolved_at__lt=end).values(
            "pk", "team_id", "category_id", "received_at", "acknowledged_at", "resolved_at"
        )
    )
    for i in range(0, len(tickets), CHUNK):
        chunk = tickets[i : i + CHUNK]
        ids = [t["pk"] for t in chunk]
        clocks: dict[int, list[Any]] = defaultdict(list)
        for c in (
            Clock.objects.filter(ticket_id__in=ids, kind__in=list(STAGE_OF))
            .exclude(state=ClockState.CANCELLED)
            # "late" in SQL rather than a third timestamp per clock to parse in Python (#18).
            .values("ticket_id", "kind", "state", "started_at", "stopped_at", late=LATE)
        ):
            clocks[c["ticket_id"]].append(c)
        events: dict[int, list[Any]] = defaultdict(list)
        for e in (
            # Only the status changes into or out of "waiting for customer" (all _waiting reads):
            # a resolved ticket has many other system events, each a JSON document to fetch and
            # decode in the nightly rollup (#18).
            Interaction.objects.filter(ticket_id__in=ids, kind=InteractionKind.SYSTEM_EVENT)
            .filter(Q(data__to_status=Status.WAITING_CUSTOMER) | Q(data__from_status=Status.WAITING_CUSTOMER))
            .order_by("occurred_at", "id")
            .values("ticket_id", "occurred_at", "data")
        ):
            events[e["ticket_id"]].append(e)
        for t in chunk:
            for stage, (seconds, n_clocks, breached) in ticket_stages(
                t, clocks[t["pk"]], events[t["pk"]], calendar
            ).items():
                s = stats[(t["team_id"] or 0, t["category_id"] or 0, stage)]
                s[0] += 1
                s[1] += seconds
                s[2] += n_clocks
                s[3] += breached
    DailyStageStats.objects.filter(day=day).delete()
    DailyStageStats.objects.bulk_create(
        DailyStageStats(
            day=day, team_id=k[0], category_id=k[1], stage=k[2], tickets=v[0], seconds=v[1], clocks=v[2],
            breached=v[3],
        )
        for k, v in stats.items()
    )  # fmt: skip
    return len(stats)


def resolved_url(period: Period, filters: kpis.Filters | None = None, **extra: Any) -> str:
    """The "all" queue listing the tickets resolved in the period (with the team filter)."""
    params: dict[str, Any] = {"resolved_from": period.first, "resolved_to": period.last}
    if filters and filters.team_id is not None:
        params["team"] = filters.team_id
    params.update(extra)
    return f"{reverse('workspace:queue', args=['all'])}?{urlencode(params)}"


def _sums(qs: Any, by: str) -> list[dict[str, Any]]:
    return list(
        qs.values(by).annotate(
            n=Sum("tickets"), secs=Sum("seconds"), clocks_n=Sum("clocks"), breached_n=Sum("breached")
        )
    )


def bottleneck_report(period: Period, filters: kpis.Filters | None = None) -> dict[str, Any]:
    """Per stage the average working hours of a resolved ticket in it and the share of its clocks
    that breached; the teams and categories with the most breaches. From DailyStageStats (5 queries)."""
    qs = DailyStageStats.objects.filter(day__gte=period.first, day__lte=period.last)
    if filters and filters.team_id is not None:
        qs = qs.filter(team_id=filters.team_id)
    by_stage: dict[str, dict[str, Any]] = {r["stage"]: r for r in _sums(qs, "stage")}
    stages: list[dict[str, Any]] = []
    for code, name in STAGES:
        r = by_stage.get(code, {})
        n, secs, clocks, breached = (r.get(k) or 0 for k in ("n", "secs", "clocks_n", "breached_n"))
        stages.append(
            {
                "code": code,
                "name": str(name),
                "tickets": n,
                "hours_avg": secs / 3600 / n if n else None,
                "hours_total": secs / 3600,
                "clocks": clocks,
                "breached": breached,
                "breach_rate": breached / clocks if clocks else None,
            }
        )
    total_hours = sum(s["hours_total"] for s in stages)
    for s in stages:
        s["share"] = s["hours_total"] / total_hours if total_hours else None

    def ranked(by: str, names: dict[Any, str]) -> list[dict[str, Any]]:
        # Every resolved ticket has a "resolution" row: its count is the number of tickets.
        tickets = {r[by]: r["n"] or 0 for r in _sums(qs.filter(stage="resolution"), by)}
        rows = [
            {
                "key": r[by],
                "name": names.get(r[by], "—"),
                "tickets": tickets.get(r[by], 0),
                "hours": (r["secs"] or 0) / 3600,
                "clocks": r["clocks_n"] or 0,
                "breached": r["breached_n"] or 0,
                "breach_rate": (r["breached_n"] or 0) / r["clocks_n"] if r["clocks_n"] else None,
                "link": resolved_url(period, filters, **({"team": r[by]} if by == "team_id" else {}))
                if r[by] and by == "team_id"
                else None,
            }
            for r in _sums(qs, by)
        ]
        return sorted(rows, key=lambda r: (-r["breached"], -r["tickets"], str(r["name"])))[:10]

    teams = ranked("team_id", dict(Team.objects.values_list("pk", "name")))
    categories = ranked("category_id", dict(Category.objects.values_list("pk", "name")))
    chart = {
        "id": "chart-bottlenecks",
        "kind": "hbar",
        "title": _("Where the working time goes: average working hours per resolved ticket"),
        "categories": [s["name"] for s in stages],
        "series": [{"name": _("Working hours"), "data": [round(s["hours_avg"] or 0, 2) for s in stages]}],
        # The tickets behind every stage: those resolved in the period (the analysis's basis).
        "links": [resolved_url(period, filters)] * len(stages),
    }
    return {"stages": stages, "teams": teams, "categories": categories, "chart": chart}
