"""Peak analysis and staffing (KPI-4; S2 §4.4 峰谷分析): contact volume by hour × day, working days
apart from weekends and holidays on the working calendar (调休 make-up days count as working days),
a forecast for the next weeks and the agents each hour needs by Erlang C.

Pure functions except `hourly_profile`, which reads the hourly rollup.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Sum

from herdesk.calendars.selectors import working_calendar

from .models import HourlyContactStats

PROFILE_CALENDAR = "office"


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a contact waits (Erlang C), for `traffic` Erlangs offered to `agents`."""
    if agents <= 0:
        return 1.0
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    # Iterative Erlang B, then C from B: numerically stable for hundreds of agents.
    b = 1.0
    for k in range(1, agents + 1):
        b = traffic * b / (k + traffic * b)
    return agents * b / (agents - traffic * (1 - b))


def service_level(agents: int, traffic: float, handle_seconds: float, target_seconds: float) -> float:
    """Share of contacts answered within `target_seconds` with `agents` on the line."""
    if agents <= traffic:
        return 0.0
    wait = erlang_c(agents, traffic)
    return 1 - wait * math.exp(-(agents - traffic) * target_seconds / handle_seconds)


def agents_needed(
    *,
    contacts_per_hour: float,
    handle_seconds: float,
    target_seconds: float,
    level: float = 0.8,
    max_agents: int = 500,
) -> int:
    """The fewest agents that answer `level` of the contacts within `target_seconds`."""
    if contacts_per_hour <= 0:
        return 0
    traffic = contacts_per_hour * handle_seconds / 3600
    n = max(1, math.floor(traffic) + 1)
    while n < max_agents and service_level(n, traffic, handle_seconds, target_seconds) < level:
        n += 1
    return n


@dataclass(frozen=True)
class HourlyProfile:
    working: list[float]  # average contacts per hour 0..23 on a working day
    non_working: list[float]  # … on a weekend day or public holiday
    by_weekday: list[list[float]]  # 7 × 24 averages (Monday first), for the heat map
    days_working: int
    days_non_working: int


def hourly_profile(first: dt.date, last: dt.date, channel: str | None = None) -> HourlyProfile:
    """Average contacts per hour of day, working days and days off apart (on the working calendar)."""
    calendar = working_calendar(PROFILE_CALENDAR)
    qs = HourlyContactStats.objects.filter(day__gte=first, day__lte=last)
    if channel:
        qs = qs.filter(channel=channel)
    per_day: dict[dt.date, list[int]] = defaultdict(lambda: [0] * 24)
    for day, hour, n in (
        qs.values_list("day", "hour").annotate(n=Sum("received")).values_list("day", "hour", "n")
    ):
        per_day[day][hour] += n or 0
    working, off = [0.0] * 24, [0.0] * 24
    weekday_sum = [[0.0] * 24 for _ in range(7)]
    weekday_days = [0] * 7
    n_work = n_off = 0
    d = first
    while d <= last:
        counts = per_day.get(d, [0] * 24)
        target = working if calendar.is_working_day(d) else off
        for h in range(24):
            target[h] += counts[h]
            weekday_sum[d.weekday()][h] += counts[h]
        if calendar.is_working_day(d):
            n_work += 1
        else:
            n_off += 1
        weekday_days[d.weekday()] += 1
        d += dt.timedelta(days=1)
    return HourlyProfile(
        working=[x / n_work if n_work else 0.0 for x in working],
        non_working=[x / n_off if n_off else 0.0 for x in off],
        by_weekday=[
            [x / weekday_days[w] if weekday_days[w] else 0.0 for x in weekday_sum[w]] for w in range(7)
        ],
        days_working=n_work,
        days_non_working=n_off,
    )


def forecast(profile: HourlyProfile, start: dt.date, weeks: int = 4) -> list[dict[str, Any]]:
    """The next `weeks` weeks, day by day: the expected contacts of each day from the profile of its
    kind (working day or day off on the calendar, so a make-up Saturday is forecast as a working day)."""
    calendar = working_calendar(PROFILE_CALENDAR)
    out = []
    for i in range(weeks * 7):
        d = start + dt.timedelta(days=i)
        hours = profile.working if calendar.is_working_day(d) else profile.non_working
        out.append(
            {"day": d.isoformat(), "working": calendar.is_working_day(d), "expected": round(sum(hours), 1)}
        )
    return out


def staffing_plan(
    profile: HourlyProfile,
    *,
    handle_seconds: float = 360,
    target_seconds: float = 30 * 60,
    level: float = 0.8,
) -> dict[str, list[int]]:
    """Agents needed each hour for the phone line; target = the first-response promise (S1 §二(二)1)."""
    return {
        kind: [
            agents_needed(
                contacts_per_hour=rate,
                handle_seconds=handle_seconds,
                target_seconds=target_seconds,
                level=level,
            )
            for rate in rates
        ]
        for kind, rates in (("working", profile.working), ("non_working", profile.non_working))
    }
