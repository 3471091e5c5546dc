"""Notification tests run on a working morning (hotline clocks run and breach whatever the hour the
suite runs at), with a fresh cache (bell counts are cached per user id; ids repeat between tests) and
the zh_Hans catalogue compiled (customer notices are written in Chinese first)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine

from herdesk.workspace.tests.conftest import WORKDAY_MORNING


@pytest.fixture(autouse=True)
def _service_hours() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    with time_machine.travel(WORKDAY_MORNING, tick=True):
        yield


@pytest.fixture(scope="session", autouse=True)
def _compiled_messages() -> None:
    from herdesk.workspace.tests.i18n_util import ensure_compiled

    ensure_compiled()
