"""Loop and auto-reply protection (RFC 3834), bounces, the daily cap and oversized mail."""

from __future__ import annotations

import pytest

from herdesk.inbound.models import InboundPayload
from herdesk.mail.models import EmailMessage
from herdesk.notifications.models import OutboxMessage
from herdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("headers", "sender", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, None, "auto-submitted"),
        ({"Auto-Submitted": "auto-generated; type=ooo"}, None, "auto-submitted"),
        ({"Precedence": "bulk"}, None, "precedence"),
        ({"Precedence": "junk"}, None, "precedence"),
        ({"Precedence": "list"}, None, "precedence"),
        ({"X-Auto-Response-Suppress": "OOF, AutoReply"}, None, "x-auto-response-suppress"),
        ({"X-Autoreply": "yes"}, None, "x-autoreply"),
        ({"Return-Path": "<>"}, None, "empty-return-path"),
        ({"List-Id": "<farmers.lists.example>"}, None, "mailing-list"),
        ({}, "MAILER-DAEMON@mx.example", "system-sender"),
        ({}, "postmaster@farm.example.cn", "system-sender"),
        ({}, "noreply@shop.example", "system-sender"),
    ],
)
def test_automatic_mail_is_stored_but_never_answered(deliver, mail, headers, sender, reason):
    raw = mail(headers=headers, **({"sender": sender} if sender else {}))
    r = deliver(raw)
    assert r.state == "processed"  # stored and recorded, not lost
    t = Ticket.objects.get(number=r.ticket_number)
    assert not t.interactions.filter(direction="outbound").exists()
    assert not OutboxMessage.objects.exists()
    p = InboundPayload.objects.get(pk=r.payload_id)
    assert reason in p.result["auto"] and p.result["ack"].startswith("suppressed")


def test_auto_submitted_no_is_answered(deliver, mail):
    r = deliver(mail(headers={"Auto-Submitted": "no"}))
    assert OutboxMessage.objects.filter(ticket__number=r.ticket_number).count() == 1


def test_null_envelope_sender_over_smtp_is_not_answered(deliver, mail):
    r = deliver(mail(), meta={"transport": "smtp", "null_sender": True})
    assert InboundPayload.objects.get(pk=r.payload_id).result["ack"].startswith("suppressed")
    assert not OutboxMessage.objects.exists()


def test_out_of_office_reply_is_recorded_internally_without_reopening(deliver, mail):
    first = deliver(mail())
    t = Ticket.objects.get(number=first.ticket_number)
    ack = EmailMessage.objects.get(direction="out", ticket=t)
    r = deliver(
        mail(
            subject="自动回复: 已收到",
            body="我正在休假",
            headers={"Auto-Submitted": "auto-replied", "In-Reply-To": ack.message_id},
        )
    )
    assert r.ticket_number == t.number
    entry = t.interactions.get(body__contains="我正在休假")
    assert entry.direction == "internal" and entry.is_public is False
    assert OutboxMessage.objects.count() == 1  # only the first acknowledgement


def test_daily_cap_on_automatic_replies(deliver, mail, settings):
    settings.HERDESK_MAIL_AUTOREPLY_DAILY_CAP = 5
    for i in range(7):
        deliver(mail(subject=f"问题 {i}", body=f"第 {i} 个问题"))
    assert Ticket.objects.count() == 7
    assert OutboxMessage.objects.filter(template="ticket_ack").count() == 5
    capped = InboundPayload.objects.filter(result__ack="capped").count()
    assert capped == 2


def test_our_own_mail_coming_back_is_quarantined_as_loop(deliver, mail):
    r = deliver(mail(headers={"X-Loop": "herdesk"}))
    assert r.state == "quarantined" and r.reason_code == "loop"
    r2 = deliver(mail(sender="support@herdesk.example.cn"))
    assert r2.state == "quarantined" and r2.reason_code == "loop"
    assert not Ticket.objects.exists() and not OutboxMessage.objects.exists()
    assert InboundPayload.objects.count() == 2


def _dsn(original_id: str, *, action: str = "failed", status: str = "5.1.1") -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.farm.example.cn>\r\n"
        "To: support@herdesk.example.cn\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@mx.farm.example.cn>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nThis is the mail system. I'm sorry.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.farm.example.cn\r\n\r\n"
        "Final-Recipient: rfc822; wang@farm.example.cn\r\n"
        f"Action: {action}\r\nStatus: {status}\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: support@herdesk.example.cn\r\nMessage-ID: {original_id}\r\nSubject: x\r\n"
        "--B--\r\n"
    ).encode()


def test_bounce_attaches_to_the_ticket_it_bounces_from(deliver, mail):
    first = deliver(mail())
    t = Ticket.objects.get(number=first.ticket_number)
    ack = EmailMessage.objects.get(direction="out", ticket=t)
    r = deliver(_dsn(ack.message_id))
    assert r.state == "processed" and r.outcome == "bounce_attached" and r.ticket_number == t.number
    ack.refresh_from_db()
    assert ack.delivery_status == "bounced"
    assert ack.interaction.data["delivery"]["status"] == "bounced"
    assert "5.1.1" in ack.interaction.data["delivery"]["diagnostic"]
    note = t.interactions.get(data__report="delivery-status")
    assert note.direction == "internal" and not note.is_public
    assert OutboxMessage.objects.count() == 1  # never answer a bounce
    t.refresh_from_db()
    assert t.status == "new"  # a bounce is not the customer's reply


def test_delay_notice_marks_delayed(deliver, mail):
    first = deliver(mail())
    ack = EmailMessage.objects.get(direction="out", ticket__number=first.ticket_number)
    deliver(_dsn(ack.message_id, action="delayed", status="4.4.1"))
    ack.refresh_from_db()
    assert ack.delivery_status == "delayed"


def test_bounce_of_unknown_message_is_quarantined(deliver):
    r = deliver(_dsn("<never-sent@herdesk.example.cn>"))
    assert r.state == "quarantined" and r.reason_code == "bounce_unmatched"
    assert not Ticket.objects.exists()


def test_oversized_mail_is_kept_and_answered_politely(deliver, mail, settings):
    settings.HERDESK_MAIL_MAX_BYTES = 2000
    big = mail(attachments=[("scan.pdf", "application/pdf", b"%PDF" + b"x" * 5000)])
    r = deliver(big)
    assert r.state == "processed" and r.outcome == "ticket_created"
    p = InboundPayload.objects.get(pk=r.payload_id)
    assert bytes(p.raw) == big and p.result["oversized"] is True
    t = Ticket.objects.get(number=r.ticket_number)
    assert t.subject == "挤奶机故障"
    assert "MB" in t.description
    em = EmailMessage.objects.get(payload=p)
    assert em.oversized and not em.attachments.exists()
    out = OutboxMessage.objects.get(ticket=t)
    assert "MB" in out.payload["text"] and t.number in out.payload["text"]


def test_oversized_reply_on_existing_ticket_gets_a_notice(deliver, mail, settings):
    first = deliver(mail())
    settings.HERDESK_MAIL_MAX_BYTES = 2000
    r = deliver(mail(subject=f"Re: [{first.ticket_number}]", body="见附件" + "x" * 3000))
    assert r.outcome == "interaction_added"
    assert OutboxMessage.objects.filter(template="oversized_notice").count() == 1
