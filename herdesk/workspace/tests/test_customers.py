"""The staff customer page (issue 13): reachable from the ticket and the look-up, contacts masked per
role, the whole service history, edits through customers.services (audited); "reveal the number
with a reason" (audited, 20 an hour) and click-to-call (the number goes to the CTI, not the page);
the follow-up list and every page of a role in its navigation."""

from __future__ import annotations

import re

import pytest

from herdesk.audit.models import AuditEntry
from herdesk.customers.models import Customer
from herdesk.customers.services import REVEAL_LIMIT_PER_HOUR

pytestmark = pytest.mark.django_db


def test_customer_page_is_reachable_from_the_ticket_and_the_lookup(login, make_ticket, customer) -> None:
    t = make_ticket()
    agent = login("agent1")
    ticket_page = agent.get(f"/tickets/{t.number}/").content.decode()
    assert f'href="/customers/{customer.pk}/"' in ticket_page
    found = agent.get("/customers/", {"q": "绿源"}).content.decode()
    assert f'href="/customers/{customer.pk}/"' in found
    by_phone = agent.get("/customers/", {"phone": "138 1234 8000"}).content.decode()
    assert f'href="/customers/{customer.pk}/"' in by_phone
    lookup = agent.get("/intake/lookup/", {"phone": "13812348000"}).content.decode()
    assert f'href="/customers/{customer.pk}/"' in lookup  # from the caller look-up too
    page = agent.get(f"/customers/{customer.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert t.number in html and "绿源牧场" in html
    assert "13812348000" not in html and "138****8000" in html  # masked for an agent
    assert "大客户" in html  # the tier in Chinese


def test_a_supervisor_sees_the_number_and_the_read_is_audited(login, customer) -> None:
    html = login("cs_lead").get(f"/customers/{customer.pk}/").content.decode()
    assert "13812348000" in html
    assert AuditEntry.objects.filter(
        action="pii.read", object_id=str(customer.pk), data__purpose="customer_page"
    ).exists()


def test_profile_edit_goes_through_the_service_and_is_audited(login, customer, staff) -> None:
    lead = login("cs_lead")
    r = lead.post(
        f"/customers/{customer.pk}/edit/",
        {"tier": "regular", "account_manager": staff["am1"].pk, "lifecycle_stage": "mature"},
    )
    assert r.status_code == 302
    c = Customer.objects.get(pk=customer.pk)
    assert (c.tier, c.account_manager_id, c.lifecycle_stage) == ("regular", staff["am1"].pk, "mature")
    assert c.organisation.tier == "regular"  # tier follows the organisation
    entry = AuditEntry.objects.get(action="customer.update", object_id=str(customer.pk))
    assert entry.data["before"]["tier"] == "key_account"
    assert entry.data["after"]["lifecycle_stage"] == "mature"
    bad = lead.post(f"/customers/{customer.pk}/edit/", {"tier": "gold", "lifecycle_stage": "mature"})
    assert bad.status_code == 400
    assert login("qa1").post(f"/customers/{customer.pk}/edit/", {"tier": "regular"}).status_code == 403


def test_reveal_needs_a_reason_is_audited_and_rate_limited(login, customer) -> None:
    contact = customer.contacts.get()
    agent = login("agent1", lang="en")
    url = f"/contacts/{contact.pk}/reveal/"
    r = agent.post(url, {"reason": ""}, HTTP_HX_REQUEST="true")
    assert r.status_code == 400 and "Say why you need the full number." in r.content.decode()
    r = agent.post(url, {"reason": "客户要求回电"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "13812348000" in r.content.decode()
    entry = AuditEntry.objects.get(action="pii.reveal")
    assert entry.data["reason"] == "客户要求回电" and entry.object_id == str(customer.pk)
    for _ in range(REVEAL_LIMIT_PER_HOUR - 1):
        assert agent.post(url, {"reason": "回电"}, HTTP_HX_REQUEST="true").status_code == 200
    r = agent.post(url, {"reason": "回电"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 429
    assert "the most allowed" in r.content.decode() and "13812348000" not in r.content.decode()
    assert AuditEntry.objects.filter(action="pii.reveal").count() == REVEAL_LIMIT_PER_HOUR


def test_click_to_call_records_and_publishes_without_the_number_on_the_page(
    login, customer, staff, make_ticket, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    from herdesk.phone import services as phone_services
    from herdesk.phone.models import DialRequest

    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr("herdesk.realtime.publish.send_now", lambda group, msg: sent.append((group, msg)))
    t = make_ticket()
    contact = customer.contacts.get()
    agent = login("agent1")
    r = agent.post(f"/contacts/{contact.pk}/dial/", {"ticket": t.number}, HTTP_HX_REQUEST="true")
    assert r.status_code == 400  # no extension yet: told so
    staff["agent1"].extension = "8001"
    staff["agent1"].save()
    with django_capture_on_commit_callbacks(execute=True):
        r = agent.post(f"/contacts/{contact.pk}/dial/", {"ticket": t.number}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "13812348000" not in r.content.decode()
    req = DialRequest.objects.get()
    assert (req.extension, req.ticket_id, req.requested_by_id) == ("8001", t.pk, staff["agent1"].pk)
    cti = [m for g, m in sent if g == phone_services.CTI_GROUP]
    assert cti and cti[0]["payload"]["number"].endswith("13812348000")
    mine = [m for g, m in sent if g == phone_services.agent_group(staff["agent1"].pk)]
    assert mine and "13812348000" not in str(mine)
    assert AuditEntry.objects.filter(action="call.dial").exists()


def test_follow_up_list_and_form_has_no_default_score(login, make_ticket, staff) -> None:
    from django.utils import timezone

    from herdesk.tickets import services as ts

    t = make_ticket(team="customer-service", assignee="agent1")
    agent = staff["agent1"]
    t = ts.ticket_acknowledge(ticket=t, actor=agent)
    t = ts.ticket_resolve(
        ticket=t,
        actor=agent,
        summary="已解决",
        verification_method="customer_confirmation",
        at=timezone.now(),
    )
    c = login("agent1")
    html = c.get("/follow-up/").content.decode()
    assert t.number in html
    page = c.get(f"/tickets/{t.number}/").content.decode()
    select = page[page.index('name="follow_up-score"') :][:600]
    assert 'value="" selected' in select and not re.search(r'value="[1-5]" selected', select)


def test_every_page_of_the_role_is_in_its_navigation(login) -> None:
    agent = login("agent1").get("/queues/mine/").content.decode()
    # 回访 is the follow-up worklist (issue 16); training is every staff member's (issue 17).
    for href in ("/chat/console/", "/followup/", "/customers/", "/channels/", "/intake/", "/training/"):
        assert f'href="{href}"' in agent, href
    assert 'href="/supervisor/"' not in agent
    assert "phone/screenpop.js" in agent  # the screen pop on every page
    lead = login("cs_lead").get("/queues/mine/").content.decode()
    for href in ("/supervisor/", "/supervisor/compliance/", "/chat/console/", "/complaints/", "/quality/"):
        assert f'href="{href}"' in lead, href
    console = login("agent1").get("/chat/console/").content.decode()
    assert 'href="/customers/"' in console and "phone/screenpop.js" in console
    channels = login("agent1").get("/channels/").content.decode()
    assert 'href="/queues/mine/"' in channels


def test_chat_waiting_count(login) -> None:
    r = login("agent1").get("/chat-waiting/")
    assert r.status_code == 200 and 'data-waiting="0"' in r.content.decode()
