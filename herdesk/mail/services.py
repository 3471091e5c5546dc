"""Every write of the email channel: mailboxes, polling, acknowledgements, replies, delivery status.

Outbound mail is never sent here: it is an outbox row written in the caller's transaction with its
timeline entry and its EmailMessage (our Message-ID, for threading replies); the dispatcher sends
it later through `herdesk.mail.outbound.EmailAdapter` (DESIGN: side effects after commit).
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.common.rowsql import rows_insert
from herdesk.customers.selectors import contact_primary
from herdesk.inbound import services as inbound
from herdesk.inbound.models import InboundSource
from herdesk.inbound.selectors import acknowledgement_estimate, acknowledgement_text
from herdesk.notifications.services import outbox_enqueue_many
from herdesk.tickets.choices import Direction, InteractionKind
from herdesk.tickets.services import interaction_add, interaction_delivery_record

from . import conf, imap, selectors
from .choices import CHANNEL, AfterFetch, DeliveryStatus, EmailDirection, MailboxKind
from .models import AutoReplyCounter, EmailMessage, Mailbox
from .parsing import identity

log = logging.getLogger(__name__)

MAILBOX_FIELDS = (
    "address",
    "display_name",
    "kind",
    "imap_host",
    "imap_port",
    "imap_user",
    "imap_password",
    "imap_folder",
    "imap_ssl",
    "after_fetch",
    "move_to",
    "active",
)


# --- mailboxes -------------------------------------------------------------------------------------


def _mailbox_check(mb: Mailbox) -> None:
    mb.address = (mb.address or "").strip().lower()
    errors: dict[str, str] = {}
    if mb.kind not in MailboxKind.values:
        errors["kind"] = _("“%(value)s” is not one of: %(choices)s.") % {
            "value": str(mb.kind)[:20],
            "choices": ", ".join(MailboxKind.values),
        }
    if mb.after_fetch == AfterFetch.MOVE and not mb.move_to.strip():
        errors["move_to"] = _("Name the folder to move fetched mail to.")
    if mb.imap_host and not mb.imap_user:
        errors["imap_user"] = _("This field is required.")
    try:
        mb.full_clean()
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, " ".join(messages))
    if errors:
        raise ValidationError(errors)


def _register(mb: Mailbox) -> None:
    selectors.mailboxes_cache_clear()
    inbound.source_register(
        channel=CHANNEL,
        code=mb.code,
        label=mb.address,
        poll_interval_seconds=conf.poll_interval_seconds() if mb.polls else None,
        active=mb.active,
    )


@transaction.atomic
def mailbox_create(*, code: str, address: str, actor: Any = None, **fields: Any) -> Mailbox:
    """Create a mailbox (the IMAP password is encrypted at rest, SEC-1) and its health row.
    Audited without the password. Raises ValidationError keyed by field."""
    unknown = set(fields) - set(MAILBOX_FIELDS)
    if unknown:
        raise TypeError(f"unknown mailbox fields: {sorted(unknown)}")
    mb = Mailbox(code=code, address=address, **fields)
    _mailbox_check(mb)
    mb.save()
    _register(mb)
    audit_record(
        actor=actor,
        action="mail.mailbox_create",
        object_type="mailbox",
        object_id=mb.code,
        data={"address": mb.address, "kind": mb.kind, "imap_host": mb.imap_host},
    )
    return mb


@transaction.atomic
def mailbox_update(*, mailbox: Mailbox, actor: Any = None, **changes: Any) -> Mailbox:
    """Change a mailbox; an empty `imap_password` keeps the stored one. Audited (field names only)."""
    unknown = set(changes) - set(MAILBOX_FIELDS)
    if unknown:
        raise TypeError(f"unknown mailbox fields: {sorted(unknown)}")
    mb = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
    if changes.get("imap_password") == "":
        changes.pop("imap_password")
    for name, value in changes.items():
        setattr(mb, name, value)
    _mailbox_check(mb)
    mb.save()
    _register(mb)
    audit_record(
        actor=actor,
        action="mail.mailbox_update",
        object_type="mailbox",
        object_id=mb.code,
        data={"changed": sorted(changes)},
    )
    return mb


# --- automatic replies (INT-2, RFC 3834) ------------------------------------------------------------


def autoreply_allow(*, key: str, now: datetime | None = None) -> bool:
    """Count one automatic reply to the recipient with blind index `key` today (local date);
    False once HERDESK_MAIL_AUTOREPLY_DAILY_CAP is reached (a loop cannot flood anybody).
    One statement, no read: insert the day's row with 1, or increment it while under the cap
    (INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING, SQLite ≥ 3.35 and PostgreSQL; row-locking,
    so concurrent workers cannot both take the last slot). Runs in the caller's transaction."""
    cap = conf.autoreply_daily_cap()
    if cap <= 0:
        return False
    day = timezone.localdate(now or timezone.now())
    qn = connection.ops.quote_name
    table = qn(AutoReplyCounter._meta.db_table)
    key_col, day_col, count_col = qn("key"), qn("day"), qn("count")
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} ({key_col}, {day_col}, {count_col}) VALUES (%s, %s, 1) "
            f"ON CONFLICT ({key_col}, {day_col}) DO UPDATE SET {count_col} = {table}.{count_col} + 1 "
            f"WHERE {table}.{count_col} < %s RETURNING {count_col}",
            [key, connection.ops.adapt_datefield_value(day), cap],
        )
        return cur.fetchone() is not None


def _domain(mailbox: Mailbox | None) -> str:
    address = mailbox.address if mailbox else conf.default_from()
    domain = address.rpartition("@")[2].strip("> ")
    return domain or "herdesk.local"


def _subject_with_number(subject: str, number: str) -> str:
    subject = " ".join((subject or "").split())
    return subject if number in subject else f"[{number}] {subject}".strip()


def _queue_email(
    *,
    ticket: Any,
    contact: Any,
    mailbox: Mailbox | None,
    subject: str,
    text: str,
    automatic: bool,
    actor: Any,
    reply_to: EmailMessage | None,
    dedupe_key: str,
    template: str,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
    ticket_locked: bool = False,
) -> tuple[Any, EmailMessage]:
    """Timeline entry + EmailMessage (our Message-ID) + outbox row, all in the caller's
    transaction. An automatic message does not stop the first-response clock (is_automatic).
    `ticket_locked`: the caller created or locked `ticket` in this transaction (see interaction_add)."""

    at = at or timezone.now()
    mailbox = mailbox or selectors.default_mailbox()
    # Short enough not to be folded (some clients mangle a folded Message-ID), unique, and naming
    # the ticket for whoever reads raw headers.
    message_id = f"<{ticket.number.lower()}.{uuid.uuid4().hex[:20]}@{_domain(mailbox)}>"
    references: list[str] = []
    in_reply_to = ""
    if reply_to is not None and reply_to.message_id:
        references = [*reply_to.references.split(), reply_to.message_id][-20:]
        in_reply_to = reply_to.message_id
    subject = _subject_with_number(subject, ticket.number)[:500]
    interaction = interaction_add(
        ticket=ticket,
        actor=actor,
        body=text,
        kind=InteractionKind.EMAIL,
        direction=Direction.OUTBOUND,
        channel=ticket.channel,
        is_public=True,
        is_automatic=automatic,
        occurred_at=at,
        locked=ticket_locked,
        savepoint=False,  # part of the caller's change: its own atomic block isolates it
        data={
            **(data or {}),
            "message_id": message_id,
            "subject": subject[:200],
            "delivery": {"status": DeliveryStatus.QUEUED, "at": at.isoformat()},
        },
    )
    em = EmailMessage(
        direction=EmailDirection.OUTBOUND,
        mailbox=mailbox,
        ticket=ticket,
        interaction=interaction,
        contact=contact,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=" ".join(references),
        from_addr=mailbox.address if mailbox else conf.default_from(),
        to_addrs=contact.email if contact is not None else "",
        subject=subject,
        sent_at=at,
        text=text,
        new_part_end=len(text),
        is_automatic=automatic,
        delivery_status=DeliveryStatus.QUEUED,
        delivery={"status": DeliveryStatus.QUEUED, "at": at.isoformat()},
    )
    rows_insert([em])  # every acknowledgement: no INSERT compilation per row
    outbox_enqueue_many(
        [
            {
                "dedupe_key": dedupe_key,
                "channel": CHANNEL,
                "recipient": f"contact:{contact.pk}",
                "template": template,
                "ticket_id": ticket.pk,
                "payload": {
                    "subject": subject,
                    "text": text,
                    "message_id": message_id,
                    "in_reply_to": in_reply_to,
                    "references": references,
                    "automatic": automatic,
                    "interaction_id": interaction.pk,
                    "email_id": em.pk,
                    "mailbox": mailbox.code if mailbox else "",
                    "ticket": ticket.number,
                },
            }
        ]
    )
    return interaction, em


def _in_customer_language(build: Any) -> str:
    """Customer mail is written in the site language (Chinese first), followed by English."""
    with translation.override(settings.LANGUAGE_CODE):
        text = build()
    if not settings.LANGUAGE_CODE.startswith("en"):
        with translation.override("en"):
            english = build()
        if english != text:
            text = f"{text}\n\n-----\n\n{english}"
    return str(text)


def acknowledge(
    *,
    ticket: Any,
    contact: Any,
    inbound: EmailMessage,
    mailbox: Mailbox,
    parsed: Any,
    created: bool,
    oversized_notice: bool,
    payload_id: int,
    clocks: list[Any] | None = None,
) -> str:
    """INT-2: the sender of a new request gets its number and the expected handling time (from the
    ticket's own first-response clock); an oversized email gets a polite notice. Never to
    automatic/bulk/list mail nor past the daily cap (RFC 3834). Returns what was done.
    `clocks`: every clock of a ticket just created (saves reading them back)."""
    if parsed.suppress_auto_reply:
        return "suppressed: " + ", ".join(parsed.auto_reasons)
    if not contact.email_bidx or not autoreply_allow(key=contact.email_bidx):
        return "capped"
    estimate = acknowledgement_estimate(ticket=ticket, clocks=clocks)
    tag = f"[{ticket.number}]"

    def build() -> str:
        parts = []
        if created:
            parts.append(acknowledgement_text(ticket=ticket, estimate=estimate))
        if oversized_notice:
            parts.append(
                _(
                    "Your email was larger than %(limit)s MB, so we could not open its attachments "
                    "automatically. We have kept it and a colleague will look at it; if it is urgent, "
                    "please send large files in several smaller emails."
                )
                % {"limit": f"{conf.max_bytes() / 1048576:.0f}"}
            )
        parts.append(
            _("Please keep %(tag)s in the subject when you reply, so that your message joins this request.")
            % {"tag": tag}
        )
        parts.append(_("This is an automatic message."))
        return "\n\n".join(parts)

    def build_subject() -> str:
        head = _("We have received your request") if created else _("About your email")
        return f"{head}: {parsed.subject[:150]}" if parsed.subject else str(head)

    with translation.override(settings.LANGUAGE_CODE):
        subject = build_subject()
    _queue_email(
        ticket=ticket,
        contact=contact,
        mailbox=mailbox,
        subject=subject,
        text=_in_customer_language(build),
        automatic=True,
        actor=None,
        reply_to=inbound,
        dedupe_key=f"mail-ack:{payload_id}",
        template="ticket_ack" if created else "oversized_notice",
        data={"auto_ack": created, "oversized_notice": oversized_notice, **estimate.as_data()},
        # A new ticket was created by this transaction a moment ago: no second read of its row.
        ticket_locked=created,
    )
    return "queued"


@transaction.atomic
def email_reply_send(*, ticket: Any, actor: Any, body: str, at: datetime | None = None) -> Any:
    """A handler's reply by email (HND-6): on the timeline as a human outbound message, which stops
    the first-response clock (INT-2), threaded to the customer's last email, queued in the outbox.

    Locks the ticket (through interaction_add). Raises ValidationError when the ticket has no email
    address to answer or the body is empty.
    """

    if actor is None or getattr(actor, "customer_id", None):
        raise ValidationError({"actor": _("Only staff can reply by email.")})
    if not (body or "").strip():
        raise ValidationError({"body": _("This field is required.")})
    last = selectors.latest_inbound(ticket=ticket)
    contact = last.contact if last is not None and last.contact_id else ticket.contact
    if contact is None or not contact.email_bidx:
        # A ticket that came by phone or chat: the customer's own address (primary contact first).
        contact = contact_primary(customer=ticket.customer, reachable_by="email")
    if contact is None:
        raise ValidationError({"to": _("This ticket has no email address to reply to.")})
    interaction, _em = _queue_email(
        ticket=ticket,
        contact=contact,
        mailbox=last.mailbox if last is not None else None,
        subject=f"Re: {ticket.subject}",
        text=body.strip(),
        automatic=False,
        actor=actor,
        reply_to=last,
        dedupe_key=f"mail-reply:{uuid.uuid4().hex}",
        template="reply",
        at=at,
    )
    return interaction


# --- delivery status ---------------------------------------------------------------------------------


def delivery_record(*, email: EmailMessage, status: str, detail: dict[str, Any] | None = None) -> None:
    """Record an outbound email's delivery on its EmailMessage and on its timeline entry
    (`tickets.services.interaction_delivery_record`). Runs in the caller's transaction; locks the
    interaction."""

    now = timezone.now()
    info = {"status": status, "at": now.isoformat(), **(detail or {})}
    EmailMessage.objects.filter(pk=email.pk).update(delivery_status=status, delivery=info)
    if email.interaction_id:
        interaction_delivery_record(
            interaction_id=email.interaction_id, status=status, at=now, **(detail or {})
        )


# --- polling (IMAP) ----------------------------------------------------------------------------------


@dataclass
class PollResult:
    mailbox: str
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)
    processed: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def mail_poll(*, mailbox: Mailbox, limit: int | None = None) -> PollResult:
    """Fetch unseen mail of one mailbox: for each message, store the raw bytes (committed) and only
    then flag it \\Seen / move / delete it on the server; then process what is pending.

    A crash between the commit and the flag means the server offers the message again: the store
    recognises it (exactly once). A message that cannot be stored is left unseen and reported; the
    rest of the batch goes on. Records the poll on the source's health row. Must not be called
    inside a transaction (each store commits).
    """

    started = time.monotonic()
    result = PollResult(mailbox=mailbox.code)
    try:
        for chunk, finish in imap.fetch_unseen(mailbox, limit=limit or conf.poll_batch()):
            result.fetched += len(chunk)
            items: list[dict[str, Any]] = []
            for item in chunk:
                message_id, content_key = _identity(item.raw)
                items.append(
                    {
                        "raw": item.raw,
                        "external_id": message_id,
                        "content_key": content_key,
                        "meta": {"imap_uid": item.uid, "folder": mailbox.imap_folder, "transport": "imap"},
                    }
                )
            stored_uids = []
            try:
                # One durable commit for the chunk, before anything is parsed or flagged.
                results = inbound.payload_store_many(channel=CHANNEL, source=mailbox.code, items=items)
                stored_uids = [item.uid for item in chunk]
            except Exception:
                results = []
                for item, fields in zip(chunk, items, strict=True):
                    try:  # store one by one; a message that cannot be stored stays unseen
                        results.append(inbound.payload_store(channel=CHANNEL, source=mailbox.code, **fields))
                        stored_uids.append(item.uid)
                    except Exception as exc:
                        log.exception("mailbox %s: uid %s not stored", mailbox.code, item.uid)
                        result.errors.append(f"uid {item.uid}: {exc.__class__.__name__}: {exc}"[:300])
            result.stored += sum(r.created for r in results)
            result.duplicates += sum(r.duplicate for r in results)
            finish(stored_uids)  # only now: \Seen / move / delete
        if result.errors:
            inbound.source_poll_failed(channel=CHANNEL, code=mailbox.code, error=result.errors[0])
        else:
            inbound.source_poll_succeeded(channel=CHANNEL, code=mailbox.code, fetched=result.fetched)
    except Exception as exc:
        log.warning("mailbox %s: poll failed: %s", mailbox.code, exc)
        result.errors.append(f"{exc.__class__.__name__}: {exc}"[:500])
        inbound.source_poll_failed(channel=CHANNEL, code=mailbox.code, error=result.errors[-1])
    # Also after a failed fetch: what earlier runs stored is processed (a kill skips this; the
    # next run does it).
    result.processed = inbound.payloads_process_pending(channel=CHANNEL, source=mailbox.code)
    result.seconds = round(time.monotonic() - started, 3)
    return result


def _identity(raw: bytes) -> tuple[str, str]:
    try:
        return identity(raw)
    except Exception:  # unreadable headers: dedupe on the bytes; the handler will quarantine it
        return "", ""


def mail_poll_all(*, force: bool = False) -> dict[str, Any]:
    """Poll every active IMAP mailbox (scheduler thread, Celery beat, `herdesk mail poll`) and process
    the backlog of the others (SMTP-fed). Without `force`, a mailbox polled less than
    HERDESK_MAIL_POLL_INTERVAL_SECONDS ago is skipped (the scheduler ticks more often)."""

    now = timezone.now()
    interval = conf.poll_interval_seconds()
    last = dict(InboundSource.objects.filter(channel=CHANNEL).values_list("code", "last_attempt_at"))
    out: dict[str, Any] = {}
    for mb in selectors.mailboxes_active():
        if not mb.polls:
            out[mb.code] = {"processed": inbound.payloads_process_pending(channel=CHANNEL, source=mb.code)}
            continue
        at = last.get(mb.code)
        if not force and at is not None and (now - at).total_seconds() < interval - 1:
            continue
        r = mail_poll(mailbox=mb)
        out[mb.code] = {
            "fetched": r.fetched,
            "stored": r.stored,
            "duplicates": r.duplicates,
            "errors": r.errors,
            "processed": r.processed,
        }
    return out
