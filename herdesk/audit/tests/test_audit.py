"""SEC-2: the audit log is hash-chained; a hand edit is found and named."""

from __future__ import annotations

import subprocess

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from herdesk.audit.models import AuditEntry
from herdesk.audit.services import audit_record, audit_verify


@pytest.mark.django_db
def test_chain_verifies_and_detects_edit_delete() -> None:
    for i in range(5):
        audit_record(actor=None, action="test.event", object_type="ticket", object_id=f"T{i}", data={"i": i})
    assert audit_verify().ok
    call_command("audit", "verify")
    # Edit one row by hand, behind the ORM's back.
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_auditentry SET data = %s WHERE seq = 3", ['{"i": 99}'])
    result = audit_verify()
    assert not result.ok and result.first_bad_seq == 3 and "altered" in result.reason
    with pytest.raises(CommandError) as exc:
        call_command("audit", "verify")
    assert exc.value.returncode == 1 and "#3" in str(exc.value)


@pytest.mark.django_db
def test_deleted_entry_is_found() -> None:
    for i in range(4):
        audit_record(actor=None, action="test.event", object_type="ticket", object_id=f"T{i}")
    AuditEntry.objects.filter(seq=2).delete()
    r = audit_verify()
    assert not r.ok and r.first_bad_seq == 2
    AuditEntry.objects.filter(seq=4).delete()


@pytest.mark.django_db
def test_truncated_tail_is_found() -> None:
    for i in range(3):
        audit_record(actor=None, action="test.event", object_type="ticket", object_id=f"T{i}")
    AuditEntry.objects.filter(seq=3).delete()
    r = audit_verify()
    assert not r.ok and r.first_bad_seq == 3


@pytest.mark.django_db
def test_services_write_entries(customer, staff) -> None:
    from herdesk.tickets.services import ticket_create

    t = ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="suggestion",
        subject="建议推出小包装",
    )
    assert AuditEntry.objects.filter(action="ticket.create", object_id=t.number, actor_name="agent1").exists()
    assert AuditEntry.objects.filter(action="user.role_set").count() >= 12


def test_cli_exits_nonzero_and_names_row(tmp_path) -> None:
    """The real command line against a real SQLite file."""
    import os
    import sqlite3
    import sys

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }

    def run(*a: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *a], env=env, capture_output=True, text=True, timeout=120
        )

    assert run("migrate", "-v0").returncode == 0
    assert (
        run(
            "shell",
            "-c",
            "from herdesk.audit.services import audit_record as a\n"
            "for i in range(3): a(actor=None, action='x', object_type='t', object_id=i)",
        ).returncode
        == 0
    )
    ok = run("audit", "verify")
    assert ok.returncode == 0 and "3 entries" in ok.stdout
    db = sqlite3.connect(tmp_path / "db.sqlite3")
    db.execute("UPDATE audit_auditentry SET action='forged' WHERE seq=2")
    db.commit()
    bad = run("audit", "verify")
    assert bad.returncode == 1 and "#2" in bad.stderr


@pytest.mark.django_db
def test_deferred_entries_follow_their_changes() -> None:
    """audit_deferred (the inbound batch): entries are chained at the end of the block, in order;
    one recorded in a savepoint that rolled back is dropped with its change."""
    from django.db import transaction

    from herdesk.audit.services import audit_deferred

    audit_record(actor=None, action="test.event", object_type="ticket", object_id="before")
    with transaction.atomic(), audit_deferred():
        audit_record(actor=None, action="test.event", object_type="ticket", object_id="kept1")
        assert not AuditEntry.objects.filter(object_id="kept1").exists()  # noted, not yet written
        try:
            with transaction.atomic():
                audit_record(actor=None, action="test.event", object_type="ticket", object_id="undone")
                with transaction.atomic():
                    audit_record(actor=None, action="test.event", object_type="ticket", object_id="undone2")
                raise RuntimeError("the change is rolled back")
        except RuntimeError:
            pass
        audit_record(actor=None, action="test.event", object_type="ticket", object_id="kept2")
    ids = list(
        AuditEntry.objects.filter(action="test.event").order_by("seq").values_list("object_id", flat=True)
    )
    assert ids == ["before", "kept1", "kept2"]
    assert audit_verify().ok
    # An exception out of the block writes nothing (the caller's transaction rolls back anyway).
    with pytest.raises(RuntimeError), transaction.atomic(), audit_deferred():
        audit_record(actor=None, action="test.event", object_type="ticket", object_id="lost")
        raise RuntimeError("batch fails")
    assert not AuditEntry.objects.filter(object_id="lost").exists()
    audit_record(actor=None, action="test.event", object_type="ticket", object_id="after")
    assert audit_verify().ok and audit_verify().checked == AuditEntry.objects.count()
