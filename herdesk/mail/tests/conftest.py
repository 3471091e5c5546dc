"""Fixtures for the email channel: mailboxes, a delivery helper, Dovecot (IMAP) and an SMTP sink."""

from __future__ import annotations

import os
import uuid
from email.message import EmailMessage as PyEmail
from email.utils import format_datetime, make_msgid
from typing import Any

import pytest
from django.utils import timezone

from .servers import Dovecot, SinkHandler, dovecot_available, free_port


def make_mail(
    *,
    sender: str = "王小明 <wang@farm.example.cn>",
    to: str = "support@herdesk.example.cn",
    subject: str = "挤奶机故障",
    body: str = "您好，我们牧场的挤奶机昨天开始报警，请尽快安排工程师。",
    message_id: str | None = None,
    date: Any = None,
    headers: dict[str, str] | None = None,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
) -> bytes:
    msg = PyEmail()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or timezone.now())
    msg["Message-ID"] = message_id or make_msgid(idstring=uuid.uuid4().hex[:8], domain="farm.example.cn")
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for name, ctype, data in attachments or []:
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(msg)


@pytest.fixture
def mail():
    return make_mail


@pytest.fixture
def mailbox(reference):
    from herdesk.mail.services import mailbox_create

    return mailbox_create(code="support", address="support@herdesk.example.cn", display_name="牧服客服")


@pytest.fixture
def mailbox_secondary(reference):
    from herdesk.mail.services import mailbox_create

    return mailbox_create(code="sales", address="sales@herdesk.example.cn", kind="secondary")


@pytest.fixture
def deliver(mailbox):
    """Store and process one raw message as the pollers do; returns the ProcessResult."""
    from herdesk.inbound.services import payload_process, payload_store
    from herdesk.mail.parsing import identity

    def _deliver(raw: bytes, *, source: str | None = None, meta: dict[str, Any] | None = None) -> Any:
        mid, ck = identity(raw)
        stored = payload_store(
            channel="email",
            source=source or mailbox.code,
            raw=raw,
            external_id=mid,
            content_key=ck,
            meta=meta,
        )
        result = payload_process(payload_id=stored.payload.pk)
        result.stored = stored  # type: ignore[attr-defined]
        return result

    return _deliver


@pytest.fixture(scope="session")
def dovecot():
    if not dovecot_available():
        if os.environ.get("HERDESK_REQUIRE_SERVICES") == "1":
            pytest.fail("dovecot is required (apt-get install dovecot-imapd)")
        pytest.skip("needs Debian's dovecot-imapd (apt-get install dovecot-imapd)")
    server = Dovecot().start()
    yield server
    server.stop()


@pytest.fixture
def imap_mailbox(dovecot, reference):
    """A Mailbox polling its own fresh IMAP folder on the test Dovecot."""
    from herdesk.mail.services import mailbox_create

    folder = f"t{uuid.uuid4().hex[:10]}"
    with dovecot.client() as c:
        c.folder.create(folder)
    mb = mailbox_create(
        code="support",
        address="support@herdesk.example.cn",
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_user="support",
        imap_password="secret",
        imap_folder=folder,
        imap_ssl=False,
    )
    mb.test_folder = folder  # type: ignore[attr-defined]
    return mb


@pytest.fixture
def imap_append(dovecot):
    def _append(folder: str, raw: bytes, flags: tuple[str, ...] = ()) -> None:
        with dovecot.client() as c:
            c.append(raw, folder, flag_set=flags)

    return _append


@pytest.fixture
def smtp_sink(settings):
    """An aiosmtpd server collecting what our outbound adapter sends over real SMTP."""
    from aiosmtpd.controller import Controller

    handler = SinkHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), ready_timeout=10)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    yield handler
    controller.stop()
