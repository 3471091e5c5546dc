"""The outbox adapter for channel "email" (OUTBOX_ADAPTERS in herdesk.notifications.services).

`deliver` runs after the change that queued the mail was committed, outside any transaction (the
dispatcher's lease keeps other dispatchers off the row); it sends through Django's email backend
(SMTP in production, file/console in the demo), then records the delivery on the EmailMessage and
the timeline entry in one short transaction. Raising makes the dispatcher
retry with backoff; `failed` records each failed attempt. Every mail carries our Message-ID,
In-Reply-To/References for threading and X-Loop; automatic mail also Auto-Submitted: auto-replied
(RFC 3834) and X-Auto-Response-Suppress: All (no out-of-office replies to it).
"""

from __future__ import annotations

from email.utils import formataddr
from typing import Any

from django.core.mail import EmailMessage as DjangoEmail
from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone

from herdesk.customers.models import Contact, Customer
from herdesk.customers.selectors import contact_primary
from herdesk.tickets.services import interaction_delivery_record

from . import conf, selectors
from .choices import DeliveryStatus, EmailDirection
from .models import EmailMessage, Mailbox
from .services import delivery_record


class PermanentError(Exception):
    """The message cannot be sent as queued (no address): retrying will not help."""


def _recipient(recipient: str) -> str:
    kind, _sep, ref = (recipient or "").partition(":")
    if kind == "contact" and ref.isdigit():
        contact = Contact.objects.filter(pk=int(ref)).first()
        return contact.email if contact is not None else ""
    if kind == "customer" and ref.isdigit():
        customer = Customer.objects.filter(pk=int(ref)).first()
        contact = contact_primary(customer=customer, reachable_by="email") if customer else None
        return contact.email if contact is not None else ""
    return recipient if "@" in (recipient or "") else ""


def _email_row(message: Any) -> EmailMessage | None:
    email_id = (message.payload or {}).get("email_id")
    if email_id:
        return EmailMessage.objects.filter(pk=email_id).first()
    return None


def _mailbox(code: str) -> Mailbox | None:
    return (Mailbox.objects.filter(code=code).first() if code else None) or selectors.default_mailbox()


class EmailAdapter:
    @staticmethod
    def deliver(message: Any) -> None:
        p = message.payload or {}
        to = _recipient(message.recipient)
        if not to:
            raise PermanentError(f"no email address for {message.recipient!r}")
        mailbox = _mailbox(p.get("mailbox", ""))
        from_addr = mailbox.address if mailbox else conf.default_from()
        domain = from_addr.rpartition("@")[2] or "herdesk.local"
        row = _email_row(message)
        number = p.get("ticket") or (message.ticket.number if message.ticket_id else "")
        # Mail queued by other apps (e.g. the portal's acknowledgement) gets a stable Message-ID
        # from its outbox row, so a retried send keeps the same id.
        message_id = p.get("message_id") or f"<herdesk.outbox.{message.pk}@{domain}>"
        subject = p.get("subject") or number
        if number and number not in subject:
            subject = f"[{number}] {subject}"
        automatic = bool(p.get("automatic", message.template != "reply"))
        headers = {
            "Message-ID": message_id,
            "X-Loop": conf.loop_id(),
            "X-Herdesk-Ticket": number,
        }
        refs = [r for r in p.get("references", []) if r]
        if p.get("in_reply_to"):
            headers["In-Reply-To"] = p["in_reply_to"]
        headers["References"] = " ".join(refs or [message_id])
        if automatic:
            headers["Auto-Submitted"] = "auto-replied" if p.get("in_reply_to") else "auto-generated"
            headers["X-Auto-Response-Suppress"] = "All"
        name = mailbox.display_name if mailbox and mailbox.display_name else ""
        mail = DjangoEmail(
            subject=subject.replace("\n", " ")[:250],
            body=p.get("text", ""),
            from_email=formataddr((name, from_addr)) if name else from_addr,
            to=[to],
            headers={k: v for k, v in headers.items() if v},
            connection=get_connection(fail_silently=False),
        )
        for name in p.get("files", []):  # stored files named by the producer (e.g. a field service report)
            from django.core.files.storage import default_storage

            with default_storage.open(name, "rb") as fh:
                mail.attach(name.rsplit("/", 1)[-1], fh.read())
        mail.send(fail_silently=False)  # the network: the dispatcher calls us outside any transaction
        with transaction.atomic():  # the record of it, short
            if row is None and message.ticket_id:
                row = EmailMessage.objects.create(
                    direction=EmailDirection.OUTBOUND,
                    mailbox=mailbox,
                    ticket_id=message.ticket_id,
                    # A customer notice names its timeline entry: the delivery is recorded there.
                    interaction_id=p.get("interaction"),
                    outbox=message,
                    message_id=message_id,
                    from_addr=from_addr,
                    to_addrs=to,
                    subject=subject[:500],
                    sent_at=timezone.now(),
                    text=p.get("text", ""),
                    is_automatic=automatic,
                )
            if row is not None:
                if row.outbox_id is None:
                    EmailMessage.objects.filter(pk=row.pk).update(outbox=message)
                delivery_record(
                    email=row,
                    status=DeliveryStatus.SENT,
                    detail={"attempts": message.attempts + 1, "message_id": message_id},
                )

    @staticmethod
    def failed(message: Any, error: str, final: bool) -> None:
        row = _email_row(message)
        if row is None:
            if (message.payload or {}).get("interaction"):  # a customer notice: on its timeline entry
                interaction_delivery_record(
                    interaction_id=message.payload["interaction"],
                    status=DeliveryStatus.FAILED if final else DeliveryStatus.RETRYING,
                    attempts=message.attempts,
                    error=error[:500],
                )
            return
        delivery_record(
            email=row,
            status=DeliveryStatus.FAILED if final else DeliveryStatus.RETRYING,
            detail={
                "attempts": message.attempts,
                "error": error[:500],
                "next_attempt_at": None if final else message.next_attempt_at.isoformat(),
            },
        )
