"""Data-subject requests (SEC-4, SEC-6): register with a working-day deadline, export, erasure
that keeps the statistics."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection

from herdesk.audit.models import AuditEntry
from herdesk.audit.services import audit_verify
from herdesk.privacy.models import DataSubjectRequest
from herdesk.privacy.services import dsr_due, dsr_erase, dsr_open

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def test_deadline_is_counted_in_working_days_across_the_national_day_holiday(reference) -> None:
    # Received Friday 2026-09-25: 15 working days later, skipping the 1–7 October holiday (and the
    # weekends), is not 15 calendar days later.
    due = dsr_due(datetime(2026, 9, 25, 10, 0, tzinfo=SH)).astimezone(SH)
    assert due.date() > datetime(2026, 10, 16).date()
    assert (due.date() - datetime(2026, 9, 25).date()).days >= 21


def test_open_export_and_erase_through_the_command_line(customer, staff, tmp_path, capsys) -> None:
    from herdesk.tickets.models import Ticket
    from herdesk.tickets.services import interaction_add, ticket_create

    ticket = ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="suggestion",
        subject="张三的建议",
        description="请打 13812348000 找张三",
    )
    interaction_add(
        ticket=ticket, actor=staff["agent1"], kind="phone_call", direction="inbound", body="张三来电"
    )
    call_command("privacy", "open", "--phone", "138 1234 8000", "--kind", "access")
    access = DataSubjectRequest.objects.get(kind="access")
    assert access.due_at > access.received_at
    out = tmp_path / "export.json"
    call_command("privacy", "export", str(access.pk), "--out", str(out))
    data = json.loads(out.read_text())
    assert data["contacts"][0]["phone"] == "+8613812348000" and data["tickets"][0]["subject"] == "张三的建议"
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    access.refresh_from_db()
    assert access.status == "done"
    assert AuditEntry.objects.filter(action="pii.read", data__purpose="dsr_export").exists()

    erase = dsr_open(actor=staff["cs_lead"], customer=customer, kind="erasure")
    clocks_before = ticket.clocks.count() if hasattr(ticket, "clocks") else None
    counts = dsr_erase(actor=staff["cs_lead"], request=erase)
    assert counts["contacts"] == 1 and counts["tickets"] == 1
    t = Ticket.objects.get(pk=ticket.pk)  # the ticket (and its statistics) stays
    assert "张三" not in t.subject and t.description == ""
    assert not t.interactions.filter(body__contains="张三").exists()
    if clocks_before is not None:
        assert t.clocks.count() == clocks_before
    # The number can no longer be found, and is nowhere in the database in clear.
    from herdesk.customers.selectors import customer_find_by_phone

    assert not customer_find_by_phone(user=None, phone="13812348000").exists()
    with connection.cursor() as cur:
        cur.execute("SELECT name FROM customers_customer WHERE id = %s", [customer.pk])
        assert "张三" not in cur.fetchone()[0]
    erase.refresh_from_db()
    assert erase.status == "done" and erase.result["erased"]["contacts"] == 1
    assert audit_verify().ok  # the audit chain is untouched
    call_command("privacy", "list")
