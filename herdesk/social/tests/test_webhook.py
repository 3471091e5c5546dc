"""The signed social-media webhook: secondary-channel tickets (2 working hours), exactly once,
signatures, malformed and oversized bodies."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.test import Client
from django.utils import timezone

from herdesk.clocks.models import Clock
from herdesk.clocks.services import compute_due
from herdesk.inbound.models import InboundPayload
from herdesk.social.models import SocialIdentity
from herdesk.tickets.models import Ticket

URL = "/social/webhook"


def _event(
    eid: str = "evt-1", author: str = "u-42", text: str = "@牧业公司 你们的酸奶胀袋了，怎么处理？", **extra
):
    return {
        "id": eid,
        "platform": "weibo",
        "kind": "mention",
        "author": {"id": author, "name": "草原小王"},
        "text": text,
        "url": f"https://weibo.example/{eid}",
        **extra,
    }


def post(data=None, *, raw: bytes | None = None, secret: str | None = None, sign: bool = True):
    from django.conf import settings

    body = raw if raw is not None else json.dumps(data, ensure_ascii=False).encode()
    headers = {}
    if sign:
        key = (secret or settings.HERDESK_SOCIAL_WEBHOOK_SECRET).encode()
        headers["HTTP_X_HERDESK_SIGNATURE"] = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    return Client().post(URL, body, content_type="application/json", **headers)


def test_mention_becomes_a_secondary_channel_ticket(reference):
    r = post(_event())
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    ticket = Ticket.objects.get()
    assert ticket.channel == "social" and ticket.subject.startswith("[weibo ")
    assert ticket.number == r.json()["ticket"]
    assert SocialIdentity.objects.get().customer == ticket.customer
    # Secondary channel: first response within 2 working hours on the office calendar (S1 §二(二)1).
    clock = Clock.objects.get(ticket=ticket, kind="first_response")
    due, _w = compute_due(calendar_code="office", target="2h", start=ticket.received_at, warn_percent=80)
    assert clock.target == "2h" and clock.due_at == due


def test_the_same_author_continues_the_open_ticket(reference):
    post(_event("e1"))
    post(_event("e2", text="补充：批号 20260301", kind="comment"))
    assert Ticket.objects.count() == 1
    assert Ticket.objects.get().interactions.filter(direction="inbound").count() == 2
    post(_event("e3", author="someone-else"))
    assert Ticket.objects.count() == 2


def test_redelivery_is_exactly_once(reference):
    body = json.dumps(_event()).encode()
    assert post(raw=body).json()["status"] == "accepted"
    assert post(raw=body).json()["status"] == "duplicate"
    assert Ticket.objects.count() == 1 and InboundPayload.objects.get(channel="social").deliveries == 2


@pytest.mark.parametrize(
    ("kwargs", "status", "reason"),
    [({"sign": False}, 401, "unknown_source"), ({"secret": "guess"}, 403, "bad_signature")],
)
def test_bad_signature_is_refused_and_kept(reference, kwargs, status, reason):
    body = json.dumps(_event()).encode()
    r = post(raw=body, **kwargs)
    assert r.status_code == status and r.json()["message"]
    payload = InboundPayload.objects.get(channel="social")
    assert payload.state == "quarantined" and payload.reason_code == reason
    assert bytes(payload.raw) == body and payload.external_id == ""  # kept as evidence, unnamed
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {**_event(), "kind": "like"},
        {**_event(), "text": ""},
        {**_event(), "author": "nobody"},
        {**_event(), "url": "ftp://x"},
        {**_event(), "created_at": "yesterday"},
        {**_event(), "platform": ""},
    ],
)
def test_malformed_events_are_quarantined(reference, data):
    r = post(data)
    assert r.status_code == 422 and r.json()["status"] == "quarantined" and r.json()["reason"]
    assert not Ticket.objects.exists()


def test_not_json_and_oversized(reference, settings):
    assert post(raw=b"\xff\xfe garbage").status_code == 422
    settings.HERDESK_WEBHOOK_MAX_BYTES = 512
    r = post(_event(text="长" * 1000))
    assert r.status_code == 413
    assert InboundPayload.objects.filter(channel="social", state="quarantined").count() == 2


def test_created_at_is_used_but_never_in_the_future(reference):
    past = (timezone.now() - timezone.timedelta(hours=1)).replace(microsecond=0)
    post(_event("p", created_at=past.isoformat()))
    future = timezone.now() + timezone.timedelta(days=1)
    post(_event("f", author="u-2", created_at=future.isoformat()))
    a, b = Ticket.objects.order_by("id")
    assert a.received_at == past and b.received_at <= timezone.now()
