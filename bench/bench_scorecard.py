"""Agent scorecard pages at scale (issue #17: "scorecard pages p95 < 300 ms at 1,000,000 tickets on
PostgreSQL").

In process, through Django's test Client (full middleware, view, selectors, templates: the server's
time without the network), signed in as `manager` (sees every agent). For a data set made by
`herdesk bench generate` / `bench/run.py` (or generated here with --generate N), it

1. fills the per-agent daily rollup (`quality.rollup.agent_rollup_range`) over the data set's days,
   unless --no-rollup (the nightly job keeps it current in production);
2. adds --reviews synthetic QA reviews per agent spread over the last year (bulk rows, no audit), so
   the QA component has data like an installation after a year of inspections;
3. times GET /quality/agents/<id>/?period=<month|quarter|year> for --agents agents, --n times each
   after a warm-up, and the overview /quality/agents/?period=<month>; prints p50 / p95 / max and the
   queries per request.

    # small, SQLite (what a helper runs)
    DATABASE_URL=sqlite:////tmp/herdesk_bench_scorecard.sqlite3 .venv/bin/python bench/bench_scorecard.py \
        --generate 3000 --n 30
    # PostgreSQL, 1,000,000 tickets (the bench/run.py data set; the lead runs it)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/herdesk_bench .venv/bin/python bench/bench_scorecard.py

--json PATH writes the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/herdesk_bench_scorecard.sqlite3")
os.environ.setdefault("HERDESK_VAR_DIR", str(ROOT / "var" / "bench"))
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * (len(s) - 1))))
    return s[k]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--generate", type=int, default=0, help="generate this many tickets first")
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--agents", type=int, default=5)
    ap.add_argument("--reviews", type=int, default=40, help="synthetic QA reviews per agent")
    ap.add_argument("--no-rollup", action="store_true")
    ap.add_argument("--json", default="")
    args = ap.parse_args()

    call_command("migrate", verbosity=0)
    from herdesk.demo.services import _staff, reference_data_ensure
    from herdesk.quality.models import AgentDailyStats, Review, Scorecard
    from herdesk.quality.rollup import agent_rollup_range
    from herdesk.quality.services import version_in_use
    from herdesk.staff.models import User
    from herdesk.tickets.models import Ticket

    reference_data_ensure()
    staff = _staff()
    if args.generate and Ticket.objects.count() < args.generate:
        from bench.dataset import bench_dataset_generate

        t0 = time.perf_counter()
        bench_dataset_generate(tickets=args.generate - Ticket.objects.count(), search_index=False)
        print(f"generated tickets in {time.perf_counter() - t0:.1f} s")
    tickets = Ticket.objects.count()
    first = Ticket.objects.order_by("received_at").values_list("received_at", flat=True).first()
    today = timezone.localdate()
    if not args.no_rollup and first:
        t0 = time.perf_counter()
        days = agent_rollup_range(timezone.localtime(first).date(), today)
        print(f"agent rollup: {days} days in {time.perf_counter() - t0:.1f} s")
    agent_ids = list(
        AgentDailyStats.objects.values("agent_id")
        .order_by("agent_id")
        .distinct()
        .values_list("agent_id", flat=True)
    )[: args.agents] or [staff["agent1"].pk]
    version = version_in_use(Scorecard.objects.get(code="seed-001-conduct"))
    rng = random.Random(1)
    if not Review.objects.filter(agent_id__in=agent_ids).exists():
        now = timezone.now()
        Review.objects.bulk_create(
            Review(
                version=version, source="ticket", object_id=0, agent_id=a, reviewer=staff["qa1"],
                state="final", score=Decimal(rng.randint(50, 100)), grade="good",
                occurred_at=now - dt.timedelta(days=rng.randint(0, 364)), submitted_at=now,
            )
            for a in agent_ids
            for _i in range(args.reviews)
        )  # fmt: skip
    client = Client()
    client.force_login(User.objects.get(username="manager"))
    month = f"{today:%Y-%m}"
    quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    pages = [(f"agent {p}", f"/quality/agents/{{a}}/?period={p}") for p in (month, quarter, str(today.year))]
    pages.append(("overview month", f"/quality/agents/?period={month}"))
    results = {}
    for name, pattern in pages:
        times: list[float] = []
        queries: list[int] = []
        for i in range(args.n + 3):
            url = pattern.format(a=agent_ids[i % len(agent_ids)])
            reset_queries()
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                r = client.get(url)
                elapsed = time.perf_counter() - t0
            assert r.status_code == 200, (url, r.status_code)
            if i >= 3:
                times.append(elapsed * 1000)
                queries.append(len(ctx.captured_queries))
        results[name] = {
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(pct(times, 95), 1),
            "max_ms": round(max(times), 1),
            "queries": max(queries),
        }
    print(f"\n{connection.vendor}, {tickets:,} tickets, {len(agent_ids)} agents, n={args.n}")
    print(f"{'page':<24}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'queries':>9}")
    for name, r in results.items():
        print(f"{name:<24}{r['p50_ms']:>9}{r['p95_ms']:>9}{r['max_ms']:>9}{r['queries']:>9}")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"tickets": tickets, "vendor": connection.vendor, **results}, indent=2)
        )


if __name__ == "__main__":
    main()
