"""The report pack's XLSX at scale (issue #18: "XLSX export of 100,000 rows < 10 s with peak memory
< 300 MB"): a period of whole days ending with the last complete month, long enough to hold at least
--rows tickets, rendered by analytics.reports.render_xlsx (every section plus the raw ticket list,
streamed: xlsxwriter's constant-memory mode). This process does nothing else, so its peak resident
size (ru_maxrss) is the export's peak including Django itself.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/herdesk_bench HERDESK_VAR_DIR=var/bench \\
        .venv/bin/python bench/bench_xlsx.py --rows 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import bench_queues as bq  # noqa: E402  (sets the environment before Django starts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    bq.setup()
    from django.db.models import Sum
    from django.utils import timezone

    from herdesk.analytics import periods, reports
    from herdesk.analytics.models import DailyTicketStatsNarrow

    last = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    first, n = last, 0
    while n < args.rows and (last - first).days < periods.MAX_CUSTOM_DAYS - 1:
        first -= dt.timedelta(days=1)
        n = (
            DailyTicketStatsNarrow.objects.filter(day__gte=first, day__lte=last).aggregate(n=Sum("received"))[
                "n"
            ]
            or 0
        )
    period = periods.custom(first.isoformat(), last.isoformat())
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        rows = reports.render_xlsx(period, Path(tmp) / "pack.xlsx")
        seconds = time.perf_counter() - t0
        size = (Path(tmp) / "pack.xlsx").stat().st_size / 1e6
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"XLSX {period.label}: {rows:,} ticket rows in {seconds:.1f} s, {size:.1f} MB file; "
        f"peak RSS {peak:.0f} MB (before the export {before:.0f} MB); "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
