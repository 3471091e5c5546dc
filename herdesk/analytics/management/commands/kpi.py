"""`herdesk kpi --month 2026-11 [--json]`, `--quarter 2026Q4`, `--day D`, `--week 2026-W45`,
`--from D --to D`, and `--recompute --from D --to D` (#18)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from herdesk.analytics import periods, rollup, selectors
from herdesk.analytics.management.filter_args import add_filter_arguments, filters_from


class Command(BaseCommand):
    help = (
        "Print every KPI of a day, week, month, quarter or date range (from the daily rollups), "
        "or recompute the rollups."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="YYYY-MM")
        parser.add_argument("--quarter", help="YYYYQn")
        parser.add_argument("--day", help="YYYY-MM-DD")
        parser.add_argument("--week", help="YYYY-Www (ISO week, Monday to Sunday)")
        parser.add_argument("--json", action="store_true", help="Machine-readable output")
        parser.add_argument("--recompute", action="store_true", help="Rebuild the rollups of --from..--to")
        parser.add_argument("--from", dest="first", help="YYYY-MM-DD: first day of a range")
        parser.add_argument("--to", dest="last", help="YYYY-MM-DD: last day of a range")
        add_filter_arguments(parser)

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["recompute"]:
            self._recompute(opts)
            return
        try:
            if opts["quarter"]:
                period = periods.quarter(opts["quarter"])
            elif opts["day"]:
                period = periods.day(opts["day"])
            elif opts["week"]:
                period = periods.week(opts["week"])
            elif opts["first"] or opts["last"]:
                period = periods.custom(opts["first"] or "", opts["last"] or "")
            else:
                period = periods.month(opts["month"] or f"{dt.date.today():%Y-%m}")
        except periods.PeriodError as exc:
            raise CommandError(str(exc), returncode=2)
        report = selectors.kpi_report(period, filters_from(opts))
        if opts["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{report['label']}  ({report['period']['first']} – {report['period']['last']})")
        for row in report["kpis"]:
            value = row["value"]
            shown = "—" if value is None else (f"{value:.1%}" if row["unit"] == "rate" else f"{value:,.1f}")
            target = (
                ""
                if row["target"] is None
                else f"  target {row['target']:.0%}"
                if row["unit"] == "rate"
                else ""
            )
            mark = {True: "✓", False: "✗", None: " "}[row["met"]]
            self.stdout.write(f"{mark} {row['name']:<40} {shown:>10}{target}")

    def _recompute(self, opts: dict[str, Any]) -> None:
        try:
            first = dt.date.fromisoformat(opts["first"])
            last = dt.date.fromisoformat(opts["last"])
        except (TypeError, ValueError):
            raise CommandError(
                "--recompute needs --from and --to as YYYY-MM-DD / 需要 --from 和 --to", returncode=2
            )
        if last < first:
            raise CommandError("--to is before --from / 结束日期早于开始日期", returncode=2)
        with tqdm(total=(last - first).days + 1, desc="kpi rollup", unit="day", file=sys.stderr) as bar:
            rows = rollup.rollup_range(first, last, progress=lambda d: bar.update(1))
        self.stdout.write(f"recomputed {first} – {last}: {rows} rollup rows")
