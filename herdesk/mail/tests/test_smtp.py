"""Real SMTP both ways: smtplib → `herdesk smtpd` (aiosmtpd) in, our adapter → an aiosmtpd sink out."""

from __future__ import annotations

import email
import smtplib
import time
from email import policy

import pytest

from herdesk.inbound.models import InboundPayload
from herdesk.mail.models import EmailMessage
from herdesk.mail.tests.conftest import make_mail
from herdesk.notifications.models import OutboxMessage
from herdesk.notifications.services import outbox_dispatch
from herdesk.tickets.models import Ticket

from .servers import free_port


@pytest.fixture
def smtpd(transactional_db, reference):
    from herdesk.mail.services import mailbox_create
    from herdesk.mail.smtpd import SmtpServer

    mailbox_create(code="support", address="support@herdesk.example.cn")
    mailbox_create(code="sales", address="sales@herdesk.example.cn", kind="secondary")
    server = SmtpServer(host="127.0.0.1", port=free_port()).start()
    yield server
    server.stop()


def _send(server, raw: bytes, *, to: list[str], mail_from: str = "wang@farm.example.cn") -> dict:
    with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
        return client.sendmail(mail_from, to, raw)


def _wait(predicate, timeout: float = 10.0) -> None:
    from django.db import OperationalError

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OperationalError:  # SQLite's shared-cache test database: the worker is writing
            pass
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_smtp_round_trip(smtpd):
    """One server for the whole story (each test with a live server needs a flushed database):
    store → 250 → process; redelivery; one message for two mailboxes; a null sender; a stranger."""
    # 1. Stored and committed, then 250, then processed into a ticket with its acknowledgement.
    raw = make_mail()
    assert _send(smtpd, raw, to=["support@herdesk.example.cn"]) == {}
    p = InboundPayload.objects.get()
    assert p.meta["transport"] == "smtp" and p.meta["null_sender"] is False
    assert bytes(p.raw).replace(b"\r\n", b"\n").strip() == raw.replace(b"\r\n", b"\n").strip()
    _wait(lambda: Ticket.objects.exists())
    smtpd.wait_processed()
    t = Ticket.objects.get()
    assert t.channel == "email" and t.subject == "挤奶机故障"
    assert OutboxMessage.objects.filter(ticket=t, template="ticket_ack").count() == 1

    # 2. The same message again (a retrying sender): counted, nothing new.
    _send(smtpd, raw, to=["support@herdesk.example.cn"])
    _wait(lambda: InboundPayload.objects.get().deliveries == 2)
    assert Ticket.objects.count() == 1

    # 3. One delivery for two of our mailboxes: two raw copies, one ticket (INT-8).
    _send(smtpd, make_mail(subject="双收件人"), to=["support@herdesk.example.cn", "sales@herdesk.example.cn"])
    _wait(lambda: InboundPayload.objects.filter(state="processed").count() == 3)
    assert InboundPayload.objects.count() == 3
    assert Ticket.objects.filter(subject="双收件人").count() == 1

    # 4. A null envelope sender (a bounce): stored and processed, never answered (RFC 3834).
    _send(
        smtpd,
        make_mail(sender="someone@farm.example.cn", subject="空发件人"),
        to=["support@herdesk.example.cn"],
        mail_from="",
    )
    _wait(lambda: InboundPayload.objects.filter(state="processed").count() == 4)
    # meta is encrypted at rest (SEC-4): read back and picked in Python, not by a JSON lookup.
    (p,) = [x for x in InboundPayload.objects.all() if x.meta.get("null_sender")]
    assert p.result["ack"].startswith("suppressed")
    assert not OutboxMessage.objects.filter(ticket__subject="空发件人").exists()

    # 5. Not one of our addresses: refused (we are not a relay), nothing stored.
    with pytest.raises(smtplib.SMTPRecipientsRefused) as exc:
        _send(smtpd, make_mail(), to=["nobody@elsewhere.example"])
    assert exc.value.recipients["nobody@elsewhere.example"][0] == 550
    assert InboundPayload.objects.count() == 4


def test_storage_failure_answers_451_and_keeps_nothing_half_done(smtpd, monkeypatch):
    from herdesk.mail import smtpd as module

    def broken(**kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(module.inbound, "payload_store", broken)
    with pytest.raises(smtplib.SMTPDataError) as exc:
        _send(smtpd, make_mail(), to=["support@herdesk.example.cn"])
    assert exc.value.smtp_code == 451  # the sender keeps the message and retries
    monkeypatch.undo()
    assert _send(smtpd, make_mail(), to=["support@herdesk.example.cn"]) == {}


def test_null_sender_bounce_is_stored_and_never_answered(smtpd):
    _send(smtpd, make_mail(sender="someone@farm.example.cn"), to=["support@herdesk.example.cn"], mail_from="")
    _wait(lambda: InboundPayload.objects.filter(state="processed").exists())
    p = InboundPayload.objects.get()
    assert p.meta["null_sender"] is True
    assert p.result["ack"].startswith("suppressed")
    assert not OutboxMessage.objects.exists()


def test_redelivery_over_smtp_creates_nothing_twice(smtpd):
    raw = make_mail()
    _send(smtpd, raw, to=["support@herdesk.example.cn"])
    _wait(lambda: Ticket.objects.exists())
    _send(smtpd, raw, to=["support@herdesk.example.cn"])
    _wait(lambda: InboundPayload.objects.get().deliveries == 2)
    smtpd.wait_processed()
    assert Ticket.objects.count() == 1


# --- outbound -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_acknowledgement_goes_out_over_smtp_with_loop_headers(deliver, mail, smtp_sink):
    """INT-2 over real SMTP: our Message-ID, In-Reply-To/References to the customer's mail,
    Auto-Submitted: auto-replied, X-Loop, X-Auto-Response-Suppress; delivery recorded."""
    r = deliver(mail(message_id="<cust-1@farm.example.cn>"))
    assert outbox_dispatch() == {"sent": 1, "failed": 0}
    assert len(smtp_sink.messages) == 1
    got = smtp_sink.messages[0]
    assert got["rcpt_tos"] == ["wang@farm.example.cn"]
    msg = email.message_from_bytes(got["data"], policy=policy.default)
    assert r.ticket_number in msg["Subject"]
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Loop"] == "herdesk"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["In-Reply-To"] == "<cust-1@farm.example.cn>"
    assert "<cust-1@farm.example.cn>" in msg["References"]
    ack = EmailMessage.objects.get(direction="out")
    assert msg["Message-ID"].strip() == ack.message_id
    assert "support@herdesk.example.cn" in msg["From"]
    assert r.ticket_number in msg.get_body(("plain",)).get_content()
    ack.refresh_from_db()
    assert ack.delivery_status == "sent"
    assert ack.interaction.data["delivery"]["status"] == "sent"


@pytest.mark.django_db
def test_human_reply_is_not_marked_automatic(deliver, mail, smtp_sink, staff):
    from herdesk.mail.services import email_reply_send
    from herdesk.staff.models import User

    r = deliver(mail())
    t = Ticket.objects.get(number=r.ticket_number)
    email_reply_send(ticket=t, actor=User.objects.get(username="agent1"), body="工程师明天到。")
    outbox_dispatch()
    replies = [
        email.message_from_bytes(m["data"], policy=policy.default)
        for m in smtp_sink.messages
        if b"Auto-Submitted" not in m["data"]
    ]
    assert len(replies) == 1
    assert replies[0]["X-Loop"] == "herdesk" and replies[0]["References"]


@pytest.mark.django_db
def test_failed_delivery_is_retried_and_recorded(deliver, mail, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    r = deliver(mail())
    assert outbox_dispatch() == {"sent": 0, "failed": 1}
    out = OutboxMessage.objects.get(ticket__number=r.ticket_number)
    assert out.status == "pending" and out.attempts == 1 and out.last_error
    ack = EmailMessage.objects.get(direction="out")
    assert ack.delivery_status == "retrying"
    assert ack.interaction.data["delivery"]["status"] == "retrying"


@pytest.mark.django_db
def test_portal_style_outbox_email_is_delivered_too(customer, smtp_sink):
    """Other apps queue channel "email" with recipient contact:<pk> (the portal's acknowledgement):
    the adapter resolves the address and gives the mail a stable Message-ID."""
    from herdesk.notifications.services import outbox_enqueue_many
    from herdesk.tickets.services import ticket_create

    t = ticket_create(
        actor=None, customer=customer, channel="portal", problem_type="product_inquiry", subject="门户"
    )
    contact = customer.contacts.get()
    outbox_enqueue_many(
        [
            {
                "dedupe_key": "portal-ack:x",
                "channel": "email",
                "recipient": f"contact:{contact.pk}",
                "template": "ticket_ack",
                "ticket_id": t.pk,
                "payload": {"subject": "We have received your request", "text": "hello"},
            }
        ]
    )
    assert outbox_dispatch()["sent"] == 1
    msg = email.message_from_bytes(smtp_sink.messages[0]["data"], policy=policy.default)
    assert smtp_sink.messages[0]["rcpt_tos"] == ["zhang@example.cn"]
    mid = msg["Message-ID"].strip()
    assert t.number in msg["Subject"] and mid.startswith("<herdesk.outbox.")
    # Replies to it thread back into the ticket.
    assert EmailMessage.objects.filter(direction="out", ticket=t, message_id=mid).exists()
