"""#13 (CMP-1, CMP-2): the complaint severity is set at intake, at triage and through the API, and a
change swaps the complaint clocks (3 → 5 working days), counted from the received time."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from herdesk.audit.models import AuditEntry
from herdesk.clocks.models import Clock
from herdesk.tickets import services as s

SH = ZoneInfo("Asia/Shanghai")


def _solution(t):
    return Clock.objects.exclude(state="cancelled").get(ticket=t, kind="complaint_solution")


def test_triage_to_major_swaps_the_solution_clock_from_received(customer, staff) -> None:
    agent = staff["agent1"]
    received = datetime(2026, 11, 23, 10, 0, tzinfo=SH)  # Monday
    t = s.ticket_create(
        actor=agent, customer=customer, channel="phone", problem_type="complaint",
        subject="酸奶批次异味", received_at=received, now=received,
    )  # fmt: skip
    assert t.complaint_severity == "general"
    general = _solution(t)
    assert general.target == "3wd"
    assert general.due_at.astimezone(SH).isoformat() == "2026-11-26T18:00:00+08:00"
    with pytest.raises(ValidationError) as exc:
        s.ticket_triage(ticket=t, actor=agent, complaint_severity="huge", at=received + timedelta(hours=1))
    assert "complaint_severity" in exc.value.message_dict
    s.ticket_triage(ticket=t, actor=agent, complaint_severity="major", at=received + timedelta(hours=1))
    t.refresh_from_db()
    major = _solution(t)
    assert t.complaint_severity == "major" and major.target == "5wd"
    assert major.started_at == received  # counted from receipt, not from the triage
    assert major.due_at.astimezone(SH).isoformat() == "2026-11-30T18:00:00+08:00"
    assert Clock.objects.get(pk=general.pk).state == "cancelled"
    assert t.interactions.filter(data__complaint_severity="major").exists()
    assert AuditEntry.objects.filter(action="ticket.complaint_severity", object_id=t.number).exists()


def test_severity_through_the_api_at_creation_and_triage(api, customer) -> None:
    c = api()
    body = {
        "customer_id": customer.pk, "channel": "email", "problem_type": "complaint",
        "subject": "送货延误投诉", "complaint_severity": "major",
    }  # fmt: skip
    r = c.post("/api/v1/tickets", json.dumps(body), content_type="application/json")
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["complaint_severity"] == "major"
    assert {k["target"] for k in out["clocks"] if k["kind"] == "complaint_solution"} == {"5wd"}
    r = c.post(
        f"/api/v1/tickets/{out['number']}/transitions",
        json.dumps({"action": "triage", "complaint_severity": "general"}),
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["complaint_severity"] == "general"
    assert {k["target"] for k in r.json()["clocks"] if k["kind"] == "complaint_solution"} == {"3wd"}
    bad = c.post(
        f"/api/v1/tickets/{out['number']}/transitions",
        json.dumps({"action": "triage", "complaint_severity": "huge"}),
        content_type="application/json",
    )
    assert bad.status_code == 422
