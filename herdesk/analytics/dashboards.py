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

from django.urls import reverse
from django.utils.translation import gettext as _

from . import kpis
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
