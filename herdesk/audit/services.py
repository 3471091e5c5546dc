"""Writing and verifying the audit log (SEC-2). The only code that inserts AuditEntry rows."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from .models import AuditChainHead, AuditEntry

GENESIS = "0" * 64


def _canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def entry_hash(
    *,
    prev_hash: str,
    seq: int,
    occurred_at: str,
    actor_id: int | None,
    actor_name: str,
    action: str,
    object_type: str,
    object_id: str,
    data: dict[str, Any],
) -> str:
    body = {
        "seq": seq,
        "occurred_at": occurred_at,
        "actor_id": actor_id,
        "actor_name": actor_name,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "data": data,
    }
    return hashlib.sha256(prev_hash.encode() + _canonical(body)).hexdigest()


class _Pending:
    """An entry of an `audit_deferred` block waiting for its place in the chain.

    It is also registered as a (no-op) on-commit callback: Django forgets the callbacks registered
    inside a savepoint that is rolled back, so an entry whose callback is gone at the end of the
    block describes a change that was undone, and is not written."""

    __slots__ = ("entry",)

    def __init__(self, entry: AuditEntry) -> None:
        self.entry = entry

    def __call__(self) -> None:
        pass


# The entries an `audit_deferred` block still owes (None: no such block).
_DEFERRED: ContextVar[list[_Pending] | None] = ContextVar("audit_deferred", default=None)


def audit_record(
    *, actor: Any, action: str, object_type: str, object_id: Any, data: dict[str, Any] | None = None
) -> AuditEntry:
    """Append one entry. Locks the chain head row (SELECT … FOR UPDATE) so appends serialise.

    Called inside the caller's transaction, so the entry commits or rolls back with the change it
    describes. Three statements (read and lock the head, insert the entry, move the head) and no
    savepoint of its own: if one fails, the caller's transaction is unusable anyway (its change
    would be unaudited), so Django marks it for rollback. Inside `audit_deferred` the entry is
    only noted (its `seq`, time and hashes are set when the block ends, still in the transaction).
    """
    # Round-trip data through JSON so the hash covers exactly what the database stores.
    clean = json.loads(_canonical(data or {}))
    entry = AuditEntry(
        actor_id=getattr(actor, "pk", None),
        actor_name=str(getattr(actor, "username", "") or ("system" if actor is None else actor)),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        data=clean,
    )
    pending = _DEFERRED.get()
    if pending is not None and connection.in_atomic_block:
        note = _Pending(entry)
        transaction.on_commit(note)
        pending.append(note)
        return entry
    with transaction.atomic(savepoint=False):
        _append([entry])
    return entry


@contextmanager
def audit_deferred() -> Iterator[None]:
    """Append the entries recorded inside the block to the chain together when it ends: one read
    of the head, one multi-row INSERT, one head update for a whole batch (the inbound processor's
    batch of emails: three entries per new ticket) instead of three statements per entry.

    Use it inside the transaction that holds the batch's changes, committed after the block: the
    entries commit with the changes they describe, in the order they were recorded, and the chain
    head is locked only from the end of the block to the commit. An entry recorded in a savepoint
    that was rolled back is dropped with its change. On an exception nothing is appended (the
    caller's transaction rolls back). All entries of a block get the time they are appended.
    A nested block joins the outer one."""
    if _DEFERRED.get() is not None:
        yield
        return
    pending: list[_Pending] = []
    token = _DEFERRED.set(pending)
    try:
        yield
    finally:
        _DEFERRED.reset(token)
    if pending:
        alive = {id(item[1]) for item in connection.run_on_commit}
        entries = [note.entry for note in pending if id(note) in alive]
        if entries:
            with transaction.atomic(savepoint=False):
                _append(entries)


def _append(entries: list[AuditEntry]) -> None:
    """Chain `entries` (in order) after the head and write them: the caller holds a transaction."""
    head = (
        AuditChainHead.objects.select_for_update().filter(id=1).values_list("last_seq", "last_hash").first()
    )
    if head is None:
        # The first entry ever (a fresh database): create the head; racing writers wait on it.
        row, _created = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        head = (row.last_seq, row.last_hash)
    seq, last_hash = head
    occurred_at = timezone.now()
    for entry in entries:
        seq += 1
        entry.seq = seq
        entry.occurred_at = occurred_at
        entry.prev_hash = last_hash
        entry.hash = last_hash = entry_hash(
            prev_hash=last_hash,
            seq=seq,
            occurred_at=occurred_at.isoformat(),
            actor_id=entry.actor_id,
            actor_name=entry.actor_name,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            data=entry.data,
        )
    if len(entries) == 1:
        entries[0].save(force_insert=True)
    else:
        AuditEntry.objects.bulk_create(entries)
    AuditChainHead.objects.filter(id=1).update(last_seq=seq, last_hash=last_hash)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


def audit_verify(*, batch: int = 5000) -> VerifyResult:
    """Walk the chain in order; report the first altered, inserted or missing entry."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    last = 0
    while True:
        rows = list(AuditEntry.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not rows:
            break
        for e in rows:
            if e.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, f"entry #{expected_seq} is missing")
            if e.prev_hash != prev:
                return VerifyResult(False, checked, e.seq, f"entry #{e.seq} does not link to #{e.seq - 1}")
            digest = entry_hash(
                prev_hash=prev,
                seq=e.seq,
                occurred_at=e.occurred_at.isoformat(),
                actor_id=e.actor_id,
                actor_name=e.actor_name,
                action=e.action,
                object_type=e.object_type,
                object_id=e.object_id,
                data=e.data,
            )
            if digest != e.hash:
                return VerifyResult(False, checked, e.seq, f"entry #{e.seq} was altered (hash mismatch)")
            prev = e.hash
            expected_seq += 1
            checked += 1
            last = e.seq
    head = AuditChainHead.objects.filter(id=1).first()
    if head and (head.last_seq != last or head.last_hash != prev):
        return VerifyResult(
            False, checked, last + 1, f"entries after #{last} are missing (head is #{head.last_seq})"
        )
    return VerifyResult(True, checked)
