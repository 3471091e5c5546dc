"""Supervision test helpers: reviewers qa2 and qa3 beside the demo's qa1, contacts of every
sampled kind (closed tickets, completed calls, closed chats, sent emails) at chosen times."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from herdesk.workspace.tests.conftest import (  # noqa: F401 - fixtures shared with the workspace tests
    _compiled_messages,
    login,
    make_ticket,
    screenshot_dir,
)

_seq = itertools.count(1)


@pytest.fixture
def qa(staff: dict[str, Any]) -> dict[str, Any]:
    """The demo staff plus reviewers qa2 and qa3 (supervision group) and the shipped scorecards."""
    from herdesk.quality.services import scorecard_templates_ensure
    from herdesk.staff.models import Team, User
    from herdesk.staff.services import user_create

    scorecard_templates_ensure()
    team = Team.objects.get(code="supervision")
    out = dict(staff)
    for name in ("qa2", "qa3"):
        out[name] = User.objects.filter(username=name).first() or user_create(
            username=name, password="herdesk-demo", role="qa", team=team, display_name=name
        )
    return out


@pytest.fixture
def contacts(qa: dict[str, Any], customer: Any) -> Callable[..., Any]:
    """make(kind, agent, at, channel=...) → the contact's (source, pk)."""
    from herdesk.chat.models import Conversation
    from herdesk.phone.models import CallRecord
    from herdesk.tickets.models import Ticket
    from herdesk.tickets.services import ticket_create

    def make(
        kind: str, agent: str, at: datetime, channel: str = "phone", subject: str = "奶罐温度异常"
    ) -> Any:
        user = qa[agent]
        if kind == "ticket":
            t = ticket_create(
                actor=user,
                customer=customer,
                channel=channel,
                problem_type="technical_support",
                subject=subject,
            )
            Ticket.objects.filter(pk=t.pk).update(
                status="closed", closed_at=at, resolved_at=at, assignee=user, first_contact_owner=user
            )
            t.refresh_from_db()
            return t
        if kind == "call":
            return CallRecord.objects.create(
                call_id=f"c-{next(_seq)}", status="completed", agent=user, ended_at=at, answered_at=at,
                talk_seconds=120, recording_url="https://pbx.example.cn/rec/1.mp3", customer=customer,
            )  # fmt: skip
        if kind == "chat":
            return Conversation.objects.create(
                customer=customer, identity="portal", status="closed", agent=user, created_at=at, closed_at=at
            )
        raise ValueError(kind)

    return make
