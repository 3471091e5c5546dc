"""SEC-3: a customer of organisation A gets 404 (never 403) on organisation B's ticket, on every
portal URL, and never sees it listed."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from herdesk.portal import services as ps
from herdesk.tickets.models import Interaction, Ticket

TICKET_URLS = [
    ("get", "portal:ticket", {}),
    ("get", "portal:ticket_submitted", {}),
    ("get", "portal:ticket_timeline", {}),
    ("post", "portal:ticket_reply", {"body": "你好"}),
    ("post", "portal:ticket_choose", {"position": "1"}),
    ("post", "portal:ticket_confirm", {}),
    ("post", "portal:ticket_dispute", {"reason": "没修好"}),
]


@pytest.fixture
def their_ticket(submit, agent_flow) -> Ticket:
    """Organisation A's ticket with options offered and resolved: every action would be allowed."""
    ticket = agent_flow.offer(submit())
    return agent_flow.resolve(ticket)


@pytest.mark.parametrize(("method", "name", "data"), TICKET_URLS)
def test_other_organisation_gets_404_everywhere(
    other_client: Client,
    their_ticket: Ticket,
    method: str,
    name: str,
    data: dict,
) -> None:
    before = Interaction.objects.filter(ticket=their_ticket).count()
    url = reverse(name, args=[their_ticket.number])
    r = getattr(other_client, method)(url, data)
    assert r.status_code == 404
    their_ticket.refresh_from_db()
    assert (
        their_ticket.status == "resolved"
        and Interaction.objects.filter(ticket=their_ticket).count() == before
    )


@pytest.mark.parametrize(("method", "name", "data"), TICKET_URLS)
def test_same_urls_work_for_the_owner(
    portal_client: Client,
    their_ticket: Ticket,
    method: str,
    name: str,
    data: dict,
) -> None:
    r = getattr(portal_client, method)(reverse(name, args=[their_ticket.number]), data)
    assert r.status_code in (200, 302, 409)


def test_list_hides_other_organisations(other_client: Client, their_ticket: Ticket) -> None:
    page = other_client.get(reverse("portal:home")).content.decode()
    assert their_ticket.number not in page and "You have no requests yet." in page


def test_services_refuse_other_organisations_too(other_user, their_ticket) -> None:
    for call in (
        lambda: ps.portal_reply(user=other_user, ticket=their_ticket, body="x"),
        lambda: ps.portal_option_choose(user=other_user, ticket=their_ticket, position=1),
        lambda: ps.portal_resolution_confirm(user=other_user, ticket=their_ticket),
        lambda: ps.portal_resolution_dispute(user=other_user, ticket=their_ticket, reason="x"),
    ):
        with pytest.raises(Ticket.DoesNotExist):
            call()


@pytest.mark.parametrize(("method", "name", "data"), TICKET_URLS)
def test_anonymous_is_sent_to_sign_in(their_ticket: Ticket, method: str, name: str, data: dict) -> None:
    r = getattr(Client(), method)(reverse(name, args=[their_ticket.number]), data)
    assert r.status_code == 302 and r["Location"].startswith(reverse("portal:login"))
    if method == "post":  # never sent back to a POST-only URL after signing in
        assert r["Location"] == reverse("portal:login") + "?next=/portal/"


def test_expired_session_stops_the_timeline_polling(their_ticket: Ticket) -> None:
    r = Client().get(reverse("portal:ticket_timeline", args=[their_ticket.number]), HTTP_HX_REQUEST="true")
    assert r.status_code == 286


def test_unknown_number_is_404(portal_client: Client) -> None:
    assert portal_client.get(reverse("portal:ticket", args=["FW-20000101-0001"])).status_code == 404


def test_csrf_is_enforced(portal_user, their_ticket) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(portal_user)
    r = client.post(reverse("portal:ticket_confirm", args=[their_ticket.number]))
    assert r.status_code == 403
    their_ticket.refresh_from_db()
    assert their_ticket.status == "resolved"
