"""CLS-3: an on-site visit recorded with every element a complete record needs (service, API); #12
CLS-1: "customer confirmed" only with a confirmation on record (the customer's own, an on-site
sign-off, or the handler's phone note with its time)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from herdesk.common.errors import DomainError
from herdesk.staff.models import Team
from herdesk.tickets import services as s


def _resolved(customer, staff):
    agent, field = staff["agent1"], staff["field1"]
    t = s.ticket_create(
        actor=agent, customer=customer, channel="phone", problem_type="after_sales", subject="灌装机上门维修"
    )
    s.ticket_triage(ticket=t, actor=agent, complexity="general", team=Team.objects.get(code="after-sales"))
    s.ticket_assign(ticket=t, actor=agent, assignee=field, reason="上门")
    s.ticket_acknowledge(ticket=t, actor=field)
    s.ticket_resolve(ticket=t, actor=field, verification_method="onsite_check", summary="已更换阀门")
    return t


def test_onsite_visit_completes_the_record_and_confirms_the_close(customer, staff) -> None:
    field = staff["field1"]
    t = _resolved(customer, staff)
    with pytest.raises(DomainError) as exc:
        s.ticket_close(ticket=t, actor=field, reason="customer_confirmed")
    assert exc.value.code == "confirmation_missing" and exc.value.status == 422
    now = timezone.now()
    with pytest.raises(ValidationError) as bad:
        s.onsite_visit_record(
            ticket=t, actor=field, content="", started_at=now, ended_at=now - timedelta(hours=1),
            place="", customer_confirmation="",
        )  # fmt: skip
    assert {"content", "place", "customer_confirmation", "ended_at"} <= set(bad.value.message_dict)
    visit = s.onsite_visit_record(
        ticket=t, actor=field, content="更换灌装阀门并试机", started_at=now - timedelta(hours=2),
        ended_at=now - timedelta(hours=1), place="呼和浩特市赛罕区草原路 88 号", staff="周建国、吴海",
        customer_confirmation="客户张三签字确认：设备运行正常",
    )  # fmt: skip
    assert visit.kind == "onsite_visit" and visit.author == field
    assert (
        visit.data["place"] and visit.data["customer_confirmation"] and visit.data["staff"] == "周建国、吴海"
    )
    assert s.customer_confirmation_recorded(ticket=t)
    s.ticket_close(ticket=t, actor=field, reason="customer_confirmed")  # the on-site sign-off
    t.refresh_from_db()
    assert t.status == "closed"
    assert s.record_completeness(ticket=t) == []
    s.record_finalize(ticket=t, actor=field)
    with pytest.raises(DomainError):
        s.onsite_visit_record(
            ticket=t, actor=field, content="回访", started_at=now, ended_at=now, place="现场",
            customer_confirmation="确认",
        )  # fmt: skip


def test_phone_confirmation_note_with_time(customer, staff) -> None:
    field = staff["field1"]
    t = _resolved(customer, staff)
    with pytest.raises(DomainError):  # a note without the time is not a confirmation on record
        s.ticket_close(ticket=t, actor=field, reason="customer_confirmed", evidence="客户说好了")
    at = timezone.now() - timedelta(minutes=5)
    s.ticket_close(
        ticket=t, actor=field, reason="customer_confirmed", evidence="客户电话确认已正常", confirmed_at=at
    )
    call = t.interactions.get(kind="phone_call", data__has_key="customer_confirmation")
    assert call.occurred_at == at and call.author == field and call.body == "客户电话确认已正常"


def test_onsite_visit_and_confirmed_close_through_the_api(api, customer, staff) -> None:
    t = _resolved(customer, staff)
    c = api("field1")
    url = f"/api/v1/tickets/{t.number}"
    bad = c.post(f"{url}/onsite-visits", json.dumps({"content": "试机"}), content_type="application/json")
    assert bad.status_code == 422
    assert {"started_at", "ended_at", "place", "customer_confirmation"} <= {
        e["field"] for e in bad.json()["errors"]
    }
    r = c.post(
        f"{url}/transitions", json.dumps({"action": "close", "close_reason": "customer_confirmed"}),
        content_type="application/json",
    )  # fmt: skip
    assert r.status_code == 422 and r.json()["code"] == "confirmation_missing"
    now = timezone.now()
    visit = {
        "content": "更换灌装阀门并试机", "started_at": (now - timedelta(hours=2)).isoformat(),
        "ended_at": (now - timedelta(hours=1)).isoformat(), "place": "客户牧场", "staff": "周建国",
        "customer_confirmation": "张三签字确认",
    }  # fmt: skip
    r = c.post(f"{url}/onsite-visits", json.dumps(visit), content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["kind"] == "onsite_visit"
    r = c.post(
        f"{url}/transitions", json.dumps({"action": "close", "close_reason": "customer_confirmed"}),
        content_type="application/json",
    )  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "closed"
