"""Writing and verifying the audit log (SEC-2). The only code that inserts AuditEntry rows.

The chain is keyed (HMAC-SHA256 with HERDESK_AUDIT_KEY, a secret kept outside the database like the
field keys): someone who can write to the database but does not hold the key cannot re-compute the
hashes after an edit, so an edit stays visible. Entries written before the key was introduced keep
their plain SHA-256 hashes; `AuditChainHead.keyed_from_seq` marks the cut-over (migration
0002_keyed_chain_trust), and the anchors record it so it cannot be moved later without being seen.

Anchors: `audit_anchor()` (a periodic job) appends the signed chain head to a file outside the
database (HERDESK_AUDIT_ANCHOR_FILE, kept by the backups). A truncated tail with a rewritten head
row, or a chain rebuilt from some point on, disagrees with an anchor and `audit_verify` names it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from herdesk.common.rowsql import column, row_update, rows_insert, table

from .models import AuditChainHead, AuditEntry
from .selectors import chain_batch, chain_head

GENESIS = "0" * 64
log = logging.getLogger("herdesk.audit")


def _audit_key() -> bytes:
    raw = getattr(settings, "HERDESK_AUDIT_KEY", "")
    if not raw:
        raise ImproperlyConfigured("HERDESK_AUDIT_KEY is not set (base64 of 32 random bytes).")
    try:
        key = base64.b64decode(raw, validate=True)
    except ValueError as exc:
        raise ImproperlyConfigured("HERDESK_AUDIT_KEY is not valid base64.") from exc
    if len(key) < 32:
        raise ImproperlyConfigured(f"HERDESK_AUDIT_KEY must decode to at least 32 bytes, got {len(key)}.")
    return key


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
    keyed: bool = True,
) -> str:
    """The entry's link in the chain: HMAC-SHA256(audit key, prev hash + canonical JSON), or plain
    SHA-256 for the legacy entries before the cut-over (`keyed=False`)."""
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
    message = prev_hash.encode() + _canonical(body)
    if not keyed:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(_audit_key(), message, hashlib.sha256).hexdigest()


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
    head = _head_lock()
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
    # Statements compiled once per process (issue 20: every ticket creation appends one entry, and
    # the ORM's per-call compilation was a tenth of the creation's CPU).
    rows_insert(entries)
    row_update(AuditChainHead(id=1, last_seq=seq, last_hash=last_hash), ["last_seq", "last_hash"])


_HEAD_SQL: dict[str, str] = {}


def _head_lock() -> tuple[int, str] | None:
    """The chain head (last seq, last hash), locked until the transaction ends (FOR UPDATE on
    PostgreSQL; SQLite's IMMEDIATE transaction already holds the only write lock). The SQL names
    the columns through the model, so renaming a field changes the statement with it."""
    sql = _HEAD_SQL.get(connection.vendor)
    if sql is None:
        H = AuditChainHead
        sql = (
            f"SELECT {column(H, 'last_seq')}, {column(H, 'last_hash')} FROM {table(H)} "
            f"WHERE {column(H, 'pk')} = 1"
        )
        if connection.features.has_select_for_update:
            sql += " FOR UPDATE"
        _HEAD_SQL[connection.vendor] = sql
    with connection.cursor() as cur:
        cur.execute(sql)
        row = cur.fetchone()
    return (int(row[0]), str(row[1])) if row is not None else None


@dataclass
class Break:
    seq: int
    reason: str


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""
    # Every break found, in chain order (a single run names them all, not only the first).
    breaks: list[Break] = field(default_factory=list)
    legacy: int = 0  # entries before the keyed cut-over (plain SHA-256)
    anchors: int = 0  # anchors checked against the chain


def audit_verify(*, batch: int = 5000, anchor_file: str | None = None) -> VerifyResult:
    """Walk the whole chain in order and report every altered, inserted or missing entry, then
    compare the chain with the signed anchors kept outside the database.

    After a break the walk re-synchronises on the stored hash, so one altered entry is reported once
    and the entries after it are still checked."""
    breaks: list[Break] = []
    head = chain_head()
    keyed_from = head.keyed_from_seq if head else 1
    anchors = _anchors_read(anchor_file)
    anchored = {a["seq"]: a for a in anchors}
    prev = GENESIS
    expected_seq = 1
    checked = legacy = 0
    last = 0
    while True:
        rows = chain_batch(after_seq=last, batch=batch)
        if not rows:
            break
        for e in rows:
            if e.seq != expected_seq:
                missing = f"#{expected_seq}" if e.seq == expected_seq + 1 else f"#{expected_seq}–#{e.seq - 1}"
                breaks.append(Break(expected_seq, f"entry {missing} is missing"))
            elif e.prev_hash != prev:
                breaks.append(Break(e.seq, f"entry #{e.seq} does not link to #{e.seq - 1}"))
            keyed = e.seq >= keyed_from
            digest = entry_hash(
                prev_hash=e.prev_hash,
                seq=e.seq,
                occurred_at=e.occurred_at.isoformat(),
                actor_id=e.actor_id,
                actor_name=e.actor_name,
                action=e.action,
                object_type=e.object_type,
                object_id=e.object_id,
                data=e.data,
                keyed=keyed,
            )
            if not hmac.compare_digest(digest, e.hash):
                breaks.append(Break(e.seq, f"entry #{e.seq} was altered (hash mismatch)"))
            anchor = anchored.get(e.seq)
            if anchor is not None and anchor["hash"] != e.hash:
                breaks.append(Break(e.seq, f"entry #{e.seq} differs from the anchor of {anchor['at']}"))
            prev = e.hash
            expected_seq = e.seq + 1
            checked += 1
            legacy += 0 if keyed else 1
            last = e.seq
    if head and (head.last_seq != last or head.last_hash != prev):
        breaks.append(Break(last + 1, f"entries after #{last} are missing (head is #{head.last_seq})"))
    for anchor in anchors:
        if anchor["seq"] > last:
            breaks.append(
                Break(anchor["seq"], f"entry #{anchor['seq']} anchored at {anchor['at']} is missing")
            )
    moved = next((a for a in anchors if a.get("keyed_from") != keyed_from), None)
    if moved is not None:
        breaks.append(
            Break(
                keyed_from,
                f"the keyed cut-over moved from #{moved.get('keyed_from')} (anchor of {moved['at']})"
                f" to #{keyed_from}",
            )
        )
    for bad in _anchors_bad_lines(anchor_file):
        breaks.append(Break(0, f"anchor line {bad} has a bad signature"))
    if breaks:
        first = breaks[0]
        return VerifyResult(False, checked, first.seq, first.reason, breaks, legacy, len(anchors))
    return VerifyResult(True, checked, legacy=legacy, anchors=len(anchors))


# --- anchors: the signed chain head, outside the database ---------------------------------------


def _anchor_path(anchor_file: str | None = None) -> str:
    """The anchor file; '' when none is configured (the test settings only: production requires one)."""
    return anchor_file or str(settings.HERDESK_AUDIT_ANCHOR_FILE or "")


def _anchor_mac(body: dict[str, Any]) -> str:
    # Domain-separated from the chain's own HMACs: an anchor can never pass for an entry hash.
    return hmac.new(_audit_key(), b"herdesk-audit-anchor\x00" + _canonical(body), hashlib.sha256).hexdigest()


def _anchor_lines(anchor_file: str | None) -> list[str]:
    if not _anchor_path(anchor_file):
        return []
    try:
        with open(_anchor_path(anchor_file), encoding="utf-8") as fh:
            return [line for line in fh.read().splitlines() if line.strip()]
    except FileNotFoundError:
        return []


def _anchor_parse(line: str) -> dict[str, Any] | None:
    try:
        item = json.loads(line)
        body = {k: item[k] for k in ("at", "seq", "hash", "keyed_from")}
        mac = item["mac"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(mac, str) or not hmac.compare_digest(_anchor_mac(body), mac):
        return None
    return body


def _anchors_read(anchor_file: str | None = None) -> list[dict[str, Any]]:
    """The anchors whose signature is good, in file order."""
    return [a for a in (_anchor_parse(line) for line in _anchor_lines(anchor_file)) if a is not None]


def _anchors_bad_lines(anchor_file: str | None = None) -> list[int]:
    return [n for n, line in enumerate(_anchor_lines(anchor_file), 1) if _anchor_parse(line) is None]


def audit_anchor(*, anchor_file: str | None = None, force: bool = False) -> dict[str, Any] | None:
    """Append the signed chain head to the anchor file (a periodic job; every
    HERDESK_AUDIT_ANCHOR_INTERVAL_SECONDS at most, and only when the head moved).

    One `write` of one short line to a file opened with O_APPEND: processes anchoring at the same
    time interleave whole lines. Returns the anchor written, or None."""
    head = AuditChainHead.objects.filter(id=1).values_list("last_seq", "last_hash", "keyed_from_seq").first()
    if head is None or head[0] == 0:
        return None
    path = _anchor_path(anchor_file)
    if not path:
        return None
    lines = _anchor_lines(anchor_file)
    last = _anchor_parse(lines[-1]) if lines else None
    now = timezone.now()
    if last is not None and not force:
        if last["seq"] == head[0] and last["hash"] == head[1]:
            return None
        try:
            age = (now - datetime.fromisoformat(last["at"])).total_seconds()
        except ValueError:
            age = float("inf")
        if age < settings.HERDESK_AUDIT_ANCHOR_INTERVAL_SECONDS:
            return None
    body = {"at": now.isoformat(), "seq": head[0], "hash": head[1], "keyed_from": head[2]}
    line = json.dumps({**body, "mac": _anchor_mac(body)}, sort_keys=True) + "\n"
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
    log.info("audit chain anchored at #%s", head[0])
    return body
