"""Workspace test helpers: logged-in clients per demo role and tickets in known states."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone


def pytest_addoption(parser: pytest.Parser) -> None:
    # `make screenshots` passes --screenshots DIR; HERDESK_SCREENSHOTS=DIR does the same.
    with contextlib.suppress(ValueError):  # already registered (conftest collected twice)
        parser.addoption("--screenshots", action="store", default="", help="save e2e screenshots to DIR")


@pytest.fixture(scope="session")
def screenshot_dir(pytestconfig: pytest.Config) -> str:
    try:
        opt = pytestconfig.getoption("--screenshots")
    except ValueError:
        opt = ""
    return str(opt or os.environ.get("HERDESK_SCREENSHOTS", ""))


# A Tuesday morning in service hours: hotline clocks run and breach in minutes whatever the hour
# the suite runs at (the hotline closes at 20:00 Shanghai time).
WORKDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _service_hours() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()  # queue counts are cached per user id; ids repeat from test to test
    with time_machine.travel(WORKDAY_MORNING, tick=True):
        yield


@pytest.fixture(scope="session", autouse=True)
def _compiled_messages() -> None:
    """Compile the zh_Hans catalogue if the .mo is missing or stale (it is never committed)."""
    from herdesk.workspace.tests.i18n_util import ensure_compiled

    ensure_compiled()


@pytest.fixture
def login(staff: dict[str, Any]) -> Callable[..., Client]:
    def make(username: str, *, lang: str = "zh-hans", csrf: bool = False) -> Client:
        from herdesk.staff.models import User

        client = Client(HTTP_ACCEPT_LANGUAGE=lang, enforce_csrf_checks=csrf)
        client.force_login(User.objects.get(username=username))
        return client

    return make


@pytest.fixture
def make_ticket(staff: dict[str, Any], customer: Any) -> Callable[..., Any]:
    """A ticket created by `by` (default agent1), optionally triaged and assigned."""
    from herdesk.staff.models import Team
    from herdesk.tickets import services as ts

    def make(
        *,
        by: str = "agent1",
        cust: Any = None,
        subject: str = "挤奶机压力异常 ERR-123",
        problem_type: str = "technical_support",
        team: str | None = None,
        assignee: str | None = None,
        received_at: datetime | None = None,
        **kwargs: Any,
    ) -> Any:
        actor = staff[by]
        t = ts.ticket_create(
            actor=actor,
            customer=cust or customer,
            channel=kwargs.pop("channel", "phone"),
            problem_type=problem_type,
            subject=subject,
            description="真空压力低",
            received_at=received_at or timezone.now(),
            **kwargs,
        )
        if team:
            t = ts.ticket_triage(ticket=t, actor=actor, team=Team.objects.get(code=team))
            if assignee is not None:
                t = ts.ticket_assign(
                    ticket=t,
                    actor=actor,
                    assignee=staff[assignee] if assignee else None,
                    team=Team.objects.get(code=team),
                    reason="按问题类型分派",
                )
        return t

    return make
