"""`herdesk report monthly --month 2026-11 --format pdf|xlsx --out FILE` and
`herdesk report quarterly --quarter 2026Q4 ...` (#18, 服务数据汇总)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from herdesk.analytics import periods, reports
from herdesk.analytics.management.filter_args import add_filter_arguments, filters_from


class Command(BaseCommand):
    help = "Write the monthly or quarterly service report as PDF or XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="kind", required=True)
        for kind, flag, example in (("monthly", "--month", "2026-11"), ("quarterly", "--quarter", "2026Q4")):
            p = sub.add_parser(kind)
            p.add_argument(flag, required=True, help=f"e.g. {example}")
            p.add_argument("--format", choices=["pdf", "xlsx"], default="pdf")
            p.add_argument("--out", required=True, help="File to write")
            p.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"])
            add_filter_arguments(p)

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            period = (
                periods.month(opts["month"])
                if opts["kind"] == "monthly"
                else periods.quarter(opts["quarter"])
            )
        except periods.PeriodError as exc:
            raise CommandError(str(exc), returncode=2)
        out = Path(opts["out"])
        if not out.parent.exists():
            raise CommandError(f"{out.parent} does not exist / 目录不存在", returncode=2)
        filters = filters_from(opts)
        if opts["format"] == "pdf":
            reports.render_pdf(period, out, language=opts["language"], filters=filters)
            self.stdout.write(f"wrote {out}")
        else:
            rows = reports.render_xlsx(period, out, language=opts["language"], filters=filters)
            self.stdout.write(f"wrote {out} ({rows} tickets)")
