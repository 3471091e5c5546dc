"""SEC-2: the audit log is hash-chained; a hand edit is found and named."""

from __future__ import annotations

import subprocess

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from herdesk.audit.models import AuditEntry
from herdesk.audit.services import audit_record, audit_verify


@pytest.fixture(autouse=True)
def _empty_chain(request: pytest.FixtureRequest) -> None:
    """These tests count from an empty chain; the reference data of the test session (loaded once,
    conftest.py) wrote audited entries before them. Emptied inside the test's transaction, so the
    rollback puts them back."""
    if "db" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("db")
    from herdesk.audit.models import AuditChainHead

    AuditEntry.objects.all().delete()
    AuditChainHead.objects.all().delete()


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


# --- keyed chain, every break, anchors (issue #14, item 1) ---------------------------------------


def _write(n: int, prefix: str = "T") -> None:
    for i in range(n):
        audit_record(actor=None, action="test.event", object_type="ticket", object_id=f"{prefix}{i}")


@pytest.mark.django_db
def test_chain_is_keyed_a_recomputed_sha256_does_not_pass() -> None:
    """Someone with database access but without HERDESK_AUDIT_KEY edits an entry and re-computes
    its hash and every later link with plain SHA-256 (what the unkeyed chain allowed): found."""
    from herdesk.audit.services import entry_hash

    _write(4)
    rows = list(AuditEntry.objects.order_by("seq"))
    prev = rows[1].hash
    for e in rows[2:]:
        e.actor_name = "forger" if e.seq == 3 else e.actor_name
        e.prev_hash = prev
        e.hash = prev = entry_hash(
            prev_hash=prev,
            seq=e.seq,
            occurred_at=e.occurred_at.isoformat(),
            actor_id=e.actor_id,
            actor_name=e.actor_name,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            data=e.data,
            keyed=False,
        )
        AuditEntry.objects.filter(seq=e.seq).update(
            actor_name=e.actor_name, prev_hash=e.prev_hash, hash=e.hash
        )
    from herdesk.audit.models import AuditChainHead

    AuditChainHead.objects.filter(id=1).update(last_hash=prev)
    r = audit_verify()
    # Every re-hashed entry is found (the reference data of the test session wrote entries too).
    assert not r.ok and [b.seq for b in r.breaks] == [e.seq for e in rows[2:]]


@pytest.mark.django_db
def test_the_key_changes_every_hash(settings) -> None:
    _write(2)
    assert audit_verify().ok
    settings.HERDESK_AUDIT_KEY = "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMDAwMDA="
    r = audit_verify()
    assert not r.ok and [b.seq for b in r.breaks] == [1, 2]


@pytest.mark.django_db
def test_verify_reports_every_break_in_one_run() -> None:
    _write(10)
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_auditentry SET object_id = 'x' WHERE seq IN (2, 7)")
    AuditEntry.objects.filter(seq__in=[4, 5]).delete()
    r = audit_verify()
    assert not r.ok
    assert [(b.seq, b.reason.split(" ")[-1]) for b in r.breaks] == [
        (2, "mismatch)"),
        (4, "missing"),
        (7, "mismatch)"),
    ]
    assert "#4–#5" in r.breaks[1].reason
    with pytest.raises(CommandError) as exc:
        call_command("audit", "verify")
    assert "3 break(s)" in str(exc.value)


@pytest.mark.django_db
def test_legacy_entries_before_the_cut_over_still_verify(settings, tmp_path) -> None:
    """The upgrade (migration 0002) marks the cut-over: older entries keep their SHA-256 links."""
    from herdesk.audit.models import AuditChainHead
    from herdesk.audit.services import entry_hash

    # Two entries as the unkeyed version wrote them.
    prev = "0" * 64
    from django.utils import timezone

    now = timezone.now()
    for seq in (1, 2):
        h = entry_hash(
            prev_hash=prev,
            seq=seq,
            occurred_at=now.isoformat(),
            actor_id=None,
            actor_name="system",
            action="old",
            object_type="t",
            object_id=str(seq),
            data={},
            keyed=False,
        )
        AuditEntry.objects.create(
            seq=seq,
            occurred_at=now,
            actor_name="system",
            action="old",
            object_type="t",
            object_id=str(seq),
            data={},
            prev_hash=prev,
            hash=h,
        )
        prev = h
    AuditChainHead.objects.create(id=1, last_seq=2, last_hash=prev, keyed_from_seq=3)
    _write(2)
    r = audit_verify()
    assert r.ok and r.checked == 4 and r.legacy == 2
    # Moving the cut-over forward to pass off forged SHA-256 entries is caught by the anchor.
    from herdesk.audit.services import audit_anchor

    settings.HERDESK_AUDIT_ANCHOR_FILE = str(tmp_path / "anchors.log")
    audit_anchor(force=True)
    AuditChainHead.objects.filter(id=1).update(keyed_from_seq=5)
    r = audit_verify()
    assert not r.ok and any("cut-over moved" in b.reason for b in r.breaks)


@pytest.mark.django_db
def test_anchor_finds_a_truncated_tail_with_a_rewritten_head(tmp_path) -> None:
    """Delete the last entries and set the head row to the new last entry: the chain itself is
    consistent again, only the anchor outside the database knows better."""
    from herdesk.audit.models import AuditChainHead
    from herdesk.audit.services import audit_anchor

    anchors = str(tmp_path / "anchors.log")
    _write(5)
    assert audit_anchor(anchor_file=anchors) is not None
    assert audit_anchor(anchor_file=anchors) is None  # the head has not moved
    assert audit_verify(anchor_file=anchors).ok and audit_verify(anchor_file=anchors).anchors == 1
    AuditEntry.objects.filter(seq__gte=4).delete()
    third = AuditEntry.objects.get(seq=3)
    AuditChainHead.objects.filter(id=1).update(last_seq=3, last_hash=third.hash)
    r = audit_verify(anchor_file=anchors)
    assert not r.ok and r.breaks[0].seq == 5 and "anchored" in r.breaks[0].reason
    # A forged anchor line (no key) is reported, not trusted.
    with open(anchors, "a") as fh:
        fh.write('{"at": "2026-01-01T00:00:00+00:00", "seq": 3, "hash": "00", "keyed_from": 1, "mac": "x"}\n')
    assert any("bad signature" in b.reason for b in audit_verify(anchor_file=anchors).breaks)


@pytest.mark.django_db
def test_anchor_is_a_periodic_job_and_respects_its_interval(settings, tmp_path) -> None:
    from herdesk.audit.services import _anchors_read
    from herdesk.ops.jobs import run_periodic_tasks

    settings.HERDESK_AUDIT_ANCHOR_FILE = str(tmp_path / "a.log")
    _write(1)
    run_periodic_tasks()
    assert [a["seq"] for a in _anchors_read()] == [1]
    _write(1)
    run_periodic_tasks()  # within the interval: no new line
    assert len(_anchors_read()) == 1
    settings.HERDESK_AUDIT_ANCHOR_INTERVAL_SECONDS = 0
    run_periodic_tasks()
    assert [a["seq"] for a in _anchors_read()] == [1, 2]
    assert oct(__import__("os").stat(tmp_path / "a.log").st_mode & 0o777) == "0o600"
    from django.conf import settings as conf

    assert conf.CELERY_BEAT_SCHEDULE["audit-anchor"]["task"] == "herdesk.audit_anchor"


def test_missing_or_short_key_is_refused(settings) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from herdesk.audit.services import entry_hash

    kw = dict(
        prev_hash="0",
        seq=1,
        occurred_at="",
        actor_id=None,
        actor_name="",
        action="",
        object_type="",
        object_id="",
        data={},
    )
    settings.HERDESK_AUDIT_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        entry_hash(**kw)  # type: ignore[arg-type]
    settings.HERDESK_AUDIT_KEY = "c2hvcnQ="
    with pytest.raises(ImproperlyConfigured):
        entry_hash(**kw)  # type: ignore[arg-type]
