"""Benchmark of the mass notification of an incident (EMG-2): N affected customers queued in the
outbox (one IncidentRecipient + one outbox row each, CHUNK = 1,000 per transaction), then the same click
again (the dedupe key emg:<incident>:<customer>:<channel> must queue nothing more).

Target: 10,000 customers queued in < 60 s. Optionally (--dispatch) the outbox dispatcher sends them
all in process afterwards (SMS console/locmem backend), to check one sent row per recipient.

    DATABASE_URL=sqlite:////tmp/herdesk_bench_emg.sqlite3 .venv/bin/python bench/bench_emergency.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/herdesk_bench_emg \
        .venv/bin/python bench/bench_emergency.py --customers 10000 --dispatch

The customers are bulk-inserted directly (a data generator, not the service: the benchmark measures
the notification, not customer creation), each with one contact holding an encrypted phone number.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/herdesk_bench_emg.sqlite3")
os.environ.setdefault("HERDESK_SMS_BACKEND", "herdesk.sms.backends.LocmemBackend")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

TARGET_SECONDS = 60.0


def customers_ensure(n: int) -> list[int]:
    from herdesk.common.crypto import blind_index
    from herdesk.customers.models import Contact, Customer
    from herdesk.customers.services import PHONE_CTX

    have = list(
        Customer.objects.filter(name__startswith="应急基准").order_by("id").values_list("id", flat=True)
    )
    if len(have) >= n:
        return have[:n]
    start = len(have)
    for lo in range(start, n, 2000):
        hi = min(n, lo + 2000)
        rows = Customer.objects.bulk_create(
            [Customer(name=f"应急基准{i:06d}", region="内蒙古 呼和浩特") for i in range(lo, hi)]
        )
        contacts = []
        for i, c in zip(range(lo, hi), rows, strict=True):
            phone = f"+86139{i:08d}"
            contacts.append(
                Contact(customer=c, phone=phone, phone_bidx=blind_index(phone, context=PHONE_CTX))
            )
        Contact.objects.bulk_create(contacts)
        have += [c.pk for c in rows]
    return have[:n]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--channels", default="sms", help="comma-separated: sms,email,wechat")
    parser.add_argument("--dispatch", action="store_true", help="then send them all in process")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    from herdesk.demo.services import reference_data_ensure
    from herdesk.emergency import services
    from herdesk.emergency.choices import IncidentStatus as S
    from herdesk.emergency.models import ContingencyPlan, IncidentRecipient
    from herdesk.notifications.models import OutboxMessage

    reference_data_ensure()
    t0 = time.perf_counter()
    ids = customers_ensure(args.customers)
    setup = time.perf_counter() - t0
    plan = ContingencyPlan.objects.get(code="cold-chain")
    inc = services.incident_declare(plan=plan, level=2, actor=None, batch="B2026120701", region="内蒙古")
    inc = services.incident_assess(incident=inc, actor=None, risk_assessment="benchmark")
    inc = services.incident_transition(incident=inc, to=S.ACTIVATED, actor=None)
    inc = services.incident_transition(incident=inc, to=S.EXECUTING, actor=None)
    channels = [c for c in args.channels.split(",") if c]

    t0 = time.perf_counter()
    counts = services.incident_notify_customers(incident=inc, actor=None, customer_ids=ids, channels=channels)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = services.incident_notify_customers(incident=inc, actor=None, customer_ids=ids, channels=channels)
    second = time.perf_counter() - t0
    rows = OutboxMessage.objects.filter(
        dedupe_key__in=IncidentRecipient.objects.filter(incident=inc).values("dedupe_key")
    )
    queued = rows.count()
    expected = len(ids) * len(channels)
    ok = counts["queued"] == expected and again["queued"] == 0 and queued == expected
    sent_line = ""
    if args.dispatch:
        from herdesk.notifications.services import outbox_dispatch

        t0 = time.perf_counter()
        outbox_dispatch(batch=500)
        dispatch = time.perf_counter() - t0
        sent = rows.filter(status="sent").count()
        ok = ok and sent == expected
        sent_line = f", dispatched {sent} in {dispatch:.1f} s ({sent / dispatch:.0f}/s)"
    print(
        f"emergency notify: {connection.vendor}, {len(ids)} customers × {len(channels)} channel(s): "
        f"queued {counts['queued']} in {first:.2f} s ({counts['queued'] / first:.0f}/s; "
        f"target < {TARGET_SECONDS:.0f} s), "
        f"second click {second:.2f} s queued {again['queued']} (already {again['already']}); "
        f"outbox rows {queued}{sent_line}; setup {setup:.1f} s; {platform.node()} {os.cpu_count()} cores"
    )
    verdict = "met" if ok and first < TARGET_SECONDS else "MISSED"
    print(
        f"| emergency notify | {connection.vendor} | {expected} "
        f"| {first:.2f} s | {second:.2f} s | {verdict} |"
    )
    return 0 if ok and first < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
