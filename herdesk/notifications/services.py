"""The transactional outbox (DESIGN: side effects after commit).

Producers call `outbox_enqueue_many` inside their transaction; `outbox_dispatch` runs later (the
scheduler thread or a Celery task), claims due rows (a lease), delivers them outside any transaction
and records each result in a short one. In-app notices ('action' and 'internal' messages) are
written in the same transaction that marks the message sent, so they are delivered exactly once
even if a worker dies mid-way; messages sent through an adapter are sent at least once.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from herdesk.staff.models import User

from .kinds import outbox_kind_check
from .models import OutboxMessage, OutboxStatus
from .staff_notices import kind_for_action, notify

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8

# Outbound channel adapters (docs/architecture/channels.md), imported lazily by dotted path so this
# app never imports a channel app. An adapter has deliver(message) (raise to retry) and optionally
# failed(message, error, final). Channels without one keep the logging default below.
OUTBOX_ADAPTERS: dict[str, str] = {
    "email": "herdesk.mail.outbound.EmailAdapter",
}


def _adapter(channel: str) -> Any | None:
    from django.utils.module_loading import import_string

    path = OUTBOX_ADAPTERS.get(channel)
    return import_string(path) if path else None


_COLUMNS = (
    "dedupe_key, channel, recipient, template, payload, ticket_id, status, attempts, "
    "next_attempt_at, last_error, created_at"
)


_NO_PAYLOAD: dict[str, Any] = {}


def outbox_enqueue_many(messages: list[dict[str, Any]]) -> int:
    """Queue messages; a dedupe_key already queued is skipped (a retried producer adds nothing).

    Plain parameters, no model instances (building them was most of the cost of large batches).
    On PostgreSQL the whole batch is one JSON parameter expanded by jsonb_to_recordset into one
    INSERT … ON CONFLICT DO NOTHING (executemany sends one statement per row); on SQLite executemany
    runs the insert loop in C. Returns the number of messages given (skipped duplicates included).
    Producers that derive thousands of messages from rows already in the database use
    `outbox_insert_sql` instead (the clock sweep).

    Every message must be of a declared kind (channel and template, with the payload keys the kind
    requires: herdesk.notifications.kinds); otherwise kinds.OutboxKindError and nothing is queued.
    """
    if not messages:
        return 0
    for m in messages:
        outbox_kind_check(m)
    now = timezone.now()
    encode = DjangoJSONEncoder(ensure_ascii=False).encode
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    pending = OutboxStatus.PENDING.value
    if connection.vendor == "postgresql":
        # isoformat, not the encoder's: DjangoJSONEncoder cuts microseconds to milliseconds.
        now_iso = now.isoformat()
        records = [
            {
                "dedupe_key": m["dedupe_key"],
                "channel": m["channel"],
                "recipient": m.get("recipient", ""),
                "template": m["template"],
                "payload": m.get("payload", _NO_PAYLOAD),
                "ticket_id": m.get("ticket_id"),
                "next_attempt_at": m["not_before"].isoformat() if "not_before" in m else now_iso,
            }
            for m in messages
        ]
        sql = (
            f"INSERT INTO {table} ({_COLUMNS}) "
            "SELECT r.dedupe_key, r.channel, r.recipient, r.template, r.payload, r.ticket_id, "
            "%s, 0, r.next_attempt_at, '', %s "
            "FROM jsonb_to_recordset(%s::jsonb) AS r(dedupe_key text, channel text, recipient text, "
            "template text, payload jsonb, ticket_id bigint, next_attempt_at timestamptz) "
            "ON CONFLICT (dedupe_key) DO NOTHING"
        )
        with connection.cursor() as cur:
            cur.execute(sql, [pending, now, encode(records)])
        return len(messages)
    adapt = connection.ops.adapt_datetimefield_value
    created = adapt(now)
    # A payload shared by several messages (one per action of a breach) is serialised once; the
    # messages keep their payloads alive, so id() is stable for the length of this call.
    dumped: dict[int, str] = {}
    rows = []
    for m in messages:
        payload = m.get("payload", _NO_PAYLOAD)
        if (text := dumped.get(id(payload))) is None:
            text = dumped[id(payload)] = encode(payload)
        not_before = m.get("not_before")
        rows.append(
            (
                m["dedupe_key"],
                m["channel"],
                m.get("recipient", ""),
                m["template"],
                text,
                m.get("ticket_id"),
                pending,
                0,
                created if not_before is None else adapt(not_before),
                "",
                created,
            )
        )
    sql = (
        f"INSERT INTO {table} ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (dedupe_key) DO NOTHING"
    )
    with connection.cursor() as cur:
        cur.executemany(sql, rows)
    return len(rows)


def outbox_insert_sql(source: str) -> str:
    """SQL that queues the rows of `source`, a SELECT of (dedupe_key, channel, recipient, template,
    payload, ticket_id), exactly as `outbox_enqueue_many` would: pending, due at once, a dedupe_key
    already queued skipped. The caller binds %(enqueued)s (the adapted current time) and runs it in
    its own transaction.

    For producers whose messages derive from rows already in the database, thousands at a time:
    the clock sweep queues 150,000 actions for 50,000 breaches without a Python object per row
    (bench scenario 5c). On PostgreSQL the statement can be a data-modifying CTE.
    """
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    # "WHERE true": SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT (parsing ambiguity).
    return (
        f"INSERT INTO {table} ({_COLUMNS}) "
        "SELECT src.dedupe_key, src.channel, src.recipient, src.template, src.payload, src.ticket_id, "
        f"'{OutboxStatus.PENDING.value}', 0, %(enqueued)s, '', %(enqueued)s "
        f"FROM ({source}) AS src WHERE true ON CONFLICT (dedupe_key) DO NOTHING"
    )


def _recipients(message: OutboxMessage) -> list[int]:
    """Staff to notify for a clock action (assignee, team lead, supervisors, account manager)."""

    t = message.ticket
    if t is None:
        # A notice addressed to one member of staff (recipient = user id), e.g. a policy approval.
        return [int(message.recipient)] if message.recipient.isdigit() else []
    tpl = message.template
    lead = [t.team.lead_id] if t.team is not None and t.team.lead_id else []
    if tpl == "notify_assignee":
        return [t.assignee_id] if t.assignee_id else lead
    if tpl in ("reassign", "reassign_least_loaded"):
        # The lead, and whoever the ticket went to (tickets.services.ticket_reassign_on_breach).
        return lead + ([t.assignee_id] if t.assignee_id else [])
    if tpl == "notify_team_lead":
        return lead
    if tpl == "notify_supervisor":
        return list(
            User.objects.filter(groups__name="supervisor", is_active=True).values_list("pk", flat=True)
        )
    if tpl == "notify_account_manager":
        return [t.customer.account_manager_id] if t.customer.account_manager_id else []
    return []


def _deliver_action(message: OutboxMessage) -> None:
    """A clock action. Changes to the ticket go through the ticket services (timeline, audit,
    clocks); notices are in-app Notification rows."""
    # cycle: tickets.services → clocks.services → the outbox
    from herdesk.tickets import services as ticket_services

    p = message.payload
    reason = f"{p.get('clock')} {p.get('incident')}"
    if message.template == "escalate_priority" and message.ticket is not None:
        ticket_services.ticket_escalate_priority(ticket=message.ticket, actor=None, reason=reason)
        return
    if message.template in ("reassign", "reassign_least_loaded") and message.ticket is not None:
        mode = "least_loaded" if message.template == "reassign_least_loaded" else "lead"
        if ticket_services.ticket_reassign_on_breach(ticket=message.ticket, mode=mode, reason=reason):
            message.ticket.refresh_from_db()
    # The one notification service: rows in this transaction (exactly once), pushed after commit.
    notify(
        users=_recipients(message),
        kind=kind_for_action(p),
        ticket_id=message.ticket_id,
        data={k: p.get(k, "") for k in ("ticket", "clock", "incident", "due_at", "text")},
        key=f"{p.get('clock', '')}:{p.get('incident', '')}:{p.get('due_at', '')}",
    )


def _deliver_external(message: OutboxMessage) -> None:
    """Customer-facing channels. The embedded default logs them; channel adapters plug in here."""
    log.info(
        "outbox %s → %s %s: %s",
        message.channel,
        message.recipient or message.ticket_id,
        message.template,
        message.payload.get("text", ""),
    )


# A dispatcher claims a batch by moving its rows' next_attempt_at one LEASE ahead (another dispatcher,
# or this one after a crash, takes them again only when the lease has run out), commits, and only then
# sends. Why: a send is a network call (SMTP, the WeChat API, an SMS provider) of up to EMAIL_TIMEOUT;
# inside the claiming transaction a slow provider held the database for the whole batch — on SQLite
# the write lock of every process (the web pages, the intake of every channel) for up to 200 sends.
# No send starts once half the lease has passed; the rest of the batch is released at once.
# The lease (HERDESK_OUTBOX_LEASE_SECONDS, default 2 min) is also how late a killed dispatcher's
# claimed messages go out: a breach notice held 10 minutes would miss the 15-minute acknowledgement.


def _lease() -> timedelta:
    return timedelta(seconds=settings.HERDESK_OUTBOX_LEASE_SECONDS)


def _claim(batch: int) -> list[OutboxMessage]:
    """Due pending rows, oldest first, leased to this dispatcher (one short transaction)."""
    now = timezone.now()
    with transaction.atomic():
        qs = (
            OutboxMessage.objects.select_related("ticket", "ticket__team", "ticket__customer")
            .filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
            .order_by("id")
        )
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        claimed = list(qs[:batch])
        if claimed:
            leased_until = now + _lease()
            OutboxMessage.objects.filter(pk__in=[m.pk for m in claimed]).update(next_attempt_at=leased_until)
    return claimed


def _sent(message: OutboxMessage) -> None:
    message.status, message.sent_at = OutboxStatus.SENT, timezone.now()
    message.attempts += 1
    message.save(update_fields=["status", "sent_at", "attempts"])


def _failed(message: OutboxMessage, exc: Exception, adapter: Any) -> None:
    """Record a failed attempt: retry with backoff, or give up after MAX_ATTEMPTS (one transaction
    with the adapter's own record of it, e.g. the delivery status on the timeline entry)."""
    with transaction.atomic():
        message.attempts += 1
        message.last_error = f"{exc.__class__.__name__}: {exc}"[:2000]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = OutboxStatus.FAILED
        else:
            message.next_attempt_at = timezone.now() + timedelta(seconds=min(3600, 2**message.attempts * 15))
        if adapter is not None and hasattr(adapter, "failed"):
            try:
                with transaction.atomic():
                    adapter.failed(message, message.last_error, message.status == OutboxStatus.FAILED)
            except Exception:
                log.exception("outbox adapter %s: recording a failure failed", message.channel)
        if message.status == OutboxStatus.FAILED and (message.payload or {}).get("notice"):
            # A customer notice is not given up: the next channel takes it (customer_notices).
            try:
                with transaction.atomic():
                    # cycle: customer_notices queues through this module
                    from .customer_notices import notice_fallback

                    notice_fallback(message)
            except Exception:
                log.exception("outbox: the fallback of customer notice %s failed", message.pk)
        message.save(update_fields=["status", "attempts", "last_error", "next_attempt_at"])


def _dispatch_one(message: OutboxMessage) -> bool:
    adapter = _adapter(message.channel)
    try:
        if adapter is None or message.channel in ("action", "internal"):
            # In-app notices and priority escalations (database only) are written in the transaction
            # that marks the message sent: exactly once, even if the worker dies mid-way.
            with transaction.atomic():
                if message.channel in ("action", "internal"):
                    _deliver_action(message)
                else:
                    _deliver_external(message)
                _sent(message)
            return True
        # Outside any transaction: the network call holds no lock. The adapter records the delivery
        # in short transactions of its own. A crash between the send and the mark below sends the
        # message again when the lease runs out (at least once; an email keeps its Message-ID).
        adapter.deliver(message)
    except Exception as exc:  # a failing message never blocks the rest of the batch
        _failed(message, exc, adapter)
        return False
    _sent(message)
    return True


def outbox_dispatch(*, batch: int = 200) -> dict[str, int]:
    """Deliver the due messages: claim a batch (leased), send each outside any transaction, record
    each result in a short transaction of its own; repeat while full batches come. Returns counts."""
    sent = failed = 0
    while True:
        claimed = _claim(batch)
        started = time.monotonic()
        for i, m in enumerate(claimed):
            if time.monotonic() - started > _lease().total_seconds() / 2:
                # Release what is left now rather than when the lease runs out.
                rest = [x.pk for x in claimed[i:]]
                OutboxMessage.objects.filter(pk__in=rest, status=OutboxStatus.PENDING).update(
                    next_attempt_at=timezone.now()
                )
                return {"sent": sent, "failed": failed}
            if _dispatch_one(m):
                sent += 1
            else:
                failed += 1
        if len(claimed) < batch:
            break
    return {"sent": sent, "failed": failed}
