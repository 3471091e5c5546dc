"""Backup and the restore drill (SEC-4; issue #14).

`backup_take` writes a consistent copy of the database — `pg_dump --format=custom` on PostgreSQL (one
snapshot), SQLite's online backup API on the embedded default — without the subject key table's
rows, a tarball of the attachments, and a manifest (counts, checksums); the subject keys go to the
one current key export (herdesk.common.keystore), kept apart from the backups, so a backup taken
before an erasure stays unreadable for the erased subject (crypto-shredding).

`restore_drill` restores a backup into a scratch database (a new PostgreSQL database, a copy of the
SQLite file), loads the current key export into it and runs `herdesk backup verify` there in a
fresh process, as a real restore would: row counts against the manifest, a random sample of
tickets, the attachments' checksums from the tarball, a sample of contacts decrypted, and the
keyed audit chain (`audit_verify`). The scratch database is dropped afterwards. Every drill is
audited (`backup.drill`) with its outcome.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from herdesk.attachments.models import Attachment
from herdesk.audit.services import audit_record, audit_verify
from herdesk.common import crypto, keystore
from herdesk.common.models import SubjectKey
from herdesk.customers.models import Contact, Customer
from herdesk.tickets.models import Ticket

# What the manifest counts and the drill compares (app_label.Model).
COUNTED = (
    "tickets.Ticket",
    "tickets.Interaction",
    "customers.Customer",
    "customers.Contact",
    "attachments.Attachment",
    "audit.AuditEntry",
    "clocks.Clock",
    "common.SubjectKey",
)
KEY_TABLE = "common_subjectkey"


@dataclass
class Backup:
    vendor: str
    database: Path
    media: Path | None
    manifest: Path
    keys: Path | None
    anchors: Path | None = None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class DrillReport:
    ok: bool
    vendor: str
    backup: str
    scratch: str
    seconds: float
    counts: dict[str, list[int]] = field(default_factory=dict)  # model: [manifest, restored]
    problems: list[str] = field(default_factory=list)
    verify: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _counts(using: str = "default") -> dict[str, int]:
    from django.apps import apps

    return {label: apps.get_model(label).objects.using(using).count() for label in COUNTED}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class BackupError(RuntimeError):
    """A backup or restore tool failed (its message ends with the tool's own error output)."""


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _pg_env(cfg: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    if cfg.get("PASSWORD"):
        env["PGPASSWORD"] = str(cfg["PASSWORD"])
    return env


def _pg_args(cfg: dict[str, Any], name: str | None = None) -> list[str]:
    args = []
    if cfg.get("HOST"):
        args += ["--host", str(cfg["HOST"])]
    if cfg.get("PORT"):
        args += ["--port", str(cfg["PORT"])]
    if cfg.get("USER"):
        args += ["--username", str(cfg["USER"])]
    return [*args, "--dbname", name or str(cfg["NAME"])]


def _sqlite_copy_without_keys(target: Path) -> None:
    connection.ensure_connection()
    dst = sqlite3.connect(target)
    try:
        connection.connection.backup(dst)
        dst.execute("PRAGMA secure_delete = ON")  # the deleted key rows' pages are zeroed
        dst.execute(f"DELETE FROM {KEY_TABLE}")
        dst.commit()
        dst.execute("VACUUM")
    finally:
        dst.close()


def backup_take(*, dest: Path, keys_file: Path | None = None, media: bool = True) -> Backup:
    """A consistent backup of the default database (without the subject keys), the attachments and a
    manifest into `dest`; the subject keys to `keys_file` (default HERDESK_SUBJECT_KEYS_FILE)."""

    dest.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%fZ")
    vendor = connection.vendor
    counts = _counts()
    if vendor == "postgresql":
        database = dest / f"herdesk-{stamp}.dump"
        cfg = connection.settings_dict
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                f"--exclude-table-data={KEY_TABLE}",
                "--file",
                str(database),
                *_pg_args(cfg),
            ],
            _pg_env(cfg),
        )
    elif vendor == "sqlite":
        database = dest / f"herdesk-{stamp}.sqlite3"
        _sqlite_copy_without_keys(database)
    else:  # pragma: no cover
        raise NotImplementedError(vendor)
    os.chmod(database, 0o600)
    media_tar: Path | None = None
    root = Path(settings.MEDIA_ROOT)
    if media and root.exists():
        media_tar = dest / f"media-{stamp}.tar.gz"
        with tarfile.open(media_tar, "w:gz") as tar:
            tar.add(root, arcname="media")
        os.chmod(media_tar, 0o600)
    anchors: Path | None = None
    live_anchors = getattr(settings, "HERDESK_AUDIT_ANCHOR_FILE", "")
    if live_anchors and Path(live_anchors).exists():
        anchors = dest / f"audit-anchors-{stamp}.log"
        shutil.copyfile(live_anchors, anchors)
    keys_path = keys_file or keystore.export_path()
    keys = 0
    if keys_path is not None:
        keys = keystore.key_export(keys_path)
    manifest = dest / f"manifest-{stamp}.json"
    manifest.write_text(
        json.dumps(
            {
                "vendor": vendor,
                "taken_at": timezone.now().isoformat(),
                "database": database.name,
                "database_sha256": _sha256(database),
                "media": media_tar.name if media_tar else None,
                "media_sha256": _sha256(media_tar) if media_tar else None,
                "counts": counts,
                "subject_keys_exported": keys,
            },
            indent=2,
        )
    )
    return Backup(vendor, database, media_tar, manifest, keys_path, anchors, counts)


def _scratch_name() -> str:
    return f"{connection.settings_dict['NAME']}_drill_{timezone.now():%Y%m%d%H%M%S}_{os.getpid()}"[:63]


def _scratch_postgres(backup: Backup, name: str) -> str:
    """Create the scratch database `name` and pg_restore the dump into it; its database URL."""
    cfg = connection.settings_dict
    env = _pg_env(cfg)
    _run(["createdb", *_pg_args(cfg, name)[:-2], name], env)
    _run(["pg_restore", "--no-owner", "--exit-on-error", *_pg_args(cfg, name), str(backup.database)], env)
    user = cfg.get("USER") or ""
    password = f":{cfg['PASSWORD']}" if cfg.get("PASSWORD") else ""
    host = cfg.get("HOST") or "localhost"
    port = f":{cfg['PORT']}" if cfg.get("PORT") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{host}{port}/{name}"


def _drop_postgres(name: str) -> None:
    cfg = connection.settings_dict
    subprocess.run(
        ["dropdb", "--if-exists", *_pg_args(cfg, name)[:-2], name],
        check=False,
        env=_pg_env(cfg),
        capture_output=True,
    )


def restore_drill(
    *, backup: Backup | None = None, keys_file: Path | None = None, sample: int = 20, actor: Any = "cli"
) -> DrillReport:
    """Restore `backup` (a new one if None) into a scratch database and verify it (module doc)."""
    import time

    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="herdesk-drill-"))
    try:
        if backup is None:
            keys_file = keys_file or keystore.export_path() or work / "subject-keys.jsonl"
            backup = backup_take(dest=work / "backup", keys_file=keys_file)
        keys_file = keys_file or backup.keys
        manifest = json.loads(backup.manifest.read_text())
        problems: list[str] = []
        if _sha256(backup.database) != manifest["database_sha256"]:
            problems.append("the database file does not match its manifest checksum")
        media_dir = ""
        if backup.media is not None:
            with tarfile.open(backup.media) as tar:
                tar.extractall(work / "restored", filter="data")
            media_dir = str(work / "restored" / "media")
        if backup.vendor == "postgresql":
            scratch = _scratch_name()
        else:
            scratch = str(work / "restored.sqlite3")
        try:
            if backup.vendor == "postgresql":
                url = _scratch_postgres(backup, scratch)
            else:
                shutil.copyfile(backup.database, scratch)
                url = f"sqlite:///{scratch}"
            cmd = [sys.executable, "-m", "herdesk.cli", "backup", "verify", "--json", "--sample", str(sample)]
            if keys_file is not None and Path(keys_file).exists():
                cmd += ["--keys", str(keys_file)]
            if media_dir:
                cmd += ["--media", media_dir]
            # The anchors copied with the backup (none: an empty list, not the live file, which may
            # know entries written after the backup).
            cmd += ["--anchor-file", str(backup.anchors or work / "no-anchors.log")]
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE")
                or settings.SETTINGS_MODULE
                or "config.settings.local",
                "HERDESK_EMBEDDED_SCHEDULER": "false",
            }
            env.pop("DATABASE_REPLICA_URL", None)
            done = subprocess.run(
                cmd, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=3600
            )
            try:
                verify = json.loads(done.stdout.strip().splitlines()[-1])
            except (ValueError, IndexError):
                verify = {"ok": False, "problems": [f"verify failed: {done.stderr.strip()[-2000:]}"]}
        finally:
            if backup.vendor == "postgresql":
                _drop_postgres(scratch)
        problems += verify.get("problems", [])
        counts: dict[str, list[int]] = {}
        for label, expected in manifest["counts"].items():
            got = verify.get("counts", {}).get(label, -1)
            counts[label] = [expected, got]
            if label != "common.SubjectKey" and got < expected:
                problems.append(f"{label}: {got} rows restored, {expected} in the manifest")
        report = DrillReport(
            ok=not problems,
            vendor=backup.vendor,
            backup=backup.database.name,
            scratch=scratch,
            seconds=round(time.monotonic() - started, 1),
            counts=counts,
            problems=problems,
            verify={k: v for k, v in verify.items() if k not in ("counts", "problems")},
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    audit_record(
        actor=actor,
        action="backup.drill",
        object_type="backup",
        object_id=0,
        data={
            "ok": report.ok,
            "vendor": report.vendor,
            "backup": report.backup,
            "problems": report.problems[:20],
        },
    )
    return report


def restored_verify(
    *, keys: Path | None, media: Path | None, anchor_file: str | None = None, sample: int = 20
) -> dict[str, Any]:
    """Run inside the restored database (`herdesk backup verify`): load the key export, then check
    counts, a sample of tickets, attachments, contacts and the audit chain."""

    problems: list[str] = []
    out: dict[str, Any] = {}
    if SubjectKey.objects.exclude(wrapped="").exists():
        problems.append("the backup holds subject keys (it must not: crypto-shredding)")
    out["keys_loaded"] = keystore.key_import(keys) if keys is not None else 0
    out["counts"] = _counts()
    rng = random.Random()
    ids = list(Ticket.objects.values_list("pk", flat=True))
    tickets = Ticket.objects.filter(pk__in=rng.sample(ids, min(sample, len(ids)))).select_related("customer")
    out["tickets_sampled"] = sum(1 for t in tickets if t.number and t.customer_id)
    readable = shredded = 0
    customer_ids = list(Customer.objects.values_list("pk", flat=True))
    for c in Contact.objects.filter(customer_id__in=rng.sample(customer_ids, min(sample, len(customer_ids)))):
        try:
            values = (c.phone, c.email)
        except crypto.SubjectKeyMissing as exc:
            problems.append(str(exc))
            continue
        if any(values):
            readable += 1
        else:
            shredded += 1
    out["contacts_readable"], out["contacts_empty_or_shredded"] = readable, shredded
    checked = 0
    if media is not None:
        atts = list(Attachment.objects.order_by("?")[:sample])
        for a in atts:
            path = Path(media) / a.storage_path
            if not path.exists():
                problems.append(f"attachment {a.pk}: file missing")
            elif _sha256(path) != a.sha256:
                problems.append(f"attachment {a.pk}: checksum differs")
            checked += 1
    out["attachments_checked"] = checked
    result = audit_verify(anchor_file=anchor_file)
    out["audit"] = {
        "ok": result.ok,
        "checked": result.checked,
        "anchors": result.anchors,
        "breaks": [f"#{b.seq}: {b.reason}" for b in result.breaks[:20]],
    }
    if not result.ok:
        problems.append(f"audit verify: {len(result.breaks)} break(s)")
    out["problems"] = problems
    out["ok"] = not problems
    return out
