"""Services and selectors: the database side of CAL-1/CAL-3 and the per-process calendar cache."""

from __future__ import annotations

import datetime as dt

import pytest

from herdesk.calendars import selectors
from herdesk.calendars.builtin import BUILTIN_HOLIDAYS_SOURCE
from herdesk.calendars.engine import parse_duration
from herdesk.calendars.models import Calendar, CalendarClosure, CalendarInterval, CalendarVersion, Holiday
from herdesk.calendars.selectors import working_calendar
from herdesk.calendars.services import (
    builtin_holidays_load,
    calendar_closure_add,
    calendar_upsert,
    demo_calendars_ensure,
    holidays_import,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("builtin_data")]
H = 3600


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_builtin_data_present() -> None:
    assert set(Calendar.objects.values_list("code", flat=True)) >= {"office", "hotline", "24x7"}
    assert Holiday.objects.filter(kind=Holiday.Kind.HOLIDAY).count() == 61
    assert Holiday.objects.filter(kind=Holiday.Kind.WORKDAY).count() == 11
    office = Calendar.objects.get(code="office")
    assert office.observes_holidays and not office.always_open and office.timezone == "Asia/Shanghai"
    assert office.intervals.count() == 10  # Mon-Fri, two openings each
    assert Calendar.objects.get(code="24x7").always_open
    assert not Calendar.objects.get(code="hotline").observes_holidays


def test_builtin_load_and_ensure_are_idempotent() -> None:
    assert builtin_holidays_load() == (0, 0)
    before = list(CalendarInterval.objects.order_by("pk").values_list("pk", flat=True))
    codes = [c.code for c in demo_calendars_ensure()]
    assert codes == ["office", "hotline", "24x7"]
    assert list(CalendarInterval.objects.order_by("pk").values_list("pk", flat=True)) == before


def test_known_answers_from_the_database() -> None:
    office = working_calendar("office")
    assert office.add(at("2026-09-30T17:30:00+08:00"), parse_duration("2h")).isoformat() == (
        "2026-10-08T10:30:00+08:00"
    )
    assert office.add(at("2026-09-18T15:00:00+08:00"), parse_duration("5wd")).isoformat() == (
        "2026-09-24T18:00:00+08:00"
    )
    hotline = working_calendar("hotline")
    assert hotline.add(at("2026-10-01T08:00:00+08:00"), parse_duration("12h")).isoformat() == (
        "2026-10-01T20:00:00+08:00"
    )
    assert working_calendar("24x7").always_open


def test_unknown_calendar() -> None:
    with pytest.raises(Calendar.DoesNotExist):
        working_calendar("nope")


def test_calendar_upsert_and_closure() -> None:
    cal = calendar_upsert(
        code="night-desk",
        name="夜班",
        tz="Europe/Berlin",
        observes_holidays=False,
        intervals={d: [(20 * H, 24 * H)] for d in range(7)},
    )
    assert cal.intervals.get(weekday=0).end_label == "24:00"
    wc = working_calendar("night-desk")
    assert wc.tz == "Europe/Berlin"
    assert (
        wc.add(at("2026-03-02T23:00:00+01:00"), parse_duration("2h")).isoformat()
        == "2026-03-03T21:00:00+01:00"
    )

    calendar_closure_add(calendar=cal, date=dt.date(2026, 3, 3), reason="inventory")
    wc2 = working_calendar("night-desk")
    assert wc2 is not wc  # the cache noticed the write
    assert (
        wc2.add(at("2026-03-02T23:00:00+01:00"), parse_duration("2h")).isoformat()
        == "2026-03-04T21:00:00+01:00"
    )

    # replacing the hours replaces all intervals; closures stay unless given
    calendar_upsert(
        code="night-desk",
        name="夜班",
        tz="Europe/Berlin",
        observes_holidays=False,
        intervals={0: [(9 * H, 10 * H)], 7: [(10 * H, 11 * H)]},
    )
    assert CalendarInterval.objects.filter(calendar=cal).count() == 2
    assert CalendarClosure.objects.filter(calendar=cal).count() == 1
    wc3 = working_calendar("night-desk")
    assert wc3.workday_weekly == [(10 * H, 11 * H)]
    assert not wc3.observes_holidays


@pytest.mark.parametrize(
    "kwargs",
    [
        {"tz": "Mars/Olympus"},
        {"intervals": {8: [(0, H)]}},
        {"intervals": {0: [(2 * H, H)]}},
        {"intervals": {0: [(0, 86_401)]}},
    ],
)
def test_calendar_upsert_rejects(kwargs: dict) -> None:
    params = {"code": "bad", "name": "bad", "observes_holidays": True, "intervals": {0: [(0, H)]}} | kwargs
    with pytest.raises(ValueError):
        calendar_upsert(**params)
    assert not Calendar.objects.filter(code="bad").exists()


def test_holidays_import_idempotent_and_invalidates_cache() -> None:
    office = working_calendar("office")
    # 2027-01-01 is a Friday: a working day until the 2027 notice says otherwise.
    assert office.is_working_day(dt.date(2027, 1, 1))
    data = {"holidays": ["2027-01-01"], "workdays": ["2027-01-03"]}
    assert holidays_import(data=data, source="notice 2027") == (2, 0)
    assert holidays_import(data=data, source="notice 2027") == (0, 0)
    office = working_calendar("office")
    assert not office.is_working_day(dt.date(2027, 1, 1))
    assert office.is_working_day(dt.date(2027, 1, 3))
    # hotline ignores the national schedule
    assert working_calendar("hotline").is_working_day(dt.date(2027, 1, 1))
    # a corrected notice turns the make-up day into a holiday: counted as updated, old row gone
    assert holidays_import(data={"holidays": ["2027-01-03"]}, source="notice 2027 rev") == (0, 1)
    assert list(Holiday.objects.filter(date=dt.date(2027, 1, 3)).values_list("kind", flat=True)) == [
        "holiday"
    ]
    assert not working_calendar("office").is_working_day(dt.date(2027, 1, 3))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"holidays": ["2027-01-01"], "workdays": ["2027-01-01"]}, "both"),
        ({"holidays": ["2027-02-30"]}, "not a date"),
        ({"holidays": ["2027/01/01"]}, "not a date"),
        ({"holidays": [20270101]}, "not a date"),
        ({"holidays": "2027-01-01"}, "must be a list"),
        ({}, "needs"),
        ({"holidays": [], "extra": 1}, "unknown keys"),
    ],
)
def test_holidays_import_rejects(data: dict, message: str) -> None:
    count = Holiday.objects.count()
    with pytest.raises(ValueError, match=message):
        holidays_import(data=data, source="x")
    assert Holiday.objects.count() == count


def test_builtin_source_recorded() -> None:
    assert set(Holiday.objects.filter(date__year=2026).values_list("source", flat=True)) == {
        BUILTIN_HOLIDAYS_SOURCE
    }


def test_cache_costs_one_query_per_call(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    first = working_calendar("office")
    with django_assert_num_queries(1):
        again = working_calendar("office")
    assert again is first


def test_direct_model_save_invalidates_via_signal() -> None:
    office = working_calendar("office")
    token = CalendarVersion.objects.get(pk=1).token
    # e.g. an administrator adds a company closure in the admin, bypassing services
    CalendarClosure.objects.create(calendar=Calendar.objects.get(code="office"), date=dt.date(2026, 3, 2))
    assert CalendarVersion.objects.get(pk=1).token != token
    fresh = working_calendar("office")
    assert fresh is not office
    assert not fresh.is_working_day(dt.date(2026, 3, 2))


def test_token_from_another_process_is_noticed() -> None:
    office = working_calendar("office")
    # Another process committed a change: only the token differs from what this process cached.
    CalendarVersion.objects.filter(pk=1).update(token="changed-elsewhere")
    assert working_calendar("office") is not office


def test_cache_clear() -> None:
    office = working_calendar("office")
    selectors.cache_clear()
    assert working_calendar("office") is not office
