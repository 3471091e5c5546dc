"""The inbound handler for "email" payloads: raw message → ticket or interaction (or quarantine).

Called by `herdesk.inbound.services.payload_process` inside the payload's transaction, so the
ticket, the EmailMessage row, the acknowledgement and its outbox row commit together with the
payload's `processed` mark — or not at all.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.common.rowsql import row_columns, row_instance, rows_insert
from herdesk.inbound.choices import Outcome, ReasonCode
from herdesk.inbound.errors import Quarantine
from herdesk.inbound.messages import HandlerResult, InboundMessage
from herdesk.inbound.models import InboundPayload
from herdesk.inbound.services import inbound_route, sender_resolve
from herdesk.tickets.choices import Channel, Direction, InteractionKind
from herdesk.tickets.models import Ticket
from herdesk.tickets.services import interaction_add

from . import conf, parsing, selectors, services
from .choices import EmailDirection, MailboxKind
from .models import EmailAttachment, EmailMessage, Mailbox
from .parsing import Attachment, ParsedEmail


def _channel(mailbox: Mailbox) -> str:
    # S1 §二(二)1: the official mailbox is primary (30 min); other mailboxes secondary (2 working h).
    return Channel.EMAIL if mailbox.kind == MailboxKind.PRIMARY else Channel.EMAIL_OTHER


def _plan_attachments(attachments: list[Attachment]) -> list[tuple[Attachment, str, str]]:
    """(attachment, safe name, reason it is not stored as a file or "")."""
    limit = conf.attachment_max_bytes()
    plan = []
    for i, att in enumerate(attachments):
        reason = ""
        if i >= conf.attachments_per_message():
            reason = "too many attachments in one message"
        elif len(att.data) > limit:
            reason = f"larger than {limit // (1024 * 1024)} MB"
        elif not att.data:
            reason = "empty"
        plan.append((att, parsing.clean_filename(att.filename)[:200], reason))
    return plan


def _store_attachments(email_row: EmailMessage, plan: list[tuple[Attachment, str, str]]) -> None:
    """Write each file under MEDIA_ROOT/inbound/YYYY/MM/<random> (never the sender's name, never
    executable, outside the web root). Files over the limit stay only inside the raw message."""
    if not plan:
        return
    root = Path(settings.MEDIA_ROOT).resolve()
    now = timezone.now()
    rows = []
    for att, name, reason in plan:
        row = EmailAttachment(
            email=email_row,
            filename=name,
            content_type=att.content_type,
            size=len(att.data),
            content_id=att.content_id,
            is_inline=att.is_inline,
            skipped_reason=reason,
        )
        if not reason:
            rel = Path("inbound") / f"{now:%Y}" / f"{now:%m}" / uuid.uuid4().hex
            target = (root / rel).resolve()
            if root not in target.parents:  # defence in depth: our own path, but never outside
                row.skipped_reason = "unsafe path"
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "xb") as fh:
                    fh.write(att.data)
                target.chmod(0o640)
                row.storage_path = str(rel)
                row.sha256 = hashlib.sha256(att.data).hexdigest()
        rows.append(row)
    EmailAttachment.objects.bulk_create(rows)


# (pk, message_id, ticket_id, direction) of stored emails.
Known = list[tuple[int, str, int, str]]


def _known_emails(parsed: ParsedEmail, refs: list[str]) -> Known:
    """(pk, message_id, ticket_id, direction), oldest first, of the emails on a ticket whose
    Message-ID is this message's own (INT-8: delivered to two of our mailboxes) or one it refers to
    (threading): both questions in one query, as every email asks them."""
    ids = list(dict.fromkeys([*refs, parsed.message_id] if parsed.message_id else refs))
    if not ids:
        return []
    # Plain SQL: asked for every email, and the ORM's compilation of this query cost ten times
    # its execution (the same query as filter(message_id__in=ids, ticket__isnull=False)).
    qn = connection.ops.quote_name
    sql = (
        f"SELECT {qn('id')}, {qn('message_id')}, {qn('ticket_id')}, {qn('direction')} "
        f"FROM {qn(EmailMessage._meta.db_table)} WHERE {qn('message_id')} IN "
        f"({', '.join(['%s'] * len(ids))}) AND {qn('ticket_id')} IS NOT NULL ORDER BY {qn('id')}"
    )
    with connection.cursor() as cur:
        cur.execute(sql, ids)
        return [tuple(row) for row in cur.fetchall()]


def _references(parsed: ParsedEmail) -> list[str]:
    """In-Reply-To, then References newest first, without repeats."""
    return list(dict.fromkeys([*parsed.in_reply_to, *reversed(parsed.references)]))


def _thread_candidates(parsed: ParsedEmail, known: Known | None = None) -> list[Any]:
    """Ticket number in the subject first, then In-Reply-To, then References (newest first),
    matched against the Message-IDs of the mail we received and sent (`known`: `_known_emails`,
    already read by the caller).

    The tickets are read with SELECT … FOR UPDATE (in id order, where the database has it; on
    SQLite the processing transaction already holds the write lock), so the one the message joins
    is already locked and fresh for `interaction_add` (`inbound_route(candidates_locked=True)`)."""

    numbers = selectors.ticket_numbers_in(parsed.subject)
    refs = _references(parsed)
    ticket_ids: dict[str, int] = {}
    if refs:
        wanted = set(refs)
        for _pk, mid, tid, _direction in known if known is not None else _known_emails(parsed, refs):
            if mid in wanted:
                ticket_ids.setdefault(mid, tid)
    if not numbers and not ticket_ids:
        return []
    # Plain SQL (row_instance gives the same Ticket instances as the ORM): asked for every reply,
    # and compiling the ORM query cost many times running it. A merged ticket's survivor is read
    # by inbound_route when it follows the merge (rare).
    qn = connection.ops.quote_name
    where: list[str] = []
    params: list[Any] = []
    if numbers:
        where.append(f"t.{qn('number')} IN ({', '.join(['%s'] * len(numbers))})")
        params += numbers
    ids = list(dict.fromkeys(ticket_ids.values()))
    if ids:
        where.append(f"t.{qn('id')} IN ({', '.join(['%s'] * len(ids))})")
        params += ids
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = (
        f"SELECT {row_columns(Ticket, 't')} FROM {qn(Ticket._meta.db_table)} t "
        f"WHERE {' OR '.join(where)} ORDER BY t.{qn('id')}{lock}"
    )
    with connection.cursor() as cur:
        cur.execute(sql, params)
        found = [row_instance(Ticket, row) for row in cur.fetchall()]
    by_number = {t.number: t for t in found}
    by_id = {t.pk: t for t in found}
    return [by_number[n] for n in numbers if n in by_number] + [
        by_id[ticket_ids[r]] for r in refs if r in ticket_ids
    ]


def _attach_report(
    payload: InboundPayload, mailbox: Mailbox, parsed: ParsedEmail, received: Any
) -> HandlerResult:
    """A bounce, delay notice, read receipt or spam complaint about mail we sent: an internal
    entry on that ticket and the delivery status on the original message; else quarantine."""

    report = parsed.report
    assert report is not None
    original = (
        EmailMessage.objects.filter(
            direction=EmailDirection.OUTBOUND, message_id__in=report.original_ids, ticket__isnull=False
        )
        .select_related("ticket")
        .order_by("-id")
        .first()
    )
    if original is None:
        raise Quarantine(
            ReasonCode.BOUNCE_UNMATCHED,
            _("A %(type)s report about a message we did not send (or no longer know): %(diag)s")
            % {"type": report.report_type, "diag": report.diagnostic or parsed.subject[:200]},
        )
    ticket = original.ticket
    assert ticket is not None  # filtered on ticket__isnull=False
    labels = {
        "bounced": _("Email could not be delivered"),
        "delayed": _("Email delivery is delayed"),
        "delivered": _("Email was delivered"),
        "displayed": _("Email was read"),
        "complained": _("The recipient marked our email as spam"),
    }
    body = f"{labels.get(report.status, report.status)}: {parsed.subject}"
    if report.diagnostic:
        body += f"\n{report.diagnostic}"
    interaction = interaction_add(
        ticket=ticket,
        actor=None,
        body=body,
        kind=InteractionKind.EMAIL,
        direction=Direction.INTERNAL,
        channel=ticket.channel,
        is_public=False,
        occurred_at=received,
        data={
            "payload": payload.pk,
            "message_id": parsed.message_id,
            "report": report.report_type,
            "status": report.status,
            "of": original.message_id,
        },
    )
    em = _email_row(payload, mailbox, parsed, ticket=ticket, contact=None, interaction=interaction)
    services.delivery_record(
        email=original,
        status=report.status,
        detail={
            "report": payload.pk,
            "diagnostic": report.diagnostic,
            "recipient_matches": bool(report.recipient),
        },
    )
    return HandlerResult(
        outcome=Outcome.BOUNCE_ATTACHED,
        ticket=ticket,
        interaction=interaction,
        detail={"email": em.pk, "status": report.status, "of": original.message_id},
    )


def _email_row(
    payload: InboundPayload,
    mailbox: Mailbox,
    parsed: ParsedEmail,
    *,
    ticket: Any,
    contact: Any,
    interaction: Any = None,
) -> EmailMessage:
    em = EmailMessage(
        direction=EmailDirection.INBOUND,
        mailbox=mailbox,
        payload=payload,
        ticket=ticket,
        interaction=interaction,
        contact=contact,
        message_id=parsed.message_id,
        in_reply_to=(parsed.in_reply_to or [""])[0],
        references=" ".join(parsed.references),
        from_addr=parsed.from_addr,
        to_addrs=", ".join(parsed.to),
        cc_addrs=", ".join(parsed.cc),
        subject=parsed.subject,
        sent_at=parsed.date,
        text=parsed.text,
        new_part_end=parsed.new_part_end,
        html_safe=parsed.html_safe,
        auto_reasons=parsed.auto_reasons,
        notes=parsed.notes[:20],
        is_automatic=parsed.automatic,
        oversized=parsed.headers_only,
    )
    rows_insert([em])  # one per email: no INSERT compilation per row
    return em


def _oversized_text(payload: InboundPayload) -> str:
    return _(
        "This email is %(size)s MB, larger than the %(limit)s MB we unpack. It is kept unchanged; "
        "download the original to read it and its attachments."
    ) % {"size": f"{payload.size / 1048576:.1f}", "limit": f"{conf.max_bytes() / 1048576:.0f}"}


def process_payload(payload: InboundPayload) -> HandlerResult:
    """Parse, check for loops and reports, find the sender and the thread, then create the ticket
    or add the interaction; acknowledge new tickets (INT-2) unless RFC 3834 forbids it."""
    mailbox = selectors.mailbox_get(payload.source)
    if mailbox is None:
        raise Quarantine(
            ReasonCode.UNKNOWN_SOURCE, _("No mailbox with the code “%(code)s”.") % {"code": payload.source}
        )
    raw = bytes(payload.raw)
    oversized = len(raw) > conf.max_bytes()
    # SMTP deliveries record whether the envelope sender was empty (<>): a bounce (RFC 3834).
    envelope_from = "" if payload.meta.get("null_sender") else None
    try:
        parsed = parsing.parse_email(raw, envelope_from=envelope_from, headers_only=oversized)
    except Exception as exc:
        raise Quarantine(
            ReasonCode.PARSE_ERROR,
            _("This is not a readable email message: %(error)s") % {"error": str(exc)[:300]},
        )
    ours = selectors.our_addresses()
    loop = conf.loop_id()
    if any(loop in v or any(a in v for a in ours) for v in parsed.x_loop):
        raise Quarantine(
            ReasonCode.LOOP, _("Our own email came back (X-Loop): not answered, to stop a mail loop.")
        )
    if parsed.from_addr and parsed.from_addr in ours:
        raise Quarantine(
            ReasonCode.LOOP,
            _("The sender %(addr)s is one of our own mailboxes: not answered, to stop a mail loop.")
            % {"addr": parsed.from_addr},
        )
    now = timezone.now()
    received = parsing.clamp_received(
        parsed.date, stored_at=payload.received_at, now=now, max_past_days=conf.max_past_days()
    )
    if parsed.report is not None:
        return _attach_report(payload, mailbox, parsed, received)
    if not parsed.from_addr:
        raise Quarantine(ReasonCode.NO_SENDER, _("The email has no usable sender address (From)."))
    known = _known_emails(parsed, _references(parsed))
    if parsed.message_id and not payload.duplicate_of_id:
        # INT-8: the same message delivered to two of our mailboxes (To + Cc) is one request.
        prior = next(
            (
                (pk, tid)
                for pk, mid, tid, direction in known
                if mid == parsed.message_id and direction == EmailDirection.INBOUND
            ),
            None,
        )
        if prior is not None:
            return HandlerResult(
                outcome=Outcome.ALREADY_ON_TICKET,
                ticket=Ticket.objects.get(pk=prior[1]),
                detail={"email": prior[0]},
            )
    try:
        sender = sender_resolve(email=parsed.from_addr, name=parsed.from_name)
    except ValidationError as exc:
        raise Quarantine(
            ReasonCode.NO_SENDER,
            _("The sender address cannot be used: %(error)s") % {"error": " ".join(exc.messages)[:200]},
        )
    body = parsed.text.strip()
    # Where the quoted part starts, in `body` (which lost the text's leading blanks).
    new_end = max(0, parsed.new_part_end - (len(parsed.text) - len(parsed.text.lstrip())))
    if oversized:
        body = _oversized_text(payload)
    elif not body and parsed.attachments:
        body = _("(no text; %(n)d attachments)") % {"n": len(parsed.attachments)}
    plan = [] if oversized else _plan_attachments(parsed.attachments)
    data = {
        "payload": payload.pk,
        "message_id": parsed.message_id,
        "subject": parsed.subject[:200],
        "mailbox": mailbox.code,
        "new_part_end": min(new_end, len(body)),
        "has_html": bool(parsed.html_safe),
        "attachments": [
            {"name": name, "size": len(att.data), "stored": not reason} for att, name, reason in plan
        ],
        "auto": parsed.auto_reasons,
        "oversized": oversized,
    }
    routed = inbound_route(
        message=InboundMessage(
            channel=_channel(mailbox),
            interaction_kind=InteractionKind.EMAIL,
            sender=sender,
            body=body,
            subject=parsed.subject,
            received_at=received,
            external_id=parsed.message_id,
            automatic=parsed.automatic,
            data=data,
        ),
        candidates=_thread_candidates(parsed, known),
        candidates_locked=True,
    )
    em = _email_row(
        payload, mailbox, parsed, ticket=routed.ticket, contact=sender.contact, interaction=routed.interaction
    )
    _store_attachments(em, plan)
    ack = ""
    if (routed.created or oversized) and sender.contact is not None:
        ack = services.acknowledge(
            ticket=routed.ticket,
            contact=sender.contact,
            inbound=em,
            mailbox=mailbox,
            parsed=parsed,
            created=routed.created,
            oversized_notice=oversized,
            payload_id=payload.pk,
            clocks=routed.clocks if routed.created else None,
        )
    return HandlerResult(
        outcome=Outcome.TICKET_CREATED if routed.created else Outcome.INTERACTION_ADDED,
        ticket=routed.ticket,
        interaction=routed.interaction,
        detail={
            "email": em.pk,
            "refused_threads": routed.refused,
            "ack": ack,
            "auto": parsed.auto_reasons,
            "customer_created": sender.created,
            "oversized": oversized,
        },
    )
