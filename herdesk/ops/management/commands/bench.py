from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = (
        "Benchmark data: `herdesk bench generate --tickets N [--seed S] [--customers C]` bulk-loads a "
        "realistic Chinese data set (see bench/README.md; `make bench` runs the scenarios)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        gen = sub.add_parser("generate", help="add N generated tickets to the database")
        gen.add_argument("--tickets", type=int, required=True)
        gen.add_argument("--seed", type=int, default=1)
        gen.add_argument("--customers", type=int, default=None, help="default: tickets / 20 (at least 50)")
        gen.add_argument(
            "--staff-per-team", type=int, default=None, help="default: tickets / 25,000 (max 40)"
        )
        gen.add_argument(
            "--now",
            default=None,
            help="anchor instant (ISO 8601 with offset); with the seed it makes the data set reproducible",
        )
        gen.add_argument("--no-search-index", action="store_true", help="do not populate the search index")
        gen.add_argument("--quiet", action="store_true", help="no progress bar")
        sub.add_parser("index", help="populate the search index of the data set where it is missing")

    def handle(self, *args: Any, **opts: Any) -> None:
        # The generator is benchmark code, not product code: it lives in bench/ of the source
        # checkout (bench/README.md), next to the scenarios that use it.
        root = str(settings.BASE_DIR)
        if root not in sys.path:
            sys.path.insert(0, root)
        try:
            import bench.dataset  # noqa: F401
        except ImportError:
            raise CommandError(_("The benchmark generator needs a source checkout (bench/dataset.py)."))
        if opts["action"] == "generate":
            self.generate(opts)
        elif opts["action"] == "index":
            from bench.dataset import bench_search_index_ensure

            self.stdout.write(str(bench_search_index_ensure()))

    def generate(self, opts: dict[str, Any]) -> None:
        from tqdm import tqdm

        from bench.dataset import bench_dataset_generate, bench_dataset_vacuum

        if opts["tickets"] < 0 or (opts["customers"] is not None and opts["customers"] < 1):
            raise CommandError(_("--tickets must be >= 0 and --customers >= 1."))
        now: datetime | None = None
        if opts["now"]:
            now = parse_datetime(opts["now"])
            if now is None or timezone.is_naive(now):
                raise CommandError(
                    _("--now must be ISO 8601 with an offset, e.g. 2026-11-23T09:00:00+08:00.")
                )
        bar = tqdm(
            total=opts["tickets"],
            unit="tickets",
            disable=opts["quiet"],
            smoothing=0.05,
            desc="generate",
        )
        try:
            result = bench_dataset_generate(
                tickets=opts["tickets"],
                seed=opts["seed"],
                customers=opts["customers"],
                staff_per_team=opts["staff_per_team"],
                now=now,
                search_index=not opts["no_search_index"],
                progress=bar.update,
            )
        finally:
            bar.close()
        bench_dataset_vacuum()
        s = result.stats
        rate = s.rows() / result.seconds if result.seconds else 0
        self.stdout.write(
            f"generated {s.tickets:,} tickets, {s.customers:,} customers, {s.organisations:,} "
            f"organisations, {s.staff} staff, {s.interactions:,} interactions, {s.transfers:,} transfers, "
            f"{s.clocks:,} clocks, {s.incidents:,} breaches in {result.seconds:.1f} s ({rate:,.0f} rows/s); "
            f"anchor {timezone.localtime(result.now):%Y-%m-%d %H:%M %Z}"
        )
        self.stdout.write(f"ticket statuses: {s.statuses}")
        self.stdout.write(f"clock states: {s.clock_states}")
        if result.search_indexed is not None:
            self.stdout.write(f"search index: {result.search_indexed:,} tickets")
