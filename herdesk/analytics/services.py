"""The report pack's automatic run (KPI-2): on the first working day after a month ends (on the
working calendar, so after the National Day holiday it is the first day back), the month's pack — and
the quarter's after its last month — is generated, archived and announced to management.
Idempotent and catching up: any later run generates what is missing and nothing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone

from herdesk.calendars.selectors import working_calendar
from herdesk.notifications.services import outbox_enqueue_many
from herdesk.staff.models import User

from . import periods, reports
from .models import ReportArchive

ZONE = ZoneInfo("Asia/Shanghai")
CALENDAR = "office"
MANAGEMENT_GROUP = "management"


def first_working_day_after(day: dt.date) -> dt.date:
    calendar = working_calendar(CALENDAR)
    d = day + dt.timedelta(days=1)
    while not calendar.is_working_day(d):
        d += dt.timedelta(days=1)
    return d


def report_pack_archive(period: periods.Period, kind: str) -> list[ReportArchive]:
    """Generate the PDF and XLSX of a period into the archive (the ones not archived yet)."""
    made = []
    for fmt in ("pdf", "xlsx"):
        if ReportArchive.objects.filter(kind=kind, label=period.label, fmt=fmt).exists():
            continue
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / f"herdesk-{kind}-{period.label}.{fmt}"
            if fmt == "pdf":
                reports.render_pdf(period, out)
            else:
                reports.render_xlsx(period, out)
            data = out.read_bytes()
            try:
                with transaction.atomic(), out.open("rb") as fh:
                    row = ReportArchive(
                        kind=kind,
                        label=period.label,
                        fmt=fmt,
                        size=len(data),
                        sha256=hashlib.sha256(data).hexdigest(),
                    )
                    row.file.save(out.name, File(fh), save=False)
                    row.save()
            except IntegrityError:  # another worker archived it meanwhile
                continue
            made.append(row)
    return made


def _announce(kind: str, label: str) -> None:
    # Stored text read later by a manager whose language is unknown here: both languages.
    text = (
        f"服务数据汇总 {label} 已生成，可在“服务数据报表”下载 / "
        f"The {kind} service report {label} is ready on the service reports page"
    )
    managers = User.objects.filter(groups__name=MANAGEMENT_GROUP, is_active=True).values_list("pk", flat=True)
    outbox_enqueue_many(
        [
            {
                "dedupe_key": f"report:{kind}:{label}:{uid}",
                "channel": "internal",
                "recipient": str(uid),
                "template": "report_ready",
                "payload": {"text": text, "report": f"{kind}:{label}"},
            }
            for uid in managers
        ]
    )


def report_pack_due(*, now: dt.datetime | None = None) -> list[str]:
    """The periodic job: archive last month's (and last quarter's) pack once the first working day
    after the month has come. Returns the labels generated now."""
    today = timezone.localtime(now or timezone.now(), ZONE).date()
    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    if today < first_working_day_after(last_month_end):
        return []
    done: list[str] = []
    due: list[tuple[periods.Period, str]] = [(periods.month(f"{last_month_end:%Y-%m}"), "monthly")]
    if last_month_end.month % 3 == 0:
        due.append((periods.quarter(f"{last_month_end.year}Q{last_month_end.month // 3}"), "quarterly"))
    for period, kind in due:
        if report_pack_archive(period, kind):
            _announce(kind, period.label)
            done.append(period.label)
    return done


def archives() -> list[dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for a in ReportArchive.objects.all()[:48]:
        entry = rows.setdefault((a.kind, a.label), {"kind": a.kind, "label": a.label, "files": []})
        entry["files"].append(a)
    return list(rows.values())
