"""The KPI report of a period with its comparisons — what the reports page, the API, the command and
the report pack all read."""

from __future__ import annotations

from typing import Any

from herdesk.customers.models import Customer
from herdesk.staff.models import Team
from herdesk.tickets.choices import Channel, ProblemType

from . import kpis
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


def kpi_report(period: Period, filters: kpis.Filters | None = None) -> dict[str, Any]:
    customers = Customer.objects.count()  # the complaint rate's denominator, read once for three periods
    now = kpis.compute(period.first, period.last, filters, customers=customers)
    prev_period, year_period = period.previous(), period.year_before()
    prev = kpis.compute(prev_period.first, prev_period.last, filters, customers=customers)
    year = kpis.compute(year_period.first, year_period.last, filters, customers=customers)
    teams: dict[Any, str] = dict(Team.objects.values_list("pk", "name"))
    channels = dict(Channel.choices)
    types = dict(ProblemType.choices)
    return {
        "period": {"first": period.first.isoformat(), "last": period.last.isoformat()},
        "label": period.label,
        "kpis": [_row(k, now[k.code], prev[k.code], year[k.code]) for k in kpis.KPIS],
        "volumes": {
            "channel": [
                (str(channels.get(c, c)), n)
                for c, n in kpis.volumes(period.first, period.last, "channel", filters)
            ],
            "problem_type": [
                (str(types.get(c, c)), n)
                for c, n in kpis.volumes(period.first, period.last, "problem_type", filters)
            ],
            "team": [
                (teams.get(c, "—"), n) for c, n in kpis.volumes(period.first, period.last, "team_id", filters)
            ],
        },
        "histogram": now["handling_time_p90"].extra.get("histogram", []),
    }
