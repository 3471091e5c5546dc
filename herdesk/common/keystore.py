"""The subject key export (crypto-shredding, SEC-4): the one current copy of the wrapped subject
keys that backups leave out.

Database backups carry no subject key (herdesk.ops.backup strips the table); the keys are written
here instead, one JSON line per key (`{"id": …, "wrapped": "k1:…" | "", "destroyed_at": …}`), mode
0600, replaced — never versioned — by each backup, and an erasure blanks its key in this file too
(`key_export_forget`, after the commit). So restoring an old backup with the current export brings
back every subject except those erased since: their values stay unreadable. The wrapped keys are
useless without the master field key (HERDESK_FIELD_KEY, in the secret store).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from .models import SubjectKey

FORMAT = "herdesk-subject-keys/1"


def export_path() -> Path | None:
    path = getattr(settings, "HERDESK_SUBJECT_KEYS_FILE", "")
    return Path(path) if path else None


def _write_atomically(path: Path, lines: Any) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    n = 0
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"format": FORMAT}) + "\n")
        for line in lines:
            fh.write(json.dumps(line) + "\n")
            n += 1
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return n


def key_export(path: Path, *, using: str = "default") -> int:
    """Write every subject key (destroyed ones as empty) to `path`; returns the number of keys."""

    rows = (
        SubjectKey.objects.using(using)
        .order_by("pk")
        .values_list("pk", "wrapped", "destroyed_at")
        .iterator(chunk_size=5000)
    )
    return _write_atomically(
        path,
        ({"id": pk, "wrapped": w, "destroyed_at": d.isoformat() if d else None} for pk, w, d in rows),
    )


def key_export_read(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        head = json.loads(fh.readline() or "{}")
        if head.get("format") != FORMAT:
            raise ValueError(f"{path} is not a subject key export")
        return [json.loads(line) for line in fh if line.strip()]


def key_import(path: Path, *, using: str = "default") -> int:
    """Load an export into a database restored from a backup (its key table is empty). Returns the
    number of live keys loaded."""
    from django.utils.dateparse import parse_datetime

    rows = key_export_read(path)
    with transaction.atomic(using=using):
        SubjectKey.objects.using(using).bulk_create(
            [
                SubjectKey(
                    pk=r["id"],
                    wrapped=r["wrapped"],
                    destroyed_at=parse_datetime(r["destroyed_at"]) if r["destroyed_at"] else None,
                )
                for r in rows
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )
    _sequence_reset(using)
    return sum(1 for r in rows if r["wrapped"])


def _sequence_reset(using: str) -> None:
    from django.core.management.color import no_style
    from django.db import connections

    conn = connections[using]
    with conn.cursor() as cur:
        for sql in conn.ops.sequence_reset_sql(no_style(), [SubjectKey]):
            cur.execute(sql)


def key_export_forget(kid: int) -> None:
    """Blank key `kid` in the current export (after an erasure). Rewrites the file, if there is one."""
    path = export_path()
    if path is None or not path.exists():
        return
    rows = key_export_read(path)
    for r in rows:
        if r["id"] == kid:
            r["wrapped"] = ""
    _write_atomically(path, rows)
