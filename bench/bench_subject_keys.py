"""Per-subject data keys (issue #14): what crypto-shredding costs on the read and write paths.

Creates N customers with a phone, email and address inside a transaction that is rolled back (the
database is left as it was), then times, per value:
  * decrypting the contacts of a list page (50 rows) with a cold key cache (one window query per
    64 neighbouring keys) and warm (no query),
  * the same values under the master key only (v1, before per-subject keys), for comparison,
  * creating a customer (one more INSERT for the key).

    DJANGO_SETTINGS_MODULE=config.settings.test .venv/bin/python bench/bench_subject_keys.py --n 200
    DATABASE_URL=postgres://…/herdesk_bench .venv/bin/python bench/bench_subject_keys.py --n 2000
Without DATABASE_URL it migrates a scratch SQLite file first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    scratch = not os.environ.get("DATABASE_URL")
    if scratch:
        import tempfile

        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='herdesk-bench-')}/keys.sqlite3"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    if scratch:
        call_command("migrate", verbosity=0)
    from herdesk.common import crypto
    from herdesk.customers.models import Contact, Customer
    from herdesk.customers.services import customer_create

    rows: list[tuple[str, str]] = []
    try:
        with transaction.atomic():
            t0 = time.perf_counter()
            made = [
                customer_create(
                    name=f"客户{i}", phone=f"1390{i:07d}", email=f"c{i}@example.cn", address=f"地址 {i}"
                )
                for i in range(args.n)
            ]
            create_ms = (time.perf_counter() - t0) * 1000 / args.n
            ids = [c.pk for c in made][-50:]
            timings: dict[str, list[float]] = {"cold": [], "warm": [], "v1": []}
            for _ in range(20):
                crypto.key_cache.clear()
                t0 = time.perf_counter()
                cold = [(c.phone, c.email) for c in Contact.objects.filter(customer_id__in=ids)]
                timings["cold"].append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                [(c.phone, c.email) for c in Contact.objects.filter(customer_id__in=ids)]
                timings["warm"].append((time.perf_counter() - t0) * 1000)
            # The same values under the master key (as before per-subject keys).
            for c in Contact.objects.filter(customer_id__in=ids):
                Contact.objects.filter(pk=c.pk).update(phone=c.phone, email=c.email)
            for _ in range(20):
                t0 = time.perf_counter()
                [(c.phone, c.email) for c in Contact.objects.filter(customer_id__in=ids)]
                timings["v1"].append((time.perf_counter() - t0) * 1000)
            rows = [
                ("create a customer (with its key)", f"{create_ms:.2f} ms"),
                (
                    "list of 50 contacts, cold key cache",
                    f"{statistics.median(timings['cold']):.2f} ms (median of 20)",
                ),
                ("list of 50 contacts, warm key cache", f"{statistics.median(timings['warm']):.2f} ms"),
                ("list of 50 contacts, master key only", f"{statistics.median(timings['v1']):.2f} ms"),
            ]
            assert len(cold) == 50 and Customer.objects.count() >= args.n
            raise Rollback
    except Rollback:
        pass
    print(f"| per-subject keys ({connection.vendor}, N={args.n}) | |\n|---|---|")
    for what, value in rows:
        print(f"| {what} | {value} |")


if __name__ == "__main__":
    main()
