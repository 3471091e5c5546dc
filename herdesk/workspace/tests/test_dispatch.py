"""The ticket page's one action dispatcher (issue 21): every offered action has a row, the row's
permission is enforced, the lifecycle refusal is a 409 and a service refusal of a one-button
action is told to the user."""

from __future__ import annotations

import re

import pytest

from herdesk.tickets.models import Ticket
from herdesk.workspace import views
from herdesk.workspace.views.ticket_actions import TICKET_ACTIONS

pytestmark = pytest.mark.django_db


def test_every_panel_on_the_page_has_a_row_in_the_table(login, make_ticket) -> None:
    t = make_ticket(team="customer-service", assignee="agent1")
    page = login("agent1").get(f"/tickets/{t.number}/").content.decode()
    posted = set(re.findall(rf"/tickets/{t.number}/do/([a-z_]+)/", page))
    assert posted and posted <= set(TICKET_ACTIONS)
    assert views.ACTIONS is TICKET_ACTIONS  # the old name still imports


def test_unknown_action_is_404_and_a_role_without_the_permission_gets_403(login, make_ticket) -> None:
    t = make_ticket()
    assert login("agent1").post(f"/tickets/{t.number}/do/explode/").status_code == 404
    qa = login("qa1")
    r = qa.post(f"/tickets/{t.number}/do/resolve/", {"resolve-summary": "x"})
    assert r.status_code == 403
    assert Ticket.objects.get(pk=t.pk).status == t.status


def test_an_action_the_lifecycle_refuses_is_409_and_changes_nothing(login, make_ticket) -> None:
    t = make_ticket()  # new: nobody can acknowledge it yet
    r = login("agent1", lang="en").post(f"/tickets/{t.number}/do/acknowledge/")
    assert r.status_code == 409
    assert "This action is not possible" in r.content.decode()
    assert Ticket.objects.get(pk=t.pk).status == t.status


def test_a_one_button_action_the_service_refuses_says_why(login, make_ticket, monkeypatch) -> None:
    from herdesk.common.errors import DomainError

    t = make_ticket(team="customer-service", assignee="agent1")

    def refuse(**kwargs):
        raise DomainError("refused for a test reason")

    spec = TICKET_ACTIONS["acknowledge"]
    monkeypatch.setitem(TICKET_ACTIONS, "acknowledge", type(spec)(run=lambda s: refuse(), done=spec.done))
    r = login("agent1", lang="en").post(f"/tickets/{t.number}/do/acknowledge/")
    assert r.status_code == 400
    assert "refused for a test reason" in r.content.decode()
