"""The KPI report of a period with its comparisons — what the reports page, the API, the command and
the report pack all read."""

from __future__ import annotations

from typing import Any

from herdesk.catalog.models import Product
from herdesk.customers.choices import Tier
from herdesk.customers.models import Customer
from herdesk.staff.models import Team
from herdesk.tickets.choices import Channel, ProblemType

from . import kpis
from .models import DailyTicketStats
from .periods import Period


def _row(k: kpis.Kpi, v: kpis.KpiValue, prev: kpis.KpiValue, last_year: kpis.KpiValue) -> dict[str, Any]:
    met = None
    if v.value is not None and k.target is not None:
        met = v.value >= k.target if k.higher_is_better else v.value <= k.target
    return {
        "code": k.code,
        "name": str(k.name),
        "unit": k.unit,
        "group": k.group,
        "value": v.value,
        "numerator": v.numerator,
        "denominator": v.denominator,
        "target": k.target,
        "met": met,
        "previous": prev.value,
        "year_before": last_year.value,
    }


def kpi_report(
    period: Period, filters: kpis.Filters | None = None, *, breakdowns: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """Every KPI of the period with the previous period and the year before, and the volume
    breakdowns (`breakdowns`: only these of BREAKDOWNS; the region, product and tier ones read the
    wide rollup, so a page that shows none of them should not ask for them)."""
    customers = Customer.objects.count()  # the complaint rate's denominator, read once for three periods
    now = kpis.compute(period.first, period.last, filters, customers=customers)
    prev_period, year_period = period.previous(), period.year_before()
    prev = kpis.compute(prev_period.first, prev_period.last, filters, customers=customers)
    year = kpis.compute(year_period.first, year_period.last, filters, customers=customers)
    breakdown = volume_breakdown(period, filters, only=breakdowns)
    return {
        "period": {"first": period.first.isoformat(), "last": period.last.isoformat()},
        "label": period.label,
        "kpis": [_row(k, now[k.code], prev[k.code], year[k.code]) for k in kpis.KPIS],
        "volumes": {by: [(label, n) for _key, label, n in rows] for by, rows in breakdown.items()},
        # The same with each row's key, for the drill-down to the tickets behind a bar.
        "breakdown": breakdown,
        "histogram": now["handling_time_p90"].extra.get("histogram", []),
    }


# Volume breakdowns: the rollup column and the queue filter parameter that selects the same tickets.
BREAKDOWNS = {
    "channel": ("channel", "channel"),
    "problem_type": ("problem_type", "problem_type"),
    "team": ("team_id", "team"),
    "region": ("region", "region"),
    "product": ("product_id", "product"),
    "tier": ("tier", "tier"),
}


def volume_breakdown(
    period: Period, filters: kpis.Filters | None = None, only: tuple[str, ...] | None = None
) -> dict[str, list[tuple[Any, str, int]]]:
    """Contacts received in the period per channel, problem type, team, region, product (model) and
    customer tier: (key, label, count), largest first. A key of 0 / "" is "none"."""
    labels: dict[str, dict[Any, str]] = {
        "channel": {k: str(v) for k, v in Channel.choices},
        "problem_type": {k: str(v) for k, v in ProblemType.choices},
        "tier": {k: str(v) for k, v in Tier.choices},
    }
    out: dict[str, list[tuple[Any, str, int]]] = {}
    for by, (column, _param) in BREAKDOWNS.items():
        if only is not None and by not in only:
            continue
        rows = kpis.volumes(period.first, period.last, column, filters)
        if by == "team":
            labels[by] = dict(Team.objects.filter(pk__in=[k for k, _n in rows]).values_list("pk", "name"))
        elif by == "product":
            labels[by] = {
                p.pk: str(p)
                for p in Product.objects.filter(pk__in=[k for k, _n in rows]).only("name", "model_number")
            }
        names = labels.get(by, {})
        out[by] = [(k, names.get(k, k) if k not in (0, "") else "—", n) for k, n in rows]
    return out


def regions(period: Period, limit: int = 200) -> list[str]:
    """The regions with contacts in the period (the reports page's suggestions), from the wide
    rollup's covering index of the rows with contacts (an_ticket_day_received), not the tickets."""
    rows = (
        DailyTicketStats.objects.filter(day__gte=period.first, day__lte=period.last, received__gt=0)
        .exclude(region="")
        .values_list("region", flat=True)
        .distinct()
    )
    return sorted(rows.order_by()[:limit])
