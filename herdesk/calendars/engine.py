"""Exact working-time arithmetic (CAL-2). Pure Python: no Django, no ORM, so it is fast and easy to test.

A `WorkingCalendar` turns its rules (weekly hours, public holidays, make-up working days, company
closures) into, per year and lazily, a sorted array of working intervals expressed as UTC epoch
seconds plus a running total ("prefix sum") of working seconds. With that table:

* ``add_seconds`` is one bisect to find where the start sits in the running total and one bisect to
  find the interval in which the budget runs out;
* ``elapsed`` is the difference of two running-total positions;
* ``add_working_days`` is a bisect in the per-range list of (date ordinal, close-of-business epoch).

Local wall times are converted with ``zoneinfo`` interval by interval, so zones with daylight-saving
time (DST) come out right: a 09:00-17:00 day is 8 real hours on either side of a change, and a
00:00-24:00 day is 23 or 25 real hours on the change days themselves.

Semantics (exact to the microsecond internally, integer seconds in ``elapsed``):

* Working intervals are half-open ``[opening, closing)``: the closing instant itself is closed.
* ``add_seconds`` consumes working time from the start, or from the next opening when the start is
  outside working time, and the due instant is the moment the budget is used up. When that moment is
  a closing time (12:00, 18:00, 20:00 ...) the due is that closing time, not the next opening, as the
  service regulation's "within N working hours" is met by anything done before the office closes.
* ``add_seconds(start, 0)`` returns the start itself (in the calendar's zone), even when the start is
  outside working time: a zero budget is used up immediately, so nothing is waited for. This keeps
  ``add`` monotonic in the duration (``add(s, 0) <= add(s, 1)``) and never "moves" a zero target.
* ``add_working_days(start, n)`` is the close of business (end of the last interval) of the n-th
  working day strictly after the start's local date; the start's own day never counts, whether or
  not it is a working day (DESIGN: "Working days"). ``n`` must be at least 1.
* ``always_open`` (7x24) calendars ignore the weekly table, holidays and closures: adding is plain
  absolute-time addition, elapsed is the plain difference, every day is a working day and its close
  of business is the next local midnight.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["DAY_SECONDS", "Duration", "WorkingCalendar", "parse_duration"]

DAY_SECONDS = 86_400
_US = 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A calendar whose rules give no working time at all would make ``add`` search forever; after this
# many consecutive years without a single working second we give up with a clear error instead.
_MAX_EMPTY_YEARS = 10

Intervals = list[tuple[int, int]]


# --------------------------------------------------------------------------------------------------
# Durations
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Duration:
    """A service-level target: either working seconds (from "30m", "4h", "2h30m", "90s") or working
    days (from "3wd"). The two are exclusive because a working day is not a fixed number of seconds.
    """

    seconds: int = 0
    working_days: int = 0

    def __post_init__(self) -> None:
        if self.seconds < 0 or self.working_days < 0:
            raise ValueError("a duration cannot be negative")
        if self.seconds and self.working_days:
            raise ValueError("a duration is either working time (h/m/s) or working days (wd), not both")

    def __str__(self) -> str:
        if self.working_days:
            return f"{self.working_days}wd"
        hours, rest = divmod(self.seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        text = (
            (f"{hours}h" if hours else "")
            + (f"{minutes}m" if minutes else "")
            + (f"{seconds}s" if seconds else "")
        )
        return text or "0m"


_DURATION_RE = re.compile(r"(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?")
_WORKING_DAYS_RE = re.compile(r"(?P<wd>\d+)wd")


def parse_duration(text: str) -> Duration:
    """Parse "30m", "4h", "2h30m", "90s", "1h0m30s" or "3wd" (case-insensitive, surrounding blanks
    ignored). Hours, minutes and seconds may be combined in that order; working days stand alone.

    "0m" is allowed and means zero seconds. "0wd" is rejected: the working-day rule counts days
    strictly after the start, so zero working days has no meaning. Plain days ("1d") are rejected on
    purpose: a target in days must say whether it means working days ("1wd") or 24 hours ("24h").

    Raises ValueError with an English message on anything else (empty, negative, unit-less, unknown
    unit).
    """
    if not isinstance(text, str):
        raise ValueError(f"duration must be a string like '30m', '4h', '2h30m' or '3wd', not {text!r}")
    raw = text.strip().lower()
    if not raw:
        raise ValueError("empty duration: expected something like '30m', '4h', '2h30m' or '3wd'")
    if raw.startswith("-"):
        raise ValueError(f"negative duration {text!r}: a target must be zero or more")
    wd = _WORKING_DAYS_RE.fullmatch(raw)
    if wd:
        days = int(wd["wd"])
        if days == 0:
            raise ValueError(
                f"invalid duration {text!r}: working days must be at least 1 (use '0m' for none)"
            )
        return Duration(working_days=days)
    match = _DURATION_RE.fullmatch(raw)
    if match is None or not any(match.groupdict().values()):
        hint = (
            " (plain days are ambiguous: use 'wd' for working days or hours such as '24h')"
            if (raw.endswith("d"))
            else ""
        )
        raise ValueError(
            f"invalid duration {text!r}: expected a number with a unit h, m, s (e.g. '30m', '4h', "
            f"'2h30m', '90s') or working days 'wd' (e.g. '3wd'){hint}"
        )
    hours, minutes, seconds = (int(match[k] or 0) for k in ("h", "m", "s"))
    return Duration(seconds=hours * 3600 + minutes * 60 + seconds)


# --------------------------------------------------------------------------------------------------
# Calendars
# --------------------------------------------------------------------------------------------------


def _normalise(intervals: Iterable[tuple[int, int]], what: str) -> Intervals:
    """Validate intervals of seconds-of-day, sort them and merge overlapping or touching ones."""
    cleaned: Intervals = []
    for pair in intervals:
        start, end = int(pair[0]), int(pair[1])
        if not 0 <= start < end <= DAY_SECONDS:
            raise ValueError(
                f"{what}: interval ({start}, {end}) must satisfy 0 <= start < end <= {DAY_SECONDS} "
                "(seconds of the day; 86400 means 24:00)"
            )
        cleaned.append((start, end))
    cleaned.sort()
    merged: Intervals = []
    for start, end in cleaned:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _epoch_us(instant: datetime) -> int:
    """Exact microseconds since the Unix epoch of an aware datetime (float timestamps lose a µs)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"datetime {instant.isoformat()} has no time zone: pass an aware datetime")
    delta = instant - _EPOCH
    return (delta.days * DAY_SECONDS + delta.seconds) * _US + delta.microseconds


class WorkingCalendar:
    """One working calendar (CAL-1) and its arithmetic (CAL-2). Instances are immutable as far as
    callers are concerned; the interval tables are built lazily and grow to cover the years used.
    Not thread-safe while a table grows (callers cache one instance per process; CPython's GIL makes
    the worst case a duplicated rebuild, never a wrong answer, because the arrays are swapped whole).
    """

    def __init__(
        self,
        *,
        code: str,
        tz: str,
        weekly: dict[int, list[tuple[int, int]]],
        observes_holidays: bool,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        workday_weekly: list[tuple[int, int]] | None = None,
        closures: Iterable[date] = (),
        always_open: bool = False,
    ) -> None:
        self.code = code
        self.tz = tz
        self.zone = ZoneInfo(tz)
        self.always_open = always_open
        self.observes_holidays = observes_holidays
        for day in weekly:
            if day not in range(7):
                raise ValueError(f"calendar {code}: weekday {day!r} must be 0 (Monday) .. 6 (Sunday)")
        self.weekly: dict[int, Intervals] = {
            day: _normalise(weekly.get(day, ()), f"calendar {code}, weekday {day}") for day in range(7)
        }
        # Make-up working days (调休上班) follow the normal weekday timetable; Monday's is the default
        # because the State Council notices say the day is worked "as a normal working day".
        self.workday_weekly: Intervals = (
            self.weekly[0]
            if workday_weekly is None
            else _normalise(workday_weekly, f"calendar {code}, make-up")
        )
        self.holidays: frozenset[date] = frozenset(holidays)
        self.workdays: frozenset[date] = frozenset(workdays)
        self.closures: frozenset[date] = frozenset(closures)
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"calendar {code}: dates both holiday and make-up workday: {sorted(both)}")
        # Lazily built tables covering local years [_lo, _hi]; see _build().
        self._lo = 0
        self._hi = -1
        self._range_start = 0  # epoch seconds of local midnight, 1 January of _lo
        self._range_end = 0  # epoch seconds of local midnight, 1 January of _hi + 1
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._cum_end: list[int] = []  # working seconds from _range_start to the end of interval i
        self._wd_ordinals: list[int] = []
        self._wd_close: list[int] = []

    def __repr__(self) -> str:
        return f"WorkingCalendar(code={self.code!r}, tz={self.tz!r}, always_open={self.always_open})"

    # ---- rules -----------------------------------------------------------------------------------

    def day_intervals(self, d: date) -> Intervals:
        """Local working intervals (seconds of the day) of date ``d``; empty on a non-working day."""
        if self.always_open:
            return [(0, DAY_SECONDS)]
        if d in self.closures:  # company closures beat everything, even make-up working days
            return []
        if self.observes_holidays:
            if d in self.workdays:
                return self.workday_weekly
            if d in self.holidays:
                return []
        return self.weekly[d.weekday()]

    def is_working_day(self, d: date) -> bool:
        """True when ``d`` has working hours under the calendar's rules (CAL-1)."""
        return bool(self.day_intervals(d))

    # ---- lazily built tables ---------------------------------------------------------------------

    def _local_epoch(self, d: date, second_of_day: int) -> int:
        """Epoch seconds of wall time ``second_of_day`` on local date ``d`` (86400 = next midnight).

        A wall time that does not exist (inside a spring-forward gap) resolves with fold=0 per PEP 495,
        i.e. it is shifted forward by the gap; _year_table() keeps the result ordered.
        """
        if second_of_day == DAY_SECONDS:
            d, second_of_day = d + timedelta(days=1), 0
        hour, rest = divmod(second_of_day, 3600)
        minute, second = divmod(rest, 60)
        local = datetime(d.year, d.month, d.day, hour, minute, second, tzinfo=self.zone)
        delta = local - _EPOCH
        return delta.days * DAY_SECONDS + delta.seconds

    def _year_table(self, year: int) -> tuple[list[int], list[int], list[int], list[int]]:
        """Working intervals (epoch seconds) and working days (ordinal, close of business) of a year."""
        starts: list[int] = []
        ends: list[int] = []
        wd_ordinals: list[int] = []
        wd_close: list[int] = []
        day = date(year, 1, 1)
        one = timedelta(days=1)
        while day.year == year:
            intervals = self.day_intervals(day)
            close = None
            for a, b in intervals:
                start, end = self._local_epoch(day, a), self._local_epoch(day, b)
                if starts and start < ends[-1]:  # only possible around a DST gap; keep the table sorted
                    start = ends[-1]
                if end <= start:
                    continue
                if starts and start == ends[-1]:  # touching (e.g. 24:00 then 00:00): one interval
                    ends[-1] = end
                else:
                    starts.append(start)
                    ends.append(end)
                close = end
            if close is not None:
                wd_ordinals.append(day.toordinal())
                wd_close.append(close)
            day += one
        return starts, ends, wd_ordinals, wd_close

    def _build(self, lo: int, hi: int) -> None:
        """(Re)build the tables for local years lo..hi. Arrays are assembled first and swapped in."""
        starts: list[int] = []
        ends: list[int] = []
        cum_end: list[int] = []
        wd_ordinals: list[int] = []
        wd_close: list[int] = []
        total = 0
        for year in range(lo, hi + 1):
            ys, ye, yo, yc = self._year_table(year)
            if starts and ys and ys[0] == ends[-1]:  # merge across the new year's midnight
                total += ye[0] - ends[-1]
                ends[-1] = ye[0]
                cum_end[-1] = total
                ys, ye = ys[1:], ye[1:]
            for s, e in zip(ys, ye, strict=True):
                total += e - s
                starts.append(s)
                ends.append(e)
                cum_end.append(total)
            wd_ordinals.extend(yo)
            wd_close.extend(yc)
        range_start = self._local_epoch(date(lo, 1, 1), 0)
        range_end = self._local_epoch(date(hi + 1, 1, 1), 0)
        (self._starts, self._ends, self._cum_end, self._wd_ordinals, self._wd_close) = (
            starts,
            ends,
            cum_end,
            wd_ordinals,
            wd_close,
        )
        self._lo, self._hi, self._range_start, self._range_end = lo, hi, range_start, range_end

    def _extend_forward(self) -> None:
        """Append the next year to the tables (cheaper than a rebuild: earlier totals do not change)."""
        if self._hi < self._lo:
            raise RuntimeError("no table to extend")
        year = self._hi + 1
        ys, ye, yo, yc = self._year_table(year)
        starts, ends, cum_end = list(self._starts), list(self._ends), list(self._cum_end)
        total = cum_end[-1] if cum_end else 0
        if starts and ys and ys[0] == ends[-1]:
            total += ye[0] - ends[-1]
            ends[-1] = ye[0]
            cum_end[-1] = total
            ys, ye = ys[1:], ye[1:]
        for s, e in zip(ys, ye, strict=True):
            total += e - s
            starts.append(s)
            ends.append(e)
            cum_end.append(total)
        wd_ordinals, wd_close = self._wd_ordinals + yo, self._wd_close + yc
        range_end = self._local_epoch(date(year + 1, 1, 1), 0)
        (self._starts, self._ends, self._cum_end, self._wd_ordinals, self._wd_close) = (
            starts,
            ends,
            cum_end,
            wd_ordinals,
            wd_close,
        )
        self._hi, self._range_end = year, range_end

    def _cover(self, epoch_s: int) -> None:
        """Make sure the tables cover the instant ``epoch_s`` (whole local years)."""
        if self._hi < self._lo:
            year = datetime.fromtimestamp(epoch_s, tz=self.zone).year
            self._build(year, year)
            return
        if epoch_s < self._range_start:
            year = datetime.fromtimestamp(epoch_s, tz=self.zone).year
            self._build(min(year, self._lo - 1), self._hi)
        while epoch_s >= self._range_end:
            self._extend_forward()

    def _position(self, epoch_us: int) -> int:
        """Working microseconds between the start of the table and the instant (table must cover it)."""
        sec, us = divmod(epoch_us, _US)
        i = bisect_right(self._starts, sec) - 1
        if i < 0:
            return 0
        end = self._ends[i]
        if sec < end:  # inside interval i: count the part already worked, fraction included
            return (self._cum_end[i] - (end - sec)) * _US + us
        return self._cum_end[i] * _US

    # ---- arithmetic ------------------------------------------------------------------------------

    def add(self, start: datetime, duration: Duration) -> datetime:
        """Due instant of a target ``duration`` started at ``start`` (aware); in the calendar's zone."""
        if duration.working_days:
            return self.add_working_days(start, duration.working_days)
        return self.add_seconds(start, duration.seconds)

    def add_seconds(self, start: datetime, seconds: int) -> datetime:
        """The instant at which ``seconds`` of working time counted from ``start`` are used up."""
        if seconds < 0:
            raise ValueError("cannot add a negative amount of working time")
        start_us = _epoch_us(start)
        if seconds == 0:
            return start.astimezone(self.zone)
        if self.always_open:
            due_us = start_us + seconds * _US
        else:
            if not self._range_start <= start_us // _US < self._range_end:
                self._cover(start_us // _US)
            target = self._position(start_us) + seconds * _US
            # The first interval whose running total reaches the target holds the due instant.
            need = -(-target // _US)
            empty_years = 0
            while not self._cum_end or self._cum_end[-1] < need:
                before = self._cum_end[-1] if self._cum_end else 0
                self._extend_forward()
                after = self._cum_end[-1] if self._cum_end else 0
                empty_years = empty_years + 1 if after == before else 0
                if empty_years >= _MAX_EMPTY_YEARS:
                    raise ValueError(
                        f"calendar {self.code} has no working time in {_MAX_EMPTY_YEARS} consecutive years "
                        f"up to {self._hi}: cannot compute a due time"
                    )
            j = bisect_left(self._cum_end, need)
            due_us = self._ends[j] * _US - (self._cum_end[j] * _US - target)
        sec, us = divmod(due_us, _US)
        due = datetime.fromtimestamp(sec, tz=self.zone)
        return due.replace(microsecond=us) if us else due

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """Close of business of the ``n``-th working day strictly after ``start``'s local date."""
        if n < 1:
            raise ValueError("working days must be at least 1: the start's own day never counts")
        _epoch_us(start)  # validates awareness
        local_day = start.astimezone(self.zone).date()
        if self.always_open:
            close_day = local_day + timedelta(days=n + 1)
            return datetime(close_day.year, close_day.month, close_day.day, tzinfo=self.zone)
        if self._hi < self._lo or not self._lo <= local_day.year <= self._hi:
            self._cover(self._local_epoch(local_day, 0))
        k = bisect_right(self._wd_ordinals, local_day.toordinal()) + n - 1
        empty_years = 0
        while k >= len(self._wd_ordinals):
            before = len(self._wd_ordinals)
            self._extend_forward()
            empty_years = empty_years + 1 if len(self._wd_ordinals) == before else 0
            if empty_years >= _MAX_EMPTY_YEARS:
                raise ValueError(
                    f"calendar {self.code} has no working day in {_MAX_EMPTY_YEARS} consecutive years "
                    f"up to {self._hi}: cannot compute a due time"
                )
        return datetime.fromtimestamp(self._wd_close[k], tz=self.zone)

    def elapsed(self, start: datetime, end: datetime) -> int:
        """Whole working seconds in [start, end); 0 when ``end <= start``."""
        start_us, end_us = _epoch_us(start), _epoch_us(end)
        if end_us <= start_us:
            return 0
        if self.always_open:
            return (end_us - start_us) // _US
        if self._hi < self._lo or start_us // _US < self._range_start:
            self._cover(start_us // _US)
        if end_us // _US >= self._range_end:
            self._cover(end_us // _US)
        return (self._position(end_us) - self._position(start_us)) // _US

    def is_open(self, instant: datetime) -> bool:
        """True when ``instant`` lies inside working time (an opening is open, a closing is closed)."""
        epoch_s = _epoch_us(instant) // _US
        if self.always_open:
            return True
        self._cover(epoch_s)
        i = bisect_right(self._starts, epoch_s) - 1
        return i >= 0 and epoch_s < self._ends[i]

    def next_opening(self, instant: datetime) -> datetime:
        """``instant`` itself when open, else the next opening (in the calendar's zone)."""
        if self.is_open(instant):
            return instant.astimezone(self.zone)
        epoch_s = _epoch_us(instant) // _US
        empty_years = 0
        while True:
            i = bisect_right(self._starts, epoch_s)
            if i < len(self._starts):
                return datetime.fromtimestamp(self._starts[i], tz=self.zone)
            before = len(self._starts)
            self._extend_forward()
            empty_years = empty_years + 1 if len(self._starts) == before else 0
            if empty_years >= _MAX_EMPTY_YEARS:
                raise ValueError(f"calendar {self.code} never opens after {instant.isoformat()}")
