"""The built-in data of CAL-1: the official Chinese holiday schedule and the three standard calendars.

Pure Python (no Django) so the benchmark and engine tests can use it without a database. The JSON
lives next to this module (see data/SOURCES.md for where it comes from); nothing reads /work/shared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .engine import WorkingCalendar

DATA_DIR = Path(__file__).resolve().parent / "data"
BUILTIN_HOLIDAYS_FILE = DATA_DIR / "cn_holidays_2025_2026.json"
# Must stay identical to SOURCE in migrations/0002_builtin_calendars.py so reloading changes nothing.
BUILTIN_HOLIDAYS_SOURCE = (
    "State Council notices 国办发明电〔2024〕12号 (2025) and "
    "国务院办公厅关于2026年部分节假日安排的通知 (2026)"
)

H = 3600


@dataclass(frozen=True)
class CalendarSpec:
    """Definition of a standard calendar (CAL-3: hotline hours, office hours, 7x24 support)."""

    code: str
    name: str
    name_en: str
    tz: str
    weekly: dict[int, list[tuple[int, int]]]
    observes_holidays: bool
    always_open: bool = False


DEMO_CALENDARS: tuple[CalendarSpec, ...] = (
    # Office hours: Monday-Friday with a lunch break, closed on public holidays, open on every
    # make-up working day (调休上班) with the normal weekday hours.
    CalendarSpec(
        code="office",
        name="办公时间",
        name_en="Office hours",
        tz="Asia/Shanghai",
        weekly={d: [(9 * H, 12 * H), (13 * H, 18 * H)] for d in range(5)},
        observes_holidays=True,
    ),
    # The service hotline answers every day of the year, weekends and public holidays included.
    CalendarSpec(
        code="hotline",
        name="热线服务时间",
        name_en="Hotline hours",
        tz="Asia/Shanghai",
        weekly={d: [(8 * H, 20 * H)] for d in range(7)},
        observes_holidays=False,
    ),
    # Technical support around the clock.
    CalendarSpec(
        code="24x7",
        name="7×24小时",
        name_en="24x7",
        tz="Asia/Shanghai",
        weekly={d: [(0, 24 * H)] for d in range(7)},
        observes_holidays=False,
        always_open=True,
    ),
)


def parse_schedule(data: Any) -> tuple[list[date], list[date]]:
    """Validate ``{"holidays": [...], "workdays": [...]}`` (ISO dates) and return the two date lists.

    Raises ValueError naming the offending entry: not an object, missing/non-list keys, a malformed
    date, or a date that is both a holiday and a make-up workday.
    """
    if not isinstance(data, dict):
        raise ValueError('holiday data must be a JSON object {"holidays": [...], "workdays": [...]}')
    unknown = set(data) - {"holidays", "workdays", "source"}
    if unknown:
        raise ValueError(f"unknown keys in holiday data: {', '.join(sorted(unknown))}")
    if "holidays" not in data and "workdays" not in data:
        raise ValueError('holiday data needs a "holidays" and/or a "workdays" list')
    result: dict[str, list[date]] = {}
    for key in ("holidays", "workdays"):
        values = data.get(key, [])
        if not isinstance(values, list):
            raise ValueError(f'"{key}" must be a list of dates like "2026-10-01"')
        days: list[date] = []
        for value in values:
            try:
                if not isinstance(value, str) or len(value) != 10:
                    raise ValueError
                days.append(date.fromisoformat(value))
            except ValueError:
                raise ValueError(f'"{key}": {value!r} is not a date in the form YYYY-MM-DD')
        result[key] = sorted(set(days))
    both = set(result["holidays"]) & set(result["workdays"])
    if both:
        listed = ", ".join(d.isoformat() for d in sorted(both))
        raise ValueError(f"dates listed both as holiday and as make-up workday: {listed}")
    return result["holidays"], result["workdays"]


def builtin_schedule() -> tuple[list[date], list[date]]:
    """The bundled official schedule: (holidays, make-up workdays)."""
    return parse_schedule(json.loads(BUILTIN_HOLIDAYS_FILE.read_text(encoding="utf-8")))


def builtin_calendar(code: str) -> WorkingCalendar:
    """A WorkingCalendar for one of DEMO_CALENDARS with the bundled schedule, without a database."""
    spec = next((s for s in DEMO_CALENDARS if s.code == code), None)
    if spec is None:
        raise KeyError(code)
    holidays, workdays = builtin_schedule()
    return WorkingCalendar(
        code=spec.code,
        tz=spec.tz,
        weekly=spec.weekly,
        observes_holidays=spec.observes_holidays,
        holidays=holidays,
        workdays=workdays,
        always_open=spec.always_open,
    )
