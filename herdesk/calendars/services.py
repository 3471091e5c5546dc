"""Writes to the calendar tables (CAL-1, CAL-3). Every write bumps CalendarVersion so that the
per-process cache in selectors.py notices; direct model saves (admin) are caught by signals.py.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import itertools
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from django.db import transaction

from herdesk.audit.services import audit_record

from .builtin import BUILTIN_HOLIDAYS_FILE, BUILTIN_HOLIDAYS_SOURCE, DEMO_CALENDARS, parse_schedule
from .engine import DAY_SECONDS
from .models import (
    MAKEUP_WEEKDAY,
    Calendar,
    CalendarClosure,
    CalendarInterval,
    CalendarVersion,
    Holiday,
    validate_timezone,
)

P = ParamSpec("P")
R = TypeVar("R")

_batched: contextvars.ContextVar[bool] = contextvars.ContextVar("calendars_writes_batched", default=False)


def writes_batched() -> bool:
    """True while a service below is writing; signals.py then leaves the version bump to it."""
    return _batched.get()


def _one_bump(func: Callable[P, R]) -> Callable[P, R]:
    """Silence the per-row signal bumps during ``func`` (the service bumps once itself)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        token = _batched.set(True)
        try:
            return func(*args, **kwargs)
        finally:
            _batched.reset(token)

    return wrapper


def calendar_version_bump() -> str:
    """Give CalendarVersion a new random token (inside the caller's transaction) and drop this
    process's cache at once; other processes notice the new token on their next lookup."""
    from . import selectors  # selectors imports models only; imported here to keep the layers one-way

    token = secrets.token_hex(16)
    CalendarVersion.objects.update_or_create(id=1, defaults={"token": token})
    selectors.cache_clear()
    return token


def _seconds_to_time(seconds: int) -> dt.time:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return dt.time(hours, minutes, secs)


@_one_bump
@transaction.atomic
def calendar_upsert(
    *,
    code: str,
    name: str,
    tz: str = "Asia/Shanghai",
    intervals: Mapping[int, Iterable[tuple[int, int]]],
    observes_holidays: bool,
    always_open: bool = False,
    name_en: str = "",
    closures: Iterable[tuple[dt.date, str]] | None = None,
) -> Calendar:
    """Create or replace calendar ``code``.

    ``intervals`` maps a weekday (0 = Monday .. 6 = Sunday, or 7 = make-up working day) to
    (start, end) pairs in seconds after local midnight; ``end`` may be 86400 (24:00). The calendar's
    intervals are replaced by exactly these. ``closures``, when given, replaces the calendar's
    company closures with these (date, reason) pairs; None leaves them untouched.
    Raises ValueError on an unknown time zone, weekday or an empty/inverted interval.
    """

    try:
        validate_timezone(tz)
    except Exception:
        raise ValueError(f"unknown time zone {tz!r}")
    rows: list[tuple[int, int, int]] = []
    for weekday, pairs in intervals.items():
        if weekday not in range(MAKEUP_WEEKDAY + 1):
            raise ValueError(
                f"weekday {weekday!r} must be 0 (Monday) .. 6 (Sunday) or 7 (make-up working day)"
            )
        for start, end in pairs:
            if not 0 <= start < end <= DAY_SECONDS:
                raise ValueError(
                    f"interval ({start}, {end}) on weekday {weekday} must have 0 <= start < end <= 86400"
                )
            rows.append((weekday, int(start), int(end)))
    calendar, _created = Calendar.objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "name_en": name_en,
            "timezone": tz,
            "observes_holidays": observes_holidays,
            "always_open": always_open,
        },
    )
    CalendarInterval.objects.filter(calendar=calendar).delete()
    CalendarInterval.objects.bulk_create(
        CalendarInterval(calendar=calendar, weekday=w, start=_seconds_to_time(s), end_seconds=e)
        for w, s, e in sorted(rows)
    )
    if closures is not None:
        CalendarClosure.objects.filter(calendar=calendar).delete()
        CalendarClosure.objects.bulk_create(
            CalendarClosure(calendar=calendar, date=day, reason=reason) for day, reason in closures
        )
    calendar_version_bump()
    return calendar


def _audit(actor: Any, action: str, object_id: Any, data: dict[str, Any]) -> None:
    audit_record(actor=actor, action=action, object_type="calendar", object_id=object_id, data=data)


@_one_bump
@transaction.atomic
def calendar_closure_add(
    *, calendar: Calendar, date: dt.date, reason: str = "", actor: Any = None
) -> CalendarClosure:
    """Close ``calendar`` on ``date`` (company closure, CAL-1). Idempotent; updates the reason."""
    closure, _created = CalendarClosure.objects.update_or_create(
        calendar=calendar, date=date, defaults={"reason": reason}
    )
    calendar_version_bump()
    if actor is not None:
        _audit(actor, "calendar.closure_add", calendar.code, {"date": date.isoformat(), "reason": reason})
    return closure


@_one_bump
@transaction.atomic
def calendar_closure_remove(*, calendar: Calendar, date: dt.date, actor: Any = None) -> bool:
    """Open ``calendar`` again on ``date`` (undo a company closure). False if it was not closed."""
    deleted, _rows = CalendarClosure.objects.filter(calendar=calendar, date=date).delete()
    if deleted:
        calendar_version_bump()
        if actor is not None:
            _audit(actor, "calendar.closure_remove", calendar.code, {"date": date.isoformat()})
    return bool(deleted)


def calendar_weekly(calendar: Calendar) -> dict[int, list[tuple[int, int]]]:
    """The calendar's opening hours as {weekday: [(start, end) seconds]} (the form of calendar_upsert)."""
    weekly: dict[int, list[tuple[int, int]]] = {}
    for i in CalendarInterval.objects.filter(calendar=calendar).order_by("weekday", "start"):
        weekly.setdefault(i.weekday, []).append((i.start_seconds, i.end_seconds))
    return weekly


@transaction.atomic
def calendar_hours_set(
    *,
    calendar: Calendar,
    intervals: Mapping[int, Iterable[tuple[int, int]]],
    observes_holidays: bool,
    always_open: bool,
    actor: Any,
) -> Calendar:
    """Replace a calendar's weekly hours (and its holiday/always-open switches) from the calendar
    page. Overlapping intervals on one day are refused (they would count working time twice).
    Audited with the old and new hours; clocks computed from now on use them (version bump)."""
    clean: dict[int, list[tuple[int, int]]] = {}
    for weekday, pairs in intervals.items():
        ordered = sorted((int(a), int(b)) for a, b in pairs)
        for (_a1, b1), (a2, _b2) in itertools.pairwise(ordered):
            if a2 < b1:
                raise ValueError(f"overlapping opening hours on weekday {weekday}")
        if ordered:
            clean[weekday] = ordered
    before: dict[str, Any] = {
        "weekly": {str(k): [list(p) for p in v] for k, v in calendar_weekly(calendar).items()},
        "observes_holidays": calendar.observes_holidays,
        "always_open": calendar.always_open,
    }
    updated = calendar_upsert(
        code=calendar.code,
        name=calendar.name,
        name_en=calendar.name_en,
        tz=calendar.timezone,
        intervals=clean,
        observes_holidays=observes_holidays,
        always_open=always_open,
    )
    after = {
        "weekly": {str(k): [list(p) for p in v] for k, v in clean.items()},
        "observes_holidays": observes_holidays,
        "always_open": always_open,
    }
    if before != after:
        _audit(actor, "calendar.hours_set", calendar.code, {"before": before, "after": after})
    return updated


@dataclass
class HolidayPreview:
    """What importing a schedule would change, before anything is written (the calendar page)."""

    holidays: list[dt.date]
    workdays: list[dt.date]
    new: list[tuple[dt.date, str]]  # (date, kind) rows that would be inserted
    changed: list[tuple[dt.date, str, str]]  # (date, old kind, new kind)
    unchanged: int


def holidays_import_preview(*, data: Mapping[str, Any]) -> HolidayPreview:
    """The effect of ``holidays_import(data=...)`` without writing. Raises ValueError like it."""
    holidays, workdays = parse_schedule(data)
    wanted = {day: Holiday.Kind.HOLIDAY for day in holidays} | {day: Holiday.Kind.WORKDAY for day in workdays}
    existing: dict[dt.date, set[str]] = {}
    for day, kind in Holiday.objects.filter(date__in=list(wanted)).values_list("date", "kind"):
        existing.setdefault(day, set()).add(kind)
    new: list[tuple[dt.date, str]] = []
    changed: list[tuple[dt.date, str, str]] = []
    unchanged = 0
    for day, kind in sorted(wanted.items()):
        have = existing.get(day, set())
        if kind in have:
            unchanged += 1
        elif have:
            changed.append((day, sorted(have)[0], str(kind)))
        else:
            new.append((day, str(kind)))
    return HolidayPreview(holidays, workdays, new, changed, unchanged)


@_one_bump
@transaction.atomic
def holidays_import(*, data: Mapping[str, Any], source: str, actor: Any = None) -> tuple[int, int]:
    """Load official holidays and make-up working days (调休上班), e.g. next year's State Council notice.

    ``data`` is ``{"holidays": ["YYYY-MM-DD", ...], "workdays": [...]}``. Dates are validated and a
    date may not be both. Idempotent: importing the same data again changes nothing. A date listed
    with one kind loses a row of the other kind, so a corrected notice overrides an earlier import;
    dates the data does not mention are left alone.

    Returns ``(created, updated)``: rows inserted, and existing rows whose kind changed (counted
    once per date) or whose source changed.
    Raises ValueError on malformed data.
    """
    holidays, workdays = parse_schedule(data)
    created = updated = 0
    wanted = {day: Holiday.Kind.HOLIDAY for day in holidays} | {day: Holiday.Kind.WORKDAY for day in workdays}
    existing: dict[tuple[dt.date, str], Holiday] = {
        (h.date, h.kind): h for h in Holiday.objects.filter(date__in=list(wanted)).select_for_update()
    }
    to_create: list[Holiday] = []
    for day, kind in sorted(wanted.items()):
        other = Holiday.Kind.WORKDAY if kind == Holiday.Kind.HOLIDAY else Holiday.Kind.HOLIDAY
        stale = existing.get((day, other))
        row = existing.get((day, kind))
        if stale is not None:
            stale.delete()
        if row is None:
            to_create.append(Holiday(date=day, kind=kind, source=source))
            if stale is not None:
                updated += 1
            else:
                created += 1
        elif row.source != source:
            row.source = source
            row.save(update_fields=["source"])
            updated += 1
    Holiday.objects.bulk_create(to_create)
    if created or updated:
        calendar_version_bump()
    if actor is not None:
        # A person's import from the calendar page (SEC-2); installation loads are not audited.
        _audit(
            actor,
            "calendar.holidays_import",
            "holidays",
            data={
                "source": source,
                "holidays": len(holidays),
                "workdays": len(workdays),
                "created": created,
                "updated": updated,
                "years": sorted({d.year for d in [*holidays, *workdays]}),
            },
        )
    return created, updated


def builtin_holidays_load() -> tuple[int, int]:
    """Import the bundled official schedule (2025-2026, see data/SOURCES.md). Idempotent."""
    import json

    data = json.loads(BUILTIN_HOLIDAYS_FILE.read_text(encoding="utf-8"))
    data.pop("source", None)
    return holidays_import(data=data, source=BUILTIN_HOLIDAYS_SOURCE)


@_one_bump
@transaction.atomic
def demo_calendars_ensure() -> list[Calendar]:
    """Make sure the three built-in calendars of CAL-3 exist: ``office`` (Mon-Fri 09:00-12:00 and
    13:00-18:00, closed on public holidays, open on make-up working days), ``hotline`` (08:00-20:00
    every day of the year) and ``24x7`` (always open).

    Missing ones are created; existing ones are left exactly as they are, so hours an administrator
    has adjusted survive `herdesk demo load`. Returns the three calendars in that order.
    """
    result: list[Calendar] = []
    for spec in DEMO_CALENDARS:
        existing = Calendar.objects.filter(code=spec.code).first()
        result.append(
            existing
            or calendar_upsert(
                code=spec.code,
                name=spec.name,
                name_en=spec.name_en,
                tz=spec.tz,
                intervals=spec.weekly,
                observes_holidays=spec.observes_holidays,
                always_open=spec.always_open,
            )
        )
    return result
