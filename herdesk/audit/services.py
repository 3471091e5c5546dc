"""Writing and verifying the audit log (SEC-2). The only code that inserts AuditEntry rows."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
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


@transaction.atomic
def audit_record(
    *, actor: Any, action: str, object_type: str, object_id: Any, data: dict[str, Any] | None = None
) -> AuditEntry:
    """Append one entry. Locks the chain head row (SELECT … FOR UPDATE) so appends serialise.

    Called inside the caller's transaction, so the entry commits or rolls back with the change it
    describes.
    """
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
    seq = head.last_seq + 1
    occurred_at = timezone.now()
    # Round-trip data through JSON so the hash covers exactly what the database stores.
    clean = json.loads(_canonical(data or {}))
    actor_id = getattr(actor, "pk", None)
    actor_name = str(getattr(actor, "username", "") or ("system" if actor is None else actor))
    digest = entry_hash(
        prev_hash=head.last_hash,
        seq=seq,
        occurred_at=occurred_at.isoformat(),
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        data=clean,
    )
    entry = AuditEntry.objects.create(
        seq=seq,
        occurred_at=occurred_at,
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        data=clean,
        prev_hash=head.last_hash,
        hash=digest,
    )
    head.last_seq, head.last_hash = seq, digest
    head.save(update_fields=["last_seq", "last_hash"])
    return entry


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
