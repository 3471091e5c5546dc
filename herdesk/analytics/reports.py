"""The monthly and quarterly report pack (KPI-2, 服务数据汇总): PDF (WeasyPrint, Noto CJK fonts, charts
drawn on the server as SVG) and XLSX (xlsxwriter in constant-memory mode, the raw ticket list
streamed row by row so memory stays flat at 100,000 rows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from herdesk.catalog.models import Product
from herdesk.customers.choices import Tier
from herdesk.staff.models import Team
from herdesk.tickets.choices import Channel, ProblemType, Status
from herdesk.tickets.models import Ticket

from . import kpis, sections, selectors, stages
from .periods import Period

ZONE = ZoneInfo("Asia/Shanghai")
FONT = 'font-size="10" font-family="Noto Sans CJK SC"'


def _fmt(row: dict[str, Any], key: str = "value") -> str:
    value = row.get(key)
    if value is None:
        return "—"
    if row["unit"] == "rate":
        return f"{value:.1%}"
    if row["unit"] in {"minutes", "per10k", "score"}:
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def narrative(report: dict[str, Any]) -> list[str]:
    """A few plain sentences on what changed (against the previous period) and what missed its target."""
    lines: list[str] = []
    rows = {r["code"]: r for r in report["kpis"]}
    received, prev = rows["received"]["value"] or 0, rows["received"]["previous"] or 0
    if prev:
        change = (received - prev) / prev
        lines.append(
            _("Contacts received: %(n)s, %(dir)s %(pct)s on the previous period.")
            % {
                "n": f"{received:,.0f}",
                "dir": _("up") if change >= 0 else _("down"),
                "pct": f"{abs(change):.0%}",
            }
        )
    else:
        lines.append(_("Contacts received: %(n)s.") % {"n": f"{received:,.0f}"})
    missed = [r for r in report["kpis"] if r["met"] is False]
    if missed:
        lines.append(
            _("Below target: %(list)s.")
            % {
                "list": "、".join(
                    f"{r['name']} {_fmt(r)}（{_('target')} {_fmt(r, 'target')}）" for r in missed[:6]
                )
            }
        )
    else:
        lines.append(_("Every indicator with a target met it."))
    moves = []
    for r in report["kpis"]:
        if r["unit"] == "rate" and r["value"] is not None and r["previous"] is not None:
            delta = r["value"] - r["previous"]
            if abs(delta) >= 0.05:
                moves.append((abs(delta), r, delta))
    for _abs, r, delta in sorted(moves, key=lambda m: -m[0])[:3]:
        lines.append(
            _("%(name)s %(dir)s by %(pts)s points to %(now)s.")
            % {
                "name": r["name"],
                "dir": _("rose") if delta > 0 else _("fell"),
                "pts": f"{abs(delta) * 100:.1f}",
                "now": _fmt(r),
            }
        )
    if report["volumes"]["problem_type"]:
        top, n = report["volumes"]["problem_type"][0]
        lines.append(_("Most contacts were about: %(type)s (%(n)s).") % {"type": top, "n": f"{n:,}"})
    return lines


def _bars(
    items: list[tuple[str, float]],
    *,
    width: int = 660,
    bar: int = 16,
    percent: bool = False,
    label_w: int = 170,
    digits: int = 0,
) -> str:
    """A horizontal bar chart as inline SVG (WeasyPrint renders it; no browser, no JavaScript)."""
    if not items:
        return ""
    peak = max(v for _, v in items) or 1
    gap = 6
    height = len(items) * (bar + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" class="chart">']
    for i, (label, value) in enumerate(items):
        y = gap + i * (bar + gap)
        w = max(1, int((width - label_w - 70) * value / peak))
        text = f"{value:.1%}" if percent else f"{value:,.{digits}f}"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar - 5}" text-anchor="end" {FONT}>{_esc(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar}" fill="#2f7d5b"/>'
            f'<text x="{label_w + w + 4}" y="{y + bar - 5}" font-size="10">{text}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def context(period: Period, title: str, filters: kpis.Filters | None = None) -> dict[str, Any]:
    report = selectors.kpi_report(period, filters)
    bottlenecks = stages.bottleneck_report(period, filters)
    follow_up = sections.pack_sections(period).get("follow_up") or {}
    rates = [
        (r["name"], r["value"]) for r in report["kpis"] if r["unit"] == "rate" and r["value"] is not None
    ]
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in report["kpis"]:
        groups.setdefault(r["group"], []).append(
            {
                **r,
                "shown": _fmt(r),
                "prev_shown": _fmt(r, "previous"),
                "year_shown": _fmt(r, "year_before"),
                "target_shown": "" if r["target"] is None else _fmt(r, "target"),
            }
        )
    return {
        "title": title,
        "period": period,
        "report": report,
        "groups": [
            (_("Efficiency"), groups.get("efficiency", [])),
            (_("Quality"), groups.get("quality", [])),
            (_("Complaints"), groups.get("complaints", [])),
            (_("Volume"), groups.get("volume", [])),
        ],
        "narrative": narrative(report),
        "chart_rates": _bars(rates[:12], percent=True, label_w=330),
        "chart_channels": _bars([(c, float(n)) for c, n in report["volumes"]["channel"]]),
        "chart_types": _bars([(c, float(n)) for c, n in report["volumes"]["problem_type"]]),
        "chart_teams": _bars([(c, float(n)) for c, n in report["volumes"]["team"]]),
        "chart_regions": _bars([(c, float(n)) for c, n in report["volumes"]["region"][:15]]),
        "chart_products": _bars([(c, float(n)) for c, n in report["volumes"]["product"][:15]]),
        "chart_tiers": _bars([(c, float(n)) for c, n in report["volumes"]["tier"]]),
        "filters_shown": filters_shown(filters),
        "bottlenecks": bottlenecks,
        "chart_stages": _bars(
            [(st["name"], float(st["hours_avg"] or 0)) for st in bottlenecks["stages"]], digits=2
        ),
        # The follow-up section is the follow-up app's (sections.py): the whole centre's figure.
        "follow_up": follow_up,
        "chart_follow_up": _bars(
            [(r.label, r.rate) for r in follow_up.get("teams", []) if r.rate is not None], percent=True
        ),
        "generated_at": timezone.localtime(timezone.now(), ZONE),
    }


def title_for(period: Period) -> str:
    if period.kind == "quarter":
        return _("Quarterly service data summary %(p)s") % {"p": period.label}
    if period.kind == "month":
        return _("Monthly service data summary %(p)s") % {"p": period.label}
    return _("Service data summary %(p)s") % {"p": period.label}


def filters_shown(filters: kpis.Filters | None) -> str:
    """The filters of a filtered pack, in words for its cover ("" for the whole centre)."""
    if not filters:
        return ""
    parts = []
    for key, value in filters.as_params().items():
        if key == "team":
            value = Team.objects.filter(pk=int(value)).values_list("name", flat=True).first() or value
        elif key == "product":
            product = Product.objects.filter(pk=int(value)).first()
            value = str(product) if product else value
        elif key == "channel":
            value = str(dict(Channel.choices).get(value, value))
        elif key == "problem_type":
            value = str(dict(ProblemType.choices).get(value, value))
        elif key == "tier":
            value = str(dict(Tier.choices).get(value, value))
        parts.append(f"{FILTER_NAMES[key]}: {value}")
    return "; ".join(parts)


FILTER_NAMES = {
    "team": _lazy("Team"),
    "channel": _lazy("Channel"),
    "problem_type": _lazy("Problem type"),
    "region": _lazy("Region"),
    "product": _lazy("Product"),
    "tier": _lazy("Customer tier"),
}


def render_pdf(
    period: Period, out: Path, *, language: str = "zh-hans", filters: kpis.Filters | None = None
) -> Path:
    from weasyprint import HTML

    with translation.override(language):
        html = render_to_string("analytics/report.html", context(period, title_for(period), filters))
    HTML(string=html).write_pdf(str(out))
    return out


def _tickets(period: Period, filters: kpis.Filters | None = None) -> Iterable[tuple[Any, ...]]:
    start = dt.datetime.combine(period.first, dt.time(), ZONE)
    end = dt.datetime.combine(period.last + dt.timedelta(days=1), dt.time(), ZONE)
    qs = Ticket.objects.filter(received_at__gte=start, received_at__lt=end)
    if filters:
        # The rollup's filters on the ticket itself (the tier is the customer's).
        qs = filters.apply(qs.alias(tier=F("customer__tier")))
    return (
        qs.order_by("received_at", "pk")
        .values_list(
            "number",
            "received_at",
            "channel",
            "problem_type",
            "status",
            "team__name",
            "priority",
            "complexity",
            "resolved_at",
            "closed_at",
            "region",
        )
        .iterator(chunk_size=5000)
    )


def render_xlsx(
    period: Period, out: Path, *, language: str = "zh-hans", filters: kpis.Filters | None = None
) -> int:
    """One sheet per section plus the raw ticket list. Returns the number of ticket rows written."""
    with translation.override(language):
        ctx = context(period, title_for(period), filters)
        book = xlsxwriter.Workbook(str(out), {"constant_memory": True, "remove_timezone": True})
        bold = book.add_format({"bold": True})
        pct = book.add_format({"num_format": "0.0%"})
        num = book.add_format({"num_format": "#,##0.0"})
        when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        summary = book.add_worksheet(_("Summary")[:31])
        summary.write_row(0, 0, [ctx["title"]], bold)
        summary.write_row(1, 0, [f"{period.first} – {period.last}", ctx["filters_shown"]])
        for i, line in enumerate(ctx["narrative"], 3):
            summary.write_row(i, 0, [line])
        kpi_sheet = book.add_worksheet(_("Indicators")[:31])
        head = [
            _("Code"),
            _("Indicator"),
            _("Value"),
            _("Target value"),
            _("Met"),
            _("Previous period"),
            _("Same period last year"),
            _("Numerator"),
            _("Denominator"),
        ]
        kpi_sheet.write_row(0, 0, head, bold)
        for i, r in enumerate(ctx["report"]["kpis"], 1):
            fmt = pct if r["unit"] == "rate" else num
            kpi_sheet.write(i, 0, r["code"])
            kpi_sheet.write(i, 1, r["name"])
            for col, key in ((2, "value"), (3, "target"), (5, "previous"), (6, "year_before")):
                if r[key] is not None:
                    kpi_sheet.write_number(i, col, r[key], fmt)
            kpi_sheet.write(i, 4, {True: _("yes"), False: _("no"), None: ""}[r["met"]])
            for col, key in ((7, "numerator"), (8, "denominator")):
                if r[key] is not None:
                    kpi_sheet.write_number(i, col, r[key])
        for key, name in (
            ("channel", _("By channel")),
            ("problem_type", _("By problem type")),
            ("team", _("By team")),
            ("region", _("By region")),
            ("product", _("By product model")),
            ("tier", _("By customer tier")),
        ):
            sheet = book.add_worksheet(name[:31])
            sheet.write_row(0, 0, [name, _("Contacts received")], bold)
            rows = ctx["report"]["volumes"][key]
            for i, (label, n) in enumerate(rows, 1):
                sheet.write(i, 0, label)
                sheet.write_number(i, 1, n)
            sheet.write(len(rows) + 1, 0, _("Total"), bold)
            sheet.write_number(len(rows) + 1, 1, sum(n for _, n in rows), bold)
        _bottleneck_sheet(book, ctx["bottlenecks"], bold, num, pct)
        if ctx["follow_up"]:
            _follow_up_sheet(book, ctx["follow_up"], bold, pct)
        raw = book.add_worksheet(_("Tickets")[:31])
        raw.write_row(
            0,
            0,
            [
                _("Number"),
                _("Received"),
                _("Channel"),
                _("Problem type"),
                _("Status"),
                _("Team"),
                _("Priority"),
                _("Complexity"),
                _("Resolved"),
                _("Closed"),
                _("Region"),
            ],
            bold,
        )
        channels, types, statuses = dict(Channel.choices), dict(ProblemType.choices), dict(Status.choices)
        count = 0
        for count, row in enumerate(_tickets(period, filters), 1):
            number, received, channel, ptype, status, team, priority, complexity, resolved, closed, region = (
                row
            )
            raw.write(count, 0, number)
            raw.write_datetime(count, 1, timezone.localtime(received, ZONE), when)
            raw.write(count, 2, str(channels.get(channel, channel)))
            raw.write(count, 3, str(types.get(ptype, ptype)))
            raw.write(count, 4, str(statuses.get(status, status)))
            raw.write(count, 5, team or "")
            raw.write(count, 6, priority)
            raw.write(count, 7, complexity)
            if resolved:
                raw.write_datetime(count, 8, timezone.localtime(resolved, ZONE), when)
            if closed:
                raw.write_datetime(count, 9, timezone.localtime(closed, ZONE), when)
            raw.write(count, 10, region or "")
        book.close()
    return count


def _bottleneck_sheet(book: Any, b: dict[str, Any], bold: Any, num: Any, pct: Any) -> None:
    sheet = book.add_worksheet(_("Bottlenecks")[:31])
    head = [_("Stage"), _("Tickets"), _("Average working hours"), _("Working hours"),
            _("Share of the working time"), _("Stage clocks"), _("Breached"), _("Breach rate")]  # fmt: skip
    sheet.write_row(0, 0, head, bold)
    row = 1
    for st in b["stages"]:
        sheet.write(row, 0, st["name"])
        sheet.write_number(row, 1, st["tickets"])
        for col, key, fmt in ((2, "hours_avg", num), (3, "hours_total", num), (4, "share", pct),
                              (7, "breach_rate", pct)):  # fmt: skip
            if st[key] is not None:
                sheet.write_number(row, col, st[key], fmt)
        sheet.write_number(row, 5, st["clocks"])
        sheet.write_number(row, 6, st["breached"])
        row += 1
    for title, rows in ((_("Team"), b["teams"]), (_("Category"), b["categories"])):
        row += 1
        sheet.write_row(row, 0, [title, _("Tickets"), _("Working hours"), _("Stage clocks"), _("Breached"),
                                 _("Breach rate")], bold)  # fmt: skip
        for r in rows:
            row += 1
            sheet.write(row, 0, r["name"])
            sheet.write_number(row, 1, r["tickets"])
            sheet.write_number(row, 2, r["hours"], num)
            sheet.write_number(row, 3, r["clocks"])
            sheet.write_number(row, 4, r["breached"])
            if r["breach_rate"] is not None:
                sheet.write_number(row, 5, r["breach_rate"], pct)


def _follow_up_sheet(book: Any, f: dict[str, Any], bold: Any, pct: Any) -> None:
    sheet = book.add_worksheet(_("Follow-up")[:31])
    sheet.write_row(0, 0, [_("Team"), _("Resolved"), _("Excluded"), _("Owed a follow-up"), _("In time"),
                           _("Late"), _("Follow-up rate"), _("Target value")], bold)  # fmt: skip
    rows = [*f["teams"], f["total"]]
    for i, r in enumerate(rows, 1):
        sheet.write(i, 0, _("Total") if r is f["total"] else r.label, bold if r is f["total"] else None)
        for col, value in enumerate((r.resolved, r.excluded, r.owed, r.in_time, r.late), 1):
            sheet.write_number(i, col, value)
        if r.rate is not None:
            sheet.write_number(i, 6, r.rate, pct)
        sheet.write_number(i, 7, f["target"], pct)
