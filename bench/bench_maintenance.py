"""Benchmark of preventive-maintenance generation (FLD-3): N pieces of equipment of one model under
a quarterly calendar plan and a 500-hour meter plan; times `field.services.maintenance_generate`
(first run creates the due orders, the second must create none: idempotent) and a catch-up run
after simulated downtime (a later `now`).

    DATABASE_URL=sqlite:////tmp/herdesk_bench_fld.sqlite3 \
        .venv/bin/python bench/bench_maintenance.py --n 10000

Target (issue #19): 10,000 pieces generated in < 60 s, and the second run creates nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/herdesk_bench_fld.sqlite3")

import django

django.setup()

from django.core.management import call_command  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    args = ap.parse_args()
    call_command("migrate", verbosity=0)
    from herdesk.catalog.models import Product
    from herdesk.customers.models import Customer, Organisation
    from herdesk.field import services as fs
    from herdesk.field.models import Equipment, MaintenancePlan, WorkOrder

    WorkOrder.objects.all().delete()
    MaintenancePlan.objects.all().delete()
    Equipment.objects.all().delete()
    product, _ = Product.objects.get_or_create(
        code="bench-milker", defaults={"name": "挤奶机", "kind": "equipment"}
    )
    farms = [Organisation.objects.create(name=f"牧场{i}", region="内蒙古") for i in range(50)]
    customers = [Customer.objects.create(name=f"客户{i}", organisation=farms[i % 50]) for i in range(500)]
    rnd = random.Random(19)
    t0 = time.perf_counter()
    Equipment.objects.bulk_create(
        [
            Equipment(
                customer=customers[i % 500],
                farm_id=customers[i % 500].organisation_id,
                product=product,
                serial=f"B-{i:06d}",
                installed_on=dt.date(2025, 1, 1) + dt.timedelta(days=rnd.randrange(365)),
                meter_hours=rnd.randrange(0, 2000),
                public_code=f"b{i:010d}",
            )
            for i in range(args.n)
        ],
        batch_size=2000,
    )
    print(f"equipment: {args.n} in {time.perf_counter() - t0:.1f} s")
    fs.maintenance_plan_create(
        actor=None, name="季度保养", starts_on=dt.date(2026, 1, 1), product=product,
        interval=3, frequency="MONTHLY", lead_days=14,
    )  # fmt: skip
    fs.maintenance_plan_create(
        actor=None, name="500 小时保养", starts_on=dt.date(2026, 1, 1), product=product,
        interval_kind="meter", meter_interval=500, lead_hours=50,
    )  # fmt: skip
    now = dt.datetime(2026, 6, 1, 1, tzinfo=dt.UTC)
    for label, when in (
        ("first run", now),
        ("second run", now),
        ("catch-up after 4 months", now + dt.timedelta(days=120)),
    ):
        t = time.perf_counter()
        n = fs.maintenance_generate(now=when)
        print(f"{label}: {n} work orders in {time.perf_counter() - t:.1f} s")
    again = fs.maintenance_generate(now=now + dt.timedelta(days=120))
    print(f"idempotent: a repeated run created {again}; total orders {WorkOrder.objects.count()}")
    assert again == 0


if __name__ == "__main__":
    main()
