"""The transactional outbox (DESIGN: side effects after commit).

Producers call `outbox_enqueue_many` inside their transaction; `outbox_dispatch` runs later (the
scheduler thread or a Celery task), claims due rows, delivers them and records the result.
In-app notices ('action' and 'internal' messages) are written in the same transaction that marks
the message sent, so they are delivered exactly once even if a worker dies mid-way.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from .models import Notification, OutboxMessage, OutboxStatus

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


def outbox_enqueue_many(messages: list[dict[str, Any]]) -> int:
    """Queue messages; a dedupe_key already queued is skipped (a retried producer adds nothing).

    One multi-row INSERT … ON CONFLICT DO NOTHING with plain parameters: building model instances
    was most of the sweep's time when 50,000 breaches queue their actions at once.
    """
    if not messages:
        return 0
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    created = adapt(now)
    rows = [
        (
            m["dedupe_key"],
            m["channel"],
            m.get("recipient", ""),
            m["template"],
            json.dumps(m.get("payload", {}), cls=DjangoJSONEncoder, ensure_ascii=False),
            m.get("ticket_id"),
            OutboxStatus.PENDING.value,
            0,
            adapt(m.get("not_before", now)),
            "",
            created,
        )
        for m in messages
    ]
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    sql = (
        f"INSERT INTO {table} (dedupe_key, channel, recipient, template, payload, ticket_id, status, "
        "attempts, next_attempt_at, last_error, created_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (dedupe_key) DO NOTHING"
    )
    with connection.cursor() as cur:
        cur.executemany(sql, rows)
    return len(rows)


def _recipients(message: OutboxMessage) -> list[int]:
    """Staff to notify for a clock action (assignee, team lead, supervisors, account manager)."""
    from herdesk.staff.models import User

    t = message.ticket
    if t is None:
        return []
    tpl = message.template
    lead = [t.team.lead_id] if t.team is not None and t.team.lead_id else []
    if tpl == "notify_assignee":
        return [t.assignee_id] if t.assignee_id else lead
    if tpl in ("notify_team_lead", "reassign"):
        return lead
    if tpl == "notify_supervisor":
        return list(
            User.objects.filter(groups__name="supervisor", is_active=True).values_list("pk", flat=True)
        )
    if tpl == "notify_account_manager":
        return [t.customer.account_manager_id] if t.customer.account_manager_id else []
    return []


def _deliver_action(message: OutboxMessage) -> None:
    from herdesk.tickets.choices import Priority
    from herdesk.tickets.models import Ticket

    p = message.payload
    text = f"{p.get('ticket')} {p.get('clock')} {p.get('incident')} (due {p.get('due_at', '')[:16]})"
    if message.template == "escalate_priority" and message.ticket_id:
        order: list[str] = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]
        t = Ticket.objects.select_for_update().get(pk=message.ticket_id)
        if t.priority in order and t.priority != Priority.URGENT:
            Ticket.objects.filter(pk=t.pk).update(priority=order[order.index(t.priority) + 1])
        return
    Notification.objects.bulk_create(
        [
            Notification(user_id=u, ticket_id=message.ticket_id, text=text[:300])
            for u in dict.fromkeys(_recipients(message))
            if u
        ]
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


def outbox_dispatch(*, batch: int = 200) -> dict[str, int]:
    sent = failed = 0
    while True:
        with transaction.atomic():
            qs = (
                OutboxMessage.objects.select_related("ticket", "ticket__team", "ticket__customer")
                .filter(status=OutboxStatus.PENDING, next_attempt_at__lte=timezone.now())
                .order_by("id")
            )
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            claimed = list(qs[:batch])
            if not claimed:
                break
            for m in claimed:
                try:
                    with transaction.atomic():
                        adapter = _adapter(m.channel)
                        if m.channel in ("action", "internal"):
                            _deliver_action(m)
                        elif adapter is not None:
                            adapter.deliver(m)
                        else:
                            _deliver_external(m)
                    m.status, m.sent_at, m.attempts = OutboxStatus.SENT, timezone.now(), m.attempts + 1
                    sent += 1
                except Exception as exc:  # a failing message never blocks the rest of the batch
                    m.attempts += 1
                    m.last_error = f"{exc.__class__.__name__}: {exc}"[:2000]
                    if m.attempts >= MAX_ATTEMPTS:
                        m.status = OutboxStatus.FAILED
                    else:
                        m.next_attempt_at = timezone.now() + timedelta(seconds=min(3600, 2**m.attempts * 15))
                    failed += 1
                    adapter = _adapter(m.channel)
                    if adapter is not None and hasattr(adapter, "failed"):
                        try:
                            with transaction.atomic():
                                adapter.failed(m, m.last_error, m.status == OutboxStatus.FAILED)
                        except Exception:
                            log.exception("outbox adapter %s: recording a failure failed", m.channel)
                m.save(update_fields=["status", "sent_at", "attempts", "last_error", "next_attempt_at"])
        if len(claimed) < batch:
            break
    return {"sent": sent, "failed": failed}
