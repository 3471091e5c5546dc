"""A progress update "by SMS" or "by WeChat" in the workspace is sent, not only recorded (HND-6):
on the timeline and in the outbox in one transaction, delivered after commit by the channel's
adapter, its delivery shown on the ticket page; without a number or openid it is refused."""

from __future__ import annotations

import pytest
from django.test import Client

from herdesk.notifications.models import OutboxMessage
from herdesk.notifications.services import outbox_dispatch
from herdesk.sms import backends
from herdesk.staff.models import User
from herdesk.tickets import services as ts

pytestmark = pytest.mark.django_db


def _ticket(customer, agent):
    t = ts.ticket_create(
        actor=agent, customer=customer, channel="phone", problem_type="product_inquiry", subject="冲调问题"
    )
    ts.ticket_triage(ticket=t, actor=agent, team=agent.team)
    ts.ticket_assign(ticket=t, actor=agent, assignee=agent)
    ts.ticket_acknowledge(ticket=t, actor=agent)
    return t


def _post(ticket, kind: str, body: str):
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(User.objects.get(username="agent1"))
    return c, c.post(f"/tickets/{ticket.number}/do/progress/", {"progress-kind": kind, "progress-body": body})


def test_progress_by_sms_is_texted_after_commit_and_its_delivery_shown(customer, staff, settings) -> None:
    settings.HERDESK_SMS_BACKEND = "herdesk.sms.backends.LocmemBackend"
    backends.outbox.clear()
    t = _ticket(customer, staff["agent1"])
    c, r = _post(t, "sms", "工程师明天上午九点到场。")
    assert r.status_code in (302, 303), r.content[:300]
    row = OutboxMessage.objects.get(channel="sms")
    assert row.recipient == f"contact:{customer.contacts.get().pk}"  # the number stays encrypted
    assert "13812348000" not in str(row.payload) and not backends.outbox  # nothing sent in the request
    outbox_dispatch()
    assert [(m.phone, m.text, m.purpose) for m in backends.outbox] == [
        ("+8613812348000", "工程师明天上午九点到场。", "ticket_progress")
    ]
    entry = t.interactions.get(kind="sms")
    assert entry.is_public and entry.direction == "outbound" and entry.data["delivery"]["status"] == "sent"
    assert "已发送" in c.get(f"/tickets/{t.number}/").content.decode()


def test_a_refused_text_is_marked_for_retry_on_its_entry(customer, staff, settings) -> None:
    settings.HERDESK_SMS_BACKEND = "herdesk.sms.backends.FailingBackend"
    t = _ticket(customer, staff["agent1"])
    _c, _r = _post(t, "sms", "进展：配件已发出。")
    outbox_dispatch()
    entry = t.interactions.get(kind="sms")
    assert entry.data["delivery"]["status"] == "retrying" and entry.data["delivery"]["error"]
    assert OutboxMessage.objects.get(channel="sms").attempts == 1


def test_progress_by_sms_without_a_phone_number_is_refused(staff, reference) -> None:
    from herdesk.customers.services import customer_create

    nobody = customer_create(name="王五", email="wang5@example.cn")
    t = _ticket(nobody, staff["agent1"])
    _c, r = _post(t, "sms", "进展")
    assert r.status_code == 400 and "没有可发送短信的手机号" in r.content.decode()
    assert not OutboxMessage.objects.filter(channel="sms").exists()
    assert not t.interactions.filter(kind="sms").exists()


def test_progress_by_wechat_goes_to_the_wechat_outbox(staff, reference) -> None:
    from herdesk.customers.services import customer_create

    fan = customer_create(name="微信用户", wechat_openid="o6_bmjrPTlm6_2sgVt7hMZOPfL2M")
    t = _ticket(fan, staff["agent1"])
    _c, r = _post(t, "wechat", "您好，配件已发出。")
    assert r.status_code in (302, 303), r.content[:300]
    row = OutboxMessage.objects.get(channel="wechat")
    assert row.recipient == "o6_bmjrPTlm6_2sgVt7hMZOPfL2M" and row.payload["text"] == "您好，配件已发出。"
    _c, r = _post(t, "sms", "x")
    assert r.status_code == 400  # no phone number either
