from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from herdesk.workspace.tests.conftest import screenshot_dir  # noqa: F401 - the e2e fixture shared with the workspace tests

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=SH)  # a Friday
_phones = itertools.count(1)


def new_customer(name: str = "客户") -> Any:
    from herdesk.customers.services import customer_create

    n = next(_phones)
    return customer_create(name=f"{name}{n}", phone=f"1391234{n:04d}", email=f"c{n}@example.cn")


def resolved(
    staff: dict[str, Any],
    customer: Any,
    *,
    at: datetime = T0,
    agent: str = "agent1",
    team: str = "customer-service",
    problem_type: str = "product_inquiry",
    channel: str = "phone",
) -> Any:
    """A ticket resolved by `agent` two hours after `at`."""
    from herdesk.staff.models import Team
    from herdesk.tickets import services as ts

    user = staff[agent]
    t = ts.ticket_create(
        actor=user,
        customer=customer,
        channel=channel,
        problem_type=problem_type,
        subject="挤奶机真空压力偏低",
        received_at=at,
        now=at,
    )
    ts.ticket_triage(ticket=t, actor=user, team=Team.objects.get(code=team), at=at)
    ts.ticket_assign(ticket=t, actor=user, assignee=user, at=at)
    ts.ticket_acknowledge(ticket=t, actor=user, at=at)
    ts.ticket_resolve(
        ticket=t, actor=user, verification_method="customer_confirmation", at=at + timedelta(hours=2)
    )
    t.refresh_from_db()
    return t


def task_of(ticket: Any, now: datetime | None = None) -> Any:
    from herdesk.followup.models import FollowUpTask
    from herdesk.followup.services import tasks_sync

    tasks_sync(now=now or (ticket.resolved_at + timedelta(minutes=1)))
    return FollowUpTask.objects.get(ticket=ticket)


@pytest.fixture
def sh() -> ZoneInfo:
    return SH
