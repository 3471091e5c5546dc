"""What the customer of a complaint sees and does (CMP-1, issue #16): the solution reaches them
through the outbox as a complaint notice, and their confirmation on the portal moves the complaint."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from herdesk.audit.selectors import audit_entries
from herdesk.complaints.choices import Stage
from herdesk.complaints.models import Complaint

from .test_workflow import _prepared

pytestmark = pytest.mark.django_db


def _resolved(complaint: Complaint, staff: dict[str, Any]) -> Any:
    from herdesk.staff.models import Team
    from herdesk.tickets import services as ts

    t = complaint.ticket
    ts.ticket_triage(ticket=t, actor=staff["agent1"], team=Team.objects.get(code="tech-support"))
    ts.ticket_assign(ticket=t, actor=staff["agent1"], assignee=staff["tech2"], reason="投诉处理")
    ts.ticket_acknowledge(ticket=t, actor=staff["tech2"])
    ts.ticket_resolve(ticket=t, actor=staff["tech2"], verification_method="remote_demo", summary="已退换")
    t.refresh_from_db()
    return t


def _portal(customer: Any) -> Client:
    from herdesk.portal.services import portal_user_for

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(portal_user_for(customer=customer))
    return client


def test_portal_confirmation_confirms_a_verified_complaint(
    make_complaint: Any, staff: dict[str, Any], customer: Any
) -> None:
    c = _prepared(make_complaint(), Stage.VERIFIED, staff)
    t = _resolved(c, staff)
    r = _portal(customer).post(f"/portal/tickets/{t.number}/confirm/")
    assert r.status_code in (200, 302)
    c.refresh_from_db()
    t.refresh_from_db()
    assert t.status == "closed" and c.stage == Stage.CONFIRMED and c.confirmed_at is not None
    assert t.interactions.filter(data__action="confirm", data__complaint=True).exists()
    assert any(
        e.action == "complaint.confirm" for e in audit_entries(object_type="complaint", object_id=t.number)
    )


def test_portal_confirmation_before_verification_is_recorded_only(
    make_complaint: Any, staff: dict[str, Any], customer: Any
) -> None:
    c = _prepared(make_complaint(), Stage.EXECUTED, staff)
    t = _resolved(c, staff)
    assert _portal(customer).post(f"/portal/tickets/{t.number}/confirm/").status_code in (200, 302)
    c.refresh_from_db()
    assert c.stage == Stage.EXECUTED  # staff verify first; the customer's answer is on record
    assert t.interactions.filter(data__action="customer_answer").exists()


def test_portal_dispute_sends_a_verified_complaint_back_to_solution(
    make_complaint: Any, staff: dict[str, Any], customer: Any
) -> None:
    c = _prepared(make_complaint(), Stage.VERIFIED, staff)
    t = _resolved(c, staff)
    r = _portal(customer).post(f"/portal/tickets/{t.number}/dispute/", {"reason": "换的货还是胀包"})
    assert r.status_code in (200, 302)
    c.refresh_from_db()
    assert c.stage == Stage.SOLUTION and "胀包" in c.confirmation_note


def test_solution_reaches_the_customer_through_the_outbox(
    make_complaint: Any, staff: dict[str, Any], login: Any
) -> None:
    """Recording the solution on the complaint page queues a complaint_solution notice (its own
    declared kind) on the customer's channel, written on the ticket's public timeline; closing the
    complaint queues complaint_closed."""
    from herdesk.notifications.kinds import outbox_kind
    from herdesk.notifications.models import OutboxMessage

    assert outbox_kind("email", "complaint_solution") and outbox_kind("sms", "complaint_closed")
    c = _prepared(make_complaint(), Stage.ASSIGNED, staff)
    r = login("qa1").post(
        f"/complaints/{c.ticket.number}/do/solve/",
        {"solution": "整批退换并补偿 200 元", "communication": "电话告知客户"},
    )
    assert r.status_code == 302
    msg = OutboxMessage.objects.get(ticket=c.ticket, template="complaint_solution")
    assert msg.channel in ("email", "sms", "wechat") and "整批退换并补偿 200 元" in msg.payload["text"]
    entry = c.ticket.interactions.get(pk=msg.payload["interaction"])
    assert entry.is_public and "整批退换" in entry.body
    assert not OutboxMessage.objects.filter(ticket=c.ticket, template__in=("resolution", "other")).exists()
    Complaint.objects.filter(pk=c.pk).update(stage=Stage.CONFIRMED)
    assert login("qa1").post(f"/complaints/{c.ticket.number}/do/close/").status_code == 302
    assert OutboxMessage.objects.filter(ticket=c.ticket, template="complaint_closed").count() == 1
