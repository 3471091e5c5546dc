"""The benchmark data set (`herdesk bench generate`, `bench/run.py`): not part of the product package
(it moved here from herdesk/ops), importable from a source checkout as `bench.dataset`."""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from bench import generator as g
from herdesk.calendars.engine import parse_duration
from herdesk.calendars.selectors import working_calendar
from herdesk.catalog.models import Product
from herdesk.clocks.models import Clock, ClockIncident
from herdesk.customers.models import Contact, Customer, Organisation
from herdesk.demo import data
from herdesk.demo.services import _staff, reference_data_ensure
from herdesk.policies.models import ClockDefinition
from herdesk.policies.selectors import policy_version_in_force
from herdesk.staff.models import Team, User
from herdesk.staff.services import user_create
from herdesk.tickets.models import Category, Interaction, Ticket, TicketCounter, Transfer

log = logging.getLogger(__name__)
Progress = Callable[[int], None]

TEAM_ROLE = {
    "customer-service": "agent",
    "sales-orders": "agent",
    "tech-support": "tech_engineer",
    "after-sales": "field_engineer",
    "account-managers": "account_manager",
}


@dataclass
class GenerateResult:
    stats: g.GenerateStats
    seconds: float
    now: datetime
    search_indexed: int | None = None


GENERATED_MODELS: list[type[models.Model]] = [
    Organisation,
    Customer,
    Contact,
    Ticket,
    Interaction,
    Transfer,
    Clock,
    ClockIncident,
]


def _extra_staff(per_team: int, teams: dict[str, Team]) -> int:
    created = 0
    rng = random.Random(7)  # names only; independent of the data seed so staff stay stable
    for code, role in TEAM_ROLE.items():
        for j in range(per_team):
            username = f"bench-{code}-{j + 1:03d}"
            if User.objects.filter(username=username).exists():
                continue
            user_create(
                username=username,
                password=None,  # cannot sign in: load only, no hashing cost
                role=role,
                team=teams[code],
                display_name=rng.choice(data.SURNAMES) + rng.choice(data.GIVEN),
                email=f"{username}@herdesk.example",
            )
            created += 1
    return created


def _search_index(ticket_ids: list[int]) -> int | None:
    """Populate the search app's index when the app is installed: `search_index_bulk` in chunks,
    inside `search_bulk_load()` (on PostgreSQL the GIN indexes are built once at the end instead of
    row by row: minutes instead of an hour at a million tickets)."""
    from contextlib import nullcontext

    from django.apps import apps

    if not apps.is_installed("herdesk.search"):
        return None
    try:
        from herdesk.search import services as search_services  # type: ignore[attr-defined]
    except ImportError:
        return None
    fn = getattr(search_services, "search_index_bulk", None)
    if fn is None:
        log.warning("herdesk.search has no search_index_bulk; index not populated")
        return None
    bulk_load = getattr(search_services, "search_bulk_load", None)
    done = 0
    with bulk_load() if bulk_load is not None else nullcontext():
        for i in range(0, len(ticket_ids), 20_000):
            chunk = ticket_ids[i : i + 20_000]
            result = fn(chunk)
            done += result if isinstance(result, int) else len(chunk)
    return done


def bench_search_index_ensure() -> int | None:
    """Index the tickets that have no search document yet (a data set generated before the search
    app was installed). Returns how many were indexed, None without the search app. Side effects:
    search documents written through the search app's bulk service, in its transactions."""
    from django.apps import apps

    if not apps.is_installed("herdesk.search"):
        return None
    from herdesk.search.models import SearchDocument  # type: ignore[attr-defined]

    # NOT EXISTS, not NOT IN: PostgreSQL runs `NOT IN (subquery)` as a hashed subplan only when the
    # subquery fits in work_mem; at 1,000,000 documents it fell back to a rescan per ticket (hours).
    missing = list(
        Ticket.objects.filter(~Exists(SearchDocument.objects.filter(ticket_id=OuterRef("pk"))))
        .order_by("id")
        .values_list("id", flat=True)
    )
    return _search_index(missing) if missing else 0


def bench_dataset_vacuum() -> None:
    """VACUUM (ANALYZE) the generated tables after the load committed (PostgreSQL; nothing on
    SQLite): what autovacuum would do soon after, done now so that a benchmark right after the load
    sees the visibility map set (index-only scans) and current statistics."""
    g.analyze(GENERATED_MODELS)


@transaction.atomic
def bench_dataset_generate(
    *,
    tickets: int,
    seed: int = 1,
    customers: int | None = None,
    staff_per_team: int | None = None,
    now: datetime | None = None,
    pool_size: int = 500,
    search_index: bool = True,
    progress: Progress | None = None,
) -> GenerateResult:
    """Add `tickets` realistic Chinese tickets (with customers, staff, timelines, clocks in every
    state) to the database, deterministically for (seed, now).

    One transaction: all or nothing. Locks: none beyond the inserted rows; run it on a database
    nobody else writes to (it allocates ids past the current maximum and moves the sequences).
    Side effects: reference data and demo staff ensured (through their services, with audit
    entries); ticket numbers continue each day's TicketCounter; the search index is populated when
    the search app exists. Bulk rows get no audit entries and no outbox messages (see generator).
    """
    if tickets < 0:
        raise ValueError("tickets must be >= 0")
    t0 = time.perf_counter()
    progress = progress or (lambda n: None)
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    rng = random.Random(seed)
    reference_data_ensure()
    users = _staff()
    teams = {t.code: t for t in Team.objects.select_related("lead")}
    per_team = staff_per_team if staff_per_team is not None else min(40, tickets // 25_000)
    stats = g.GenerateStats(staff=_extra_staff(per_team, teams))
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            # Durability of each chunk does not matter: the whole load commits or not at all.
            cur.execute("SET LOCAL synchronous_commit = off")

    version = policy_version_in_force(at=now)
    if version is None:
        raise RuntimeError("no service policy in force; reference data is missing")
    definitions = list(ClockDefinition.objects.filter(version=version).order_by("position", "id"))
    members = {
        code: sorted(
            User.objects.filter(team=teams[code], customer__isnull=True, is_active=True).values_list(
                "pk", flat=True
            )
        )
        for code in set(g.ROUTE.values())
    }
    ctx = g.Context(
        rng=rng,
        now=now,
        pools=g.make_pools(random.Random(seed + 1), pool_size),
        version_id=version.pk,
        definitions=definitions,
        calendars={d.calendar_code: working_calendar(d.calendar_code) for d in definitions},
        durations={d.pk: parse_duration(d.target) for d in definitions},
        teams=teams,
        members=members,
        staff_names={u.pk: str(u) for u in User.objects.filter(customer__isnull=True)},
        products=list(Product.objects.order_by("code")),
        categories={
            ptype: list(sorted(Category.objects.filter(problem_type=ptype).values_list("pk", flat=True)))
            or [None]
            for ptype in g.ROUTE
        },
        agents=sorted(members["customer-service"]),
        prefix=settings.HERDESK_TICKET_PREFIX,
    )
    ctx.counters.update({c.day: c.last for c in TicketCounter.objects.all()})
    ctx.counters["_ticket_id"] = g.next_id(Ticket) - 1
    ctx.counters["_clock_id"] = g.next_id(Clock) - 1

    # Organisations, customers and their primary contacts.
    n_customers = customers if customers is not None else max(50, tickets // 20)
    org_w = g.BulkWriter(
        Organisation,
        ["id", "name", "kind", "region", "tier", "account_manager", "lifecycle_stage", "created_at"],
        now=now,
    )
    cust_w = g.BulkWriter(
        Customer,
        [
            "id",
            "kind",
            "name",
            "organisation",
            "region",
            "tier",
            "account_manager",
            "lifecycle_stage",
            "address",
            "id_number",
            "created_at",
        ],
        now=now,
    )
    contact_w = g.BulkWriter(
        Contact,
        ["customer", "name", "phone", "phone_bidx", "email", "email_bidx", "wechat_openid", "is_primary"],
        now=now,
    )
    am = users["am1"].pk
    org_id, cust_id = g.next_id(Organisation) - 1, g.next_id(Customer) - 1
    cust_rows: list[tuple[int, int | None, str, str]] = []
    current_org: tuple[int, str, str] | None = None
    lifecycles = ["new", "growing", "mature", "declining"]
    for i in range(n_customers):
        region = rng.choice(data.REGIONS)
        in_org = rng.random() < 0.3
        if in_org and (current_org is None or rng.random() < 0.35):
            key = rng.random() < 0.25
            org_id += 1
            tier = "key_account" if key else "regular"
            org_w.add(
                org_id,
                region.split()[-1]
                + rng.choice(data.FARM_WORDS)
                + rng.choice(["牧场", "乳业经销部", "合作社"]),
                rng.choice(["farm", "distributor"]),
                region,
                tier,
                am if key else None,
                rng.choice(lifecycles),
                now,
            )
            current_org = (org_id, region, tier)
            stats.organisations += 1
        cust_id += 1
        name = g._person(rng)
        pool = i % len(ctx.pools.phones)
        if in_org and current_org is not None:
            oid, region, tier = current_org
            cust_w.add(
                cust_id,
                "organisation",
                name,
                oid,
                region,
                tier,
                am if tier == "key_account" else None,
                rng.choice(lifecycles),
                ctx.pools.addresses[pool],
                "",
                now,
            )
            cust_rows.append((cust_id, oid, tier, region))
        else:
            cust_w.add(
                cust_id,
                "person",
                name,
                None,
                region,
                "regular",
                None,
                rng.choice(lifecycles),
                ctx.pools.addresses[pool],
                "",
                now,
            )
            cust_rows.append((cust_id, None, "regular", region))
        phone, phone_bidx = ctx.pools.phones[pool]
        email, email_bidx = ctx.pools.emails[pool] if rng.random() < 0.6 else ("", "")
        contact_w.add(cust_id, name, phone, phone_bidx, email, email_bidx, "", True)
        stats.customers += 1
    for w in (org_w, cust_w, contact_w):
        w.flush()

    writers = {
        "ticket": g.BulkWriter(Ticket, g.TICKET_FIELDS, now=now),
        "interaction": g.BulkWriter(Interaction, g.INTERACTION_FIELDS, now=now),
        "transfer": g.BulkWriter(Transfer, g.TRANSFER_FIELDS, now=now),
        "clock": g.BulkWriter(Clock, g.CLOCK_FIELDS, now=now),
        "incident": g.BulkWriter(ClockIncident, g.INCIDENT_FIELDS, now=now),
    }
    counts: Counter[str] = Counter()
    clock_states: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    first_ticket = ctx.counters["_ticket_id"] + 1
    # Django declares foreign keys DEFERRABLE INITIALLY DEFERRED (PostgreSQL and SQLite), so chunks
    # of children may reach the database before their parents' chunk; they are checked at commit.
    order = ["ticket", "transfer", "interaction", "clock", "incident"]
    for table, row in g.generate_tickets(ctx, tickets=tickets, customers=cust_rows, progress=progress):
        writers[table].add(*row)
        counts[table] += 1
        if table == "ticket":
            statuses[row[18]] += 1
        elif table == "clock":
            clock_states[row[7]] += 1
    for name in order:
        writers[name].flush()
    g.reset_sequences([Organisation, Customer, Contact, Ticket, Interaction, Transfer, Clock, ClockIncident])
    for day, last in ctx.counters.items():
        if isinstance(day, str):
            continue
        TicketCounter.objects.update_or_create(day=day, defaults={"last": last})
    stats.tickets = counts["ticket"]
    stats.interactions = counts["interaction"]
    stats.transfers = counts["transfer"]
    stats.clocks = counts["clock"]
    stats.incidents = counts["incident"]
    stats.clock_states = dict(sorted(clock_states.items()))
    stats.statuses = dict(sorted(statuses.items()))
    indexed = None
    if search_index and tickets:
        indexed = _search_index(list(range(first_ticket, first_ticket + tickets)))
    g.analyze(GENERATED_MODELS)
    return GenerateResult(stats=stats, seconds=time.perf_counter() - t0, now=now, search_indexed=indexed)
