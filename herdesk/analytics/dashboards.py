"""What the role dashboards and the reports page chart (KPI-2): chart specifications built from the
rollups only, each bar or point with the link to the tickets behind it.

A chart is a dict read by static/js/dashboards.js: `categories`, `series` (name, data), optional
`target` (a horizontal/vertical line) and `links` (one URL per category, or None where no queue
filter selects exactly those tickets, e.g. "no team"). A link opens the "all" queue with the
report's filters plus a received range: the queue then lists exactly the tickets the figure counts
(tests/test_dashboards.py checks it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils.translation import gettext as _

from . import kpis, sources
from .models import DailyAgentStats
from .periods import Period
from .selectors import BREAKDOWNS

ALL_QUEUE = "all"


def with_drill(chart: dict[str, Any]) -> dict[str, Any]:
    """The chart's links also as a list under it (keyboard and screen-reader users, and no script)."""
    links = chart.get("links") or []
    chart["drill"] = [(c, u) for c, u in zip(chart["categories"], links, strict=False) if u]
    return chart


def drill_url(first: dt.date, last: dt.date, filters: kpis.Filters | None = None, **extra: Any) -> str:
    """The "all" queue listing the tickets received first..last (local days) under these filters."""
    params = {"received_from": first.isoformat(), "received_to": last.isoformat()}
    params.update((filters or kpis.Filters()).as_params())
    params.update({k: str(v) for k, v in extra.items()})
    return f"{reverse('workspace:queue', args=[ALL_QUEUE])}?{urlencode(params)}"


def _bar_links(period: Period, filters: kpis.Filters | None, by: str, keys: list[Any]) -> list[str | None]:
    param = BREAKDOWNS[by][1]
    return [
        None if key in (0, "", None) else drill_url(period.first, period.last, filters, **{param: key})
        for key in keys
    ]


def breakdown_chart(
    chart_id: str,
    title: str,
    period: Period,
    filters: kpis.Filters | None,
    by: str,
    rows: list[tuple[Any, str, int]],
    limit: int = 12,
) -> dict[str, Any]:
    rows = rows[:limit]
    return with_drill(
        {
            "id": chart_id,
            "kind": "hbar",
            "title": title,
            "categories": [label for _k, label, _n in rows],
            "series": [{"name": _("Contacts received"), "data": [n for _k, _l, n in rows]}],
            "links": _bar_links(period, filters, by, [k for k, _l, _n in rows]),
        }
    )


def volume_charts(
    period: Period, filters: kpis.Filters | None, breakdown: dict[str, list[tuple[Any, str, int]]]
) -> list[dict[str, Any]]:
    """The reports page's volume charts: by channel, problem type, team, region, product, tier."""
    titles = {
        "channel": _("Contacts by channel"),
        "problem_type": _("Contacts by problem type"),
        "team": _("Contacts by team"),
        "region": _("Contacts by region"),
        "product": _("Contacts by product model"),
        "tier": _("Contacts by customer tier"),
    }
    return [
        breakdown_chart(f"chart-{by}", str(title), period, filters, by, breakdown.get(by, []))
        for by, title in titles.items()
    ]


# ---- the agent's dashboard: my figures today and this month against the targets ----------------

AGENT_SUMS = (
    "resolved",
    "resolved_first_contact",
    "handling_seconds",
    "followed_up_in_time",
    "closed",
    "closed_finalised",
    "ratings",
    "rating_sum",
    "ratings_satisfied",
    "first_response_finished",
    "first_response_met",
    "resolution_finished",
    "resolution_met",
)

# (code of the centre's KPI whose target applies, numerator, denominator) — same formulas as kpis.py.
AGENT_RATES = (
    ("first_response_on_time", "first_response_met", "first_response_finished"),
    ("resolution_on_time", "resolution_met", "resolution_finished"),
    ("first_contact_resolution", "resolved_first_contact", "resolved"),
    ("follow_up_rate", "followed_up_in_time", "resolved"),
    ("csat", "ratings_satisfied", "ratings"),
    ("record_completeness", "closed_finalised", "closed"),
)


RESOLVED_BASIS = {"first_contact_resolution", "follow_up_rate"}
# Figures counted over the tickets resolved / received / rated in the period.
RESOLVED_DRILL = RESOLVED_BASIS | {"resolved", "handling_time_avg", "handling_time_p90"}
RECEIVED_DRILL = {"received"}
RATED_DRILL = {"csat", "csat_average"}


def kpi_drill_url(
    code: str,
    first: dt.date,
    last: dt.date,
    filters: kpis.Filters | None = None,
    queue: str = ALL_QUEUE,
    extra: dict[str, Any] | None = None,
) -> str | None:
    """The queue listing the tickets behind a KPI of first..last (local days), or None where no queue
    filter selects them. A clock rate lists the tickets whose clock of that kind, started in the
    period, missed its original target (what a supervisor opens a red figure for); satisfaction the
    tickets whose follow-up was recorded in the period; the others by resolution or receipt day."""
    params: dict[str, Any] = {}
    if code in kpis.CLOCK_KPIS:
        kind, cond = kpis.CLOCK_KPIS[code]
        if "channel_group" in cond:  # a group of channels: no single queue filter
            return None
        params = {"clock": kind, "clock_from": first, "clock_to": last, "clock_missed": "on"}
        params.update(cond)  # complexity
    elif code in RATED_DRILL:
        params = {"rated_from": first, "rated_to": last}
    elif code in RESOLVED_DRILL:
        params = {"resolved_from": first, "resolved_to": last}
    elif code in RECEIVED_DRILL:
        params = {"received_from": first, "received_to": last}
    else:
        return None
    params.update((filters or kpis.Filters()).as_params())
    params.update(extra or {})
    return f"{reverse('workspace:queue', args=[queue])}?{urlencode({k: str(v) for k, v in params.items()})}"


def _agent_sums(user_id: int, first: dt.date, last: dt.date) -> dict[str, int]:
    row = DailyAgentStats.objects.filter(assignee_id=user_id, day__gte=first, day__lte=last).aggregate(
        **{c: Sum(c) for c in AGENT_SUMS}
    )
    return {k: v or 0 for k, v in row.items()}


def _agent_rows(sums: dict[str, int]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"code": "resolved", "name": str(kpis.BY_CODE["resolved"].name), "unit": "count",
         "value": sums["resolved"], "target": None, "met": None},
        {"code": "handling_time_avg", "name": str(kpis.BY_CODE["handling_time_avg"].name), "unit": "minutes",
         "value": sums["handling_seconds"] / 60 / sums["resolved"] if sums["resolved"] else None,
         "target": None, "met": None},
    ]  # fmt: skip
    for code, num, den in AGENT_RATES:
        k = kpis.BY_CODE[code]
        value = sums[num] / sums[den] if sums[den] else None
        met = None if value is None or k.target is None else value >= k.target
        rows.append(
            {"code": code, "name": str(k.name), "unit": "rate", "value": value, "target": k.target,
             "met": met, "numerator": sums[num], "denominator": sums[den]}
        )  # fmt: skip
    return rows


def agent_dashboard(user_id: int, today: dt.date, *, seen_by_other: bool = False) -> dict[str, Any]:
    """Today's and this month's figures of one agent (from DailyAgentStats: 3 queries). The agent's
    own links open "mine"; a supervisor's (`seen_by_other`) the "all" queue of that assignee."""
    first = today.replace(day=1)
    today_rows = _agent_rows(_agent_sums(user_id, today, today))
    month_rows = _agent_rows(_agent_sums(user_id, first, today))
    per_day = dict(
        DailyAgentStats.objects.filter(assignee_id=user_id, day__gte=first, day__lte=today).values_list(
            "day", "resolved"
        )
    )
    days = [first + dt.timedelta(days=i) for i in range((today - first).days + 1)]
    who: dict[str, Any] = {"assignee": user_id} if seen_by_other else {}
    queue = ALL_QUEUE if seen_by_other else "mine"
    mine = reverse("workspace:queue", args=[queue])
    resolved_chart = with_drill(
        {
            "id": "chart-my-resolved",
            "kind": "bar",
            "title": _("Resolved per day this month"),
            "categories": [f"{d:%m-%d}" for d in days],
            "series": [{"name": _("Tickets resolved"), "data": [per_day.get(d, 0) for d in days]}],
            # My tickets resolved that day: the "mine" queue with a resolved range lists them.
            "links": [f"{mine}?{urlencode({'resolved_from': d, 'resolved_to': d, **who})}" for d in days],
        }
    )
    rates = [r for r in month_rows if r["unit"] == "rate"]
    rate_chart = {
        "id": "chart-my-rates",
        "kind": "hbar",
        "percent": True,
        "title": _("This month against the targets"),
        "categories": [r["name"] for r in rates],
        "series": [
            {"name": _("This month"), "data": [r["value"] for r in rates]},
            {"name": _("Target value"), "data": [r["target"] for r in rates]},
        ],
        # My tickets behind each rate (the clock rates: those whose clock missed; CSAT: those rated
        # this month); record completeness counts closures, which no queue filter selects: no link.
        "links": [kpi_drill_url(r["code"], first, today, queue=queue, extra=who) for r in rates],
    }
    return {
        "today": today_rows,
        "month": month_rows,
        "charts": [resolved_chart, with_drill(rate_chart)],
        "first": first,
    }


# ---- management: the centre's KPIs, 12-month trends, top problems and regions, complaints -------


def _months_back(month: Period, n: int) -> list[Period]:
    out = [month]
    while len(out) < n:
        out.append(out[-1].previous())
    return out[::-1]


def _rate(n: float, d: float) -> float | None:
    return n / d if d else None


def monthly_trend(
    last_month: Period,
    filters: kpis.Filters | None = None,
    n: int = 12,
    *,
    source: sources.Source | None = None,
) -> dict[str, Any]:
    """Per month over the last n months, from the rollups (2 grouped queries; the narrow rollup
    unless a region, product or tier filter is set): contacts received and resolved, complaints,
    first-contact resolution, follow-up rate, CSAT, first response on time."""
    months = _months_back(last_month, n)
    first, last = months[0].first, months[-1].last
    f = filters or kpis.Filters()
    source = source or sources.rollup_source(f)
    tickets = {
        r["m"].strftime("%Y-%m"): r
        for r in sources.ticket_rows(first, last, f, source=source)
        .annotate(m=TruncMonth("day"))
        .values("m")
        .annotate(
            received_n=Sum("received"),
            resolved_n=Sum("resolved"),
            fcr=Sum("resolved_first_contact"),
            fu=Sum("followed_up_in_time"),
            ratings_n=Sum("ratings"),
            satisfied=Sum("ratings_satisfied"),
            complaints=Sum("received", filter=Q(problem_type="complaint")),
        )
        .order_by("m")
    }
    clocks = {
        r["m"].strftime("%Y-%m"): r
        for r in sources.clock_rows(first, last, f, source=source)
        .filter(kind="first_response")
        .annotate(m=TruncMonth("day"))
        .values("m")
        .annotate(met=Sum("met_on_time"), reneg=Sum("met_after_renegotiation"), breached_n=Sum("breached"))
        .order_by("m")
    }
    keys = ("labels", "received", "resolved", "complaints", "fcr", "follow_up", "csat", "first_response")
    out: dict[str, list[Any]] = {k: [] for k in (*keys, "periods")}
    for p in months:
        t, c = tickets.get(p.label, {}), clocks.get(p.label, {})
        out["labels"].append(p.label)
        out["periods"].append(p)
        out["received"].append(t.get("received_n") or 0)
        out["resolved"].append(t.get("resolved_n") or 0)
        out["complaints"].append(t.get("complaints") or 0)
        out["fcr"].append(_rate(t.get("fcr") or 0, t.get("resolved_n") or 0))
        out["follow_up"].append(_rate(t.get("fu") or 0, t.get("resolved_n") or 0))
        out["csat"].append(_rate(t.get("satisfied") or 0, t.get("ratings_n") or 0))
        finished = (c.get("met") or 0) + (c.get("reneg") or 0) + (c.get("breached_n") or 0)
        out["first_response"].append(_rate(c.get("met") or 0, finished))
    return out


MANAGEMENT_BREAKDOWNS = ("problem_type", "region")  # the breakdowns management_charts draws


def management_charts(
    month: Period, breakdown: dict[str, list[tuple[Any, str, int]]]
) -> list[dict[str, Any]]:
    trend = monthly_trend(month)
    periods = trend["periods"]
    all_q = reverse("workspace:queue", args=[ALL_QUEUE])

    def received_links(**extra: Any) -> list[str | None]:
        return [drill_url(p.first, p.last, None, **extra) for p in periods]

    resolved_links: list[str | None] = [
        f"{all_q}?{urlencode({'resolved_from': p.first, 'resolved_to': p.last})}" for p in periods
    ]
    return [
        with_drill({
            "id": "chart-volume-trend", "kind": "bar", "title": _("Contacts received, last 12 months"),
            "categories": trend["labels"],
            "series": [{"name": _("Contacts received"), "data": trend["received"]}],
            "links": received_links(),
        }),
        with_drill({
            "id": "chart-complaint-trend", "kind": "line", "title": _("Complaints per month"),
            "categories": trend["labels"],
            "series": [{"name": _("Complaints"), "data": trend["complaints"]}],
            "links": received_links(problem_type="complaint"),
        }),
        with_drill({
            "id": "chart-quality-trend", "kind": "line", "percent": True,
            "title": _("Resolved tickets: first-contact resolution and follow-up, last 12 months"),
            "categories": trend["labels"],
            "series": [
                {"name": str(kpis.BY_CODE["first_contact_resolution"].name), "data": trend["fcr"]},
                {"name": str(kpis.BY_CODE["follow_up_rate"].name), "data": trend["follow_up"]},
            ],
            "target": kpis.BY_CODE["follow_up_rate"].target,
            "links": resolved_links,
        }),
        breakdown_chart("chart-top-problems", str(_("Top problem types")), month, None, "problem_type",
                        breakdown.get("problem_type", []), limit=8),
        breakdown_chart("chart-top-regions", str(_("Top regions")), month, None, "region",
                        breakdown.get("region", []), limit=10),
    ]  # fmt: skip
