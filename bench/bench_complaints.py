"""Benchmark of the monthly complaint analysis (issue 16: "< 1 s at 1,000,000 tickets on PostgreSQL").

Times `herdesk.complaints.selectors.monthly_analysis` (rate per 10,000 customers, by type, severity,
product, batch, cause category and sub-cause, region, recurring causes) for the month with the most
complaint tickets of the data set, best and median of --repeat runs after a warm-up.

The benchmark data set (`herdesk bench generate`, bulk rows) has complaint tickets but no complaint
records (the generator writes no model signals), so the script first gives every complaint ticket
its record, as the sweep's backstop would: 60 % with one or two assessed batches, 70 % with a root
cause from the seeded taxonomy, written with bulk inserts inside a transaction that is ROLLED BACK
at the end (the data set is unchanged) unless --keep is given.

    # small, on SQLite (generates --tickets tickets into a fresh file if it holds fewer)
    DATABASE_URL=sqlite:////tmp/herdesk_bench_complaints.sqlite3 \
        .venv/bin/python bench/bench_complaints.py --tickets 20000
    # 1,000,000 tickets on PostgreSQL (the bench/run.py data set)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/herdesk_bench .venv/bin/python bench/bench_complaints.py \
        --tickets 1000000 --append

HERDESK_VAR_DIR defaults to var/bench (the keys the data set was encrypted with), as in bench/run.py.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/herdesk_bench_complaints.sqlite3")
os.environ.setdefault("HERDESK_VAR_DIR", str(ROOT / "var" / "bench"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.db.models.functions import TruncMonth  # noqa: E402

TARGET_SECONDS = 1.0


class Rollback(Exception):
    pass


def ensure_tickets(n: int, seed: int) -> int:
    from bench.dataset import bench_dataset_generate
    from herdesk.tickets.models import Ticket

    have = Ticket.objects.count()
    if have < n:
        print(f"generating {n - have} tickets …", flush=True)
        bench_dataset_generate(tickets=n - have, seed=seed, search_index=False)
    return Ticket.objects.count()


def add_complaint_records(seed: int) -> dict[str, int]:
    """A record for every complaint ticket without one; lots and root causes for most."""
    from herdesk.catalog.models import Product
    from herdesk.complaints.choices import Stage
    from herdesk.complaints.models import CauseCategory, Complaint, ComplaintLot, RootCause
    from herdesk.tickets.models import Ticket

    rng = random.Random(seed)
    subs = list(CauseCategory.objects.exclude(parent=None).values_list("pk", flat=True))
    products = list(Product.objects.values_list("pk", flat=True))
    stages = list(Stage.values)
    rows = (
        Ticket.objects.filter(problem_type="complaint", complaint__isnull=True)
        .values_list("pk", "received_at", "product_id")
        .order_by("pk")
        .iterator(chunk_size=5000)
    )
    counts = {"complaints": 0, "lots": 0, "root_causes": 0}
    batch: list[tuple[int, object, int | None]] = []

    def flush() -> None:
        made = Complaint.objects.bulk_create(
            [Complaint(ticket_id=pk, received_at=at, stage=rng.choice(stages)) for pk, at, _p in batch],
            batch_size=2000,
        )
        lots, rcas = [], []
        for c, (_pk, at, product) in zip(made, batch, strict=True):
            if rng.random() < 0.6:
                for _ in range(rng.choice((1, 1, 2))):
                    lots.append(
                        ComplaintLot(
                            complaint=c,
                            product_id=product or rng.choice(products),
                            batch=f"B{rng.randrange(2500, 2700)}",
                        )
                    )
            if rng.random() < 0.7:
                rcas.append(
                    RootCause(complaint=c, category_id=rng.choice(subs), whys=["为什么"], analysed_at=at)
                )
        ComplaintLot.objects.bulk_create(lots, batch_size=2000)
        RootCause.objects.bulk_create(rcas, batch_size=2000)
        counts["complaints"] += len(made)
        counts["lots"] += len(lots)
        counts["root_causes"] += len(rcas)
        batch.clear()

    for row in rows:
        batch.append(row)
        if len(batch) >= 5000:
            flush()
    if batch:
        flush()
    return counts


def busiest_month() -> object:
    from herdesk.tickets.models import Ticket

    row = (
        Ticket.objects.filter(problem_type="complaint")
        .annotate(m=TruncMonth("received_at"))
        .values("m")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if row is None:
        raise SystemExit("no complaint tickets in the data set")
    return row["m"].date() if hasattr(row["m"], "date") else row["m"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tickets", type=int, default=20000, help="generate up to this many tickets if fewer")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="commit the complaint records (default: roll back)")
    ap.add_argument("--append", action="store_true", help="append the result to bench/RESULTS.md")
    args = ap.parse_args()

    from herdesk.complaints.selectors import monthly_analysis
    from herdesk.tickets.models import Ticket

    call_command("migrate", verbosity=0)
    total = ensure_tickets(args.tickets, args.seed)
    result: dict[str, object] = {}
    try:
        with transaction.atomic():
            t0 = time.perf_counter()
            added = add_complaint_records(args.seed)
            setup_s = time.perf_counter() - t0
            if connection.vendor == "postgresql":
                with connection.cursor() as cur:
                    cur.execute("ANALYZE complaints_complaint, complaints_complaintlot, complaints_rootcause")
            month = busiest_month()
            monthly_analysis(month=month)  # warm-up
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                a = monthly_analysis(month=month)
                times.append(time.perf_counter() - t0)
            result = {
                "month": month,
                "complaints": a.complaints,
                "customers": a.customers,
                "best": min(times),
                "median": statistics.median(times),
                "added": added,
                "setup_s": setup_s,
            }
            if not args.keep:
                raise Rollback
    except Rollback:
        pass
    complaints_total = Ticket.objects.filter(problem_type="complaint").count()
    best, median = float(result["best"]), float(result["median"])  # type: ignore[arg-type]
    verdict = "PASS" if median < TARGET_SECONDS else "FAIL"
    line = (
        f"| monthly complaint analysis | {connection.vendor} "
        f"| {total:,} tickets ({complaints_total:,} complaints) "
        f"| {result['month']} ({result['complaints']:,} complaints, {result['customers']:,} customers) "
        f"| {best * 1000:.0f} ms | {median * 1000:.0f} ms | < 1 s: {verdict} |"
    )
    head = "| scenario | database | data set | month | best | median | target |\n" + "|---" * 7 + "|"
    print(head)
    print(line)
    kept = "kept" if args.keep else "rolled back"
    print(f"(complaint records added for the run: {result['added']}, in {result['setup_s']:.1f} s; {kept})")
    if args.append:
        from bench.benchlib import append_results, machine

        title = "Monthly complaint analysis (issue 16)"
        append_results(ROOT / "bench" / "RESULTS.md", title, machine(), f"{head}\n{line}\n")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
