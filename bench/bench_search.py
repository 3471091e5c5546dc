"""Benchmark of exact Chinese full-text search (KB-2; issue 7, scenario 3).

Generates N synthetic tickets (herdesk.search.synthetic: realistic dairy-service texts with the
query words at known rates, near misses and internal notes) on the database DATABASE_URL points at,
indexes them through herdesk.search.services, then times `ticket_search` for the four benchmark
queries as a supervisor (sees everything) and as an agent (sees one team's queue), and checks every
count against a brute-force scan of the generated source texts (independent of the index).

    # SQLite, 100,000 tickets (a file of its own)
    DATABASE_URL=sqlite:////tmp/herdesk_bench_search.sqlite3 .venv/bin/python bench/bench_search.py --n 100000
    # PostgreSQL: a database of its own, never the shared `test` one
    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE herdesk_bench_search'
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/herdesk_bench_search \\
        .venv/bin/python bench/bench_search.py --n 1000000

Rerunning with the same --n and --seed reuses the data (--regenerate forces a fresh load). Tickets
are written with COPY on PostgreSQL and bulk_create on SQLite. Wall times are per call of
ticket_search (count + first page of 25 tickets, what GET /api/v1/search does); on PostgreSQL the
database backend's CPU time per call is reported as well (read from /proc), since on a shared
machine the wall time mostly measures the neighbours.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from herdesk.catalog.models import Product  # noqa: E402
from herdesk.customers.models import Customer, Organisation  # noqa: E402
from herdesk.search.models import SearchDocument  # noqa: E402
from herdesk.search.selectors import match_plan, ticket_search  # noqa: E402
from herdesk.search.services import search_bulk_load, search_index_bulk  # noqa: E402
from herdesk.search.synthetic import BENCH_QUERIES, PLACES, synthetic_ticket  # noqa: E402
from herdesk.staff.models import Team, User  # noqa: E402
from herdesk.tickets.models import Interaction, Ticket  # noqa: E402

TARGET_P95_MS = 100.0
PREFIX = "FW-B"  # bench ticket numbers: FW-B0000001 ...
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "洋",
    "勇",
    "艳",
    "杰",
    "军",
    "强",
    "丽",
    "霞",
    "平",
    "刚",
    "桂英",
]
FARMS = ["牧场", "奶牛场", "乳业", "养殖合作社", "乳品经销部"]


def norm(s: str) -> str:
    """The brute force's own normalisation (NFKC + casefold + whitespace), not the index's."""
    return " ".join(unicodedata.normalize("NFKC", s).casefold().split())


class Generated:
    """The corpus as the generator made it: enough to brute-force every benchmark query."""

    def __init__(self) -> None:
        self.expected_all = dict.fromkeys(BENCH_QUERIES, 0)
        self.expected_agent = dict.fromkeys(BENCH_QUERIES, 0)
        self.tickets = 0
        self.interactions = 0
        self.chars = 0

    def check(self, fields: list[str], agent_sees: bool) -> None:
        fields = [norm(f) for f in fields]
        self.chars += sum(len(f) + 1 for f in fields)
        for q in BENCH_QUERIES:
            if all(any(t in f for f in fields) for t in norm(q).split()):
                self.expected_all[q] += 1
                self.expected_agent[q] += agent_sees


def _reference() -> dict[str, Any]:
    from herdesk.demo.services import _staff, reference_data_ensure

    reference_data_ensure()
    staff = _staff()
    return {
        "staff": staff,
        "teams": list(Team.objects.order_by("code")),
        "products": list(Product.objects.all()),
    }


def _customers(rng: random.Random, count: int) -> list[Customer]:
    existing = list(Customer.objects.filter(name__startswith="测").order_by("pk"))
    if len(existing) >= count:
        return existing[:count]
    orgs = Organisation.objects.bulk_create(
        [Organisation(name=f"测{rng.choice(PLACES)}{rng.choice(FARMS)}{i}") for i in range(count // 6)]
    )
    customers = [
        Customer(
            name="测" + rng.choice(SURNAMES) + rng.choice(GIVEN),
            organisation=orgs[i % len(orgs)] if i % 3 else None,
            region=rng.choice(PLACES),
        )
        for i in range(count)
    ]
    return Customer.objects.bulk_create(customers)


def _copy(model: Any, rows: list[Any]) -> None:
    """COPY model instances (explicit primary keys) into the model's table (PostgreSQL)."""
    fields = list(model._meta.concrete_fields)
    cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cur:
        raw = cur.cursor
        with raw.copy(f"COPY {model._meta.db_table} ({cols}) FROM STDIN") as cp:
            for obj in rows:
                cp.write_row([f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields])


def generate(n: int, seed: int, write: bool, progress: bool = True) -> Generated:
    """Make (and with write=True, store) the corpus; always returns the brute-force counts."""
    rng = random.Random(seed)
    ref = _reference()
    agent = ref["staff"]["agent1"]
    teams, staff = ref["teams"], ref["staff"]
    by_name = {p.name: p for p in ref["products"]}
    customers = _customers(random.Random(seed + 1), 2000)
    pg = connection.vendor == "postgresql"
    gen = Generated()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    first_id = (Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    next_interaction = (Interaction.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    now = datetime.now(UTC)
    batch_t: list[Ticket] = []
    batch_i: list[Interaction] = []
    t0 = time.perf_counter()

    def flush() -> None:
        if not write or not batch_t:
            batch_t.clear()
            batch_i.clear()
            return
        with transaction.atomic():
            if pg:
                _copy(Ticket, batch_t)
                _copy(Interaction, batch_i)
            else:
                Ticket.objects.bulk_create(batch_t, batch_size=2000)
                Interaction.objects.bulk_create(batch_i, batch_size=2000)
        batch_t.clear()
        batch_i.clear()

    for i in range(n):
        s = synthetic_ticket(rng)
        c = customers[rng.randrange(len(customers))]
        team = teams[rng.randrange(len(teams))]
        assignee = agent if rng.random() < 0.02 else None
        owner = staff["agent2"] if rng.random() < 0.3 else None
        product = by_name.get(s.product.split()[0])
        received = start + timedelta(seconds=rng.randrange(2 * 365 * 86400))
        pk = first_id + i
        number = f"{PREFIX}{i:07d}"
        t = Ticket(
            pk=pk, number=number, subject=s.subject, description=s.description, channel="phone",
            problem_type="technical_support", priority="normal", complexity="general", complaint_severity="",
            customer_id=c.pk, organisation_id=c.organisation_id, product=product, order_number="",
            region=c.region, team_id=team.pk, assignee_id=assignee.pk if assignee else None,
            first_contact_owner_id=owner.pk if owner else None, status="new", solution_stage="",
            received_at=received, created_at=now, updated_at=now, reopen_count=0,
        )  # fmt: skip
        batch_t.append(t)
        bodies = [(s.description, True), *((r, True) for r in s.replies)] + (
            [(s.note, False)] if s.note else []
        )
        for k, (body, public) in enumerate(bodies):
            batch_i.append(
                Interaction(
                    pk=next_interaction,
                    ticket_id=pk,
                    kind="phone_call" if public else "internal_note",
                    direction="inbound" if k == 0 else ("outbound" if public else "internal"),
                    channel="phone",
                    body=body,
                    is_public=public,
                    is_automatic=False,
                    occurred_at=received + timedelta(minutes=k),
                    created_at=now,
                    data={},
                )
            )
            next_interaction += 1
        gen.interactions += len(bodies)
        product_text = f"{product.name} {product.model_number}" if product else ""
        public_bodies = [b for b, public in bodies if public]
        agent_sees = team.pk == agent.team_id or assignee is not None
        gen.check([number, s.subject, c.name, product_text, s.description, *public_bodies], agent_sees)
        gen.tickets += 1
        if len(batch_t) >= 10_000:
            flush()
            if progress:
                print(
                    f"\r  generated {i + 1:,} tickets ({time.perf_counter() - t0:.0f} s)", end="", flush=True
                )
    flush()
    if write and pg:
        with connection.cursor() as cur:
            for table in ("tickets_ticket", "tickets_interaction"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
    if progress:
        print()
    return gen


def index_all(n: int, batch: int = 5000) -> float:
    ids = list(Ticket.objects.filter(number__startswith=PREFIX).order_by("pk").values_list("pk", flat=True))
    t0 = time.perf_counter()
    with search_bulk_load():
        for k in range(0, len(ids), batch):
            search_index_bulk(ids[k : k + batch])
            print(f"\r  indexed {min(k + batch, len(ids)):,}/{len(ids):,}", end="", flush=True)
        print(f" ({time.perf_counter() - t0:.0f} s); building indexes", flush=True)
    return time.perf_counter() - t0


def _backend_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend (same machine only)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(user: Any, q: str, repeat: int) -> dict[str, Any]:
    ticket_search(user=user, q=q)  # warm-up: permission cache, plan, buffers
    walls, counts = [], set()
    cpu0 = _backend_cpu()
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = ticket_search(user=user, q=q, limit=25)
        walls.append((time.perf_counter() - t0) * 1000)
        counts.add(r.count)
    cpu1 = _backend_cpu()
    walls.sort()
    return {
        "count": counts.pop() if len(counts) == 1 else counts,
        "p50": statistics.median(walls),
        "p95": walls[min(len(walls) - 1, round(0.95 * (len(walls) - 1)))],
        "db_cpu": None if cpu0 is None or cpu1 is None else (cpu1 - cpu0) * 1000 / repeat,
        "plan": match_plan(q),
    }


def sizes() -> list[tuple[str, str]]:
    if connection.vendor != "postgresql":
        path = connection.settings_dict["NAME"]
        return [("database file", f"{os.path.getsize(path) / 2**20:,.0f} MB")]
    out = []
    with connection.cursor() as cur:
        for rel in ("search_document", "search_document_trgm", "search_gramdoc", "search_gramdoc_grams"):
            cur.execute(
                "SELECT pg_size_pretty(pg_relation_size(%s)), pg_size_pretty(pg_total_relation_size(%s))",
                [rel, rel],
            )
            own, total = cur.fetchone()
            out.append((rel, f"{own} (with TOAST and indexes: {total})"))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000, help="tickets (default 100,000)")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--repeat", type=int, default=30, help="timed calls per query and user")
    parser.add_argument("--regenerate", action="store_true", help="drop the bench tickets and load again")
    args = parser.parse_args()
    db = connection.settings_dict["NAME"]
    if connection.vendor == "postgresql" and db in ("test", "herdesk", "postgres"):
        sys.exit(f"refusing to load {args.n:,} bench tickets into the shared database {db!r}; see --help")
    print(
        f"search benchmark: {connection.vendor} {db}, N={args.n:,}, seed {args.seed}, {os.cpu_count()} CPUs"
    )
    call_command("migrate", verbosity=0)
    have = Ticket.objects.filter(number__startswith=PREFIX).count()
    if args.regenerate or have not in (0, args.n):
        print(f"  removing {have:,} old bench tickets")
        with transaction.atomic():
            olds = Ticket.objects.filter(number__startswith=PREFIX)
            SearchDocument.objects.filter(ticket__in=olds).delete()
            Interaction.objects.filter(ticket__in=olds).delete()
            olds.delete()
        have = 0
    t0 = time.perf_counter()
    gen = generate(args.n, args.seed, write=have == 0)
    gen_s = time.perf_counter() - t0
    what = "generated and stored" if have == 0 else "regenerated in memory (data reused)"
    print(
        f"  {what}: {gen.tickets:,} tickets, {gen.interactions:,} interactions, "
        f"{gen.chars / gen.tickets:.0f} chars/ticket, {gen_s:.0f} s"
    )
    documents = SearchDocument.objects.filter(ticket__number__startswith=PREFIX).count()
    if documents != args.n:
        print(f"  indexing {args.n:,} tickets: search_bulk_load + search_index_bulk (batches of 5,000)")
        index_s = index_all(args.n)
        print(f"  indexed in {index_s:.0f} s ({args.n / index_s:,.0f} tickets/s)")
    with connection.cursor() as cur:  # autocommit: VACUUM sets the visibility map, ANALYZE the stats
        cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    for name, value in sizes():
        print(f"  size {name}: {value}")
    staff = {u.username: u for u in User.objects.filter(username__in=["manager", "agent1"])}
    print(f"  load average before timing: {os.getloadavg()[0]:.2f} (1 min)")
    header = f"{'user':<8} {'plan':<12} {'count':>8} {'expected':>8} {'p50 ms':>8} {'p95 ms':>8}"
    header += f" {'DB CPU ms':>10}" if connection.vendor == "postgresql" else ""
    header += "  query"
    print("\n" + header + "\n" + "-" * (len(header) + 10))
    ok, worst = True, 0.0
    for username, expected in (("manager", gen.expected_all), ("agent1", gen.expected_agent)):
        for q in BENCH_QUERIES:
            m = measure(staff[username], q, args.repeat)
            good = m["count"] == expected[q]
            ok &= good
            worst = max(worst, m["p95"])
            line = f"{username:<8} {m['plan']:<12} {m['count']!s:>8} {expected[q]:>8} "
            line += f"{m['p50']:>8.1f} {m['p95']:>8.1f}"
            if m["db_cpu"] is not None:
                line += f" {m['db_cpu']:>10.1f}"
            print(f"{line}  {q}" + ("" if good else "   <-- WRONG COUNT"), flush=True)
    print(f"\nload average after timing: {os.getloadavg()[0]:.2f} (1 min)")
    print(
        f"counts: {'all exact' if ok else 'SOME WRONG'}; worst p95 {worst:.1f} ms "
        f"({'meets' if worst < TARGET_P95_MS else 'misses'} the {TARGET_P95_MS:.0f} ms target)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
