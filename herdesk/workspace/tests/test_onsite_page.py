"""CLS-3 on the ticket page: the on-site visit form records a complete on-site interaction; bad input
is a 400 with the reasons; #12: closing as "customer confirmed" needs the confirmation on record."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from herdesk.staff.models import Team
from herdesk.tickets import services as ts

MINUTE = "%Y-%m-%dT%H:%M"


def _resolved(make_ticket, staff):
    t = make_ticket(problem_type="after_sales", subject="灌装机上门维修")
    agent, field = staff["agent1"], staff["field1"]
    ts.ticket_triage(ticket=t, actor=agent, complexity="general", team=Team.objects.get(code="after-sales"))
    ts.ticket_assign(ticket=t, actor=agent, assignee=field, reason="上门")
    ts.ticket_acknowledge(ticket=t, actor=field)
    ts.ticket_resolve(ticket=t, actor=field, verification_method="onsite_check", summary="已更换阀门")
    return t


def test_onsite_visit_from_the_ticket_page(login, make_ticket, staff) -> None:
    t = _resolved(make_ticket, staff)
    field = login("field1", lang="en")
    page = field.get(f"/tickets/{t.number}/").content.decode()
    assert 'id="form-onsite"' in page and f"/tickets/{t.number}/onsite-visit/" in page

    # "Customer confirmed" with nothing on record: refused with the reason, nothing changes.
    r = field.post(f"/tickets/{t.number}/do/close/", {"close-reason": "customer_confirmed"})
    assert r.status_code == 400 and "on-site sign-off" in r.content.decode()
    t.refresh_from_db()
    assert t.status == "resolved"

    local = timezone.localtime()
    bad = field.post(
        f"/tickets/{t.number}/onsite-visit/",
        {"onsite-content": "试机", "onsite-started_at": local.strftime(MINUTE),
         "onsite-ended_at": (local - timedelta(hours=1)).strftime(MINUTE), "onsite-place": "牧场"},
    )  # fmt: skip
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "This field is required." in body  # the customer's confirmation
    assert not t.interactions.filter(kind="onsite_visit").exists()

    form = {
        "onsite-content": "更换灌装阀门并试机",
        "onsite-started_at": (local - timedelta(hours=2)).strftime(MINUTE),
        "onsite-ended_at": (local - timedelta(hours=1)).strftime(MINUTE),
        "onsite-place": "客户牧场 3 号车间",
        "onsite-staff": "周建国",
        "onsite-customer_confirmation": "张三签字：设备运行正常",
    }
    r = field.post(f"/tickets/{t.number}/onsite-visit/", form)
    assert r.status_code == 302 and r["Location"].endswith("#timeline")
    visit = t.interactions.get(kind="onsite_visit")
    assert visit.data["place"] == "客户牧场 3 号车间" and visit.author == staff["field1"]
    page = field.get(f"/tickets/{t.number}/").content.decode()
    assert "更换灌装阀门并试机" in page and "客户牧场 3 号车间" in page and "张三签字：设备运行正常" in page

    r = field.post(f"/tickets/{t.number}/do/close/", {"close-reason": "customer_confirmed"})
    assert r.status_code == 302
    t.refresh_from_db()
    assert t.status == "closed" and ts.record_completeness(ticket=t) == []


def test_the_onsite_page_is_for_staff_who_may_see_the_ticket(login, make_ticket, staff) -> None:
    t = make_ticket()
    assert login("field2").get(f"/tickets/{t.number}/onsite-visit/").status_code == 404  # not theirs
    assert login("agent1").get(f"/tickets/{t.number}/onsite-visit/").status_code == 200
