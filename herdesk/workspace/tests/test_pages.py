"""Each role sees only what it may (SEC-3, STF-1); pages render in Chinese by default."""

from __future__ import annotations

import pytest
from django.test import Client

from herdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese_by_default(db) -> None:
    r = Client().get("/login/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "牧服" in html and "登录" in html and 'lang="zh-CN"' in html


def test_login_page_in_english_on_request(db) -> None:
    r = Client(HTTP_ACCEPT_LANGUAGE="en").get("/login/")
    assert "Sign in" in r.content.decode()


def test_anonymous_is_sent_to_login(db) -> None:
    r = Client().get("/queues/mine/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_staff_login_lands_on_my_queue(staff) -> None:
    c = Client()
    r = c.post("/login/", {"username": "agent1", "password": "herdesk-demo"})
    assert r.status_code == 302
    r = c.get(r["Location"])
    assert r.status_code == 302 and r["Location"] == "/queues/mine/"


def test_bad_password_shows_a_message_not_an_error(staff) -> None:
    r = Client().post("/login/", {"username": "agent1", "password": "wrong"})
    assert r.status_code == 200
    assert "alert-danger" in r.content.decode()


def test_customer_is_redirected_to_portal(customer, staff) -> None:
    from herdesk.staff.services import user_create

    user = user_create(username="cust", password="herdesk-demo", role="customer", customer=customer)
    c = Client()
    c.force_login(user)
    for url in ("/", "/queues/mine/", "/intake/", "/supervisor/"):
        r = c.get(url)
        assert r.status_code == 302 and r["Location"] == "/portal/", url


def test_agent_sees_own_team_and_first_contact_but_not_other_teams(
    login, make_ticket, other_customer
) -> None:
    mine = make_ticket(by="agent1", team="tech-support", assignee="tech2")  # agent1 took it first
    foreign = make_ticket(
        by="tech1", cust=other_customer, team="after-sales", assignee="field1", subject="灌装机故障"
    )
    agent = login("agent1")
    assert agent.get(f"/tickets/{mine.number}/").status_code == 200
    assert agent.get(f"/tickets/{foreign.number}/").status_code == 404
    # …and not through any action or queue either.
    assert agent.post(f"/tickets/{foreign.number}/do/note/", {"note-body": "x"}).status_code == 404
    html = agent.get("/queues/unassigned/").content.decode()
    assert foreign.number not in html
    field = login("field1")
    assert field.get(f"/tickets/{foreign.number}/").status_code == 200


@pytest.mark.parametrize("username", ["cs_lead", "qa1", "manager", "admin"])
def test_supervisors_qa_management_and_admin_see_everything(
    username, login, make_ticket, other_customer
) -> None:
    t = make_ticket(by="tech1", cust=other_customer, team="after-sales", assignee="field1")
    c = login(username)
    assert c.get(f"/tickets/{t.number}/").status_code == 200
    assert t.number in c.get("/queues/all/").content.decode()


def test_navigation_follows_the_role(login) -> None:
    agent = login("agent1").get("/queues/mine/").content.decode()
    assert "/intake/" in agent and "/supervisor/" not in agent and "/admin/" not in agent
    lead = login("cs_lead").get("/queues/mine/").content.decode()
    assert "/supervisor/" in lead and "/supervisor/compliance/" in lead and "/queues/all/" in lead
    qa = login("qa1").get("/", follow=True).content.decode()
    assert "/intake/" not in qa and "/supervisor/" in qa
    admin = login("admin").get("/", follow=True).content.decode()
    assert "/admin/" in admin


def test_read_only_roles_get_no_action_panels_and_are_refused(login, make_ticket) -> None:
    t = make_ticket(team="tech-support", assignee="tech2")
    qa = login("qa1")
    html = qa.get(f"/tickets/{t.number}/").content.decode()
    assert "/do/transfer/" not in html and "/do/acknowledge/" not in html
    r = qa.post(f"/tickets/{t.number}/do/transfer/", {"transfer-team": "1", "transfer-reason": "x"})
    assert r.status_code == 403
    assert Ticket.objects.get(pk=t.pk).status == "assigned"
    assert qa.get("/intake/").status_code == 403


def test_agent_cannot_open_supervisor_pages(login) -> None:
    agent = login("agent1")
    assert agent.get("/supervisor/").status_code == 403
    assert agent.get("/supervisor/compliance/").status_code == 403
    assert agent.post("/queues-bulk-reassign/", {"tickets": ["x"]}).status_code == 403


def test_masked_phone_for_agent_and_audited_plain_phone_for_supervisor(login, make_ticket) -> None:
    from herdesk.audit.models import AuditEntry

    t = make_ticket()
    html = login("agent1").get(f"/tickets/{t.number}/").content.decode()
    assert "138****8000" in html and "13812348000" not in html
    assert not AuditEntry.objects.filter(action="pii.read").exists()
    html = login("cs_lead").get(f"/tickets/{t.number}/").content.decode()
    assert "+8613812348000" in html
    assert AuditEntry.objects.filter(action="pii.read", actor_name="cs_lead").exists()


def test_unknown_queue_and_ticket_are_404(login) -> None:
    c = login("agent1")
    assert c.get("/queues/nope/").status_code == 404
    assert c.get("/tickets/FW-00000000-0000/").status_code == 404
    assert c.get("/attachments/999/download/").status_code == 404


def test_language_switch_to_english(login) -> None:
    c = login("agent1")
    r = c.post("/i18n/setlang/", {"language": "en", "next": "/queues/mine/"})
    assert r.status_code == 302
    assert "My tickets" in c.get("/queues/mine/").content.decode()
