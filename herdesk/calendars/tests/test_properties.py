"""Property tests for the engine (CAL-2): round trips, monotonicity, landing points, and agreement
with a slow day-by-day reference implementation that shares none of the prefix-sum machinery."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from herdesk.calendars.builtin import builtin_calendar, builtin_schedule
from herdesk.calendars.engine import WorkingCalendar

H = 3600
OFFICE = builtin_calendar("office")
HOTLINE = builtin_calendar("hotline")
ALWAYS = builtin_calendar("24x7")
_HOLIDAYS, _WORKDAYS = builtin_schedule()
BERLIN = WorkingCalendar(
    code="berlin",
    tz="Europe/Berlin",
    weekly={d: [(8 * H, 12 * H), (13 * H, 17 * H)] for d in range(5)},
    observes_holidays=True,
    holidays=_HOLIDAYS,
    workdays=_WORKDAYS,
)
NIGHTS = WorkingCalendar(  # Berlin night shifts crossing both DST changes: 01:00-04:00 and 22:00-24:00
    code="nights",
    tz="Europe/Berlin",
    weekly={d: [(1 * H, 4 * H), (22 * H, 24 * H)] for d in range(7)},
    observes_holidays=False,
)
CALENDARS = [OFFICE, HOTLINE, BERLIN, NIGHTS]
CLOSINGS = {  # local wall-clock closing times, to check landing points independently of the tables
    "office": {"12:00:00", "18:00:00"},
    "hotline": {"20:00:00"},
    "berlin": {"12:00:00", "17:00:00"},
    "nights": {"04:00:00", "00:00:00"},
}

LO = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp()) - 86_400
HI = int(datetime(2027, 1, 1, tzinfo=UTC).timestamp())

calendars = st.sampled_from(CALENDARS)
instants = st.builds(
    lambda s, us: datetime.fromtimestamp(s, tz=UTC).replace(microsecond=us),
    st.integers(LO, HI),
    st.sampled_from([0, 0, 0, 1, 500_000, 999_999]),
)
# minutes..days: the range the service clocks use, plus the 0 edge
budgets = st.one_of(st.integers(0, 3 * H), st.integers(0, 40 * 8 * H), st.sampled_from([0, 1, 1800, 4 * H]))

PROPS = settings(max_examples=300, deadline=None)


def reference_elapsed(cal: WorkingCalendar, start: datetime, end: datetime) -> int:
    """Working seconds in [start, end), walking local day by day (slow but obviously right)."""
    if end <= start:
        return 0
    total = timedelta(0)
    day = start.astimezone(cal.zone).date() - timedelta(days=1)
    last = end.astimezone(cal.zone).date() + timedelta(days=1)
    while day <= last:
        for a, b in cal.day_intervals(day):
            overlap = min(_wall(cal, day, b), end) - max(_wall(cal, day, a), start)
            if overlap > timedelta(0):
                total += overlap
        day += timedelta(days=1)
    return int(total.total_seconds() // 1)


def _wall(cal: WorkingCalendar, day: date, seconds: int) -> datetime:
    """The instant of wall time ``seconds`` after local midnight (aware + timedelta is wall-clock
    arithmetic in Python), 24:00 being the next midnight."""
    if seconds == 86_400:
        nxt = day + timedelta(days=1)
        return datetime(nxt.year, nxt.month, nxt.day, tzinfo=cal.zone).astimezone(UTC)
    local = datetime(day.year, day.month, day.day, tzinfo=cal.zone) + timedelta(seconds=seconds)
    return local.astimezone(UTC)


@PROPS
@given(calendars, instants, budgets)
def test_add_then_elapsed_round_trips(cal: WorkingCalendar, start: datetime, seconds: int) -> None:
    due = cal.add_seconds(start, seconds)
    if seconds == 0:
        assert due == start
        return
    opening = cal.next_opening(start)
    assert opening >= start
    assert cal.elapsed(opening, due) == seconds
    assert cal.elapsed(start, due) == seconds  # nothing is worked between start and the opening
    assert due.tzinfo == cal.zone


@PROPS
@given(calendars, instants, instants)
def test_elapsed_matches_reference(cal: WorkingCalendar, a: datetime, b: datetime) -> None:
    if b < a:
        a, b = b, a
    if (b - a) > timedelta(days=60):  # keep the slow reference quick
        b = a + timedelta(days=60)
    assert cal.elapsed(a, b) == reference_elapsed(cal, a, b)
    assert cal.elapsed(b, a) == 0


@PROPS
@given(calendars, instants, st.integers(0, 20 * 86_400), budgets)
def test_monotonic_in_start(cal: WorkingCalendar, start: datetime, shift: int, seconds: int) -> None:
    later = start + timedelta(seconds=shift)
    assert cal.add_seconds(start, seconds) <= cal.add_seconds(later, seconds)


@PROPS
@given(calendars, instants, budgets, budgets)
def test_monotonic_in_duration(cal: WorkingCalendar, start: datetime, s1: int, s2: int) -> None:
    s1, s2 = sorted((s1, s2))
    assert cal.add_seconds(start, s1) <= cal.add_seconds(start, s2)
    if s1 < s2:
        assert cal.add_seconds(start, s1) < cal.add_seconds(start, s2)


@PROPS
@given(calendars, instants, budgets.filter(bool))
def test_due_is_open_or_exactly_a_closing_time(cal: WorkingCalendar, start: datetime, seconds: int) -> None:
    due = cal.add_seconds(start, seconds)
    if not cal.is_open(due):
        assert due.microsecond == 0
        assert due.strftime("%H:%M:%S") in CLOSINGS[cal.code]
        assert cal.is_open(due - timedelta(seconds=1))  # the last working second ends at the close


@PROPS
@given(calendars, instants, st.integers(1, 30))
def test_working_days(cal: WorkingCalendar, start: datetime, n: int) -> None:
    due = cal.add_working_days(start, n)
    first = start.astimezone(cal.zone).date()
    last = due.date() if due.strftime("%H:%M:%S") != "00:00:00" else due.date() - timedelta(days=1)
    assert last > first
    assert cal.is_working_day(last)
    # exactly n working days in (first, last]
    count = sum(cal.is_working_day(first + timedelta(days=k)) for k in range(1, (last - first).days + 1))
    assert count == n
    # close of business: the end of the day's last interval
    assert due.strftime("%H:%M:%S") in CLOSINGS[cal.code] | {"00:00:00"}
    assert not cal.is_open(due)


@PROPS
@given(instants, budgets)
def test_always_open_is_plain_time(start: datetime, seconds: int) -> None:
    due = ALWAYS.add_seconds(start, seconds)
    assert due == start + timedelta(seconds=seconds)
    assert ALWAYS.elapsed(start, due) == seconds
