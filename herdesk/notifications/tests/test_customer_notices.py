"""Customer notices reach the customer on their own channel (issue 12): by email through a real SMTP
sink, by SMS through the SMS backend, on WeChat through the WeChat outbound adapter; signed links in
them work when followed; the portal always shows them; preferences are respected."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from django.test import Client
from django.utils import timezone

from herdesk.mail.tests.conftest import smtp_sink  # noqa: F401 - fixture: aiosmtpd on a free port
from herdesk.notifications.models import OutboxMessage
from herdesk.notifications.services import outbox_dispatch
from herdesk.wechat.tests.test_api import wechat_api  # noqa: F401 - fixture: a fake WeChat API server

OPTIONS = [
    {
        "summary": "远程指导重启制冷机组",
        "time_needed": "30 分钟",
        "check_accuracy": True,
        "check_feasibility": True,
        "check_acceptance": True,
        "check_safety": True,
    },
    {
        "summary": "工程师上门更换压缩机",
        "time_needed": "1 天",
        "extra_cost": "800 元",
        "check_accuracy": True,
        "check_feasibility": True,
        "check_acceptance": True,
        "check_safety": True,
    },
]


@pytest.fixture
def sms(settings):
    from herdesk.sms import backends

    settings.HERDESK_SMS_BACKEND = "herdesk.sms.backends.LocmemBackend"
    backends.outbox.clear()
    return backends.outbox


def _in_progress(staff, customer, channel: str):
    from herdesk.staff.models import Team
    from herdesk.tickets import services as ts

    t = ts.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        contact=customer.contacts.first(),
        channel=channel,
        problem_type="technical_support",
        subject="冷藏罐温度异常",
    )
    team = Team.objects.get(code="tech-support")
    t = ts.ticket_triage(ticket=t, actor=staff["agent1"], team=team)
    t = ts.ticket_assign(ticket=t, actor=staff["agent1"], assignee=staff["tech1"], team=team)
    t = ts.ticket_acknowledge(ticket=t, actor=staff["tech1"])
    return ts.ticket_start(ticket=t, actor=staff["tech1"])


def _renegotiate(staff, t):
    from herdesk.clocks.models import Clock
    from herdesk.clocks.services import clock_renegotiate

    clock = Clock.objects.filter(ticket=t, kind="resolution", state="running").first()
    new_due = clock.due_at + timedelta(hours=20)
    clock_renegotiate(clock=clock, actor=staff["tech1"], new_due_at=new_due, reason="配件需从总部调货")
    return timezone.localtime(new_due).strftime("%Y-%m-%d %H:%M")


def _mail_text(message: dict) -> tuple[str, str, str]:
    m = message_from_bytes(message["data"], policy=policy.default)
    return str(m["Subject"]), m.get_content(), message["rcpt_tos"][0]


def _path(text: str, kind: str) -> str:
    found = re.search(rf"(/portal/link/{kind}/[^\s#]+)", text)
    assert found, text
    return found.group(1)


def _entry(t, notice: str):
    return t.interactions.filter(data__customer_notice__kind=notice).latest("id")


@pytest.mark.django_db
def test_email_renegotiation_options_and_resolution_with_working_links(staff, customer, smtp_sink):  # noqa: F811
    from herdesk.portal.selectors import portal_timeline
    from herdesk.portal.services import portal_user_for
    from herdesk.tickets import services as ts

    t = _in_progress(staff, customer, "email")
    when = _renegotiate(staff, t)
    ts.solution_options_offer(ticket=t, actor=staff["tech1"], options=OPTIONS)
    assert outbox_dispatch()["failed"] == 0
    sent = [_mail_text(m) for m in smtp_sink.messages]
    assert [to for _s, _b, to in sent] == ["zhang@example.cn", "zhang@example.cn"]
    subject, body, _to = sent[0]
    assert t.number in subject and "配件需从总部调货" in body and when in body
    assert "We need more time" not in body and "we need more time" in body  # Chinese first, then English
    subject, body, _to = sent[1]
    assert "远程指导重启制冷机组" in body and "800 元" in body
    # Each notice is a public entry (the portal shows it) with its delivery on the staff timeline.
    for kind in ("renegotiation", "options"):
        entry = _entry(t, kind)
        assert entry.is_public and entry.data["customer_notice"]["via"] == "email"
        assert entry.data["delivery"]["status"] == "sent"
        assert "/portal/link/" not in entry.body  # the signed link is never on the timeline
    shown = list(portal_timeline(user=portal_user_for(customer=customer), ticket=t))
    assert _entry(t, "options") in shown and _entry(t, "renegotiation") in shown

    # The choose link works when followed: the customer's choice is recorded.
    link = _path(body, "choose")
    page = Client().get(link)
    assert page.status_code == 200 and "工程师上门更换压缩机" in page.content.decode()
    assert Client().post(link, {"position": "2"}).status_code == 200
    t.refresh_from_db()
    assert t.solution_stage == "option_chosen" and t.options.get(position=2).chosen_at is not None

    ts.ticket_resolve(
        ticket=t, actor=staff["tech1"], verification_method="customer_confirmation", summary="已更换压缩机"
    )
    outbox_dispatch()
    subject, body, _to = _mail_text(smtp_sink.messages[-1])
    assert "已更换压缩机" in body and "确认" in subject
    confirm = _path(body, "confirm")
    assert f"{confirm}#dispute" in body
    assert Client().post(confirm, {"action": "confirm"}).status_code == 200
    t.refresh_from_db()
    assert t.status == "closed"
    # The customer closed it themselves: no "closed" notice on top.
    outbox_dispatch()
    assert not t.interactions.filter(data__customer_notice__kind="closing").exists()
    assert Client().post(confirm, {"action": "confirm"}).status_code in (400, 404, 410)  # single use


@pytest.mark.django_db
def test_a_disputed_resolution_link_reopens_the_ticket(staff, customer, smtp_sink):  # noqa: F811
    from herdesk.tickets import services as ts

    t = _in_progress(staff, customer, "email")
    ts.ticket_resolve(ticket=t, actor=staff["tech1"], verification_method="remote_demo")
    outbox_dispatch()
    _subject, body, _to = _mail_text(smtp_sink.messages[-1])
    link = _path(body, "confirm")
    r = Client().post(link, {"action": "dispute", "reason": "温度还是降不下来"})
    assert r.status_code == 200
    t.refresh_from_db()
    assert t.status == "in_progress" and t.reopen_count == 1


@pytest.mark.django_db
def test_sms_for_a_hotline_ticket_with_links_that_work(staff, customer, sms) -> None:
    from herdesk.tickets import services as ts

    t = _in_progress(staff, customer, "phone")
    when = _renegotiate(staff, t)
    ts.solution_options_offer(ticket=t, actor=staff["tech1"], options=OPTIONS)
    outbox_dispatch()
    assert [m.phone for m in sms] == ["+8613812348000", "+8613812348000"]
    assert "配件需从总部调货" in sms[0].text and when in sms[0].text and "more time" not in sms[0].text
    assert len(sms[1].text) <= 490 and "远程指导重启制冷机组" in sms[1].text
    assert _entry(t, "options").data["delivery"]["status"] == "sent"
    assert Client().post(_path(sms[1].text, "choose"), {"position": "1"}).status_code == 200
    ts.ticket_resolve(
        ticket=t, actor=staff["tech1"], verification_method="remote_demo", summary="远程重启后恢复"
    )
    outbox_dispatch()
    assert "远程重启后恢复" in sms[-1].text
    assert Client().post(_path(sms[-1].text, "confirm"), {"action": "confirm"}).status_code == 200
    t.refresh_from_db()
    assert t.status == "closed"


@pytest.mark.django_db
def test_a_new_wechat_ticket_is_acknowledged_through_the_wechat_adapter(reference, wechat_api) -> None:  # noqa: F811
    from herdesk.tickets.models import Ticket
    from herdesk.wechat.tests.test_callback import OPENID, _xml, push

    assert push(_xml(Content="奶粉罐里有结块，还能喝吗？")).status_code == 200
    t = Ticket.objects.get()
    push(_xml("text", msg_id="2", Content="是昨天买的"))  # joins the ticket: no second acknowledgement
    assert OutboxMessage.objects.filter(channel="wechat").count() == 1
    assert outbox_dispatch()["failed"] == 0
    assert [m["touser"] for m in wechat_api.sent] == [OPENID]
    text = wechat_api.sent[0]["text"]["content"]
    assert t.number in text
    entry = _entry(t, "acknowledgement")
    assert entry.kind == "wechat" and entry.is_automatic and entry.data["delivery"]["status"] == "sent"
    t.refresh_from_db()
    assert t.first_response_at is None  # INT-2: the clock stops at the first human response


@pytest.mark.django_db
def test_preferences_channel_portal_only_and_opt_out(staff, customer, smtp_sink, sms) -> None:  # noqa: F811
    from herdesk.notifications.customer_notices import notice_preference_set
    from herdesk.tickets import services as ts

    # SMS preferred over the email the ticket came by.
    notice_preference_set(
        customer=customer, actor=staff["agent1"], channel="sms", opt_out_non_essential=False
    )
    t = _in_progress(staff, customer, "email")
    _renegotiate(staff, t)
    outbox_dispatch()
    assert len(sms) == 1 and not smtp_sink.messages

    # Only essential notices: the resolution is sent, the closing notice is not (portal shows it).
    notice_preference_set(customer=customer, actor=staff["agent1"], channel="", opt_out_non_essential=True)
    t = ts.ticket_resolve(ticket=t, actor=staff["tech1"], verification_method="remote_demo")
    ts.ticket_close(ticket=t, actor=staff["tech1"], reason="handler_confirmed", evidence="远程演示正常")
    outbox_dispatch()
    assert len(smtp_sink.messages) == 1  # the resolution, by email (the ticket's channel)
    closing = _entry(t, "closing")
    assert closing.is_public and closing.data["customer_notice"] == {
        "kind": "closing",
        "via": "portal",
        "reason": "opted_out",
    }
    assert not OutboxMessage.objects.filter(payload__interaction=closing.pk).exists()

    # Portal only: nothing is sent at all, and no signed link is made.
    from herdesk.portal.models import PortalToken

    notice_preference_set(
        customer=customer, actor=staff["agent1"], channel="portal", opt_out_non_essential=False
    )
    t2 = _in_progress(staff, customer, "phone")
    before = PortalToken.objects.count()
    ts.solution_options_offer(ticket=t2, actor=staff["tech1"], options=OPTIONS)
    outbox_dispatch()
    assert len(sms) == 1 and len(smtp_sink.messages) == 1
    assert PortalToken.objects.count() == before
    assert _entry(t2, "options").data["customer_notice"]["via"] == "portal"

    with pytest.raises(Exception) as exc:
        notice_preference_set(customer=customer, actor=None, channel="fax", opt_out_non_essential=False)
    assert "channel" in str(exc.value)


@pytest.mark.django_db
def test_a_customer_without_any_address_is_told_on_the_portal(staff, reference) -> None:
    from herdesk.customers.services import customer_create
    from herdesk.tickets import services as ts

    nobody = customer_create(name="王五")
    t = _in_progress(staff, nobody, "chat")
    ts.ticket_resolve(ticket=t, actor=staff["tech1"], verification_method="remote_demo")
    entry = _entry(t, "resolution")
    assert entry.is_public and entry.data["customer_notice"]["reason"] == "no_address"
    assert not OutboxMessage.objects.filter(channel__in=["email", "sms", "wechat"]).exists()


@pytest.mark.django_db
def test_answer_from_a_saved_reply_and_close_really_sends_the_email(staff, customer, smtp_sink) -> None:  # noqa: F811
    from herdesk.tickets import services as ts
    from herdesk.workspace.actions import answer_and_close

    t = ts.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        contact=customer.contacts.first(),
        channel="email",
        problem_type="product_inquiry",
        subject="婴幼儿奶粉适合几个月的宝宝",
    )
    t = answer_and_close(ticket=t, actor=staff["agent1"], body="您好，该奶粉适合 6-12 个月的宝宝。")
    assert t.status == "closed"
    outbox_dispatch()
    assert len(smtp_sink.messages) == 1  # the answer only: no "resolved" nor "closed" notice after it
    _subject, body, to = _mail_text(smtp_sink.messages[0])
    assert to == "zhang@example.cn" and "6-12 个月" in body
    reply = t.interactions.get(kind="email", direction="outbound")
    assert reply.data["delivery"]["status"] == "sent"
    t.refresh_from_db()
    assert t.first_response_at is not None


@pytest.mark.django_db
def test_the_customer_sets_preferences_on_the_portal(customer, staff) -> None:
    from herdesk.audit.models import AuditEntry
    from herdesk.notifications.customer_notices import preference_for
    from herdesk.portal.services import portal_user_for

    c = Client()
    c.force_login(portal_user_for(customer=customer))
    page = c.get("/portal/preferences/")
    assert page.status_code == 200 and 'value="wechat"' in page.content.decode()
    r = c.post("/portal/preferences/", {"channel": "sms", "opt_out_non_essential": "on"})
    assert r.status_code == 302
    pref = preference_for(customer.pk)
    assert pref.channel == "sms" and pref.opt_out_non_essential
    assert AuditEntry.objects.filter(action="customer.notice_preference").exists()
    bad = c.post("/portal/preferences/", {"channel": "fax"})
    assert bad.status_code == 400 and preference_for(customer.pk).channel == "sms"
    # Staff pages are not for customers, and the portal page is not for staff.
    staff_client = Client()
    staff_client.force_login(staff["agent1"])
    assert staff_client.get("/portal/preferences/").status_code in (302, 403)


@pytest.mark.django_db
def test_a_progress_update_defaults_to_the_customers_chosen_channel(staff, customer, sms) -> None:
    from herdesk.notifications.customer_notices import notice_preference_set

    t = _in_progress(staff, customer, "email")
    c = Client()
    c.force_login(staff["tech1"])
    page = c.get(f"/tickets/{t.number}/").content.decode()
    assert re.search(r'<option value="email" selected>', page)  # the ticket's own channel
    notice_preference_set(customer=customer, actor=None, channel="sms", opt_out_non_essential=False)
    page = c.get(f"/tickets/{t.number}/").content.decode()
    assert re.search(r'<option value="sms" selected>', page)
    r = c.post(
        f"/tickets/{t.number}/do/progress/",
        {"progress-kind": "sms", "progress-body": "工程师已出发，预计 11:00 到达。"},
    )
    assert r.status_code in (200, 302)
    outbox_dispatch()
    assert [m.text for m in sms] == ["工程师已出发，预计 11:00 到达。"]


@pytest.mark.django_db
def test_staff_record_a_preference_in_the_admin_through_the_audited_service(customer, staff) -> None:
    from herdesk.audit.models import AuditEntry
    from herdesk.notifications.customer_notices import preference_for
    from herdesk.staff.models import User

    admin_user = User.objects.get(username="admin")
    c = Client()
    c.force_login(admin_user)
    url = "/admin/notifications/customernoticepreference/add/"
    assert c.get(url).status_code == 200
    r = c.post(url, {"customer": customer.pk, "channel": "wechat", "opt_out_non_essential": "on"})
    assert r.status_code == 302, r.content.decode()[:500]
    pref = preference_for(customer.pk)
    assert pref.channel == "wechat" and pref.opt_out_non_essential
    entry = AuditEntry.objects.filter(action="customer.notice_preference").latest("seq")
    assert entry.actor_id == admin_user.pk


@pytest.mark.django_db
def test_a_notice_its_channel_cannot_deliver_goes_by_the_next_one(
    staff,
    customer,
    smtp_sink,  # noqa: F811
    settings,
    monkeypatch,
) -> None:
    from herdesk.notifications import services

    settings.HERDESK_SMS_BACKEND = "herdesk.sms.backends.FailingBackend"
    monkeypatch.setattr(services, "MAX_ATTEMPTS", 1)  # give up on the first failure
    t = _in_progress(staff, customer, "phone")  # hotline: SMS first
    when = _renegotiate(staff, t)
    assert outbox_dispatch() == {"sent": 0, "failed": 1}
    sms_row = OutboxMessage.objects.get(channel="sms")
    assert sms_row.status == "failed"
    entry = _entry(t, "renegotiation")
    assert entry.data["customer_notice"]["via"] == "email" and entry.data["customer_notice"][
        "fallback_from"
    ] == ["sms"]
    assert entry.data["delivery"]["status"] == "queued"
    assert outbox_dispatch() == {"sent": 1, "failed": 0}
    _subject, body, to = _mail_text(smtp_sink.messages[0])
    assert to == "zhang@example.cn" and "配件需从总部调货" in body and when in body
    entry.refresh_from_db()
    assert entry.data["delivery"]["status"] == "sent"
