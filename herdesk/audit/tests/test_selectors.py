"""Reads of the audit log go through herdesk.audit.selectors (issue 21)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from herdesk.audit import selectors
from herdesk.audit.services import audit_record

HERDESK = Path(__file__).resolve().parents[2]
# Who may touch the log's tables directly: its models, its writer (appends, the chain head's lock)
# and its reader.
OWNERS = {"audit/models.py", "audit/services.py", "audit/selectors.py"}


def test_no_module_outside_the_audit_app_queries_the_log_directly() -> None:
    pattern = re.compile(r"\b(AuditEntry|AuditChainHead)\.objects\b")
    offenders = []
    for path in sorted(HERDESK.rglob("*.py")):
        rel = path.relative_to(HERDESK).as_posix()
        if "/tests/" in rel or "/migrations/" in rel or rel in OWNERS:
            continue
        if pattern.search(path.read_text(encoding="utf-8")):
            offenders.append(rel)
    assert offenders == [], f"read the audit log through herdesk.audit.selectors: {offenders}"


def test_the_writer_reads_only_the_chain_head_it_locks() -> None:
    text = (HERDESK / "audit" / "services.py").read_text(encoding="utf-8")
    uses = re.findall(r"\b(?:AuditEntry|AuditChainHead)\.objects\.(\w+)\(\)?", text)
    assert set(uses) <= {"select_for_update", "bulk_create", "filter"}, uses
    assert "AuditEntry.objects.filter" not in text  # the verify walk reads through chain_batch


@pytest.mark.django_db
def test_selectors_filter_count_and_name_the_actors(staff) -> None:
    start = timezone.now() - timedelta(seconds=1)
    actor = staff["agent1"]
    audit_record(actor=actor, action="sel.one", object_type="thing", object_id=41)
    audit_record(actor=actor, action="sel.two", object_type="thing", object_id=41)
    audit_record(actor=None, action="sel.two", object_type="thing", object_id=41)
    audit_record(actor=actor, action="sel.one", object_type="thing", object_id=42)

    history = selectors.object_history(object_type="thing", object_id=41)
    assert [e.action for e in history] == ["sel.one", "sel.two", "sel.two"]
    assert [e.seq for e in history] == sorted(e.seq for e in history)
    assert selectors.audit_count(object_type="thing", object_id="41", action="sel.two") == 2
    assert selectors.audit_count(actor_id=actor.pk, action="sel.one", since=start) == 2
    assert selectors.audit_count(action_prefix="sel.", since=timezone.now() + timedelta(hours=1)) == 0
    assert selectors.audit_actor_ids(object_type="thing", object_id=41, actions=["sel.two"]) == {actor.pk}
    head = selectors.chain_head()
    assert head is not None and head.last_seq == history[-1].seq + 1
    batch = selectors.chain_batch(after_seq=history[0].seq, batch=2)
    assert [e.seq for e in batch] == [history[0].seq + 1, history[0].seq + 2]
