"""Every write of the inbound machinery (see docs/architecture/channels.md).

Store raw first (`payload_store`, its own durable commit), then process (`payload_process`, one
transaction per payload that either commits the ticket change together with the `processed` mark,
or rolls it back and quarantines the payload with a reason). Nothing here drops a payload.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from contextlib import ExitStack
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_deferred, audit_record
from herdesk.common.rowsql import row_columns, row_instance, row_update, rows_insert
from herdesk.customers.models import Contact, Customer
from herdesk.customers.services import customer_create_detailed, email_index, phone_index
from herdesk.search.services import search_index_deferred

# The module, not its names: calls look the functions up when they run (tests replace them).
from herdesk.tickets import services as ticket_services
from herdesk.tickets.choices import Direction, ProblemType, Status
from herdesk.triage.services import triage_ticket_received

from .choices import Outcome, PayloadState, ReasonCode
from .errors import Quarantine
from .messages import HandlerResult, InboundMessage, ProcessResult, Routed, Sender, StoreResult
from .models import InboundPayload, InboundSource, SenderClaim
from .registry import handler_for

log = logging.getLogger(__name__)

# Transient database errors (a locked SQLite file, a dropped connection) are retried by the next
# run this many times before the payload goes to quarantine.
MAX_TRANSIENT_ATTEMPTS = 3
EXTERNAL_ID_MAX = 255
REPROCESSABLE = (PayloadState.QUARANTINED, PayloadState.DUPLICATE, PayloadState.DISCARDED)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dedupe_key_for(*, external_id: str, content_key: str) -> str:
    """The exactly-once key: the transport's message id, else the content hash."""
    ext = (external_id or "").strip()
    if not ext:
        return f"content:{content_key}"
    if len(ext) > EXTERNAL_ID_MAX - 3:
        return f"idh:{_sha256(ext.encode('utf-8', 'surrogateescape'))}"
    return f"id:{ext}"


def payload_store(
    *,
    channel: str,
    source: str,
    raw: bytes,
    external_id: str = "",
    content_key: str | None = None,
    meta: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> StoreResult:
    """Store one inbound payload and COMMIT it before anyone parses it (DESIGN: store raw first).

    Runs in its own durable transaction, so it must not be called inside an atomic block: when it
    returns, the bytes are on disk and the transport may acknowledge (IMAP \\Seen, SMTP 250).
    Exactly once per (channel, source, dedupe key): a byte-identical redelivery only increments
    `deliveries` and `duplicate_count`; a copy with other bytes but the same content key is stored
    as a `duplicate` row (never processed); the same id with different content is stored and
    quarantined (`id_reused`) for a human to decide. Locks the first row of the message
    (SELECT … FOR UPDATE) while counting. Raises only on database failure (the caller then asks
    the sender to retry).
    """
    with transaction.atomic(durable=True):
        return _store(
            channel=channel,
            source=source,
            raw=raw,
            external_id=external_id,
            content_key=content_key,
            meta=meta,
            now=now or timezone.now(),
        )


def payload_store_many(*, channel: str, source: str, items: list[dict[str, Any]]) -> list[StoreResult]:
    """`payload_store` for a batch (an IMAP chunk) in ONE durable commit: every payload is stored
    before any is parsed or acknowledged. `items`: dicts with raw, external_id, content_key, meta.
    All or nothing: if it raises, nothing of the batch is stored (the caller may store one by one)."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        # The rows already stored under the batch's keys, in one locking read instead of one per item.
        keys = {
            dedupe_key_for(external_id=item.get("external_id", ""), content_key=item.get("content_key") or "")
            for item in items
            if item.get("content_key") or (item.get("external_id") or "").strip()
        }
        firsts: dict[str, InboundPayload | None] = dict.fromkeys(keys)
        for row in (
            InboundPayload.objects.filter(
                channel=channel, source=source, dedupe_key__in=keys, duplicate_of__isnull=True
            )
            .select_for_update()
            .defer("raw")
            .order_by("pk")  # one lock order for concurrent pollers
        ):
            firsts[row.dedupe_key] = row
        return [_store(channel=channel, source=source, now=now, firsts=firsts, **item) for item in items]


def _store(
    *,
    channel: str,
    source: str,
    raw: bytes,
    external_id: str = "",
    content_key: str | None = None,
    meta: dict[str, Any] | None = None,
    now: datetime,
    firsts: dict[str, InboundPayload | None] | None = None,
) -> StoreResult:
    """`firsts`: the first row per dedupe key, already read and locked by the caller (a batch);
    keys missing from it are read here. Kept current as rows are created."""
    raw = bytes(raw)
    sha = _sha256(raw)
    content_key = content_key or sha
    ext = (external_id or "").strip()[:EXTERNAL_ID_MAX]
    key = dedupe_key_for(external_id=external_id, content_key=content_key)

    def base() -> Any:  # built only when needed (a delivery we have seen): a new one never reads
        return InboundPayload.objects.filter(channel=channel, source=source, dedupe_key=key)

    if firsts is not None and key in firsts:
        first = firsts[key]
    else:
        first = base().filter(duplicate_of__isnull=True).select_for_update().defer("raw").first()
    if first is None:
        try:
            with transaction.atomic():
                payload = InboundPayload(
                    channel=channel,
                    source=source,
                    external_id=ext,
                    dedupe_key=key,
                    content_key=content_key,
                    sha256=sha,
                    size=len(raw),
                    raw=raw,
                    meta=meta or {},
                    received_at=now,
                )
                rows_insert([payload])  # every delivery: no INSERT compilation per payload
            if firsts is not None:
                firsts[key] = payload
            return StoreResult(payload=payload, created=True, duplicate=False)
        except IntegrityError:
            # A concurrent delivery of the same message committed first: count ours on it.
            first = base().filter(duplicate_of__isnull=True).select_for_update().defer("raw").get()
    InboundPayload.objects.filter(pk=first.pk).update(
        duplicate_count=F("duplicate_count") + 1, last_duplicate_at=now
    )
    log.info("inbound %s/%s: another delivery of payload %s (%s)", channel, source, first.pk, key[:80])
    if first.sha256 == sha:
        InboundPayload.objects.filter(pk=first.pk).update(deliveries=F("deliveries") + 1)
        first.refresh_from_db(fields=["deliveries", "duplicate_count", "last_duplicate_at"])
        return StoreResult(payload=first, created=False, duplicate=True)
    twin = base().filter(duplicate_of=first, sha256=sha).defer("raw").first()
    if twin is not None:
        InboundPayload.objects.filter(pk=twin.pk).update(deliveries=F("deliveries") + 1)
        twin.refresh_from_db(fields=["deliveries"])
        return StoreResult(payload=twin, created=False, duplicate=True)
    same_content = first.content_key == content_key
    payload = InboundPayload.objects.create(
        channel=channel,
        source=source,
        external_id=ext,
        dedupe_key=key,
        content_key=content_key,
        sha256=sha,
        size=len(raw),
        raw=raw,
        meta=meta or {},
        received_at=now,
        duplicate_of=first,
        state=PayloadState.DUPLICATE if same_content else PayloadState.QUARANTINED,
        reason_code="" if same_content else ReasonCode.ID_REUSED,
        reason=""
        if same_content
        else _("The message id %(id)s was already used by a different message (payload #%(first)d).")
        % {"id": ext[:120] or key[:40], "first": first.pk},
        processed_at=now if same_content else None,
        ticket_id=first.ticket_id if same_content else None,
    )
    return StoreResult(payload=payload, created=True, duplicate=same_content)


def _mark(payload_id: int, **fields: Any) -> None:
    InboundPayload.objects.filter(pk=payload_id).update(**fields)


def _quarantine(
    payload_id: int, code: str, reason: str, detail: dict[str, Any] | None = None
) -> ProcessResult:
    with transaction.atomic():
        InboundPayload.objects.filter(pk=payload_id).update(
            state=PayloadState.QUARANTINED,
            reason_code=code,
            reason=reason[:4000],
            attempts=F("attempts") + 1,
            result={"quarantine": detail or {}} if detail else {},
        )
    log.warning("inbound payload %s quarantined (%s): %s", payload_id, code, reason[:300])
    return ProcessResult(
        payload_id=payload_id, state=PayloadState.QUARANTINED, reason_code=code, reason=reason
    )


def payload_process(
    *, payload_id: int, now: datetime | None = None, _locked: dict[int, InboundPayload] | None = None
) -> ProcessResult:
    """Turn one stored payload into ticket changes through its channel's handler.

    One transaction: lock the payload row (SKIP LOCKED where supported: a payload another worker
    holds is left to it), run the handler, mark `processed` with the outcome. Only `pending`
    payloads are handled, so a second call is a no-op (exactly once). A handler exception rolls its
    writes back and quarantines the payload with the reason; transient database errors leave it
    pending for the next run (at most MAX_TRANSIENT_ATTEMPTS). Never raises for handler errors.
    `_locked`: rows the caller (a batch) has already read and locked in the current transaction.
    """
    now = now or timezone.now()
    skip_locked = connection.features.has_select_for_update_skip_locked
    try:
        with transaction.atomic():
            if _locked is not None:
                payload = _locked.get(payload_id)
            else:
                payload = (
                    InboundPayload.objects.select_for_update(skip_locked=skip_locked)
                    .filter(pk=payload_id)
                    .first()
                )
            if payload is None:
                return ProcessResult(payload_id=payload_id, state="locked")
            if payload.state != PayloadState.PENDING:
                return ProcessResult(
                    payload_id=payload_id,
                    state=payload.state,
                    outcome=str(payload.result.get("outcome", "")),
                    ticket_number=str(payload.result.get("ticket") or ""),
                    reason_code=payload.reason_code,
                    reason=payload.reason,
                )
            handler = handler_for(payload.channel)
            if handler is None:
                raise Quarantine(
                    ReasonCode.NO_HANDLER,
                    _("No handler is registered for the channel “%(channel)s”.")
                    % {"channel": payload.channel},
                )
            if not payload.size:
                raise Quarantine(ReasonCode.EMPTY, _("The payload is empty."))
            result = handler(payload)
            if not isinstance(result, HandlerResult):
                raise TypeError(f"handler for {payload.channel} returned {type(result).__name__}")
            ticket = result.ticket
            payload.state = PayloadState.PROCESSED
            payload.attempts += 1
            payload.processed_at = now
            payload.reason_code, payload.reason = "", ""
            payload.ticket = ticket
            payload.result = {
                "outcome": result.outcome,
                "ticket": getattr(ticket, "number", None),
                "interaction": getattr(result.interaction, "pk", None),
                **result.detail,
            }
            # save(update_fields=…) without compiling the UPDATE again for every payload
            row_update(
                payload, ["state", "attempts", "processed_at", "reason_code", "reason", "ticket", "result"]
            )
            return ProcessResult(
                payload_id=payload_id,
                state=PayloadState.PROCESSED,
                outcome=result.outcome,
                ticket_number=getattr(ticket, "number", "") or "",
            )
    except Quarantine as q:
        return _quarantine(payload_id, q.code, q.message, {k: str(v) for k, v in q.detail.items()})
    except OperationalError as exc:
        # Possibly transient (a locked database, a dropped connection): retry on the next run.
        attempts = (
            InboundPayload.objects.filter(pk=payload_id).values_list("attempts", flat=True).first() or 0
        )
        reason = f"{exc.__class__.__name__}: {exc}"
        if attempts + 1 >= MAX_TRANSIENT_ATTEMPTS:
            return _quarantine(payload_id, ReasonCode.TOO_MANY_ATTEMPTS, reason)
        with transaction.atomic():
            _mark(payload_id, attempts=F("attempts") + 1, reason=reason[:4000])
        log.warning("inbound payload %s: transient error, will retry: %s", payload_id, reason[:300])
        return ProcessResult(payload_id=payload_id, state=PayloadState.PENDING, reason=reason)
    except Exception as exc:  # any parser/handler bug: quarantine, keep the batch going
        log.exception("inbound payload %s failed", payload_id)
        return _quarantine(payload_id, ReasonCode.HANDLER_ERROR, f"{exc.__class__.__name__}: {exc}")


# Processing commits every BATCH_SIZE payloads or BATCH_SECONDS, whichever comes first: fewer commits,
# while the write lock (SQLite) and the audit chain head (PostgreSQL) are never held for long. The
# count is what bounds a batch on an idle machine (40 emails ≈ 0.15 s of one core, 0.4 s before the
# hot path went to plain SQL; 100 a batch measured ≈ 5 % more emails per CPU-second but holds the
# write lock 2.5 times longer); the time limit only guards against slow payloads. A shorter time
# limit (it was 0.15 s) made batches of 1–3 emails on a loaded machine, each paying the batch's
# shared work (audit chain head, search index, policy versions, commit) alone: a third of the
# processing time.
BATCH_SIZE = 40
BATCH_SECONDS = 0.5


def payloads_process_pending(
    *,
    channel: str | None = None,
    source: str | None = None,
    limit: int = 500,
    batch_size: int = BATCH_SIZE,
    received_before: datetime | None = None,
) -> dict[str, int]:
    """Process the backlog (oldest first). Returns how many payloads ended in each state.

    Payloads are processed in short transactions of up to `batch_size` payloads, each payload in
    its own savepoint (a failing one is quarantined without touching the others). Within a batch
    the work the payloads share is done once: the search documents of all the batch's tickets are
    written together at its end, and the policy versions are read once (both before the commit,
    see `search_index_deferred` and `ticket_create_batch`). Should that shared work fail, the batch
    rolls back and its payloads are processed again one per transaction without it, so that only
    the payload at fault is quarantined. A crash loses only the uncommitted batch, whose payloads
    are still `pending` and processed by the next run. Must not be called inside a transaction.
    """
    qs = InboundPayload.objects.filter(state=PayloadState.PENDING)
    if channel:
        qs = qs.filter(channel=channel)
    if source:
        qs = qs.filter(source=source)
    if received_before is not None:
        qs = qs.filter(received_at__lt=received_before)
    ids = list(qs.order_by("id").values_list("id", flat=True)[:limit])
    counts: Counter[str] = Counter()
    i = 0
    while i < len(ids):
        batch = ids[i : i + max(1, batch_size)]
        try:
            states = _process_batch(batch, shared=True)
        except Exception:
            log.exception("inbound batch from payload %s failed as a whole; retrying one by one", batch[0])
            states = [s for pid in batch for s in _process_batch([pid], shared=False)]
        counts.update(states)
        i += len(states)
    return dict(counts)


# A payload younger than this is left to the request that stored it, which processes it inline
# right after its commit: the drain is for what such a request could not finish.
DRAIN_GRACE_SECONDS = 5.0


def payloads_drain(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """The periodic drain of every channel (herdesk.ops.jobs): payloads that a webhook, a socket or
    a poller stored but could not process — a database error left them `pending` — are processed
    by the next run, exactly once (`payload_process` only handles `pending` rows, under a row lock).
    Before this only email drained its backlog (in its poller); CTI, WeChat, social and chat payloads
    stayed pending until someone reprocessed them by hand (INT-1: nothing received is lost)."""
    now = now or timezone.now()
    return payloads_process_pending(limit=limit, received_before=now - timedelta(seconds=DRAIN_GRACE_SECONDS))


def _process_batch(ids: list[int], *, shared: bool) -> list[str]:
    """Process payloads in one transaction until BATCH_SECONDS have passed; their end states."""
    states: list[str] = []
    with transaction.atomic(), ExitStack() as stack:
        if shared:
            # Entered inside the transaction, so they finish (index written) before it commits.
            stack.enter_context(search_index_deferred())
            stack.enter_context(ticket_services.ticket_create_batch())
            stack.enter_context(audit_deferred())
        started = time.monotonic()
        # The batch's rows in one locking read (SKIP LOCKED where supported: a row another worker
        # holds is missing here and reported `locked`, as payload_process does on its own).
        locked: dict[int, InboundPayload] | None = None
        if shared:
            locked = {
                p.pk: p
                for p in InboundPayload.objects.select_for_update(
                    skip_locked=connection.features.has_select_for_update_skip_locked
                )
                .filter(pk__in=ids)
                .order_by("pk")
            }
        for pid in ids:
            states.append(str(payload_process(payload_id=pid, _locked=locked).state))
            if time.monotonic() - started > BATCH_SECONDS:
                break
    return states


def payload_receive(
    *,
    channel: str,
    source: str,
    raw: bytes,
    external_id: str = "",
    content_key: str | None = None,
    meta: dict[str, Any] | None = None,
) -> ProcessResult | None:
    """Store (committed) then process inline. None when the payload was a duplicate delivery."""
    stored = payload_store(
        channel=channel, source=source, raw=raw, external_id=external_id, content_key=content_key, meta=meta
    )
    if stored.payload.state != PayloadState.PENDING:
        return None
    return payload_process(payload_id=stored.payload.pk)


@transaction.atomic
def payload_reprocess(*, payload: InboundPayload, actor: Any) -> ProcessResult:
    """An admin sends a quarantined (or duplicate/discarded) payload through its handler again.

    Locks the row; audited (SEC-2) with the previous state and reason. A duplicate copy whose
    message id was reused is then processed as a message of its own.
    """
    row = InboundPayload.objects.select_for_update().get(pk=payload.pk)
    if row.state not in REPROCESSABLE:
        raise ValidationError(
            {"state": _("Only quarantined, duplicate or discarded payloads can be reprocessed.")}
        )
    audit_record(
        actor=actor,
        action="inbound.reprocess",
        object_type="inbound_payload",
        object_id=row.pk,
        data={"from_state": row.state, "reason_code": row.reason_code, "reason": row.reason[:500]},
    )
    history = list(row.meta.get("history", []))[-9:]
    history.append({"state": row.state, "reason_code": row.reason_code, "at": timezone.now().isoformat()})
    row.meta = {**row.meta, "history": history, "reprocessed": True}
    row.state = PayloadState.PENDING
    row.attempts = 0
    row.save(update_fields=["meta", "state", "attempts"])
    return payload_process(payload_id=row.pk)


@transaction.atomic
def payload_discard(*, payload: InboundPayload, actor: Any, reason: str) -> InboundPayload:
    """An admin decides a quarantined payload needs no ticket (spam, a test). The raw bytes stay
    stored; the decision and its reason are audited (SEC-2)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the payload is discarded.")})
    row = InboundPayload.objects.select_for_update().get(pk=payload.pk)
    if row.state not in (PayloadState.QUARANTINED, PayloadState.DUPLICATE):
        raise ValidationError({"state": _("Only quarantined or duplicate payloads can be discarded.")})
    audit_record(
        actor=actor,
        action="inbound.discard",
        object_type="inbound_payload",
        object_id=row.pk,
        data={"from_state": row.state, "reason_code": row.reason_code, "reason": reason[:500]},
    )
    row.meta = {**row.meta, "discarded": {"reason": reason[:500], "by": getattr(actor, "username", "")}}
    row.state = PayloadState.DISCARDED
    row.processed_at = timezone.now()
    row.save(update_fields=["meta", "state", "processed_at"])
    return row


# --- sources (health) ------------------------------------------------------------------------------


@transaction.atomic
def source_register(
    *,
    channel: str,
    code: str,
    label: str = "",
    poll_interval_seconds: int | None = None,
    active: bool = True,
) -> InboundSource:
    """Create or update the health row of one endpoint (called when a mailbox/account is saved)."""
    src, _created = InboundSource.objects.update_or_create(
        channel=channel,
        code=code,
        defaults={"label": label[:200], "poll_interval_seconds": poll_interval_seconds, "active": active},
    )
    return src


@transaction.atomic
def source_poll_succeeded(*, channel: str, code: str, fetched: int = 0, now: datetime | None = None) -> None:
    now = now or timezone.now()
    src, _created = InboundSource.objects.get_or_create(channel=channel, code=code)
    InboundSource.objects.filter(pk=src.pk).update(
        last_attempt_at=now,
        last_success_at=now,
        consecutive_failures=0,
        fetched_total=F("fetched_total") + fetched,
    )


@transaction.atomic
def source_poll_failed(*, channel: str, code: str, error: str, now: datetime | None = None) -> None:
    now = now or timezone.now()
    src, _created = InboundSource.objects.get_or_create(channel=channel, code=code)
    InboundSource.objects.filter(pk=src.pk).update(
        last_attempt_at=now,
        last_error_at=now,
        last_error=error[:2000],
        consecutive_failures=F("consecutive_failures") + 1,
    )


# --- senders and routing ---------------------------------------------------------------------------


def _claim(kind: str, key: str, create: Any) -> Sender:
    """Create the customer once per sender key, even with concurrent workers (SenderClaim): the
    claim's unique key makes a second worker wait for the first and then reuse its customer."""
    try:
        with transaction.atomic():
            customer, contact = create()  # customer_create_detailed: no read-back of the contact
            rows_insert([SenderClaim(kind=kind, key=key, customer=customer)])
        return Sender(customer=customer, contact=contact, created=True)
    except IntegrityError:
        # Another worker created this sender's customer meanwhile (our savepoint is gone): use it.
        claim = SenderClaim.objects.select_related("customer").get(kind=kind, key=key)
        return Sender(customer=claim.customer, contact=claim.customer.contacts.first())


def _contact_by(column: str, value: str) -> Any:
    """The primary (else oldest) contact whose `column` equals `value`, with its customer: the ORM's
    filter(…).select_related("customer").order_by("-is_primary", "id").first() in plain SQL
    (asked for every inbound message; compiling it cost many times running it)."""
    qn = connection.ops.quote_name
    sql = (
        f"SELECT {row_columns(Contact, 'c')}, {row_columns(Customer, 'u')} "
        f"FROM {qn(Contact._meta.db_table)} c "
        f"INNER JOIN {qn(Customer._meta.db_table)} u ON u.{qn('id')} = c.{qn('customer_id')} "
        f"WHERE c.{qn(column)} = %s ORDER BY c.{qn('is_primary')} DESC, c.{qn('id')} ASC LIMIT 1"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [value])
        row = cur.fetchone()
    if row is None:
        return None
    contact = row_instance(Contact, row)
    contact.customer = row_instance(Customer, row, len(Contact._meta.concrete_fields))
    return contact


def sender_resolve(*, email: str = "", phone: str = "", wechat_openid: str = "", name: str = "") -> Sender:
    """Find the customer who wrote, by blind index (SEC-1: plain addresses are never queried);
    unknown senders become new customers (`customer_create`). Raises ValidationError (keyed by
    field) when the address is unusable."""
    name = " ".join((name or "").split())[:120]
    if email:
        email = email.strip()
        key = email_index(email)
        contact = _contact_by("email_bidx", key)
        if contact is not None:
            return Sender(customer=contact.customer, contact=contact)
        return _claim(
            "email",
            key,
            lambda: customer_create_detailed(name=name or email.split("@", 1)[0][:120] or email, email=email),
        )
    if phone:
        key = phone_index(phone)
        contact = _contact_by("phone_bidx", key)
        if contact is not None:
            return Sender(customer=contact.customer, contact=contact)
        return _claim("phone", key, lambda: customer_create_detailed(name=name or phone, phone=phone))
    if wechat_openid:
        contact = _contact_by("wechat_openid", wechat_openid)
        if contact is not None:
            return Sender(customer=contact.customer, contact=contact)
        return _claim(
            "wechat",
            wechat_openid[:80],
            lambda: customer_create_detailed(name=name or _("WeChat user"), wechat_openid=wechat_openid),
        )
    raise ValidationError({"sender": _("The message has no sender address.")})


def may_write(customer: Any, ticket: Any) -> bool:
    """A message joins a ticket only if its sender belongs to the ticket's customer or
    organisation (SEC-3: nobody writes into another customer's ticket by quoting its number)."""
    if ticket.customer_id == customer.pk:
        return True
    return bool(customer.organisation_id) and ticket.organisation_id == customer.organisation_id


def _fit(text: str, limit: int, note: str) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - len(note) - 2].rstrip() + "\n\n" + note


def inbound_route(
    *, message: InboundMessage, candidates: Any = (), candidates_locked: bool = False
) -> Routed:
    """Append the message to the first candidate ticket its sender may write to, else open a
    ticket (`ticket_create`, actor=None, received at the message's time — INT-1/INT-2).

    Candidates are followed through merges (INT-8); cancelled ones are skipped. An inbound message
    on a resolved ticket, or a closed one within the reopen window, reopens it (CLS-1, in
    `interaction_add`); on one closed longer ago or finalised it opens a new linked ticket. Automatic messages
    (auto-replies, bulk) are added as internal entries: they are not the customer's answer.
    Runs in the caller's transaction (the payload's). `candidates_locked`: the caller read the
    candidates with SELECT … FOR UPDATE in this transaction, so the one the message joins needs no
    second read (a ticket reached by following a merge is still locked and read here).
    """
    now = timezone.now()
    received = message.received_at or now
    if received > now:
        received = now
    body = (message.body or "").strip() or message.subject.strip() or "—"
    body = _fit(
        body, ticket_services.MAX_TEXT, _("[The message is longer; the full text is kept with the original.]")
    )
    customer = message.sender.customer
    refused: list[str] = []
    seen: set[int] = set()
    for candidate in candidates:
        ticket = candidate
        for _hop in range(5):  # follow merges to the surviving ticket
            if ticket.merged_into_id is None:
                break
            ticket = ticket.merged_into
        locked = candidates_locked and ticket is candidate
        if ticket.pk in seen or ticket.status in (Status.CANCELLED, Status.MERGED):
            continue
        seen.add(ticket.pk)
        if not may_write(customer, ticket):
            refused.append(ticket.number)
            continue
        at = max(received, ticket.received_at)
        if not message.automatic and ticket_services.reply_opens_new_ticket(ticket=ticket, at=at):
            # CLS-1: closed too long ago (or finalised): a new ticket linked to it, acknowledged
            # as a new ticket (created=True).
            follow_on = ticket_services.ticket_follow_on_create(
                ticket=ticket,
                actor=None,
                body=body,
                channel=message.channel,
                at=at,
                contact=message.sender.contact,
                data=message.data,
            )
            return Routed(
                ticket=follow_on.ticket,
                interaction=follow_on.interaction,
                created=True,
                refused=refused,
                clocks=follow_on.clocks,
            )
        interaction = ticket_services.interaction_add(
            ticket=ticket,
            actor=None,
            body=body,
            kind=message.interaction_kind,
            direction=Direction.INTERNAL if message.automatic else Direction.INBOUND,
            channel=message.channel,
            is_public=not message.automatic,
            occurred_at=at,
            data=message.data,
            locked=locked,
            savepoint=False,  # the caller's savepoint (one per payload) already isolates the message
        )
        return Routed(ticket=ticket, interaction=interaction, created=False, refused=refused)

    subject = " ".join((message.subject or "").split())
    if not subject:
        first = next((line.strip() for line in body.splitlines() if line.strip()), "")
        subject = first[:60] or _("(no subject)")
    if len(subject) > 200:
        subject = subject[:199] + "…"
    problem_type = message.problem_type or getattr(
        settings, "HERDESK_INBOUND_DEFAULT_PROBLEM_TYPE", ProblemType.PRODUCT_INQUIRY
    )
    created = ticket_services.ticket_create_detailed(
        actor=None,
        customer=customer,
        contact=message.sender.contact,
        channel=message.channel,
        problem_type=problem_type,
        subject=subject,
        description=body,
        received_at=received,
        interaction_data=message.data,
        now=now,
    )
    # INT-5/INT-6: the automatic suggestion (and the food-safety flag) from the first moment.
    triage_ticket_received(ticket=created.ticket)
    return Routed(
        ticket=created.ticket,
        interaction=created.interaction,
        created=True,
        refused=refused,
        clocks=created.clocks,
    )


__all__ = [
    "HandlerResult",
    "InboundMessage",
    "Outcome",
    "Quarantine",
    "dedupe_key_for",
    "inbound_route",
    "may_write",
    "payload_discard",
    "payload_process",
    "payload_receive",
    "payload_reprocess",
    "payload_store",
    "payload_store_many",
    "payloads_drain",
    "payloads_process_pending",
    "sender_resolve",
    "source_poll_failed",
    "source_poll_succeeded",
    "source_register",
]
