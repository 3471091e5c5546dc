"""Showing an email safely (SEC-5): sanitised HTML in a sandboxed frame, downloads never inline,
visible only to whoever may see the ticket (SEC-3); mailboxes in the admin through the services."""

from __future__ import annotations

import pytest
from django.test import Client

from herdesk.mail.models import EmailAttachment, EmailMessage, Mailbox
from herdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


@pytest.fixture
def supervisor(staff):
    from herdesk.staff.models import User

    return User.objects.filter(groups__name="supervisor").first()


@pytest.fixture
def received(deliver, mail):
    raw = mail(
        html='<p>您好<script>alert("x")</script></p><p onclick="x()">报警</p>',
        attachments=[("照片.html", "text/html", b"<script>alert(1)</script>")],
    )
    r = deliver(raw)
    return EmailMessage.objects.get(payload_id=r.payload_id), raw


def test_email_page_shows_sanitised_html_in_a_sandbox(received, supervisor):
    em, _raw = received
    page = _client(supervisor).get(f"/channels/mail/{em.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'sandbox=""' in html and "srcdoc=" in html
    assert "<script" not in html.split("srcdoc=")[1].split(">")[0]  # escaped inside the attribute
    assert 'alert("x")' not in html and "onclick" not in html
    assert "挤奶机昨天开始报警" in html


def test_original_and_attachments_download_never_inline(received, supervisor):
    em, raw = received
    c = _client(supervisor)
    r = c.get(f"/channels/mail/{em.pk}/original")
    assert r.status_code == 200 and r.content == raw
    assert r["Content-Type"] == "application/octet-stream" and r["Content-Disposition"].startswith(
        "attachment"
    )
    att = EmailAttachment.objects.get(email=em)
    r = c.get(f"/channels/mail/attachments/{att.pk}")
    assert r.status_code == 200 and b"".join(r.streaming_content) == b"<script>alert(1)</script>"
    assert r["Content-Type"] == "application/octet-stream" and r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Disposition"].startswith("attachment")


def test_email_is_hidden_from_those_who_cannot_see_the_ticket(received, customer):
    from herdesk.staff.models import User

    em, _raw = received
    outsider = User.objects.create_user(username="outsider", password="x" * 12)  # staff without a team
    assert _client(outsider).get(f"/channels/mail/{em.pk}/").status_code == 404
    assert _client(outsider).get(f"/channels/mail/{em.pk}/original").status_code == 404
    portal_user = User.objects.create_user(username="cust", password="x" * 12, customer=customer)
    assert _client(portal_user).get(f"/channels/mail/{em.pk}/").status_code == 404
    assert Client().get(f"/channels/mail/{em.pk}/").status_code == 302  # sign in first


def test_mailbox_admin_goes_through_the_services(reference, django_user_model):
    from herdesk.audit.models import AuditEntry

    root = django_user_model.objects.create_superuser(username="root", password="x" * 12)
    c = _client(root)
    form = {
        "code": "support",
        "address": "Support@Herdesk.example.cn",
        "display_name": "客服",
        "kind": "primary",
        "imap_host": "imap.example.cn",
        "imap_port": "993",
        "imap_user": "support",
        "imap_password": "s3cret",
        "imap_folder": "INBOX",
        "imap_ssl": "on",
        "after_fetch": "seen",
        "move_to": "",
        "active": "on",
    }
    r = c.post("/admin/mail/mailbox/add/", form)
    assert r.status_code == 302, r.content.decode()[:2000]
    mb = Mailbox.objects.get()
    assert mb.address == "support@herdesk.example.cn" and mb.imap_password == "s3cret"
    form["imap_password"] = ""  # empty keeps the stored password
    form["kind"] = "secondary"
    r = c.post(f"/admin/mail/mailbox/{mb.pk}/change/", form)
    assert r.status_code == 302
    mb.refresh_from_db()
    assert mb.kind == "secondary" and mb.imap_password == "s3cret"
    assert list(AuditEntry.objects.filter(object_type="mailbox").values_list("action", flat=True)) == [
        "mail.mailbox_create",
        "mail.mailbox_update",
    ]
    page = c.get(f"/admin/mail/mailbox/{mb.pk}/change/")
    assert b"s3cret" not in page.content


def test_password_is_encrypted_at_rest(mailbox):
    from django.db import connection

    from herdesk.mail.services import mailbox_update

    mailbox_update(mailbox=mailbox, imap_host="imap.x", imap_user="u", imap_password="s3cret")
    with connection.cursor() as cur:
        cur.execute("SELECT imap_password FROM mail_mailbox WHERE id = %s", [mailbox.pk])
        stored = cur.fetchone()[0]
    assert stored.startswith("v1:") and "s3cret" not in stored


def test_mailbox_validation(reference):
    from django.core.exceptions import ValidationError

    from herdesk.mail.services import mailbox_create

    with pytest.raises(ValidationError) as exc:
        mailbox_create(code="x", address="not-an-address", after_fetch="move")
    assert {"address", "move_to"} <= set(exc.value.message_dict)
    assert not Ticket.objects.exists()


def test_metrics_providers(deliver, mail):
    """The gauges /metrics (herdesk.ops) collects from this channel."""
    from herdesk.inbound.selectors import inbound_metrics
    from herdesk.mail.selectors import mail_metrics

    deliver(mail())
    assert {g["labels"]["state"]: g["value"] for g in mail_metrics()} == {
        "pending": 1,
        "retrying": 0,
        "failed": 0,
    }
    assert any(g["name"] == "herdesk_inbound_backlog" and g["value"] == 0 for g in inbound_metrics())
