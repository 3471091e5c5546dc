"""Reads for clocks: per-ticket lists and the compliance summary (HND-5 counts both due times)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q

from .models import Clock, ClockState

SHANGHAI = ZoneInfo("Asia/Shanghai")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    year, mon = (int(x) for x in month.split("-"))
    if not 1 <= mon <= 12:
        raise ValueError("month must be YYYY-MM")
    start = datetime(year, mon, 1, tzinfo=SHANGHAI)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=SHANGHAI)
    return start, end


def compliance_summary(*, month: str) -> list[dict[str, Any]]:
    """Per clock kind for clocks started in the month: met on time, met after renegotiation,
    breached, running; rates against the original and the renegotiated due times."""
    start, end = month_bounds(month)
    qs = (
        Clock.objects.filter(started_at__gte=start, started_at__lt=end)
        .exclude(state=ClockState.CANCELLED)
        .values("kind")
        .annotate(
            total=Count("id"),
            met_on_time=Count("id", filter=Q(state=ClockState.MET, stopped_at__lte=F("original_due_at"))),
            met_after_renegotiation=Count(
                "id", filter=Q(state=ClockState.MET, renegotiated=True, stopped_at__gt=F("original_due_at"))
            ),
            breached=Count("id", filter=Q(state=ClockState.BREACHED)),
            running=Count("id", filter=Q(state__in=[ClockState.RUNNING, ClockState.PAUSED])),
        )
        .order_by("kind")
    )
    rows = []
    for r in qs:
        finished = r["met_on_time"] + r["met_after_renegotiation"] + r["breached"]
        rows.append(
            {
                **r,
                "met_original_rate": round(r["met_on_time"] / finished, 4) if finished else None,
                "met_renegotiated_rate": round(
                    (r["met_on_time"] + r["met_after_renegotiation"]) / finished, 4
                )
                if finished
                else None,
            }
        )
    return rows
