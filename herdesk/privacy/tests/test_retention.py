"""Retention per data class and the monthly archive (CLS-3, SEC-4; issue #14), with time advanced:
a finished month is sealed into the archive store (checksummed, readable back, shredded by an
erasure), what is past retention is purged or erased, every run is reported and audited, and the
KPI and compliance figures never change."""

from __future__ import annotations

import gzip
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from herdesk.audit.models import AuditEntry
from herdesk.audit.services import audit_verify
from herdesk.privacy import retention
from herdesk.privacy.models import ArchivedTicket, RecordArchive, RetentionRun

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture
def archive_dir(tmp_path, settings):
    settings.HERDESK_ARCHIVE_DIR = str(tmp_path / "archive")
    return tmp_path / "archive"


def _closed(staff, customer, subject: str, closed: datetime):
    from herdesk.tickets.models import Ticket
    from herdesk.tickets.services import interaction_add, ticket_create

    t = ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="suggestion",
        subject=subject,
        description="详细说明",
    )
    interaction_add(ticket=t, actor=staff["agent1"], kind="phone_call", direction="inbound", body="客户来电")
    Ticket.objects.filter(pk=t.pk).update(status="closed", closed_at=closed, resolved_at=closed)
    return Ticket.objects.get(pk=t.pk)


def _figures() -> dict:
    from herdesk.analytics import periods
    from herdesk.analytics.rollup import rollup_range
    from herdesk.analytics.selectors import kpi_report
    from herdesk.clocks.selectors import compliance_summary
    from herdesk.tickets.models import Ticket

    first = datetime(2026, 10, 1).date()
    last = datetime(2026, 12, 31).date()
    rollup_range(first, last)
    return {
        "kpis": [kpi_report(periods.month(m)) for m in ("2026-10", "2026-12")],
        "compliance": [compliance_summary(month=m) for m in ("2026-10", "2026-12")],
        "tickets": Ticket.objects.count(),
    }


def _payload(received: datetime):
    from herdesk.inbound.models import InboundPayload

    return InboundPayload.objects.create(
        channel="email",
        source="mailbox-1",
        dedupe_key=f"k-{received:%s}",
        content_key="c",
        sha256="0" * 64,
        size=5,
        raw=b"From: zhang@example.cn\r\n\r\nhello",
        state="processed",
        received_at=received,
    )


def test_a_year_of_retention_with_time_advanced(archive_dir, staff, customer, other_customer) -> None:
    t1 = _closed(staff, customer, "张三的饲料问题", datetime(2026, 10, 15, 10, tzinfo=SH))
    _closed(staff, other_customer, "李四的建议", datetime(2026, 10, 20, 10, tzinfo=SH))
    payload = _payload(datetime(2026, 10, 2, tzinfo=SH))
    before = _figures()

    # 3 November: October ended less than archive_grace_days (5) ago — nothing is due yet.
    report = retention.retention_run(now=datetime(2026, 11, 3, tzinfo=SH))
    assert report["archived"] == [] and not RetentionRun.objects.exists()

    # 10 November: October is sealed.
    report = retention.retention_run(now=datetime(2026, 11, 10, tzinfo=SH))
    assert [a["month"] for a in report["archived"]] == ["2026-10"]
    archive = RecordArchive.objects.get(month="2026-10")
    assert archive.tickets == 2 and (archive_dir / archive.path).exists()
    assert oct((archive_dir / archive.path).stat().st_mode & 0o777) == "0o600"
    raw = gzip.decompress((archive_dir / archive.path).read_bytes()).decode()
    assert "张三" not in raw and "饲料" not in raw and t1.number in raw  # texts sealed, figures in clear
    assert retention.archive_verify() == []
    [record] = retention.archived_ticket_read(actor=staff["cs_lead"], number=t1.number)
    assert record["private"]["subject"] == "张三的饲料问题"
    assert record["private"]["customer"]["contacts"][0]["phone"] == "+8613812348000"
    assert AuditEntry.objects.filter(action="pii.read", data__purpose="archive_read").exists()
    assert AuditEntry.objects.filter(action="retention.run").count() == 1
    # Idempotent: a second run the same day does nothing more.
    assert retention.retention_run(now=datetime(2026, 11, 10, 12, tzinfo=SH))["archived"] == []
    assert _figures() == before

    # An erasure shreds the archived copy too.
    from herdesk.privacy.services import dsr_erase, dsr_open

    dsr_erase(
        actor=staff["cs_lead"], request=dsr_open(actor=staff["cs_lead"], customer=customer, kind="erasure")
    )
    [record] = retention.archived_ticket_read(actor=staff["cs_lead"], number=t1.number)
    assert record["private"] is None and record["status"] == "closed"
    assert _figures() == before

    # May 2027: the raw inbound payload is past its 6 months.
    report = retention.retention_run(now=datetime(2027, 5, 10, tzinfo=SH))
    assert report["raw_payloads_purged"] == 1
    payload.refresh_from_db()
    assert bytes(payload.raw) == b"" and payload.meta == {"purged": True}

    # November 2029: the October 2026 archive is past its 36 months: deleted.
    report = retention.retention_run(now=datetime(2029, 11, 10, tzinfo=SH))
    assert report["archives_purged"] == 1
    archive.refresh_from_db()
    assert archive.purged_at and not (archive_dir / archive.path).exists()
    assert not ArchivedTicket.objects.filter(archive=archive).exists()

    # 2032: five years without a ticket: the remaining customer is erased, the figures stay.
    report = retention.retention_run(now=datetime(2032, 1, 10, tzinfo=SH))
    assert report["customers_erased"] == 1
    other_customer.refresh_from_db()
    assert other_customer.name.startswith("已删除客户") and other_customer.contacts.get().phone == ""
    assert _figures() == before
    assert RetentionRun.objects.count() == 4  # the runs that had something to do
    assert audit_verify().ok


def test_a_customer_with_an_open_ticket_is_not_erased(archive_dir, staff, customer) -> None:
    from herdesk.tickets.services import ticket_create

    ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="suggestion",
        subject="s",
        description="",
    )
    assert retention.retention_run(now=datetime(2040, 1, 1, tzinfo=SH))["customers_erased"] == 0


def test_a_tampered_archive_is_reported(archive_dir, staff, customer, capsys) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    _closed(staff, customer, "s", datetime(2026, 10, 15, 10, tzinfo=SH))
    call_command("retention", "run", "--now", "2026-11-10T00:00:00+08:00")
    archive = RecordArchive.objects.get()
    path = archive_dir / archive.path
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes()).replace(b"closed", b"opened")))
    with pytest.raises(CommandError):
        call_command("retention", "verify")
    assert "checksum differs" in capsys.readouterr().out


def test_the_job_is_registered() -> None:
    from herdesk.ops.jobs import job_by_task, job_function

    job = job_by_task("herdesk.retention")
    assert job_function(job) is retention.retention_run
