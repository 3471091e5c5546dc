"""#13 (CLS-1): a customer's message on a closed ticket reopens it within the reopen window (default
7 days); after it, and always once the record is finalised, it opens a new ticket linked to the old
one — through the portal and through email alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from herdesk.inbound import services as inbound
from herdesk.inbound.messages import InboundMessage, Sender
from herdesk.tickets import services as s
from herdesk.tickets.models import Ticket


def _closed(customer, staff, *, days_ago: float, finalised: bool = False) -> Ticket:
    agent = staff["agent1"]
    closed_at = timezone.now() - timedelta(days=days_ago)
    received = closed_at - timedelta(hours=1)
    t = s.ticket_create(
        actor=agent, customer=customer, channel="phone", problem_type="product_inquiry",
        subject="酸奶保质期", description="问保质期", received_at=received, now=received,
    )  # fmt: skip
    s.ticket_triage(ticket=t, actor=agent, complexity="simple", at=received + timedelta(minutes=1))
    s.ticket_resolve(ticket=t, actor=agent, verification_method="customer_confirmation",
                     summary="21 天", at=received + timedelta(minutes=5))  # fmt: skip
    s.interaction_add(ticket=t, actor=agent, body="客户电话确认已解决", kind="phone_call",
                      direction="outbound", occurred_at=received + timedelta(minutes=6))  # fmt: skip
    s.ticket_close(ticket=t, actor=agent, reason="handler_confirmed", evidence="电话确认", at=closed_at)
    if finalised:
        s.record_finalize(ticket=t, actor=agent, at=closed_at + timedelta(minutes=5))
    t.refresh_from_db()
    return t


def _portal(customer) -> Client:
    from herdesk.portal.services import portal_user_for

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(portal_user_for(customer=customer))
    session = client.session
    session["portal_contact_id"] = customer.contacts.first().pk
    session.save()
    return client


def _email(customer, ticket: Ticket, body: str):
    return inbound.inbound_route(
        message=InboundMessage(
            channel="email", interaction_kind="email", sender=Sender(customer=customer), body=body
        ),
        candidates=[ticket],
    )


def test_within_the_window_a_message_reopens(customer, staff) -> None:
    t = _closed(customer, staff, days_ago=2)
    r = _portal(customer).post(f"/portal/tickets/{t.number}/reply/", {"body": "又出现了"})
    assert r.status_code == 302
    t.refresh_from_db()
    assert (t.status, t.reopen_count) == ("in_progress", 1)
    assert Ticket.objects.count() == 1
    e = _closed(customer, staff, days_ago=6)
    routed = _email(customer, e, "还是不行")
    e.refresh_from_db()
    assert routed.ticket == e and not routed.created and e.status == "in_progress"


@pytest.mark.parametrize("finalised", [False, True])
def test_later_or_finalised_a_message_opens_a_linked_ticket(customer, staff, finalised) -> None:
    days = 1 if finalised else 8  # finalised: even inside the window
    t = _closed(customer, staff, days_ago=days, finalised=finalised)
    r = _portal(customer).post(f"/portal/tickets/{t.number}/reply/", {"body": "同一批次又有问题"})
    assert r.status_code == 302
    t.refresh_from_db()
    assert t.status == "closed" and t.reopen_count == 0
    new = Ticket.objects.get(previous_ticket=t)
    assert new.status == "new" and new.channel == "portal" and new.customer == customer
    assert new.team is not None and new.team.code == "customer-service"  # the intake team's queue
    assert new.interactions.filter(body="同一批次又有问题", direction="inbound").exists()
    assert t.interactions.filter(data__follow_on=new.number).exists()
    assert new.clocks.filter(kind="first_response").exists()

    routed = _email(customer, t, "邮件：还是不行")
    assert routed.created and routed.ticket.previous_ticket == t and routed.ticket != new
    assert routed.clocks  # acknowledged as a new ticket, with its clocks
    t.refresh_from_db()
    assert t.status == "closed"


def test_the_window_is_a_setting(customer, staff) -> None:
    t = _closed(customer, staff, days_ago=3)
    with override_settings(HERDESK_REOPEN_WINDOW_DAYS=2):
        routed = _email(customer, t, "又坏了")
    assert routed.created and routed.ticket.previous_ticket == t
