from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from herdesk.clocks.selectors import compliance_summary


class Command(BaseCommand):
    help = "Clock compliance. `herdesk compliance report --month 2026-11 [--json]`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        r = sub.add_parser("report", help="met on time / after renegotiation / breached / running per clock")
        r.add_argument("--month", required=True, help="YYYY-MM (Asia/Shanghai)")
        r.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            rows = compliance_summary(month=o["month"])
        except ValueError:
            raise CommandError("--month must look like 2026-11", returncode=2)
        if o["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        head = (
            f"{'clock':<20}{'total':>7}{'on time':>9}{'reneg.':>8}{'breached':>10}{'running':>9}{'rate':>8}"
        )
        self.stdout.write(head)
        for r in rows:
            rate = "-" if r["met_original_rate"] is None else f"{r['met_original_rate'] * 100:.1f}%"
            self.stdout.write(
                f"{r['kind']:<20}{r['total']:>7}{r['met_on_time']:>9}{r['met_after_renegotiation']:>8}"
                f"{r['breached']:>10}{r['running']:>9}{rate:>8}"
            )
