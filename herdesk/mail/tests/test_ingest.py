"""From a stored email to a ticket or an interaction (INT-1, INT-2, INT-8, HND-6, CLS-1)."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import pytest
from django.utils import timezone

from herdesk.inbound.models import InboundPayload
from herdesk.mail.models import EmailAttachment, EmailMessage
from herdesk.notifications.models import OutboxMessage
from herdesk.tickets.models import Interaction, Ticket

pytestmark = pytest.mark.django_db


def _ack(ticket: Ticket) -> Interaction | None:
    return ticket.interactions.filter(direction="outbound", is_automatic=True).first()


def test_new_mail_becomes_ticket_with_acknowledgement(deliver, mail):
    """INT-1/INT-2: official mailbox → primary channel; the sender gets an automatic
    acknowledgement with the number and the expected time, which does not stop the clock."""
    sent = timezone.now() - timedelta(minutes=3)
    r = deliver(mail(date=sent))
    assert r.state == "processed" and r.outcome == "ticket_created"
    t = Ticket.objects.get(number=r.ticket_number)
    assert t.channel == "email"
    assert t.subject == "挤奶机故障"
    assert "挤奶机昨天开始报警" in t.description
    assert abs((t.received_at - sent).total_seconds()) < 1
    assert t.customer.name == "王小明"
    assert t.contact is not None and t.contact.email == "wang@farm.example.cn"
    ack = _ack(t)
    assert ack is not None and t.number in ack.body
    fr = t.clocks.get(kind="first_response")
    assert fr.state == "running" and t.first_response_at is None
    assert fr.target in ack.body or "30" in ack.body
    out = OutboxMessage.objects.get(ticket=t, channel="email")
    assert out.recipient == f"contact:{t.contact.pk}" and out.template == "ticket_ack"
    assert out.payload["automatic"] is True and t.number in out.payload["subject"]
    assert out.payload["in_reply_to"].startswith("<")


def test_secondary_mailbox_is_secondary_channel(deliver, mail, mailbox_secondary):
    """S1 §二(二)1: non-work mailboxes are a secondary channel (2 working hours)."""
    r = deliver(mail(to="sales@herdesk.example.cn"), source="sales")
    t = Ticket.objects.get(number=r.ticket_number)
    assert t.channel == "email_other"
    assert t.clocks.get(kind="first_response").target != "30m"


def test_future_date_is_clamped_to_now(deliver, mail):
    r = deliver(mail(date=timezone.now() + timedelta(days=2)))
    t = Ticket.objects.get(number=r.ticket_number)
    assert t.received_at <= timezone.now()
    assert (timezone.now() - t.received_at).total_seconds() < 60


def test_reply_with_number_in_subject_is_threaded(deliver, mail):
    first = deliver(mail())
    r = deliver(mail(subject=f"Re: 挤奶机故障 [{first.ticket_number}]", body="补充：报警代码 E42。"))
    assert r.outcome == "interaction_added" and r.ticket_number == first.ticket_number
    t = Ticket.objects.get(number=first.ticket_number)
    assert t.interactions.filter(direction="inbound", body__contains="E42").exists()
    assert Ticket.objects.count() == 1
    # No second acknowledgement for a reply.
    assert t.interactions.filter(direction="outbound", is_automatic=True).count() == 1


def test_full_width_brackets_thread_too(deliver, mail):
    first = deliver(mail())
    r = deliver(mail(subject=f"回复：【{first.ticket_number}】挤奶机故障", body="好的"))
    assert r.ticket_number == first.ticket_number


def test_reply_to_our_acknowledgement_threads_by_in_reply_to(deliver, mail):
    first = deliver(mail())
    ack = EmailMessage.objects.get(direction="out", ticket__number=first.ticket_number)
    r = deliver(mail(subject="Re: 收到", body="谢谢", headers={"In-Reply-To": ack.message_id}))
    assert r.ticket_number == first.ticket_number


def test_reply_threads_by_references_to_the_customers_own_message(deliver, mail):
    first = deliver(mail(message_id="<orig-1@farm.example.cn>"))
    r = deliver(
        mail(subject="又坏了", body="again", headers={"References": "<unknown@x> <orig-1@farm.example.cn>"})
    )
    assert r.ticket_number == first.ticket_number


def test_reply_to_a_merged_ticket_joins_the_survivor(deliver, mail, staff):
    """INT-8: the thread is followed through a merge; the survivor (not the ticket read and locked
    as a candidate) gets the message and its own row lock."""
    from herdesk.staff.models import User
    from herdesk.tickets.services import ticket_merge

    first = deliver(mail(message_id="<merged-1@farm.example.cn>"))
    second = deliver(mail(subject="冷链车温度异常"))
    a, b = Ticket.objects.get(number=first.ticket_number), Ticket.objects.get(number=second.ticket_number)
    ticket_merge(ticket=a, into=b, actor=User.objects.get(username="agent1"))
    r = deliver(
        mail(
            subject="Re: 挤奶机故障", body="合并后补充", headers={"In-Reply-To": "<merged-1@farm.example.cn>"}
        )
    )
    assert r.outcome == "interaction_added" and r.ticket_number == b.number
    assert b.interactions.filter(body="合并后补充", direction="inbound").exists()
    assert not a.interactions.filter(body="合并后补充").exists()


def test_stranger_quoting_a_ticket_number_gets_a_new_ticket(deliver, mail):
    """Threading is authorised: a sender who is not a contact of the ticket's customer or
    organisation cannot write into it (SEC-3)."""
    first = deliver(mail())
    r = deliver(mail(sender="attacker@evil.example", subject=f"Re: [{first.ticket_number}]", body="hi"))
    assert r.outcome == "ticket_created" and r.ticket_number != first.ticket_number
    payload = InboundPayload.objects.get(pk=r.payload_id)
    assert payload.result["refused_threads"] == [first.ticket_number]
    assert not Ticket.objects.get(number=first.ticket_number).interactions.filter(body="hi").exists()


def test_colleague_of_same_organisation_may_write(deliver, mail, customer):
    from herdesk.customers.services import customer_create

    customer_create(name="同事", organisation=customer.organisation, email="colleague@farm.example.cn")
    first = deliver(mail(sender="张三 <zhang@example.cn>"))
    assert Ticket.objects.get(number=first.ticket_number).customer == customer
    r = deliver(
        mail(sender="colleague@farm.example.cn", subject=f"Re: [{first.ticket_number}]", body="我来补充")
    )
    assert r.ticket_number == first.ticket_number


def test_known_sender_is_found_by_blind_index(deliver, mail, customer):
    r = deliver(mail(sender="ZHANG@Example.CN"))
    assert Ticket.objects.get(number=r.ticket_number).customer == customer


def test_reply_to_resolved_ticket_reopens_it(deliver, mail, staff):
    """CLS-1: a customer reply to a resolved ticket reopens it."""
    from herdesk.staff.models import User
    from herdesk.tickets import services as s

    first = deliver(mail())
    t = Ticket.objects.get(number=first.ticket_number)
    agent = User.objects.get(username="agent1")
    s.ticket_triage(ticket=t, actor=agent, team=agent.team)
    s.ticket_assign(ticket=t, actor=agent, assignee=agent)
    s.ticket_acknowledge(ticket=t, actor=agent)
    s.ticket_resolve(ticket=t, actor=agent, verification_method="customer_confirmation")
    deliver(mail(subject=f"Re: [{t.number}]", body="还是不行"))
    t.refresh_from_db()
    assert t.status == "in_progress" and t.reopen_count == 1


def test_human_reply_stops_first_response_clock_and_threads(deliver, mail, staff):
    """INT-2: the automatic acknowledgement does not stop the clock; the first human reply does."""
    from herdesk.mail.services import email_reply_send
    from herdesk.staff.models import User

    first = deliver(mail())
    t = Ticket.objects.get(number=first.ticket_number)
    assert t.clocks.get(kind="first_response").state == "running"
    agent = User.objects.get(username="agent1")
    interaction = email_reply_send(ticket=t, actor=agent, body="您好，工程师明天上午到场。")
    t.refresh_from_db()
    assert t.first_response_at is not None
    assert t.clocks.get(kind="first_response").state == "met"
    assert interaction.is_automatic is False and interaction.data["delivery"]["status"] == "queued"
    out = OutboxMessage.objects.get(dedupe_key__startswith="mail-reply:")
    inbound = EmailMessage.objects.get(direction="in", ticket=t)
    assert out.payload["in_reply_to"] == inbound.message_id
    assert out.payload["automatic"] is False
    # The customer's answer to our reply threads back by In-Reply-To.
    r = deliver(mail(subject="Re: 好的", body="收到", headers={"In-Reply-To": out.payload["message_id"]}))
    assert r.ticket_number == t.number


def test_reply_refused_without_email_address(other_customer, staff):
    from django.core.exceptions import ValidationError

    from herdesk.mail.services import email_reply_send
    from herdesk.staff.models import User
    from herdesk.tickets.services import ticket_create

    t = ticket_create(
        actor=None, customer=other_customer, channel="phone", problem_type="product_inquiry", subject="咨询"
    )
    with pytest.raises(ValidationError):
        email_reply_send(ticket=t, actor=User.objects.get(username="agent1"), body="x")


def test_reply_to_a_phone_ticket_goes_to_the_customers_address(customer, staff):
    """No email on the ticket yet: the customer's own address (primary contact) is answered."""
    from herdesk.mail.services import email_reply_send
    from herdesk.staff.models import User
    from herdesk.tickets.services import ticket_create

    t = ticket_create(
        actor=None, customer=customer, channel="phone", problem_type="product_inquiry", subject="电话咨询"
    )
    email_reply_send(ticket=t, actor=User.objects.get(username="agent1"), body="您好，说明书已发您邮箱。")
    out = OutboxMessage.objects.get(dedupe_key__startswith="mail-reply:")
    assert out.recipient == f"contact:{customer.contacts.get().pk}"


def test_same_message_to_two_mailboxes_is_one_ticket(deliver, mail, mailbox_secondary):
    """INT-8: To: support@ and Cc: sales@ (both ours) deliver one message twice."""
    raw = mail(to="support@herdesk.example.cn", headers={"Cc": "sales@herdesk.example.cn"})
    a = deliver(raw, source="support")
    b = deliver(raw, source="sales")
    assert a.outcome == "ticket_created" and b.outcome == "already_on_ticket"
    assert b.ticket_number == a.ticket_number
    assert Ticket.objects.count() == 1
    assert InboundPayload.objects.count() == 2  # both raw copies kept


def test_redelivery_creates_nothing_twice(deliver, mail):
    raw = mail()
    first = deliver(raw)
    again = deliver(raw)
    assert again.state == "processed" and again.payload_id == first.payload_id
    p = InboundPayload.objects.get(pk=first.payload_id)
    assert p.deliveries == 2 and p.duplicate_count == 1
    assert Ticket.objects.count() == 1 and Interaction.objects.filter(direction="inbound").count() == 1
    assert OutboxMessage.objects.count() == 1


def test_relayed_copy_with_other_headers_is_a_duplicate(deliver, mail):
    raw = mail()
    first = deliver(raw)
    relayed = b"Received: from relay2.example by mx.example; Mon, 1 Jan 2024 00:00:00 +0000\r\n" + raw
    again = deliver(relayed)
    assert again.state == "duplicate"
    assert InboundPayload.objects.count() == 2  # the other bytes are kept too
    assert InboundPayload.objects.get(pk=first.payload_id).duplicate_count == 1
    assert Ticket.objects.count() == 1


def test_reused_message_id_with_other_content_goes_to_quarantine(deliver, mail, admin_user):
    from herdesk.inbound.services import payload_reprocess

    deliver(mail(message_id="<same@x>", body="第一封"))
    r = deliver(mail(message_id="<same@x>", body="完全不同的第二封", subject="另一件事"))
    assert r.state == "quarantined" and r.reason_code == "id_reused"
    # An administrator decides it is a message of its own: reprocessing makes a ticket of it.
    again = payload_reprocess(payload=InboundPayload.objects.get(pk=r.payload_id), actor=admin_user)
    assert again.state == "processed" and again.outcome == "ticket_created"
    assert Ticket.objects.count() == 2


def test_attachments_are_stored_under_media_inbound(deliver, mail, settings):
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    r = deliver(
        mail(
            attachments=[
                ("../../etc/照片.png", "image/png", png),
                ("run.exe", "application/octet-stream", b"MZ"),
            ]
        )
    )
    em = EmailMessage.objects.get(payload_id=r.payload_id)
    atts = {a.filename: a for a in EmailAttachment.objects.filter(email=em)}
    assert set(atts) == {"照片.png", "run.exe"}
    for a in atts.values():
        assert a.storage_path.startswith("inbound/")
        path = settings.MEDIA_ROOT / a.storage_path
        assert path.is_file() and not (path.stat().st_mode & 0o111)  # never executable
    assert (settings.MEDIA_ROOT / atts["照片.png"].storage_path).read_bytes() == png


def test_attachment_over_limit_is_kept_only_in_the_raw_message(deliver, mail, settings):
    settings.HERDESK_MAIL_ATTACHMENT_MAX_BYTES = 1000
    r = deliver(mail(attachments=[("big.pdf", "application/pdf", b"%PDF" + b"x" * 5000)]))
    a = EmailAttachment.objects.get(email__payload_id=r.payload_id)
    assert a.storage_path == "" and "larger" in a.skipped_reason and a.size == 5004


def test_html_only_mail_is_sanitised_and_converted(deliver, mail):
    raw = mail(
        body="",
        html='<p>您好<script>alert(1)</script></p><img src="http://track.example/p.gif">'
        '<a href="javascript:alert(1)" onclick="x()">链接</a><p>第二段</p>',
    )
    r = deliver(raw)
    em = EmailMessage.objects.get(payload_id=r.payload_id)
    assert "<script" not in em.html_safe and "onclick" not in em.html_safe
    assert "javascript:" not in em.html_safe and "track.example" not in em.html_safe
    assert "您好" in em.text and "第二段" in em.text


def test_mail_without_sender_is_quarantined_with_reason(deliver):
    raw = b"To: support@herdesk.example.cn\r\nSubject: hello\r\nMessage-ID: <nofrom@x>\r\n\r\nbody\r\n"
    r = deliver(raw)
    assert r.state == "quarantined" and r.reason_code == "no_sender"
    p = InboundPayload.objects.get(pk=r.payload_id)
    assert bytes(p.raw) == raw and p.reason


def test_not_an_email_is_quarantined(deliver):
    r = deliver(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200)
    assert r.state == "quarantined" and r.reason_code == "parse_error"


def test_empty_payload_is_quarantined(deliver):
    r = deliver(b"")
    assert r.state == "quarantined" and r.reason_code == "empty"


def test_unknown_mailbox_is_quarantined(deliver, mail):
    r = deliver(mail(), source="nosuchbox")
    assert r.state == "quarantined" and r.reason_code == "unknown_source"


def test_old_date_header_is_not_trusted(deliver, mail):
    r = deliver(mail(date=timezone.now() - timedelta(days=400)))
    t = Ticket.objects.get(number=r.ticket_number)
    assert (timezone.now() - t.received_at).total_seconds() < 60


def test_date_header_in_other_zone(deliver, mail):
    from datetime import datetime
    from datetime import timezone as dt_tz

    sent = timezone.now().astimezone(dt_tz(timedelta(hours=-5))) - timedelta(minutes=10)
    raw = mail(date=sent)
    r = deliver(raw)
    t = Ticket.objects.get(number=r.ticket_number)
    assert abs((t.received_at - sent).total_seconds()) < 1
    assert format_datetime(sent)  # sanity: the header was written with its offset
    assert isinstance(t.received_at, datetime)


def test_batched_processing_keeps_every_guarantee(mail, mailbox, monkeypatch, staff):
    """payloads_process_pending as the pollers run it (one transaction per batch, shared search
    index, policy and audit work at its end): each email still gets its ticket, acknowledgement in
    the outbox, running first-response clock, audit entry and search document; a bad one is
    quarantined without losing the others; the audit chain verifies."""
    from herdesk.audit.models import AuditEntry
    from herdesk.audit.services import audit_verify
    from herdesk.clocks.models import Clock
    from herdesk.inbound import services as inbound
    from herdesk.inbound.models import InboundPayload
    from herdesk.mail.parsing import identity
    from herdesk.notifications.models import OutboxMessage
    from herdesk.search.selectors import ticket_search

    monkeypatch.setattr(inbound, "BATCH_SECONDS", 60.0)  # the whole backlog in one batch
    first = mail(sender="王先生 <wang@farm1.example.cn>", subject="挤奶机报警", body="报警代码 E17")
    raws = [
        first,
        mail(sender="李女士 <li@farm2.example.cn>", subject="冷链车温度异常", body="车厢温度 9 度"),
        mail(
            sender="王先生 <wang@farm1.example.cn>",
            subject="补充",
            body="设备编号 SN42",
            headers={"In-Reply-To": identity(first)[0]},
        ),
        b"Subject: no sender\r\n\r\nbody",
        mail(sender="赵经理 <zhao@farm3.example.cn>", subject="灌装机故障", body="急"),
    ]
    inbound.payload_store_many(
        channel="email",
        source=mailbox.code,
        items=[{"raw": r, "external_id": identity(r)[0], "content_key": identity(r)[1]} for r in raws],
    )
    counts = inbound.payloads_process_pending(channel="email")
    assert counts == {"processed": 4, "quarantined": 1}
    rows = list(InboundPayload.objects.order_by("id"))
    assert [p.result.get("outcome", p.state) for p in rows] == [
        "ticket_created",
        "ticket_created",
        "interaction_added",
        "quarantined",
        "ticket_created",
    ]
    tickets = [p.ticket for p in rows if p.result.get("outcome") == "ticket_created" and p.ticket]
    assert rows[2].ticket_id == rows[0].ticket_id  # threaded by In-Reply-To within the same batch
    for t in tickets:
        assert OutboxMessage.objects.filter(ticket_id=t.pk, template="ticket_ack").count() == 1
        assert Clock.objects.filter(ticket=t, kind="first_response", state="running").exists()
        assert AuditEntry.objects.filter(action="ticket.create", object_id=t.number).count() == 1
    assert audit_verify().ok
    lead = staff["cs_lead"]
    assert [r.number for r in ticket_search(user=lead, q="冷链车温度").tickets] == [tickets[1].number]
    assert [r.number for r in ticket_search(user=lead, q="SN42").tickets] == [tickets[0].number]  # the reply


def test_batch_falls_back_to_one_by_one_when_shared_work_fails(mail, mailbox, monkeypatch, staff):
    """If the batch's shared search indexing fails, the batch rolls back and its emails are
    processed again one per transaction (indexed one by one): nothing is lost or doubled."""
    from herdesk.inbound import services as inbound
    from herdesk.mail.parsing import identity
    from herdesk.search import services as search
    from herdesk.search.selectors import ticket_search
    from herdesk.tickets.models import Ticket

    def broken(*args, **kwargs):
        raise RuntimeError("index down")

    monkeypatch.setattr(search, "search_index_bulk", broken)
    raws = [
        mail(sender=f"客户{i} <c{i}@farm.example.cn>", subject=f"饲料车{i}号故障", body="请处理")
        for i in range(3)
    ]
    inbound.payload_store_many(
        channel="email",
        source=mailbox.code,
        items=[{"raw": r, "external_id": identity(r)[0], "content_key": identity(r)[1]} for r in raws],
    )
    assert inbound.payloads_process_pending(channel="email") == {"processed": 3}
    assert Ticket.objects.count() == 3
    assert len(ticket_search(user=staff["cs_lead"], q="饲料车").tickets) == 3


def test_new_mail_reads_back_nothing_it_has_just_written(deliver, mail):
    """Issue #5 hot path: a new sender's email becomes a ticket without reading back its own rows —
    the contact comes from customer_create_detailed, the clocks are one multi-row INSERT, the
    acknowledgement does not re-read (re-lock) the ticket created in the same transaction, and one
    query answers both INT-8 and threading. Guards against regressions to a read per write."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        r = deliver(mail(sender="新客户 <fresh@farm9.example.cn>", subject="冷链车温度异常"))
    assert r.outcome == "ticket_created"
    sqls = [q["sql"] for q in ctx.captured_queries]

    def count(prefix: str) -> int:
        return sum(1 for s in sqls if s.startswith(prefix))

    def reads(table: str) -> int:  # the ORM's queries and the hot path's plain SQL alike
        return sum(1 for s in sqls if s.startswith("SELECT") and f'FROM "{table}"' in s.split(" WHERE ")[0])

    # The ticket row itself (a lock/re-read); the search document's own join query is another thing.
    assert count('SELECT "tickets_ticket"."id", "tickets_ticket"."number"') == 0
    assert count('SELECT t."id", t."number"') == 0  # nor the threading candidates' read
    assert reads("customers_contact") == 1  # the blind-index look-up of the sender
    assert count('INSERT INTO "clocks_clock"') == 1
    assert reads("mail_emailmessage") == 1
    t = Ticket.objects.get(number=r.ticket_number)
    assert t.clocks.filter(kind="first_response", cycle=1, state="running").count() == 1
    ack = _ack(t)
    assert ack is not None and t.number in ack.body
