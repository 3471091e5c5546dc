"""Which daily rollup a KPI read sums (#18) — the one place that decides.

The wide rollups (DailyTicketStats, DailyClockStats) carry region, product model and customer tier;
at 1,000,000 tickets a year that is about one row per ticket, so summing them no longer shrinks the
work. The narrow ones (day × team × channel × problem type) hold the same figures summed over those
three dimensions (analytics.rollup writes both in one transaction). A read uses the wide table only
when it filters or groups by region, product or tier; every other read — the unfiltered dashboards,
the reports page, the report pack — sums the narrow one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import models

from .models import DailyClockStats, DailyClockStatsNarrow, DailyTicketStats, DailyTicketStatsNarrow

# The dimensions only the wide rollup has: Filters fields and the rollup columns grouped by.
WIDE_FILTERS = ("region", "product_id", "tier")
WIDE_COLUMNS = ("region", "product_id", "tier")


@dataclass(frozen=True)
class Source:
    name: str
    tickets: type[models.Model]
    clocks: type[models.Model]


WIDE = Source("wide", DailyTicketStats, DailyClockStats)
NARROW = Source("narrow", DailyTicketStatsNarrow, DailyClockStatsNarrow)


def rollup_source(filters: Any = None, by: str | None = None) -> Source:
    """The narrow rollup unless `filters` (analytics.kpis.Filters) sets a region, product or tier, or
    the read groups `by` one of those columns."""
    if by in WIDE_COLUMNS:
        return WIDE
    if filters is not None and any(getattr(filters, f) not in (None, "") for f in WIDE_FILTERS):
        return WIDE
    return NARROW


def ticket_rows(
    first: dt.date, last: dt.date, filters: Any = None, *, by: str | None = None, source: Source | None = None
) -> Any:
    """The ticket rollup rows of the local days first..last under `filters` (a QuerySet)."""
    model: Any = (source or rollup_source(filters, by)).tickets
    qs = model.objects.filter(day__gte=first, day__lte=last)
    return filters.apply(qs) if filters is not None else qs


def clock_rows(first: dt.date, last: dt.date, filters: Any = None, *, source: Source | None = None) -> Any:
    """The clock rollup rows of the local days first..last under `filters` (a QuerySet)."""
    model: Any = (source or rollup_source(filters)).clocks
    qs = model.objects.filter(day__gte=first, day__lte=last)
    return filters.apply(qs) if filters is not None else qs
