"""Known answers for the working-time engine (CAL-2) on the three standard calendars (CAL-3).

Every expected value below was worked out by hand from the State Council notices bundled in
data/cn_holidays_2025_2026.json; comments show the counting.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from herdesk.calendars.builtin import builtin_schedule
from herdesk.calendars.engine import Duration, WorkingCalendar, parse_duration

H = 3600
CN = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def due(cal: WorkingCalendar, start: str, duration: str) -> str:
    return cal.add(at(start), parse_duration(duration)).isoformat()


# ---- durations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", Duration(seconds=1800)),
        ("4h", Duration(seconds=4 * H)),
        ("2h30m", Duration(seconds=2 * H + 1800)),
        ("90s", Duration(seconds=90)),
        ("1h0m30s", Duration(seconds=H + 30)),
        (" 3WD ", Duration(working_days=3)),
        ("0m", Duration(seconds=0)),
        ("0s", Duration()),
    ],
)
def test_parse_duration(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("-5m", "negative"),
        ("-3wd", "negative"),
        ("5", "unit"),
        ("1d", "working days"),
        ("3wd2h", "invalid"),
        ("2h3wd", "invalid"),
        ("30m2h", "invalid"),
        ("1.5h", "invalid"),
        ("h", "invalid"),
        ("0wd", "at least 1"),
        ("2 h", "invalid"),
    ],
)
def test_parse_duration_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


def test_duration_validation_and_str() -> None:
    with pytest.raises(ValueError):
        Duration(seconds=60, working_days=1)
    with pytest.raises(ValueError):
        Duration(seconds=-1)
    assert str(parse_duration("2h30m")) == "2h30m"
    assert str(parse_duration("3wd")) == "3wd"
    assert str(parse_duration("0m")) == "0m"


# ---- the bundled schedule ------------------------------------------------------------------------

MAKEUP_DAYS = [
    "2025-01-26",
    "2025-02-08",
    "2025-04-27",
    "2025-09-28",
    "2025-10-11",
    "2026-01-04",
    "2026-02-14",
    "2026-02-28",
    "2026-05-09",
    "2026-09-20",
    "2026-10-10",
]


def test_bundled_schedule_counts() -> None:
    holidays, workdays = builtin_schedule()
    assert len(holidays) == 61
    assert [d.isoformat() for d in workdays] == MAKEUP_DAYS


def test_working_days_per_year(office: WorkingCalendar) -> None:
    # 2025: 261 weekdays - 18 weekday holidays + 5 make-up days = 248.
    # 2026: 261 weekdays - 19 weekday holidays + 6 make-up days = 248.
    for year in (2025, 2026):
        days = [date(year, 1, 1) + timedelta(n) for n in range(365)]
        assert sum(office.is_working_day(d) for d in days) == 248
        # and the engine's own tables agree: 248 days of 8 working hours
        start = datetime(year, 1, 1, tzinfo=CN)
        assert office.elapsed(start, datetime(year + 1, 1, 1, tzinfo=CN)) == 248 * 8 * H


# ---- office: lunch break, closing times ----------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # Monday 2026-03-02, an ordinary working day.
        ("2026-03-02T09:00:00+08:00", "3h", "2026-03-02T12:00:00+08:00"),  # exactly lunch: due at 12:00
        ("2026-03-02T09:00:00+08:00", "3h1s", "2026-03-02T13:00:01+08:00"),
        ("2026-03-02T09:00:00+08:00", "8h", "2026-03-02T18:00:00+08:00"),  # exactly close: due at 18:00
        ("2026-03-02T09:00:00+08:00", "8h1s", "2026-03-03T09:00:01+08:00"),
        ("2026-03-02T11:00:00+08:00", "2h", "2026-03-02T14:00:00+08:00"),  # across lunch
        ("2026-03-02T12:00:00+08:00", "1s", "2026-03-02T13:00:01+08:00"),  # start at a closing time
        ("2026-03-02T12:30:00+08:00", "1h", "2026-03-02T14:00:00+08:00"),  # start during lunch
        ("2026-03-02T07:00:00+08:00", "30m", "2026-03-02T09:30:00+08:00"),  # start before opening
        ("2026-03-02T17:00:00+08:00", "1h", "2026-03-02T18:00:00+08:00"),
        ("2026-03-02T17:00:00+08:00", "90m", "2026-03-03T09:30:00+08:00"),
        ("2026-03-02T11:30:00+08:00", "30m", "2026-03-02T12:00:00+08:00"),
        # Friday evening to Monday.
        ("2026-03-06T17:30:00+08:00", "1h", "2026-03-09T09:30:00+08:00"),
        ("2026-03-07T10:00:00+08:00", "4h", "2026-03-09T14:00:00+08:00"),  # Saturday start
        # Input in another offset: same instant, answer in the calendar's zone (+08:00).
        ("2026-03-02T01:00:00Z", "3h", "2026-03-02T12:00:00+08:00"),
        ("2026-03-02T01:00:00+00:00", "2h", "2026-03-02T11:00:00+08:00"),
    ],
)
def test_office_add(office: WorkingCalendar, start: str, duration: str, expected: str) -> None:
    assert due(office, start, duration) == expected


def test_zero_duration_returns_start(office: WorkingCalendar) -> None:
    # Documented choice: a zero budget is used up at once, even outside working hours.
    assert due(office, "2026-03-02T10:00:00+08:00", "0m") == "2026-03-02T10:00:00+08:00"
    assert due(office, "2026-03-07T10:00:00+08:00", "0m") == "2026-03-07T10:00:00+08:00"
    assert due(office, "2026-03-02T02:00:00Z", "0s") == "2026-03-02T10:00:00+08:00"


def test_microseconds_are_kept(office: WorkingCalendar) -> None:
    start = at("2026-03-02T11:59:59.250000+08:00")
    assert office.add_seconds(start, 1).isoformat() == "2026-03-02T13:00:00.250000+08:00"
    assert office.elapsed(start, at("2026-03-02T13:00:00.250000+08:00")) == 1
    assert office.elapsed(start, at("2026-03-02T13:00:00.249999+08:00")) == 0
    # a fraction before opening is not working time
    assert (
        office.add_seconds(at("2026-03-02T08:59:59.5+08:00"), 60).isoformat() == "2026-03-02T09:01:00+08:00"
    )


def test_is_open_boundaries(office: WorkingCalendar) -> None:
    assert office.is_open(at("2026-03-02T09:00:00+08:00"))
    assert office.is_open(at("2026-03-02T11:59:59+08:00"))
    assert not office.is_open(at("2026-03-02T12:00:00+08:00"))  # a closing time is closed
    assert office.is_open(at("2026-03-02T13:00:00+08:00"))
    assert not office.is_open(at("2026-03-02T18:00:00+08:00"))
    assert not office.is_open(at("2026-03-07T10:00:00+08:00"))  # Saturday
    assert office.next_opening(at("2026-03-06T18:00:00+08:00")).isoformat() == "2026-03-09T09:00:00+08:00"


def test_office_elapsed(office: WorkingCalendar) -> None:
    assert office.elapsed(at("2026-03-02T11:00:00+08:00"), at("2026-03-02T14:00:00+08:00")) == 2 * H
    assert office.elapsed(at("2026-03-02T12:00:00+08:00"), at("2026-03-02T13:00:00+08:00")) == 0
    assert office.elapsed(at("2026-03-06T17:00:00+08:00"), at("2026-03-09T10:00:00+08:00")) == 2 * H
    assert office.elapsed(at("2026-03-09T10:00:00+08:00"), at("2026-03-06T17:00:00+08:00")) == 0
    # 2026-09-30 15:00 -> 10-08 10:30: 3h on the 30th, a week of holidays, 1.5h on the 8th
    assert office.elapsed(at("2026-09-30T15:00:00+08:00"), at("2026-10-08T10:30:00+08:00")) == 16200


# ---- office: holidays and make-up days -----------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # Known answer: 30 min on Wed 09-30, National Day 10-01..07 off, 1.5h on Thu 10-08.
        ("2026-09-30T17:30:00+08:00", "2h", "2026-10-08T10:30:00+08:00"),
        # Mid-Autumn 2026-09-25 (Fri) .. 09-27 (Sun) is off: 1h on 09-24, 2h on Mon 09-28.
        ("2026-09-24T17:00:00+08:00", "3h", "2026-09-28T11:00:00+08:00"),
        # Spring Festival 2026: Fri 02-13 -> make-up Sat 02-14.
        ("2026-02-13T17:00:00+08:00", "2h", "2026-02-14T10:00:00+08:00"),
        # Make-up Sat 02-14 -> holidays 02-15..23 -> Tue 02-24.
        ("2026-02-14T17:00:00+08:00", "2h", "2026-02-24T10:00:00+08:00"),
        ("2026-02-15T09:00:00+08:00", "8h", "2026-02-24T18:00:00+08:00"),
        # Fri 02-27 -> make-up Sat 02-28 (the Sunday 03-01 stays off).
        ("2026-02-27T17:00:00+08:00", "9h", "2026-02-28T18:00:00+08:00"),
        ("2026-02-27T17:00:00+08:00", "9h1s", "2026-03-02T09:00:01+08:00"),
        # New Year 2026: 01-01..03 off, Sun 01-04 is a make-up day, across the year end.
        ("2025-12-31T17:00:00+08:00", "2h", "2026-01-04T10:00:00+08:00"),
        # National Day 2025: 10-01..08 off (Mid-Autumn merged), Thu 10-09 first day back.
        ("2025-09-30T17:00:00+08:00", "2h", "2025-10-09T10:00:00+08:00"),
        # Spring Festival 2025: 01-28..02-04 off; Sun 01-26 make-up.
        ("2025-01-25T12:00:00+08:00", "1h", "2025-01-26T10:00:00+08:00"),
        ("2025-01-27T17:00:00+08:00", "2h", "2025-02-05T10:00:00+08:00"),
        # Labour Day 2025: 05-01..05 off; Sun 04-27 make-up.
        ("2025-04-30T17:00:00+08:00", "2h", "2025-05-06T10:00:00+08:00"),
        # Dragon Boat 2026: 06-19 (Fri) .. 06-21 off.
        ("2026-06-18T17:00:00+08:00", "2h", "2026-06-22T10:00:00+08:00"),
    ],
)
def test_office_add_across_holidays(
    office: WorkingCalendar, start: str, duration: str, expected: str
) -> None:
    assert due(office, start, duration) == expected


@pytest.mark.parametrize("day", MAKEUP_DAYS)
def test_every_makeup_day_is_worked(office: WorkingCalendar, hotline: WorkingCalendar, day: str) -> None:
    d = date.fromisoformat(day)
    assert d.weekday() in (5, 6)  # make-up days are Saturdays or Sundays
    assert office.is_working_day(d)
    assert hotline.is_working_day(d)
    # Normal weekday hours with the lunch break (make-up days default to Monday's timetable).
    assert office.is_open(at(f"{day}T09:00:00+08:00"))
    assert not office.is_open(at(f"{day}T12:30:00+08:00"))
    assert due(office, f"{day}T08:00:00+08:00", "4h") == f"{day}T14:00:00+08:00"
    # From the evening before: the budget runs on the make-up day (3h morning + 1h afternoon).
    before = (d - timedelta(days=1)).isoformat()
    assert due(office, f"{before}T23:00:00+08:00", "4h") == f"{day}T14:00:00+08:00"
    # It is the first working day after the day before, whatever that day was.
    assert due(office, f"{before}T10:00:00+08:00", "1wd") == f"{day}T18:00:00+08:00"


def test_public_holidays_are_not_worked(office: WorkingCalendar) -> None:
    holidays, _ = builtin_schedule()
    for d in holidays:
        assert not office.is_working_day(d), d
    assert not office.is_working_day(date(2026, 3, 7))  # an ordinary Saturday
    assert not office.is_working_day(date(2026, 3, 1))  # the Sunday after make-up Saturday 02-28


# ---- working days ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # Known answer: from Fri 2026-09-18 the days after are Sat 19 (off), Sun 20 (make-up day: 1),
        # Mon 21 (2), Tue 22 (3), Wed 23 (4), Thu 24 (5) -> 09-24 18:00. The data agrees: 09-20 is in
        # "workdays". The holiday on Fri 09-25 does not decide this answer; it matters one day later:
        ("2026-09-18T15:00:00+08:00", "5wd", "2026-09-24T18:00:00+08:00"),
        # 6th: 09-25..27 off (Mid-Autumn) -> Mon 09-28.
        ("2026-09-18T15:00:00+08:00", "6wd", "2026-09-28T18:00:00+08:00"),
        # 28, 29, 30 (8), National Day 10-01..07 off, Thu 10-08 (9), Fri 10-09 (10), make-up Sat 10-10 (11).
        ("2026-09-18T15:00:00+08:00", "10wd", "2026-10-09T18:00:00+08:00"),
        ("2026-09-18T15:00:00+08:00", "11wd", "2026-10-10T18:00:00+08:00"),
        # The start's own day never counts, working day or not, early or late.
        ("2026-03-02T08:00:00+08:00", "1wd", "2026-03-03T18:00:00+08:00"),
        ("2026-03-02T23:59:59+08:00", "1wd", "2026-03-03T18:00:00+08:00"),
        ("2026-03-07T10:00:00+08:00", "1wd", "2026-03-09T18:00:00+08:00"),
        ("2026-10-01T10:00:00+08:00", "1wd", "2026-10-08T18:00:00+08:00"),
        # The local date decides: 2026-03-01T20:00Z is already Monday 03-02 04:00 in Shanghai.
        ("2026-03-01T20:00:00Z", "1wd", "2026-03-03T18:00:00+08:00"),
        # Spring Festival 2026: after Fri 02-13 come make-up Sat 02-14 (1) and Tue 02-24 (2).
        ("2026-02-13T10:00:00+08:00", "2wd", "2026-02-24T18:00:00+08:00"),
        # Fri 02-27 -> make-up Sat 02-28 (1), Mon 03-02 (2), Tue 03-03 (3).
        ("2026-02-27T10:00:00+08:00", "3wd", "2026-03-03T18:00:00+08:00"),
        # Across the year end: 2025-12-31 -> 01-01..03 off -> make-up Sun 01-04 (1), Mon 01-05 (2).
        ("2025-12-31T10:00:00+08:00", "2wd", "2026-01-05T18:00:00+08:00"),
    ],
)
def test_office_working_days(office: WorkingCalendar, start: str, duration: str, expected: str) -> None:
    assert due(office, start, duration) == expected


def test_working_days_reject_zero(office: WorkingCalendar) -> None:
    with pytest.raises(ValueError):
        office.add_working_days(at("2026-03-02T10:00:00+08:00"), 0)


# ---- hotline ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        ("2026-03-02T08:00:00+08:00", "12h", "2026-03-02T20:00:00+08:00"),  # exactly the 20:00 close
        ("2026-03-02T08:00:00+08:00", "12h1s", "2026-03-03T08:00:01+08:00"),
        ("2026-03-02T19:30:00+08:00", "30m", "2026-03-02T20:00:00+08:00"),
        ("2026-03-02T20:00:00+08:00", "30m", "2026-03-03T08:30:00+08:00"),
        ("2026-03-02T03:00:00+08:00", "4h", "2026-03-02T12:00:00+08:00"),  # no lunch break
        # Open on public holidays and weekends.
        ("2026-10-01T19:00:00+08:00", "2h", "2026-10-02T09:00:00+08:00"),
        ("2026-02-17T10:00:00+08:00", "1h", "2026-02-17T11:00:00+08:00"),
        ("2026-03-07T10:00:00+08:00", "1h", "2026-03-07T11:00:00+08:00"),
        # Working days: every day, closing at 20:00.
        ("2026-09-30T10:00:00+08:00", "3wd", "2026-10-03T20:00:00+08:00"),
    ],
)
def test_hotline(hotline: WorkingCalendar, start: str, duration: str, expected: str) -> None:
    assert due(hotline, start, duration) == expected


def test_hotline_elapsed_through_holidays(hotline: WorkingCalendar) -> None:
    assert hotline.elapsed(at("2026-10-01T00:00:00+08:00"), at("2026-10-08T00:00:00+08:00")) == 7 * 12 * H
    assert not hotline.is_open(at("2026-10-01T20:00:00+08:00"))


# ---- 24x7 ----------------------------------------------------------------------------------------------


def test_always_open(always: WorkingCalendar) -> None:
    assert due(always, "2026-10-01T23:30:00+08:00", "1h") == "2026-10-02T00:30:00+08:00"
    assert due(always, "2026-10-01T23:30:00Z", "30m") == "2026-10-02T08:00:00+08:00"
    # 3wd from 10-01: 10-02 (1), 10-03 (2), 10-04 (3); close of business is 24:00 = 10-05 00:00.
    assert due(always, "2026-10-01T15:00:00+08:00", "3wd") == "2026-10-05T00:00:00+08:00"
    assert always.elapsed(at("2026-10-01T00:00:00+08:00"), at("2026-10-02T00:00:00Z")) == 32 * H
    assert always.is_open(at("2026-10-01T03:00:00+08:00"))
    assert always.is_working_day(date(2026, 10, 1))


# ---- rules: closures, custom make-up hours, calendars without holidays ------------------------------


def _office_like(**kwargs: object) -> WorkingCalendar:
    holidays, workdays = builtin_schedule()
    params: dict = {
        "code": "t",
        "tz": "Asia/Shanghai",
        "weekly": {d: [(9 * H, 17 * H)] for d in range(5)},
        "observes_holidays": True,
        "holidays": holidays,
        "workdays": workdays,
    }
    params.update(kwargs)
    return WorkingCalendar(**params)


def test_closures_beat_workdays_and_weekdays() -> None:
    cal = _office_like(closures=[date(2026, 3, 3), date(2026, 2, 14)])
    assert not cal.is_working_day(date(2026, 3, 3))
    assert not cal.is_working_day(date(2026, 2, 14))  # even a make-up day
    assert due(cal, "2026-03-02T16:00:00+08:00", "2h") == "2026-03-04T10:00:00+08:00"
    assert due(cal, "2026-03-02T10:00:00+08:00", "1wd") == "2026-03-04T17:00:00+08:00"


def test_makeup_day_hours_can_differ() -> None:
    cal = _office_like(workday_weekly=[(10 * H, 15 * H)])
    assert due(cal, "2026-02-14T00:00:00+08:00", "5h") == "2026-02-14T15:00:00+08:00"
    assert due(cal, "2026-02-13T10:00:00+08:00", "1wd") == "2026-02-14T15:00:00+08:00"


def test_calendar_ignoring_holidays() -> None:
    cal = _office_like(observes_holidays=False)
    assert cal.is_working_day(date(2026, 10, 1))  # Thursday, public holiday: ignored
    assert not cal.is_working_day(date(2026, 2, 14))  # make-up Saturday: ignored too


def test_invalid_calendars() -> None:
    with pytest.raises(ValueError):
        _office_like(weekly={0: [(10 * H, 9 * H)]})
    with pytest.raises(ValueError):
        _office_like(weekly={7: [(9 * H, 17 * H)]})
    with pytest.raises(ValueError):
        _office_like(holidays=[date(2026, 2, 14)])  # also a make-up day
    with pytest.raises(ValueError, match="aware"):
        _office_like().add_seconds(datetime(2026, 3, 2, 10), 60)


def test_overlapping_and_touching_intervals_merge() -> None:
    cal = _office_like(weekly={0: [(13 * H, 18 * H), (9 * H, 12 * H), (11 * H, 13 * H)]})
    assert cal.day_intervals(date(2026, 3, 2)) == [(9 * H, 18 * H)]


def test_calendar_without_any_working_time_fails_cleanly() -> None:
    cal = WorkingCalendar(code="never", tz="Asia/Shanghai", weekly={}, observes_holidays=False)
    with pytest.raises(ValueError, match="no working"):
        cal.add_seconds(at("2026-03-02T10:00:00+08:00"), 60)
    with pytest.raises(ValueError, match="no working"):
        cal.add_working_days(at("2026-03-02T10:00:00+08:00"), 1)
    assert cal.elapsed(at("2026-03-02T10:00:00+08:00"), at("2027-03-02T10:00:00+08:00")) == 0


def test_years_far_apart_and_backwards() -> None:
    cal = _office_like()
    # First use in 2026, then a start in 2024 (tables grow backwards) and one in 2030 (forwards).
    assert due(cal, "2026-03-02T09:00:00+08:00", "1h") == "2026-03-02T10:00:00+08:00"
    assert due(cal, "2024-03-04T09:00:00+08:00", "1h") == "2024-03-04T10:00:00+08:00"
    assert due(cal, "2030-03-04T16:30:00+08:00", "1h") == "2030-03-05T09:30:00+08:00"
    # 2024-12-31 (Tue) 16:00 -> 1h on the 31st, 2025-01-01 holiday, Thu 01-02 09:00 + 1h.
    assert due(cal, "2024-12-31T16:00:00+08:00", "2h") == "2025-01-02T10:00:00+08:00"
    # elapsed over several years equals the sum of the years
    years = [
        cal.elapsed(datetime(y, 1, 1, tzinfo=CN), datetime(y + 1, 1, 1, tzinfo=CN)) for y in range(2024, 2028)
    ]
    assert cal.elapsed(datetime(2024, 1, 1, tzinfo=CN), datetime(2028, 1, 1, tzinfo=CN)) == sum(years)
    # a budget spanning more than a year
    start = at("2025-01-02T09:00:00+08:00")
    long_due = cal.add_seconds(start, 300 * 8 * H)
    assert cal.elapsed(start, long_due) == 300 * 8 * H


# ---- a zone with daylight-saving time --------------------------------------------------------------------

BERLIN = "Europe/Berlin"  # 2026: CET -> CEST on Sun 03-29 at 02:00, CEST -> CET on Sun 10-25 at 03:00


def test_dst_office_hours_across_changes() -> None:
    cal = WorkingCalendar(
        code="berlin", tz=BERLIN, weekly={d: [(9 * H, 17 * H)] for d in range(5)}, observes_holidays=False
    )
    # Fri 16:00 CET + 2h -> 1h Friday, 1h Monday in summer time.
    assert due(cal, "2026-03-27T16:00:00+01:00", "2h") == "2026-03-30T10:00:00+02:00"
    assert cal.elapsed(at("2026-03-27T16:00:00+01:00"), at("2026-03-30T10:00:00+02:00")) == 2 * H
    # And back in October.
    assert due(cal, "2026-10-23T16:00:00+02:00", "2h") == "2026-10-26T10:00:00+01:00"
    # A week containing the change still has 5 x 8 hours.
    assert cal.elapsed(at("2026-03-23T00:00:00+01:00"), at("2026-03-30T00:00:00+02:00")) == 40 * H
    # close of business keeps its wall time and gets the right offset
    assert due(cal, "2026-03-27T10:00:00+01:00", "1wd") == "2026-03-30T17:00:00+02:00"
    assert due(cal, "2026-10-23T10:00:00+02:00", "1wd") == "2026-10-26T17:00:00+01:00"


def test_dst_day_lengths() -> None:
    cal = WorkingCalendar(
        code="berlin-days", tz=BERLIN, weekly={d: [(0, 24 * H)] for d in range(7)}, observes_holidays=False
    )
    assert cal.elapsed(at("2026-03-29T00:00:00+01:00"), at("2026-03-30T00:00:00+02:00")) == 23 * H
    assert cal.elapsed(at("2026-10-25T00:00:00+02:00"), at("2026-10-26T00:00:00+01:00")) == 25 * H
    # 24 working hours from local midnight on the short day end at 01:00 the next day.
    assert due(cal, "2026-03-29T00:00:00+01:00", "24h") == "2026-03-30T01:00:00+02:00"
    assert due(cal, "2026-03-28T00:00:00+01:00", "1wd") == "2026-03-30T00:00:00+02:00"


def test_dst_night_interval() -> None:
    # Sundays 01:00-04:00 wall time: 2 real hours on the spring day, 4 on the autumn day.
    cal = WorkingCalendar(code="night", tz=BERLIN, weekly={6: [(1 * H, 4 * H)]}, observes_holidays=False)
    assert cal.elapsed(at("2026-03-29T00:00:00+01:00"), at("2026-03-30T00:00:00+02:00")) == 2 * H
    assert cal.elapsed(at("2026-10-25T00:00:00+02:00"), at("2026-10-26T00:00:00+01:00")) == 4 * H
    assert due(cal, "2026-03-29T00:00:00+01:00", "90m") == "2026-03-29T03:30:00+02:00"
    assert due(cal, "2026-10-25T00:00:00+02:00", "2h") == "2026-10-25T02:00:00+01:00"  # the second 02:00


def test_dst_always_open_is_absolute_time() -> None:
    cal = WorkingCalendar(code="a", tz=BERLIN, weekly={}, observes_holidays=False, always_open=True)
    assert due(cal, "2026-03-28T12:00:00+01:00", "24h") == "2026-03-29T13:00:00+02:00"
    assert cal.elapsed(at("2026-03-28T12:00:00+01:00"), at("2026-03-29T13:00:00+02:00")) == 24 * H
    assert due(cal, "2026-03-28T12:00:00+01:00", "1wd") == "2026-03-30T00:00:00+02:00"
