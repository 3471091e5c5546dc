from __future__ import annotations

import pytest

from herdesk.calendars.builtin import builtin_calendar
from herdesk.calendars.engine import WorkingCalendar


@pytest.fixture(scope="session")
def office() -> WorkingCalendar:
    return builtin_calendar("office")


@pytest.fixture(scope="session")
def hotline() -> WorkingCalendar:
    return builtin_calendar("hotline")


@pytest.fixture(scope="session")
def always() -> WorkingCalendar:
    return builtin_calendar("24x7")


@pytest.fixture
def builtin_data(db: None) -> None:
    """The data migration puts the schedule and the three calendars in every database; a transactional
    test elsewhere in the suite may have flushed them, so put them back (idempotent, cheap)."""
    from herdesk.calendars.services import builtin_holidays_load, demo_calendars_ensure

    builtin_holidays_load()
    demo_calendars_ensure()
