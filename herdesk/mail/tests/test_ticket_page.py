"""Email on the staff ticket page: each email entry links to the safely shown message (attachments,
original), our own mail shows its delivery status, a reply's quoted text is folded, and a progress
update "by email" is really sent (through the outbox), or refused when there is no address."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from herdesk.notifications.models import OutboxMessage
from herdesk.staff.models import User
from herdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(User.objects.get(username=username))
    return c


def test_email_entries_link_to_the_message_and_fold_the_quote(deliver, mail, staff) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    first = deliver(mail(attachments=[("报警照片.png", "image/png", png)], body="挤奶机报警 E12。"))
    t = Ticket.objects.get(number=first.ticket_number)
    deliver(
        mail(
            subject=f"Re: [{t.number}] 挤奶机故障",
            body="今天又报警了，请尽快。\n\n在 2026年11月23日，牧服客服 写道：\n"
            f"> 您好，已收到您的问题。\n> 工单号 {t.number}",
        )
    )
    html = _client("cs_lead").get(f"/tickets/{t.number}/").content.decode()
    assert html.count("打开邮件") >= 3  # the request, our acknowledgement, the reply
    assert "1 个附件" in html
    assert "显示引用的内容" in html and "今天又报警了" in html
    # The automatic acknowledgement is our own mail: its delivery status is shown.
    assert "已排队" in html
    # An update on an email ticket goes out by email unless the agent picks another way.
    assert re.search(r'name="progress-kind"[^>]*>.*?<option value="email" selected>', html, re.S)


def test_progress_update_by_email_is_sent_through_the_outbox(deliver, mail, staff) -> None:
    from herdesk.tickets import services as ts

    t = Ticket.objects.get(number=deliver(mail()).ticket_number)
    agent = User.objects.get(username="agent1")
    ts.ticket_triage(ticket=t, actor=agent, team=agent.team)
    ts.ticket_assign(ticket=t, actor=agent, assignee=agent)
    ts.ticket_acknowledge(ticket=t, actor=agent)
    before = OutboxMessage.objects.filter(dedupe_key__startswith="mail-reply:").count()
    r = _client("agent1").post(
        f"/tickets/{t.number}/do/progress/",
        {"progress-kind": "email", "progress-body": "工程师明天上午九点到场。"},
    )
    assert r.status_code in (302, 303), r.content[:500]
    out = OutboxMessage.objects.filter(dedupe_key__startswith="mail-reply:")
    assert out.count() == before + 1
    assert "工程师明天上午九点到场" in out.latest("id").payload["text"]
    t.refresh_from_db()
    assert t.first_response_at is not None


def test_progress_update_by_email_without_an_address_is_refused(other_customer, staff) -> None:
    from herdesk.tickets import services as ts

    agent = User.objects.get(username="agent1")
    t = ts.ticket_create(
        actor=agent, customer=other_customer, channel="phone", problem_type="product_inquiry", subject="咨询"
    )
    ts.ticket_triage(ticket=t, actor=agent, team=agent.team)
    ts.ticket_assign(ticket=t, actor=agent, assignee=agent)
    ts.ticket_acknowledge(ticket=t, actor=agent)
    r = _client("agent1").post(
        f"/tickets/{t.number}/do/progress/", {"progress-kind": "email", "progress-body": "进展"}
    )
    assert r.status_code == 400
    assert "此工单没有可回复的电子邮箱地址" in r.content.decode()
    assert not OutboxMessage.objects.filter(dedupe_key__startswith="mail-reply:").exists()
