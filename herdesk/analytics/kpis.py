"""The KPI definitions (KPI-1; S1 §四(二)3, S3 §6.1–6.2) — one module, each formula also written
out in docs/kpis.md. Every figure is computed from the daily rollups (analytics.models), so any
period and filter is a sum; time-based figures count working time on the working calendar, with
调休 make-up days and holidays.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from herdesk.customers.models import Customer
from herdesk.tickets.choices import channel_group

from . import sources

# Handling time is working time on the centre's office calendar (the calendar of S1's working-day
# promises); a ticket received on a Saturday before a make-up Sunday starts counting on that Sunday.
HANDLING_CALENDAR = "office"

# Upper edges of the handling-time histogram, in working minutes: fine where the promises are
# (15 min, 4 h, 24 h), coarser beyond. A percentile is reported as the edge of its bucket.
_EDGES_MIN = (
    list(range(5, 61, 5))
    + list(range(75, 241, 15))
    + list(range(300, 1441, 60))
    + list(range(1680, 4321, 240))
    + [7200, 14400]
)
BUCKET_EDGES = tuple(m * 60 for m in _EDGES_MIN)


def empty_histogram() -> list[int]:
    return [0] * (len(BUCKET_EDGES) + 1)


def bucket_of(seconds: int) -> int:
    return bisect.bisect_left(BUCKET_EDGES, seconds)


def sum_histograms(histograms: Any) -> list[int]:
    """The bucket-wise sum of handling-time histograms (column sums in C through zip, not a Python
    loop per bucket: a month of a large centre has thousands of rollup rows)."""
    out = empty_histogram()
    rows = list(histograms)
    if rows:
        for i, n in enumerate(map(sum, itertools.zip_longest(*rows, fillvalue=0))):
            out[i] = n
    return out


def percentile_minutes(histogram: list[int], q: float) -> float | None:
    """The upper edge (minutes) of the bucket holding the q-th percentile; None without data."""
    total = sum(histogram)
    if not total:
        return None
    rank = q * total
    running = 0
    for i, n in enumerate(histogram):
        running += n
        if running >= rank:
            return BUCKET_EDGES[i] / 60 if i < len(BUCKET_EDGES) else float(BUCKET_EDGES[-1] / 60)
    return None


@dataclass(frozen=True)
class Kpi:
    code: str
    name: Any
    unit: str  # "rate" (0..1), "minutes", "count", "per10k", "score"
    target: float | None = None
    higher_is_better: bool = True
    group: str = "efficiency"


# Clock-based on-time rates: met on time ÷ finished (met on time + met after renegotiation + breached)
# of the clocks that started in the period — the compliance report's definition (HND-5: a
# renegotiated clock counts against its original due time here).
CLOCK_KPIS: dict[str, tuple[str, dict[str, Any]]] = {
    "first_response_on_time": ("first_response", {}),
    "first_response_on_time_primary": ("first_response", {"channel_group": "primary"}),
    "first_response_on_time_secondary": ("first_response", {"channel_group": "secondary"}),
    "triage_on_time": ("triage", {}),
    "acknowledge_on_time": ("acknowledge", {}),
    "solution_plan_on_time": ("solution_plan", {}),
    "resolution_on_time": ("resolution", {}),
    "resolution_on_time_simple": ("resolution", {"complexity": "simple"}),
    "resolution_on_time_general": ("resolution", {"complexity": "general"}),
    "resolution_on_time_complex": ("resolution", {"complexity": "complex"}),
    "close_on_time": ("record_finalize", {}),
    "complaint_start_on_time": ("complaint_start", {}),
    "complaint_solution_on_time": ("complaint_solution", {}),
}

KPIS: list[Kpi] = [
    Kpi("first_response_on_time", _("First response on time"), "rate", 0.95),
    Kpi(
        "first_response_on_time_primary",
        _("First response on time — hotline, email, chat, portal, WeChat (30 min)"),
        "rate",
        0.95,
    ),
    Kpi(
        "first_response_on_time_secondary",
        _("First response on time — social media, other email (2 working h)"),
        "rate",
        0.95,
    ),
    Kpi("triage_on_time", _("Triage within 3 minutes"), "rate", 0.95),
    Kpi("acknowledge_on_time", _("Acknowledged within 15 minutes"), "rate", 0.95),
    Kpi("solution_plan_on_time", _("Solution options on time"), "rate", 0.95),
    Kpi("resolution_on_time", _("Resolved on time"), "rate", 0.90),
    Kpi("resolution_on_time_simple", _("Resolved on time — simple (15 min)"), "rate", 0.90),
    Kpi("resolution_on_time_general", _("Resolved on time — general (4 h)"), "rate", 0.90),
    Kpi("resolution_on_time_complex", _("Resolved on time — complex (24 h)"), "rate", 0.90),
    Kpi("close_on_time", _("Record finalised within 24 h (close on time)"), "rate", 0.95),
    Kpi("complaint_start_on_time", _("Complaint handling started within 1 working day"), "rate", 1.0),
    Kpi("complaint_solution_on_time", _("Complaint solution on time (3 / 5 working days)"), "rate", 0.95),
    Kpi("renegotiation_rate", _("Renegotiated clocks"), "rate", 0.05, higher_is_better=False),
    Kpi("first_contact_resolution", _("First-contact resolution"), "rate", 0.70),
    Kpi("handling_time_avg", _("Average handling time (working minutes)"), "minutes", None, False),
    Kpi(
        "handling_time_p90", _("Handling time, 90th percentile (working minutes, ≤)"), "minutes", None, False
    ),
    Kpi("csat", _("Satisfied customers (score 4–5)"), "rate", 0.90, group="quality"),
    Kpi("csat_average", _("Average satisfaction score (1–5)"), "score", 4.5, group="quality"),
    Kpi("follow_up_rate", _("Follow-up within 3 working days"), "rate", 0.90, group="quality"),
    Kpi("record_completeness", _("Record completeness"), "rate", 1.0, group="quality"),
    Kpi("process_compliance", _("Process compliance"), "rate", 0.95, group="quality"),
    Kpi("complaint_rate", _("Complaints per 10,000 customers"), "per10k", None, False, "complaints"),
    Kpi(
        "repeat_contact_rate",
        _("Repeat contacts (same customer and problem within 7 days)"),
        "rate",
        0.10,
        False,
        "quality",
    ),
    Kpi("received", _("Contacts received"), "count", None, group="volume"),
    Kpi("resolved", _("Tickets resolved"), "count", None, group="volume"),
    Kpi("backlog", _("Open tickets at the end of the period"), "count", None, False, "volume"),
]
BY_CODE = {k.code: k for k in KPIS}


@dataclass
class Filters:
    team_id: int | None = None
    channel: str | None = None
    problem_type: str | None = None
    region: str | None = None  # a prefix, as the queues filter it: "内蒙古" is every city of the province
    product_id: int | None = None
    tier: str | None = None

    def apply(self, qs: Any) -> Any:
        if self.team_id is not None:
            qs = qs.filter(team_id=self.team_id)
        if self.channel:
            qs = qs.filter(channel=self.channel)
        if self.problem_type:
            qs = qs.filter(problem_type=self.problem_type)
        if self.region:
            qs = qs.filter(region__startswith=self.region)
        if self.product_id is not None:
            qs = qs.filter(product_id=self.product_id)
        if self.tier:
            qs = qs.filter(tier=self.tier)
        return qs

    def as_params(self) -> dict[str, str]:
        """The same filters as the ticket queues' GET parameters (forms.QueueFilterForm), for the
        drill-down from a figure to the tickets behind it."""
        out = {
            "team": self.team_id,
            "channel": self.channel,
            "problem_type": self.problem_type,
            "region": self.region,
            "product": self.product_id,
            "tier": self.tier,
        }
        return {k: str(v) for k, v in out.items() if v not in (None, "")}


@dataclass
class KpiValue:
    code: str
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


TICKET_SUMS = (
    "received",
    "repeat_contacts",
    "resolved",
    "resolved_first_contact",
    "resolved_reopened",
    "handling_seconds",
    "followed_up_in_time",
    "ratings",
    "rating_sum",
    "ratings_satisfied",
    "ratings_fully_solved",
    "closed",
    "closed_finalised",
    "closed_compliant",
)


def _ratio(n: float, d: float) -> KpiValue:
    return KpiValue("", (n / d) if d else None, n, d)


def compute(
    first: dt.date,
    last: dt.date,
    filters: Filters | None = None,
    *,
    customers: int | None = None,
    source: sources.Source | None = None,
) -> dict[str, KpiValue]:
    """Every indicator for the local days first..last inclusive, from the rollups — the narrow one
    unless a region, product or tier filter needs the wide one (analytics.sources; `source` forces
    one, for the tests that prove both give the same figures)."""
    filters = filters or Filters()
    source = source or sources.rollup_source(filters)
    tickets = sources.ticket_rows(first, last, filters, source=source)
    sums = tickets.aggregate(**{c: Sum(c) for c in TICKET_SUMS})
    sums = {k: v or 0 for k, v in sums.items()}
    histogram = sum_histograms(tickets.exclude(resolved=0).values_list("handling_histogram", flat=True))
    # The backlog at the end of the period — or, for a period still running, at the end of today
    # (the rollup's latest day: the future has no rows yet).
    backlog_day = min(last, timezone.localdate())
    backlog = (
        sources.ticket_rows(backlog_day, backlog_day, filters, source=source).aggregate(
            n=Sum("backlog_end_of_day")
        )["n"]
        or 0
    )

    clock_rows = list(
        sources.clock_rows(first, last, filters, source=source)
        .values("kind", "channel", "complexity")
        .annotate(
            total=Sum("total"),
            met=Sum("met_on_time"),
            reneg=Sum("met_after_renegotiation"),
            breached=Sum("breached"),
            renegotiated=Sum("renegotiated"),
        )
    )
    out: dict[str, KpiValue] = {}
    for code, (kind, cond) in CLOCK_KPIS.items():
        met = finished = 0
        for r in clock_rows:
            if r["kind"] != kind:
                continue
            if "complexity" in cond and r["complexity"] != cond["complexity"]:
                continue
            if "channel_group" in cond and channel_group(r["channel"]) != cond["channel_group"]:
                continue
            met += r["met"]
            finished += r["met"] + r["reneg"] + r["breached"]
        out[code] = _ratio(met, finished)
    total_clocks = sum(r["total"] for r in clock_rows)
    out["renegotiation_rate"] = _ratio(sum(r["renegotiated"] for r in clock_rows), total_clocks)
    out["first_contact_resolution"] = _ratio(sums["resolved_first_contact"], sums["resolved"])
    out["handling_time_avg"] = KpiValue(
        "",
        sums["handling_seconds"] / 60 / sums["resolved"] if sums["resolved"] else None,
        sums["handling_seconds"] / 60,
        sums["resolved"],
    )
    out["handling_time_p90"] = KpiValue(
        "", percentile_minutes(histogram, 0.9), extra={"histogram": histogram}
    )
    out["csat"] = _ratio(sums["ratings_satisfied"], sums["ratings"])
    out["csat_average"] = KpiValue(
        "",
        sums["rating_sum"] / sums["ratings"] if sums["ratings"] else None,
        sums["rating_sum"],
        sums["ratings"],
    )
    out["follow_up_rate"] = _ratio(sums["followed_up_in_time"], sums["resolved"])
    out["record_completeness"] = _ratio(sums["closed_finalised"], sums["closed"])
    out["process_compliance"] = _ratio(sums["closed_compliant"], sums["closed"])
    complaints = tickets.filter(problem_type="complaint").aggregate(n=Sum("received"))["n"] or 0
    if customers is None:
        customers = Customer.objects.count()
    out["complaint_rate"] = KpiValue(
        "", complaints * 10000 / customers if customers else None, complaints, customers
    )
    out["repeat_contact_rate"] = _ratio(sums["repeat_contacts"], sums["received"])
    out["received"] = KpiValue("", sums["received"])
    out["resolved"] = KpiValue("", sums["resolved"])
    out["backlog"] = KpiValue("", backlog)
    for code, v in out.items():
        v.code = code
    return out


def volumes(
    first: dt.date,
    last: dt.date,
    by: str,
    filters: Filters | None = None,
    *,
    source: sources.Source | None = None,
) -> list[tuple[str, int]]:
    """Contacts received per channel / problem_type / team_id / region / product_id / tier, largest
    first (by region, product or tier from the wide rollup, the others from the narrow one)."""
    # received > 0: the rows that count (and on the wide table, its covering partial index).
    qs = sources.ticket_rows(first, last, filters or Filters(), by=by, source=source).filter(received__gt=0)
    rows = qs.values(by).annotate(n=Sum("received")).order_by("-n")
    return [(r[by], r["n"] or 0) for r in rows if r["n"]]
