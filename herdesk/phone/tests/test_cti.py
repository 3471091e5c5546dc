"""Hotline CTI webhook: signatures, call records, call-back tasks, links, screen pops, exactly once."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import Client
from django.utils import timezone

from herdesk.clocks.models import Clock
from herdesk.clocks.services import compute_due
from herdesk.inbound.models import InboundPayload
from herdesk.phone.models import CallRecord
from herdesk.phone.services import agent_group
from herdesk.tickets.models import Ticket

URL = "/phone/cti/events"


def _sign(body: bytes, ts: int, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()


def post(
    client: Client,
    data: object,
    *,
    secret: str | None = None,
    ts: int | None = None,
    sign: bool = True,
    raw: bytes | None = None,
):
    from django.conf import settings

    body = raw if raw is not None else json.dumps(data, ensure_ascii=False).encode()
    ts = int(time.time()) if ts is None else ts
    headers = {}
    if sign:
        headers = {
            "HTTP_X_HERDESK_TIMESTAMP": str(ts),
            "HTTP_X_HERDESK_SIGNATURE": _sign(body, ts, secret or settings.HERDESK_CTI_HMAC_SECRET),
        }
    return client.post(URL, body, content_type="application/json", **headers)


@pytest.fixture
def agent(staff):
    user = staff["agent1"]
    user.extension = "8001"
    user.save(update_fields=["extension"])
    return user


def _event(event: str, call_id: str = "call-1", minutes_ago: float = 5, **extra):
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return {
        "event": event,
        "call_id": call_id,
        "caller": "13812348000",
        "callee": "4008001234",
        "timestamp": at.isoformat(),
        **extra,
    }


def test_missed_call_becomes_a_call_back_task_with_a_first_response_clock(customer, agent):
    c = Client()
    assert post(c, _event("ringing", extension="8001", minutes_ago=6)).status_code == 200
    r = post(c, _event("ended", extension="8001", minutes_ago=5))
    assert r.status_code == 200, r.content
    call = CallRecord.objects.get(call_id="call-1")
    assert call.status == "missed" and call.customer == customer and call.agent == agent
    assert call.caller == "+8613812348000"  # encrypted at rest, readable in code
    ticket = call.callback_ticket
    assert ticket.channel == "phone" and ticket.customer == customer
    assert "138****8000" in ticket.subject  # lists show the masked number only (SEC-1)
    assert ticket.received_at == call.ringing_at
    clock = Clock.objects.get(ticket=ticket, kind="first_response")
    due, _warn = compute_due(calendar_code="hotline", target="30m", start=call.ringing_at, warn_percent=80)
    assert clock.due_at == due and clock.state == "running"
    assert InboundPayload.objects.filter(channel="phone", state="processed").count() == 2


def test_abandoned_call_from_an_unknown_number_creates_the_customer(reference):
    c = Client()
    post(c, _event("ringing", call_id="c-9", caller="13999990000"))
    post(c, _event("ended", call_id="c-9", caller="13999990000", reason="abandoned"))
    call = CallRecord.objects.get(call_id="c-9")
    assert call.status == "abandoned" and call.callback_ticket is not None
    assert call.callback_ticket.customer.contacts.get().phone == "+8613999990000"


def test_second_missed_call_joins_the_open_call_back_task(customer, agent):
    c = Client()
    for cid in ("a", "b"):
        post(c, _event("ringing", call_id=cid, extension="8001"))
        post(c, _event("ended", call_id=cid, extension="8001"))
    a, b = CallRecord.objects.get(call_id="a"), CallRecord.objects.get(call_id="b")
    assert a.callback_ticket == b.callback_ticket
    assert Ticket.objects.filter(channel="phone").count() == 1
    assert a.callback_ticket.interactions.filter(direction="inbound").count() == 2


def test_withheld_number_is_recorded_without_a_task(reference):
    c = Client()
    post(c, _event("ringing", call_id="w", caller="anonymous"))
    post(c, _event("ended", call_id="w", caller="anonymous"))
    call = CallRecord.objects.get(call_id="w")
    assert call.status in ("abandoned", "missed") and call.callback_ticket is None and call.caller == ""


def test_answered_call_linked_to_a_ticket_lands_on_its_timeline(customer, agent):
    from herdesk.tickets.services import ticket_create

    c = Client()
    post(c, _event("ringing", extension="8001", minutes_ago=10))
    post(c, _event("answered", extension="8001", minutes_ago=9))
    ticket = ticket_create(
        actor=agent,
        customer=customer,
        channel="phone",
        problem_type="technical_support",
        subject="冷藏罐不制冷",
        received_at=timezone.now() - timedelta(minutes=9),
    )
    web = Client()
    web.force_login(agent)
    r = web.post("/phone/calls/call-1/link", {"ticket": ticket.number})
    assert r.status_code == 200 and r.json()["ticket"] == ticket.number
    post(c, _event("ended", extension="8001", minutes_ago=2, recording_url="https://rec.example/call-1.mp3"))
    call = CallRecord.objects.get(call_id="call-1")
    assert call.status == "completed" and call.talk_seconds == 7 * 60
    entry = call.interaction
    assert (
        entry.kind == "phone_call" and entry.author == agent and entry.data["recording_url"].endswith(".mp3")
    )
    ticket.refresh_from_db()
    assert ticket.first_response_at == call.answered_at  # the conversation was the first response


def test_link_refuses_other_customers_and_non_staff(customer, other_customer, agent, django_user_model):
    from herdesk.tickets.services import ticket_create

    post(Client(), _event("ringing", extension="8001"))
    theirs = ticket_create(
        actor=agent, customer=other_customer, channel="phone", problem_type="order_inquiry", subject="别人的"
    )
    web = Client()
    web.force_login(agent)
    r = web.post("/phone/calls/call-1/link", {"ticket": theirs.number})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "ticket"
    portal = django_user_model.objects.create_user(username="p", password="x" * 10, customer=customer)
    web.force_login(portal)
    assert web.post("/phone/calls/call-1/link", {"ticket": theirs.number}).status_code == 403


def test_exactly_once_per_call_and_event(customer, agent):
    c = Client()
    body = json.dumps(_event("ended", extension="8001")).encode()
    for _ in range(3):  # the CTI retries after a timeout
        assert post(c, None, raw=body).status_code == 200
    assert Ticket.objects.count() == 1
    payload = InboundPayload.objects.get(channel="phone")
    assert payload.deliveries == 3
    # Same call id and event with other content: kept for a human, nothing applied twice.
    r = post(c, _event("ended", extension="8001", reason="other"))
    assert r.status_code == 422 and Ticket.objects.count() == 1
    assert InboundPayload.objects.filter(channel="phone", reason_code="id_reused").count() == 1


@pytest.mark.parametrize(
    ("kwargs", "status", "code", "reason"),
    [
        ({"sign": False}, 401, "signature_required", "unknown_source"),
        ({"secret": "wrong-secret"}, 403, "bad_signature", "bad_signature"),
        ({"ts": int(time.time()) - 3600}, 403, "bad_signature", "bad_signature"),  # replayed an hour later
    ],
)
def test_bad_signatures_are_refused_but_the_body_is_kept(reference, kwargs, status, code, reason):
    r = post(Client(), _event("ringing"), **kwargs)
    assert r.status_code == status and r.json()["code"] == code and r.json()["message"]
    assert not CallRecord.objects.exists()
    payload = InboundPayload.objects.get(channel="phone")
    assert payload.state == "quarantined" and payload.reason_code == reason
    assert json.loads(bytes(payload.raw))["call_id"] == "call-1"
    assert payload.external_id == ""  # an unauthenticated body may not claim a call id


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({"event": "transferred", "call_id": "x"}).encode(),
        json.dumps({"event": "ringing"}).encode(),
        json.dumps({"event": "ringing", "call_id": "x", "caller": "abc"}).encode(),
        json.dumps({"event": "ended", "call_id": "x", "recording_url": "javascript:alert(1)"}).encode(),
        json.dumps({"event": "ended", "call_id": "x", "timestamp": "yesterday"}).encode(),
    ],
)
def test_malformed_events_are_quarantined_with_a_reason(reference, raw):
    r = post(Client(), None, raw=raw)
    assert r.status_code == 422 and r.json()["status"] == "quarantined" and r.json()["reason"]
    payload = InboundPayload.objects.get(channel="phone")
    assert payload.state == "quarantined" and bytes(payload.raw) == raw


def test_oversized_body_is_413_and_its_beginning_is_kept(reference, settings):
    settings.HERDESK_WEBHOOK_MAX_BYTES = 2048
    body = json.dumps({**_event("ringing"), "pad": "x" * 10_000}).encode()
    r = post(Client(), None, raw=body)
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
    payload = InboundPayload.objects.get(channel="phone")
    assert payload.size == 2048 and payload.state == "quarantined"
    assert payload.reason_code == "parse_error"  # too large to check, not a bad signature


def test_ringing_pops_the_callers_profile_to_the_agent(customer, agent, django_capture_on_commit_callbacks):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(agent_group(agent.pk), channel)
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), _event("ringing", extension="8001"))
    message = async_to_sync(layer.receive)(channel)
    pop = message["payload"]
    assert pop["type"] == "pop" and pop["event"] == "ringing" and pop["call_id"] == "call-1"
    assert pop["customer"]["name"] == "张三" and pop["customer"]["tier"] == "key_account"
    assert pop["caller"] == "138****8000"  # agents without view_personal_data see it masked
    async_to_sync(layer.group_discard)(agent_group(agent.pk), channel)


def test_the_cti_endpoint_shows_in_channel_health(reference):
    from herdesk.inbound import webhooks
    from herdesk.inbound.selectors import channel_health

    webhooks._registered.clear()
    post(Client(), _event("ringing"))
    rows = channel_health()["sources"]
    assert any(r.get("channel") == "phone" and r.get("code", r.get("source")) == "cti" for r in rows), rows
