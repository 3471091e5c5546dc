"""The emergency pages: permissions, the two-click declaration, the incident page's actions, bad
input as 4xx, pinned query counts, the portal banner."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from herdesk.emergency import services
from herdesk.emergency.choices import IncidentStatus as S
from herdesk.emergency.models import Incident

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def test_permissions(plans: Any, staff: Any) -> None:
    inc = services.incident_declare(plan=plans["cold-chain"], level=3, actor=staff["cs_lead"])
    agent = _client(staff["agent1"])
    assert agent.get("/emergency/").status_code == 200
    assert agent.get(f"/emergency/{inc.number}/").status_code == 200
    assert agent.get("/emergency/plans/cold-chain/").status_code == 200
    assert agent.post("/emergency/declare/", {"plan": "cold-chain", "level": "2"}).status_code == 403
    assert agent.post(f"/emergency/{inc.number}/do/transition/", {"to": "cancelled"}).status_code == 403
    assert agent.get("/emergency/plans/cold-chain/edit/").status_code == 403
    assert _client(staff["manager"]).get("/emergency/plans/cold-chain/edit/").status_code == 403
    assert _client(staff["admin"]).get("/emergency/plans/cold-chain/edit/").status_code == 200
    assert _client(staff["cs_lead"]).get("/emergency/nope/").status_code == 404
    assert _client(staff["cs_lead"]).get("/emergency/plans/nope/").status_code == 404


def test_declare_in_two_clicks_and_run(plans: Any, staff: Any, make_tickets: Any) -> None:
    tickets = make_tickets(4)
    boss = _client(staff["cs_lead"])
    page = boss.get("/emergency/")
    assert b'name="level" value="2"' in page.content
    r = boss.post("/emergency/declare/", {"plan": "cold-chain", "level": "2"})
    inc = Incident.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/emergency/{inc.number}/"
    assert inc.level == 2 and inc.status == S.DECLARED
    url = f"/emergency/{inc.number}/"
    # the assessment has its own form; a plain transition to it is refused (400)
    assert boss.post(url + "do/transition/", {"to": "assessed"}).status_code == 400
    assert boss.post(url + "do/assess/", {"risk_assessment": "", "level": "2"}).status_code == 400
    assert boss.post(url + "do/assess/", {"risk_assessment": "3 个批次超温", "level": "2"}).status_code == 302
    assert boss.post(url + "do/transition/", {"to": "closed"}).status_code == 409
    assert boss.post(url + "do/transition/", {"to": "activated"}).status_code == 302
    assert boss.post(url + "do/transition/", {"to": "executing"}).status_code == 302
    page = boss.get(url, {"search": "1", "batch": "B2026120701", "region": "内蒙古"})
    assert page.status_code == 200 and page.context["matches"] == 4
    r = boss.post(url + "do/link/", {"batch": "B2026120701", "region": "内蒙古"})
    assert r.status_code == 302 and Incident.objects.get().links.count() == 4
    assert boss.post(url + "do/link/", {}).status_code == 400
    r = boss.post(url + "do/update/", {"kind": "reply", "body": "已隔离该批次"})
    assert r.status_code == 302
    assert tickets[0].interactions.filter(body="已隔离该批次").count() == 1
    r = boss.post(
        url + "do/statement/",
        {"st-region": "内蒙古", "st-batch": "B2026120701", "st-public_statement": "部分酸奶延迟配送"},
    )
    assert r.status_code == 302
    r = boss.post(url + "do/notify/", {"nt-source": "linked", "nt-channels": ["sms", "email"]})
    assert r.status_code == 302
    assert Incident.objects.get().status == S.INFORMED
    page = boss.get(url)
    assert page.context["counts"] == {"pending": 8}
    task = Incident.objects.get().tasks.first()
    assert boss.post(url + "do/task/", {"task": task.pk, "done": "1"}).status_code == 302
    assert boss.post(url + "do/task/", {"task": "x"}).status_code == 404
    assert boss.post(url + "do/nothing/").status_code == 404
    assert (
        boss.post(url + "do/review/", {"review_summary": "温控器故障", "findings": "缺备用机组"}).status_code
        == 302
    )
    assert boss.post(url + "do/transition/", {"to": "closed"}).status_code == 302
    assert Incident.objects.get().status == S.CLOSED


def test_incident_page_query_count(
    plans: Any, staff: Any, make_tickets: Any, django_assert_max_num_queries: Any
) -> None:
    boss = staff["cs_lead"]
    inc = services.incident_declare(plan=plans["cold-chain"], level=2, actor=boss)
    inc = services.incident_assess(incident=inc, actor=boss, risk_assessment="r")
    inc = services.incident_transition(incident=inc, to=S.ACTIVATED, actor=boss)
    tickets = make_tickets(12)
    services.incident_link_tickets(incident=inc, actor=boss, ticket_ids=[t.pk for t in tickets])
    services.incident_notify_customers(
        incident=inc, actor=boss, customer_ids=[t.customer_id for t in tickets], channels=["sms", "wechat"]
    )
    c = _client(boss)
    with django_assert_max_num_queries(40):
        assert c.get(f"/emergency/{inc.number}/").status_code == 200
    with django_assert_max_num_queries(25):
        assert c.get("/emergency/").status_code == 200


def test_drill_schedule_and_bad_input(plans: Any, staff: Any) -> None:
    boss = _client(staff["cs_lead"])
    r = boss.post(
        "/emergency/drills/new/", {"plan": "system-outage", "level": "3", "scheduled_for": "2099-01-01T10:00"}
    )
    assert r.status_code == 302
    drill = Incident.objects.get(is_drill=True)
    assert drill.status == S.SCHEDULED
    assert (
        boss.post("/emergency/drills/new/", {"plan": "x", "level": "9"}).status_code == 302
    )  # message, no 500
    assert boss.post("/emergency/declare/", {"plan": "cold-chain", "level": "abc"}).status_code == 302
    assert Incident.objects.count() == 1


def test_plan_and_template_edit(plans: Any, staff: Any) -> None:
    boss = _client(staff["cs_lead"])
    r = boss.post(
        "/emergency/plans/mass-complaint/edit/",
        {
            "name": "群体投诉预案",
            "description": "d",
            "is_active": "on",
            "steps": "汇总投诉 | 客服组 | 4\n通报管理层 | 应急指挥 | 2",
        },
    )
    assert r.status_code == 302
    assert plans["mass-complaint"].steps.count() == 2
    assert boss.post("/emergency/plans/mass-complaint/edit/", {"name": "x", "steps": ""}).status_code == 400
    tpl = plans["cold-chain"].templates.get(audience="customers", channel="sms")
    url = f"/emergency/plans/cold-chain/templates/{tpl.pk}/"
    assert boss.post(url, {"body": "{bad}"}).status_code == 400
    assert boss.post(url, {"body": "【牧服】{title}"}).status_code == 302
    tpl.refresh_from_db()
    assert tpl.body == "【牧服】{title}" and tpl.approved_by == staff["cs_lead"]


def test_portal_banner(plans: Any, staff: Any) -> None:
    boss = staff["cs_lead"]
    assert 'hx-get="/emergency/banner/"' in Client().get("/portal/help/").content.decode()
    inc = services.incident_declare(plan=plans["cold-chain"], level=2, actor=boss)
    services.incident_scope_update(incident=inc, actor=boss, public_statement="内蒙古地区部分酸奶延迟配送")
    page = Client().get("/emergency/banner/")
    assert page.status_code == 200 and "内蒙古地区部分酸奶延迟配送" in page.content.decode()
    drill = services.incident_declare(plan=plans["system-outage"], level=3, actor=boss, is_drill=True)
    services.incident_scope_update(incident=drill, actor=boss, public_statement="演练公告")
    assert "演练公告" not in Client().get("/emergency/banner/").content.decode()
    services.incident_transition(incident=inc, to=S.CANCELLED, actor=boss)
    assert "内蒙古地区部分酸奶延迟配送" not in Client().get("/emergency/banner/").content.decode()
