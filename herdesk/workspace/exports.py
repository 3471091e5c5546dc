"""A list page's rows as an XLSX file (issue 18: every list page exports what it shows).

Written with xlsxwriter's constant-memory mode into a temporary file that is streamed back and
removed when the response closes, so a 100,000-row export keeps memory flat. Times are written in
Asia/Shanghai (the workbook has no time zones); codes (status, channel, …) as their labels in the
reader's language, as the page shows them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter
from django.http import FileResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.tickets.choices import Channel, Priority, ProblemType, Status

from .forms import clock_label
from .templatetags.workspace_tags import duration_words

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or ""


def _local(row: dict[str, Any], field: str) -> str:
    english = row.get(f"{field}_en") or ""
    if english and (get_language() or "").startswith("en"):
        return english
    return row.get(field) or ""


def _when(value: datetime | None) -> datetime | None:
    return value.astimezone(SHANGHAI).replace(tzinfo=None) if value else None


def tickets_xlsx(
    *,
    rows: Iterable[dict[str, Any]],
    filename: str,
    title: str,
    clocks: dict[int, tuple[str, str, datetime]] | None = None,
    truncated: bool = False,
) -> FileResponse:
    """The rows (tickets_export_rows) as one sheet; `clocks` adds a clock column pair (clock queues)."""
    # Not a `with` block: the response streams the file and deletes it when it closes.
    out = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115
    book = xlsxwriter.Workbook(out.name, {"constant_memory": True})
    bold = book.add_format({"bold": True})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet = book.add_worksheet(title[:31] or "Sheet1")
    head = [
        _("Ticket"),
        _("Subject"),
        _("Status"),
        _("Priority"),
        _("Problem type"),
        _("Channel"),
        _("Customer"),
        _("Team"),
        _("Assignee"),
        _("Product"),
        _("Region"),
        _("Received"),
    ]
    if clocks is not None:
        head += [_("Clock"), _("Due")]
    sheet.write_row(0, 0, head, bold)
    sheet.freeze_panes(1, 0)
    n = 0
    for n, r in enumerate(rows, 1):
        sheet.write_row(
            n,
            0,
            [
                r["number"],
                r["subject"],
                _label(Status, r["status"]),
                _label(Priority, r["priority"]),
                _label(ProblemType, r["problem_type"]),
                _label(Channel, r["channel"]),
                r["customer__name"] or "",
                _local(r, "team__name"),
                r["assignee__display_name"] or r["assignee__username"] or "",
                _local(r, "product__name"),
                r["region"] or "",
            ],
        )
        sheet.write_datetime(n, 11, _when(r["received_at"]), when)
        if clocks is not None and r["id"] in clocks:
            kind, target, due = clocks[r["id"]]
            sheet.write(n, 12, f"{clock_label(kind)} · {duration_words(target)}")
            sheet.write_datetime(n, 13, _when(due), when)
    if truncated:
        note = _("Only the first %(n)d rows: narrow the filters to export the rest.") % {"n": n}
        sheet.write(n + 1, 0, note)
    book.close()
    out.seek(0)
    return FileResponse(
        out,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def export_audit(user: Any, kind: str, name: str, rows: int, query: str) -> None:
    """An export carries customers' names off the system: recorded like any personal-data read."""
    audit_record(
        actor=user,
        action="pii.export",
        object_type=kind,
        object_id=name,
        data={"rows": rows, "query": query[:500]},
    )
