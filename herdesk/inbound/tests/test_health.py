"""Channel health (/channels/health JSON, the staff page, the admin) and the quarantine desk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from herdesk.inbound import services
from herdesk.inbound.models import InboundPayload
from herdesk.inbound.selectors import channel_health, inbound_metrics

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


@pytest.fixture
def agent(staff):
    from herdesk.staff.models import User

    return User.objects.get(username="agent1")


@pytest.fixture
def root(django_user_model):
    """A superuser (the demo "admin" role does not hold the inbound permissions yet)."""
    return django_user_model.objects.create_superuser(username="root", password="x" * 12)


@pytest.fixture
def quarantined():
    p = services.payload_store(channel="nochannel", source="box1", raw=b"garbage").payload
    services.payload_process(payload_id=p.pk)
    p.refresh_from_db()
    return p


def test_health_reports_sources_backlog_quarantine_and_outbox(quarantined):
    from herdesk.notifications.models import OutboxMessage

    services.source_register(channel="email", code="support", label="support@x", poll_interval_seconds=60)
    services.source_poll_succeeded(channel="email", code="support", fetched=3)
    services.payload_store(channel="email", source="support", raw=b"From: a@b\r\n\r\nx")
    OutboxMessage.objects.create(
        dedupe_key="x", channel="email", template="t", status="failed", next_attempt_at=timezone.now()
    )
    h = channel_health()
    rows = {(r["channel"], r["source"]): r for r in h["sources"]}
    email = rows[("email", "support")]
    assert email["backlog"] == 1 and email["last_success_at"] and email["label"] == "support@x"
    assert email["status"] == "ok"
    broken = rows[("nochannel", "box1")]
    assert broken["quarantine"] == 1 and broken["status"] == "degraded"
    assert h["outbox"]["email"]["failed"] == 1 and h["status"] == "degraded"


def test_stale_polls_and_old_backlog_degrade(quarantined):
    services.source_register(channel="email", code="support", poll_interval_seconds=60)
    services.source_poll_succeeded(channel="email", code="support", now=timezone.now() - timedelta(hours=1))
    services.payload_store(
        channel="email", source="support", raw=b"x", now=timezone.now() - timedelta(hours=1)
    )
    row = next(r for r in channel_health()["sources"] if r["source"] == "support")
    assert row["status"] == "degraded" and len(row["problems"]) == 2
    for _ in range(3):
        services.source_poll_failed(channel="email", code="support", error="LOGIN failed")
    row = next(r for r in channel_health()["sources"] if r["source"] == "support")
    assert row["status"] == "failing" and row["last_error"] == "LOGIN failed"


def test_metrics_gauges(quarantined):
    names = {g["name"] for g in inbound_metrics()}
    assert {"herdesk_inbound_backlog", "herdesk_inbound_quarantined"} <= names


def test_health_endpoint_is_staff_only(agent, customer, quarantined):
    from herdesk.staff.models import User

    assert Client().get("/channels/health").status_code == 401
    portal_user = User.objects.create_user(username="cust", password="x" * 12, customer=customer)
    assert _client(portal_user).get("/channels/health").status_code == 403
    r = _client(agent).get("/channels/health")
    assert r.status_code == 200 and r["Content-Type"] == "application/json"
    assert r.json()["sources"][0]["quarantine"] == 1


def test_staff_page_and_quarantine_actions(agent, root, quarantined):
    page = _client(agent).get("/channels/")
    assert page.status_code == 200 and b"nochannel" in page.content
    assert b"garbage" not in page.content  # agents do not see raw payloads
    assert (
        _client(agent).post(f"/channels/payloads/{quarantined.pk}/discard", {"reason": "x"}).status_code
        == 403
    )

    admin = _client(root)
    page = admin.get("/channels/")
    assert f'data-payload="{quarantined.pk}"'.encode() in page.content
    raw = admin.get(f"/channels/payloads/{quarantined.pk}/raw")
    assert raw.status_code == 200 and raw.content == b"garbage"
    assert raw["Content-Type"] == "application/octet-stream" and raw["Content-Disposition"].startswith(
        "attachment"
    )
    assert _client(agent).get(f"/channels/payloads/{quarantined.pk}/raw").status_code == 404

    r = admin.post(f"/channels/payloads/{quarantined.pk}/discard", {"reason": ""}, follow=True)
    assert InboundPayload.objects.get(pk=quarantined.pk).state == "quarantined"  # a reason is required
    r = admin.post(f"/channels/payloads/{quarantined.pk}/discard", {"reason": "spam"}, follow=True)
    assert r.status_code == 200
    assert InboundPayload.objects.get(pk=quarantined.pk).state == "discarded"
    r = admin.post(f"/channels/payloads/{quarantined.pk}/reprocess", follow=True)
    assert InboundPayload.objects.get(pk=quarantined.pk).state == "quarantined"  # still no handler


def test_admin_quarantine_actions(root, quarantined):
    admin = _client(root)
    assert admin.get("/admin/inbound/inboundpayload/").status_code == 200
    assert admin.get(f"/admin/inbound/inboundpayload/{quarantined.pk}/change/").status_code == 200
    assert admin.get("/admin/inbound/inboundsource/").status_code == 200
    r = admin.post(
        "/admin/inbound/inboundpayload/",
        {"action": "discard", "_selected_action": [quarantined.pk]},
        follow=True,
    )
    assert r.status_code == 200
    assert InboundPayload.objects.get(pk=quarantined.pk).state == "discarded"
    admin.post(
        "/admin/inbound/inboundpayload/", {"action": "reprocess", "_selected_action": [quarantined.pk]}
    )
    assert InboundPayload.objects.get(pk=quarantined.pk).state == "quarantined"
