"""Issue #12 and #21: one list of available actions, for the ticket page AND the API.

The same (state, user) cases run through the page's selector (workspace.selectors.available_actions),
the API's list (GET /tickets/{n}/actions) and every per-action operation: an action the list offers
is accepted (2xx), one it does not is refused — 403 when the role may never take it, 409 when the
ticket's state does not allow it now — and a refused call changes nothing.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from herdesk.staff.models import Team, User
from herdesk.tickets import actions as ticket_actions
from herdesk.tickets import services as ts
from herdesk.tickets.models import Ticket
from herdesk.workspace import selectors as page_selectors

OPTION = {
    "summary": "更换真空泵",
    "check_accuracy": True,
    "check_feasibility": True,
    "check_acceptance": True,
    "check_safety": True,
}


def _payloads(other: str) -> dict[str, dict[str, Any] | None]:
    """A valid body for each operation (None: no body)."""
    return {
        "triage": {"complexity": "simple"},
        "assign": {"team_code": "tech-support"},
        "transfer": {"team_code": "tech-support", "reason": "需要技术支持"},
        "acknowledge": None,
        "start": None,
        "options": {"options": [OPTION]},
        "choose": {"position": 1},
        "wait": {"reason": "等待客户提供照片"},
        "renegotiate": {
            "clock": "resolution",
            "new_due_at": (timezone.now() + timedelta(days=3)).isoformat(),
            "reason": "客户同意周五上门",
        },
        "resolve": {"verification_method": "remote_demo"},
        "close": {"reason": "handler_confirmed", "evidence": "压力恢复正常"},
        "reopen": {"reason": "问题复现"},
        "cancel": {"reason": "重复提交"},
        "merge": {"into": other},
        "take": None,
        "answer": {"body": "保质期 21 天，冷藏保存。"},
        "follow-up": {"method": "phone", "fully_solved": True, "score": 5},
        "finalize": None,
    }


# operation path → action name in tickets.actions (where they differ)
ACTION_OF = {"answer": "answer_close", "follow-up": "follow_up"}
# page-only actions: note = POST interactions; attach (multipart upload) and progress (sent through
# the channel senders of the workspace) have no operation yet
API_OPERATIONS = tuple(_payloads("x"))


def _post(client, url, data):
    return client.post(url, data=json.dumps(data or {}), content_type="application/json")


def _make(state: str, customer, agent: User) -> Ticket:
    t = ts.ticket_create(
        actor=agent,
        customer=customer,
        channel="phone",
        problem_type="technical_support",
        subject="真空压力低",
    )
    team = Team.objects.get(code="customer-service")
    if state == "new":
        return t
    t = ts.ticket_triage(ticket=t, actor=agent, complexity="complex", team=team)
    if state == "triaged":
        return t
    t = ts.ticket_assign(ticket=t, actor=agent, assignee=agent, team=team, reason="-")
    if state == "assigned":
        return t
    t = ts.ticket_acknowledge(ticket=t, actor=agent)
    if state == "acknowledged":
        return t
    t = ts.ticket_start(ticket=t, actor=agent)
    if state == "offered":
        ts.solution_options_offer(ticket=t, actor=agent, options=[OPTION])
        return Ticket.objects.get(pk=t.pk)
    if state == "in_progress":
        return t
    t = ts.ticket_resolve(ticket=t, actor=agent, verification_method="remote_demo")
    if state == "resolved":
        return t
    t = ts.ticket_close(ticket=t, actor=agent, reason="handler_confirmed", evidence="ok")
    assert state == "closed"
    return t


STATES = ("new", "triaged", "assigned", "acknowledged", "in_progress", "offered", "resolved", "closed")


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("username", ["agent1", "cs_lead", "qa1", "customer"])
def test_page_list_api_list_and_operations_agree(api, staff, customer, state, username) -> None:
    from herdesk.staff.services import user_create

    agent = User.objects.get(username="agent1")
    if username == "customer":
        user_create(username="portal-a", password=None, role="customer", customer=customer)
        username = "portal-a"
    user = User.objects.get(username=username)
    ticket = _make(state, customer, agent)
    other = ts.ticket_create(
        actor=agent, customer=customer, channel="phone", problem_type="technical_support", subject="另一单"
    )
    client = api(username)

    offered = page_selectors.available_actions(user=user, ticket=ticket)
    assert offered == ticket_actions.available_actions(user=user, ticket=ticket)
    listed = client.get(f"/api/v1/tickets/{ticket.number}/actions")
    assert listed.status_code == 200, listed.content
    assert listed.json()["actions"] == sorted(offered)

    for path, body in _payloads(other.number).items():
        name = ACTION_OF.get(path, path)
        before = Ticket.objects.get(pk=ticket.pk)
        sid = transaction.savepoint()
        r = _post(client, f"/api/v1/tickets/{ticket.number}/{path}", body)
        if name in offered:
            assert r.status_code == 200, (state, username, name, r.content)
        else:
            rule = next((a for a in ticket_actions._table(user) if a.name == name), None)
            expected = 409 if rule is not None and rule.permitted(user) else 403
            assert r.status_code == expected, (state, username, name, r.content)
            after = Ticket.objects.get(pk=ticket.pk)
            assert (after.status, after.updated_at) == (before.status, before.updated_at)
        transaction.savepoint_rollback(sid)


def test_every_action_has_an_operation_or_is_page_only(api, staff) -> None:
    from herdesk.api.api import api as ninja_api

    schema = json.loads(json.dumps(ninja_api.get_openapi_schema()))
    paths = schema["paths"]
    for name in API_OPERATIONS:
        op = paths[f"/api/v1/tickets/{{number}}/{name}"]["post"]
        for status in ("403", "404", "409", "422", "429"):
            assert status in op["responses"], (name, status)
        assert op["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
    assert paths["/api/v1/tickets/{number}/transitions"]["post"]["deprecated"] is True
    # required fields are required in the schema
    comps = schema["components"]["schemas"]
    assert set(comps["MergeIn"]["required"]) == {"into"}
    assert set(comps["ResolveIn"]["required"]) == {"verification_method"}
    assert set(comps["RenegotiateIn"]["required"]) == {"clock", "new_due_at", "reason"}
    assert set(comps["ReasonIn"]["required"]) == {"reason"}
    page_only = {"note", "attach", "progress"}
    api_actions = {ACTION_OF.get(p, p) for p in API_OPERATIONS}
    assert {a.name for a in ticket_actions.ACTIONS} == api_actions | page_only


def test_actions_call_the_same_services_as_the_page(api, staff, customer) -> None:
    """A full life through the per-action operations leaves the same trail the page leaves."""
    c = api()
    number = _post(
        c,
        "/api/v1/tickets",
        {
            "customer_id": customer.pk,
            "channel": "email",
            "problem_type": "technical_support",
            "subject": "挤奶机",
        },
    ).json()["number"]
    r = _post(
        c,
        f"/api/v1/tickets/{number}/triage",
        {
            "complexity": "complex",
            "team_code": "customer-service",
            "assignee": "agent1",
            "requirement": "今天回电",
        },
    )
    assert r.status_code == 200 and r.json()["status"] == "assigned" and r.json()["assignee"]
    assert _post(c, f"/api/v1/tickets/{number}/acknowledge", None).json()["status"] == "acknowledged"
    assert _post(c, f"/api/v1/tickets/{number}/start", None).json()["status"] == "in_progress"
    r = _post(
        c, f"/api/v1/tickets/{number}/options", {"options": [OPTION, {**OPTION, "summary": "远程调试"}]}
    )
    assert r.json()["solution_stage"] == "options_offered"
    r = _post(c, f"/api/v1/tickets/{number}/choose", {"position": 2, "via": "phone"})
    assert r.json()["solution_stage"] == "option_chosen"
    r = _post(c, f"/api/v1/tickets/{number}/renegotiate", _payloads("x")["renegotiate"])
    assert r.status_code == 200
    clock = next(k for k in r.json()["clocks"] if k["kind"] == "resolution" and not k["stopped_at"])
    assert clock["renegotiated"] is True
    assert (
        _post(c, f"/api/v1/tickets/{number}/wait", {"reason": "等照片"}).json()["status"]
        == "waiting_customer"
    )
    r = _post(
        c, f"/api/v1/tickets/{number}/resolve", {"verification_method": "remote_demo", "summary": "已修复"}
    )
    assert r.json()["status"] == "resolved"
    trail = [i["body"] for i in c.get(f"/api/v1/tickets/{number}/interactions").json()]
    # option_choice_record (the page's service) wrote how the customer told us
    assert any("Recorded the customer's choice (on the phone): option 2." in b for b in trail), trail


def test_customer_confirms_and_disputes_through_the_portal_services(api, staff, customer) -> None:
    from herdesk.staff.services import user_create

    agent = User.objects.get(username="agent1")
    user_create(username="portal-a", password=None, role="customer", customer=customer)
    c = api("portal-a")
    t = _make("resolved", customer, agent)
    r = _post(c, f"/api/v1/tickets/{t.number}/reopen", {"reason": "还是报警"})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    # the dispute is on the customer's timeline, as from the portal
    bodies = [i["body"] for i in c.get(f"/api/v1/tickets/{t.number}/interactions").json()]
    assert "还是报警" in bodies
    # a customer may never start work: 403, not 409
    assert _post(c, f"/api/v1/tickets/{t.number}/start", None).status_code == 403
    t2 = _make("resolved", customer, agent)
    r = _post(c, f"/api/v1/tickets/{t2.number}/close", {})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert _post(c, f"/api/v1/tickets/{t2.number}/close", {}).status_code == 409


def test_deprecated_transitions_alias_dispatches_to_the_operations(api, staff, customer) -> None:
    c = api()
    agent = User.objects.get(username="agent1")
    t = _make("assigned", customer, agent)
    r = _post(c, f"/api/v1/tickets/{t.number}/transitions", {"action": "acknowledge"})
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    r = _post(c, f"/api/v1/tickets/{t.number}/transitions", {"action": "wait_customer"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = _post(c, f"/api/v1/tickets/{t.number}/transitions", {"action": "merge"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "into"
    r = _post(c, f"/api/v1/tickets/{t.number}/transitions", {"action": "reopen", "reason": "x"})
    assert r.status_code == 409 and r.json()["code"] == "transition_not_allowed"
