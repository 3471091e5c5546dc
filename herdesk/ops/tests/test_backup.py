"""Backup and restore drill (SEC-4; issue #14): a backup restored into a scratch database passes
`audit verify`, has the counts of its manifest, readable contacts and intact attachments; it holds
no subject key, so after an erasure the subject stays unreadable even in a backup taken before it."""

from __future__ import annotations

import json
import sqlite3

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from herdesk.common.models import SubjectKey
from herdesk.ops.backup import backup_take, restore_drill

pytestmark = pytest.mark.django_db(transaction=True)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def filled(customer, other_customer, staff):
    from herdesk.attachments.services import attachment_add
    from herdesk.tickets.services import ticket_create

    ticket = ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="suggestion",
        subject="牛奶包装建议",
        description="",
    )
    attachment_add(ticket=ticket, actor=staff["agent1"], upload=SimpleUploadedFile("照片.png", PNG))
    return ticket


def test_drill_restores_and_verifies_then_erasure_shreds_the_old_backup(
    filled, customer, staff, tmp_path, settings
):
    settings.MEDIA_ROOT = settings.MEDIA_ROOT  # the attachments written above
    keys = tmp_path / "keys" / "subject-keys.jsonl"
    settings.HERDESK_SUBJECT_KEYS_FILE = str(keys)
    backup = backup_take(dest=tmp_path / "backups", keys_file=keys)
    assert backup.counts["tickets.Ticket"] == 1 and backup.media is not None
    assert (
        oct(keys.stat().st_mode & 0o777) == "0o600" and oct(backup.database.stat().st_mode & 0o777) == "0o600"
    )
    # No subject key in the backup itself.
    if backup.vendor == "sqlite":
        db = sqlite3.connect(backup.database)
        assert db.execute("SELECT COUNT(*) FROM common_subjectkey").fetchone() == (0,)
        db.close()
    wrapped = SubjectKey.objects.get(pk=customer.data_key_id).wrapped
    assert wrapped.encode() not in backup.database.read_bytes()

    report = restore_drill(backup=backup, keys_file=keys)
    assert report.ok, report.problems
    assert report.counts["tickets.Ticket"] == [1, 1]
    assert report.verify["audit"]["ok"] and report.verify["audit"]["checked"] > 0
    assert report.verify["contacts_readable"] == 2 and report.verify["attachments_checked"] == 1
    assert report.verify["keys_loaded"] == backup.counts["common.SubjectKey"]

    # Erase the customer: the key is destroyed in the database and blanked in the key export.
    from herdesk.privacy.services import dsr_erase, dsr_open

    dsr_erase(
        actor=staff["cs_lead"], request=dsr_open(actor=staff["cs_lead"], customer=customer, kind="erasure")
    )
    exported = {r["id"]: r for r in map(json.loads, keys.read_text().splitlines()[1:])}
    assert exported[backup_key(customer, exported)]["wrapped"] == ""
    # The backup taken BEFORE the erasure, restored with the current keys: the subject is unreadable,
    # the other customer readable, the audit chain intact.
    report = restore_drill(backup=backup, keys_file=keys)
    assert report.ok, report.problems
    assert report.verify["contacts_readable"] == 1 and report.verify["contacts_empty_or_shredded"] == 1


def backup_key(customer, exported) -> int:
    from herdesk.audit.models import AuditEntry

    return AuditEntry.objects.get(action="privacy.key_destroyed", object_id=customer.pk).data["key"]


def test_a_tampered_backup_fails_the_drill(filled, tmp_path, settings, is_postgres) -> None:
    if is_postgres:
        pytest.skip("tampering is done on the SQLite copy; the PostgreSQL pass runs the drill above")
    keys = tmp_path / "keys.jsonl"
    backup = backup_take(dest=tmp_path / "b", keys_file=keys, media=False)
    db = sqlite3.connect(backup.database)
    db.execute("UPDATE audit_auditentry SET action = 'ticket.nothing' WHERE seq = 2")
    db.commit()
    db.close()
    # The manifest checksum no longer matches and audit verify finds the altered entry.
    report = restore_drill(backup=backup, keys_file=keys)
    assert not report.ok
    assert any("checksum" in p for p in report.problems)
    assert any("#2" in b for b in report.verify["audit"]["breaks"])


def test_the_command_runs_a_drill(filled, tmp_path, settings, capsys) -> None:
    settings.HERDESK_SUBJECT_KEYS_FILE = str(tmp_path / "k.jsonl")
    call_command("backup", "drill")
    out = capsys.readouterr().out
    assert "OK" in out and "audit verify: OK" in out
