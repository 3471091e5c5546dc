"""Where the milliseconds of one `POST /api/v1/tickets` go (issue #20).

In process, through Django's test Client (full middleware stack, token auth, the API operation, the
service and the response), on a fresh database with the demo data (`herdesk demo load`):

1. N creates timed one after another (p50 / p95 / per-second, statements per create);
2. the same N under pyinstrument (--profile), whose summary is printed (and --html PATH written);
3. the SQL of one create, statement by statement (--sql).

    # SQLite (a file of its own under /tmp)
    .venv/bin/python bench/profile_create.py --n 500 --profile
    # PostgreSQL (a database of its own)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/herdesk_bench_create .venv/bin/python \
        bench/profile_create.py --n 500 --profile
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/herdesk_profile_create.sqlite3")
os.environ.setdefault("HERDESK_VAR_DIR", "/tmp/herdesk_profile_create_var")
os.environ.setdefault("HERDESK_EMBEDDED_SCHEDULER", "false")
os.environ.setdefault("HERDESK_LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1")
os.environ.setdefault("HERDESK_API_RATE_PER_TOKEN", "100000000")
os.environ.setdefault("HERDESK_API_RATE_PER_IP", "100000000")
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

import benchlib as bl  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from run import ticket_body  # noqa: E402


def prepare() -> tuple[str, list[int]]:
    from herdesk.customers.models import Customer
    from herdesk.staff.models import User
    from herdesk.staff.services import token_create

    call_command("migrate", verbosity=0)
    if not User.objects.filter(username="agent1").exists():
        call_command("demo", "load", "--quiet")
    token = token_create(user=User.objects.get(username="agent1"), name="profile")[1]
    return token, list(Customer.objects.values_list("pk", flat=True)[:500])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--html")
    ap.add_argument("--sql", action="store_true")
    ap.add_argument("--cprofile", type=int, metavar="N", help="cProfile: the N functions of most own time")
    args = ap.parse_args()
    token, customers = prepare()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")
    rng = random.Random(1)

    def post() -> None:
        r = client.post("/api/v1/tickets", ticket_body(rng, customers), content_type="application/json")
        if r.status_code != 201:
            raise SystemExit(f"create failed: {r.status_code} {r.content[:300]!r}")

    for _ in range(20):
        post()
    with CaptureQueriesContext(connection) as q:
        post()
        statements = len(q.captured_queries)  # read inside: the next request resets the log
    if args.sql:
        for s in q.captured_queries:
            print(f"{s['time']:>7} {s['sql'][:220]}")
    lat = []
    cpu0 = time.process_time()
    t_all = time.perf_counter()
    for _ in range(args.n):
        t0 = time.perf_counter()
        post()
        lat.append(time.perf_counter() - t0)
    wall = time.perf_counter() - t_all
    cpu = time.process_time() - cpu0  # this process's CPU: the server's work (SQLite runs in it)
    print(
        f"{connection.vendor}: {args.n} creates in {wall:.2f} s = {args.n / wall:.1f}/s; "
        f"p50 {bl.percentile(lat, 50) * 1000:.2f} ms, p95 {bl.percentile(lat, 95) * 1000:.2f} ms; "
        f"CPU {cpu / args.n * 1000:.2f} ms per create; {statements} statements per create"
    )
    if args.profile:
        from pyinstrument import Profiler

        reset_queries()
        prof = Profiler(interval=0.0005)  # wall clock: includes the database's own time
        prof.start()
        for _ in range(args.n):
            post()
        prof.stop()
        print(prof.output_text(unicode=True, color=False, show_all=False))
        if args.html:
            Path(args.html).write_text(prof.output_html())
    if args.cprofile:
        import cProfile
        import pstats

        cp = cProfile.Profile()
        cp.enable()
        for _ in range(args.n):
            post()
        cp.disable()
        st = pstats.Stats(cp)
        st.sort_stats("tottime").print_stats(args.cprofile)
        st.sort_stats("cumulative").print_stats("herdesk|ninja|api|middleware", args.cprofile)


if __name__ == "__main__":
    main()
