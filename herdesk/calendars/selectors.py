"""Reading calendars (CAL-3): ``working_calendar(code)`` -> an engine WorkingCalendar, cached.

Cache design: a module-level dict ``code -> WorkingCalendar`` valid for one CalendarVersion token.
Each call runs exactly one cheap query (the token, a primary-key lookup); only when the token has
changed are the calendar, its intervals and closures, and the national holiday table reloaded. A
sweep that asks for the same calendar thousands of times therefore pays one indexed SELECT per call
and keeps the engine's lazily built interval tables warm. Writes through services.py (and direct
model saves, via signals.py) store a new random token and clear this process's cache at once; other
processes see the new token on their next call.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import defaultdict
from typing import Any

from django.conf import settings

from herdesk.audit.selectors import audit_entries

from .engine import WorkingCalendar
from .models import MAKEUP_WEEKDAY, Calendar, CalendarClosure, CalendarInterval, CalendarVersion, Holiday

_lock = threading.Lock()
_cache: dict[str, WorkingCalendar] = {}
_cache_token: list[str | None] = [None]  # token the cache was built under (a list: mutable, no `global`)
_holidays: list[tuple[frozenset[dt.date], frozenset[dt.date]] | None] = [None]
_checked_at: list[float] = [0.0]  # monotonic time of the last token read


def _recheck_seconds() -> float:
    """How long another process's calendar edit may go unseen here. Writes in this process clear
    the cache at once; the hot paths (ticket creation, the sweep) then skip the token query."""
    return float(getattr(settings, "HERDESK_CALENDAR_RECHECK_SECONDS", 5))


def cache_clear() -> None:
    """Forget every cached calendar (called by services after each write)."""
    with _lock:
        _cache.clear()
        _holidays[0] = None
        _cache_token[0] = None
        _checked_at[0] = 0.0


def _current_token() -> str:
    token = CalendarVersion.objects.filter(pk=1).values_list("token", flat=True).first()
    # A database without the row (e.g. flushed by a transactional test) still caches, under "".
    return token or ""


def _national_schedule() -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    cached = _holidays[0]
    if cached is None:
        holidays: set[dt.date] = set()
        workdays: set[dt.date] = set()
        for day, kind in Holiday.objects.values_list("date", "kind"):
            (holidays if kind == Holiday.Kind.HOLIDAY else workdays).add(day)
        # The rare date present with both kinds (only possible by editing rows by hand) is treated as
        # a holiday: closing wrongly is safer than running a service clock on a day off.
        cached = (frozenset(holidays), frozenset(workdays - holidays))
        _holidays[0] = cached
    return cached


def _load(code: str) -> WorkingCalendar:
    calendar = Calendar.objects.get(code=code)  # raises Calendar.DoesNotExist for unknown codes
    weekly: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for interval in CalendarInterval.objects.filter(calendar=calendar):
        weekly[interval.weekday].append((interval.start_seconds, interval.end_seconds))
    makeup = weekly.pop(MAKEUP_WEEKDAY, None)
    holidays, workdays = _national_schedule() if calendar.observes_holidays else (frozenset(), frozenset())
    closures = CalendarClosure.objects.filter(calendar=calendar).values_list("date", flat=True)
    return WorkingCalendar(
        code=calendar.code,
        tz=calendar.timezone,
        weekly=dict(weekly),
        observes_holidays=calendar.observes_holidays,
        holidays=holidays,
        workdays=workdays,
        workday_weekly=makeup,
        closures=list(closures),
        always_open=calendar.always_open,
    )


def working_calendar(code: str) -> WorkingCalendar:
    """The WorkingCalendar for ``code``, built from the database and cached in this process.

    At most one query per HERDESK_CALENDAR_RECHECK_SECONDS (the version token) while nothing
    changes. Raises Calendar.DoesNotExist for an
    unknown code.
    """
    now = time.monotonic()
    recheck = _recheck_seconds()
    if recheck <= 0 or now - _checked_at[0] >= recheck or _cache_token[0] is None:
        token = _current_token()
        _checked_at[0] = now
    else:
        token = _cache_token[0]
    with _lock:
        if _cache_token[0] != token:
            _cache.clear()
            _holidays[0] = None
            _cache_token[0] = token
        found = _cache.get(code)
        if found is None:
            found = _load(code)
            _cache[code] = found
        return found


def calendar_codes() -> list[str]:
    """Codes of all calendars, for choices in forms and clock definitions."""
    return list(Calendar.objects.order_by("code").values_list("code", flat=True))


def calendars_all() -> list[Calendar]:
    return list(Calendar.objects.order_by("code"))


def calendar_get(code: str) -> Calendar:
    """Raises Calendar.DoesNotExist for an unknown code."""
    return Calendar.objects.get(code=code)


def calendar_closures(calendar: Calendar) -> list[CalendarClosure]:
    return list(CalendarClosure.objects.filter(calendar=calendar).order_by("date"))


def holidays_from(day: dt.date, limit: int = 60) -> list[Holiday]:
    """The national schedule from ``day`` on (the calendar page shows what is coming)."""
    return list(Holiday.objects.filter(date__gte=day).order_by("date")[:limit])


def holiday_years() -> list[int]:
    return sorted({d.year for d in Holiday.objects.values_list("date", flat=True)})


def calendar_history(code: str | None = None, limit: int = 30) -> list[Any]:
    """Audited edits of calendars (hours, closures) and holiday imports, newest first (SEC-2)."""
    qs = audit_entries(action_prefix="calendar.")
    if code is not None:
        qs = qs.filter(object_type="calendar", object_id=code) | audit_entries(
            action="calendar.holidays_import"
        )
    return list(qs.order_by("-seq")[:limit])
