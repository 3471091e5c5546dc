"""The report pack runs itself on the first working day after the month (KPI-2), on the calendar:
September 2026's pack waits for 10-08, the first day back after the National Day holiday."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from herdesk.analytics.models import ReportArchive
from herdesk.analytics.services import first_working_day_after, report_pack_due
from herdesk.notifications.models import OutboxMessage

Z = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def test_first_working_day_after_september_is_after_the_holiday(reference) -> None:
    assert first_working_day_after(dt.date(2026, 9, 30)) == dt.date(2026, 10, 8)
    assert first_working_day_after(dt.date(2026, 10, 9)) == dt.date(2026, 10, 10)  # make-up Saturday


def test_pack_waits_for_the_first_working_day_then_archives_once_and_tells_management(staff) -> None:
    assert report_pack_due(now=dt.datetime(2026, 10, 7, 9, 0, tzinfo=Z)) == []
    assert not ReportArchive.objects.exists()
    made = report_pack_due(now=dt.datetime(2026, 10, 8, 9, 0, tzinfo=Z))
    assert made == ["2026-09", "2026Q3"]  # September ends a quarter
    files = set(ReportArchive.objects.values_list("kind", "label", "fmt"))
    assert files == {
        (k, lbl, f) for k, lbl in (("monthly", "2026-09"), ("quarterly", "2026Q3")) for f in ("pdf", "xlsx")
    }
    pdf = ReportArchive.objects.get(kind="monthly", fmt="pdf")
    assert pdf.file.read(5) == b"%PDF-" and pdf.size > 1000 and len(pdf.sha256) == 64
    notices = OutboxMessage.objects.filter(template="report_ready")
    assert set(notices.values_list("recipient", flat=True)) == {str(staff["manager"].pk)}
    # Later runs (the job is hourly) generate nothing twice.
    assert report_pack_due(now=dt.datetime(2026, 10, 9, 9, 0, tzinfo=Z)) == []
    assert ReportArchive.objects.count() == 4 and notices.count() == 2
