"""Fixtures of the portal tests: SMS captured in memory, signed-in portal clients, tickets at each step."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from herdesk.sms import backends as sms_backends


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Service calls made by the tests themselves speak English (the default is zh-hans), so
    assertions on messages do not depend on the Chinese catalogue's wording. Pages still follow
    each client's Accept-Language."""
    with translation.override("en"):
        yield


@pytest.fixture
def sms(settings: Any) -> Iterator[list[sms_backends.SmsMessage]]:
    """Texts 'sent' during the test (LocmemBackend)."""
    settings.HERDESK_SMS_BACKEND = "herdesk.sms.backends.LocmemBackend"
    sms_backends.outbox.clear()
    yield sms_backends.outbox
    sms_backends.outbox.clear()


@pytest.fixture
def portal_user(customer: Any) -> Any:
    from herdesk.portal.services import portal_user_for

    return portal_user_for(customer=customer)


@pytest.fixture
def other_user(other_customer: Any) -> Any:
    from herdesk.portal.services import portal_user_for

    return portal_user_for(customer=other_customer)


def _client_for(user: Any, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    contact = user.customer.contacts.first()
    if contact is not None:
        session = client.session
        session["portal_contact_id"] = contact.pk
        session.save()
    return client


@pytest.fixture
def portal_client(portal_user: Any) -> Client:
    return _client_for(portal_user, "en")


@pytest.fixture
def other_client(other_user: Any) -> Client:
    return _client_for(other_user, "en")


OPTIONS = [
    {
        "summary": "远程指导更换真空泵密封圈",
        "pros": "今天即可完成",
        "cons": "需要您配合操作",
        "steps": "1. 停机\n2. 更换密封圈",
        "time_needed": "1 小时",
        "extra_cost": "",
        "check_accuracy": True,
        "check_feasibility": True,
        "check_acceptance": True,
        "check_safety": True,
    },
    {
        "summary": "工程师上门检修",
        "pros": "专业人员现场处理",
        "cons": "需预约，最快明天",
        "time_needed": "1 天",
        "extra_cost": "上门费 200 元",
        "check_accuracy": True,
        "check_feasibility": True,
        "check_acceptance": True,
        "check_safety": True,
    },
]


@pytest.fixture
def submit(portal_user: Any) -> Callable[..., Any]:
    """Submit a portal request as the customer (through the portal service)."""
    from herdesk.portal.services import portal_ticket_submit

    def make(user: Any = None, **kw: Any) -> Any:
        kw.setdefault("problem_type", "technical_support")
        kw.setdefault("description", "挤奶机真空压力偏低\n报警代码 ERR-123")
        return portal_ticket_submit(user=user or portal_user, **kw)

    return make


@pytest.fixture
def agent_flow(staff: Any) -> Any:
    """Move a ticket along the agent's side, through the ticket services."""
    from herdesk.staff.models import Team
    from herdesk.tickets import services as ts

    class Flow:
        agent = staff["agent1"]
        tech = staff["tech2"]

        def offer(self, ticket: Any) -> Any:
            ts.ticket_triage(
                ticket=ticket,
                actor=self.agent,
                complexity="general",
                team=Team.objects.get(code="tech-support"),
            )
            ts.ticket_assign(ticket=ticket, actor=self.agent, assignee=self.tech, reason="技术问题")
            ts.ticket_acknowledge(ticket=ticket, actor=self.tech)
            ts.solution_options_offer(ticket=ticket, actor=self.tech, options=OPTIONS)
            ticket.refresh_from_db()
            return ticket

        def resolve(self, ticket: Any, summary: str = "已更换密封圈，压力恢复正常") -> Any:
            ts.ticket_resolve(
                ticket=ticket, actor=self.tech, verification_method="remote_demo", summary=summary
            )
            ticket.refresh_from_db()
            return ticket

        def note(self, ticket: Any, body: str) -> Any:
            return ts.interaction_add(ticket=ticket, actor=self.tech, body=body)

        def reply(self, ticket: Any, body: str) -> Any:
            return ts.interaction_add(
                ticket=ticket, actor=self.tech, body=body, kind="email", direction="outbound"
            )

    return Flow()
