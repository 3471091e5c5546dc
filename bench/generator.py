"""Benchmark data set: realistic Chinese tickets with timelines and clocks, bulk-inserted.

Used by `herdesk bench generate` (through `bench.dataset.bench_dataset_generate`), by
`bench/run.py` and by the peer race (`bench/peer`). Deterministic for a seed and an anchor time
(`now`): the same arguments give the same rows (ciphertexts aside: AES-GCM nonces are random by
design, the plaintexts are the same).

Speed: rows are streamed in chunks through COPY on PostgreSQL (psycopg `cursor.copy`) and
`executemany` on SQLite (the same statement bulk_create issues, without building model instances:
about three times faster at a million rows). Encrypted contact fields are real AES-GCM ciphertext
from `herdesk.common.crypto`: a pool of values is encrypted once and reused.

The rows are not written through the ticket services one by one (a million tickets would take
hours and a million audit entries); instead each ticket's timeline is computed the way the services
would have produced it: the same events, the policy's clock definitions with `applies()`, due times
from the real calendar engine. The data set has no audit entries and no outbox messages.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models
from django.utils import timezone

from herdesk.demo import data

Progress = Callable[[int], None]

CHUNK = 20_000
# Clocks that fell due less than this long ago are left running, as if the sweep had not seen them
# yet: the sweep finds work on a fresh data set. Older ones are recorded as breached already.
BACKLOG_WINDOW = timedelta(minutes=10)

ROUTE = {
    "technical_support": "tech-support",
    "after_sales": "after-sales",
    "order_inquiry": "sales-orders",
    "complaint": "account-managers",
    "product_inquiry": "customer-service",
    "suggestion": "customer-service",
}
CHANNEL_KIND = {
    "phone": "phone_call",
    "email": "email",
    "email_other": "email",
    "chat": "chat",
    "portal": "web_form",
    "wechat": "wechat",
    "social": "web_form",
}
CHANNELS = ["phone", "email", "chat", "portal", "wechat", "social", "email_other"]
CHANNEL_WEIGHTS = [40, 15, 20, 10, 10, 3, 2]
PTYPE_WEIGHTS = [25, 25, 15, 20, 8, 7]
DETAILS = [
    "牧场有存栏奶牛 {n} 头，设备已连续运行 {h} 小时。",
    "上午巡检时发现，已按说明书重启一次，问题仍在。",
    "冷库温度记录显示 {t}℃，请尽快确认是否影响产品质量。",
    "订单 DD{o} 已签收，客户要求三天内答复。",
    "客户情绪比较着急，希望工程师今天联系。",
    "现场照片已通过微信发送给服务专员。",
    "同一批次产品在 {r} 也有类似反馈。",
    "设备报警代码 ERR-{e}，面板显示压力异常。",
    "客户希望了解保修范围以及是否需要额外费用。",
]
RESPONSES = [
    "您好，已收到您的问题，我们会在承诺时限内处理。",
    "您好，工程师正在查看您反馈的情况，请保持电话畅通。",
    "您好，我们已登记您的反馈，预计 4 小时内给出处理方案。",
]
OPTIONS = ["1. 远程指导处理", "1. 远程指导处理\n2. 安排工程师上门", "1. 更换配件\n2. 退换货处理"]


def _sqlite_dt(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


class BulkWriter:
    """Buffers rows for one table and writes them in chunks (COPY or executemany).

    Columns not given are filled with the field's default, so a column added to a model later
    (with a default) does not break the generator.
    """

    def __init__(self, model: type[models.Model], fields: list[str], *, now: datetime) -> None:
        self.model = model
        self.vendor = connection.vendor
        self.fields: list[models.Field] = []
        for name in fields:
            f = model._meta.get_field(name)
            assert isinstance(f, models.Field)  # concrete columns only
            self.fields.append(f)
        given = {f.name for f in self.fields}
        self.extra: list[tuple[str, Any]] = []
        for f in model._meta.concrete_fields:
            if f.name in given or f.primary_key:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value: Any = now
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            else:
                raise ValueError(f"{model.__name__}.{f.name} needs a value in the generator")
            self.extra.append((str(f.column), self._prep_one(f, value)))
        self.columns = [str(f.column) for f in self.fields] + [c for c, _ in self.extra]
        self.extra_values = tuple(v for _, v in self.extra)
        self.converters = [self._converter(f) for f in self.fields]
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0
        q = connection.ops.quote_name
        cols = ", ".join(q(c) for c in self.columns)
        self.table = q(model._meta.db_table)
        if self.vendor == "postgresql":
            self.sql = f"COPY {self.table} ({cols}) FROM STDIN"
        else:
            marks = ", ".join(["%s"] * len(self.columns))
            self.sql = f"INSERT INTO {self.table} ({cols}) VALUES ({marks})"

    def _converter(self, f: models.Field) -> Callable[[Any], Any] | None:
        if isinstance(f, models.JSONField):
            return lambda v: json.dumps(v, ensure_ascii=False)
        if isinstance(f, models.DateTimeField) and self.vendor == "sqlite":
            return lambda v: None if v is None else _sqlite_dt(v)
        return None

    def _prep_one(self, f: models.Field, value: Any) -> Any:
        conv = self._converter(f)
        return conv(value) if conv and value is not None else value

    def add(self, *values: Any) -> None:
        row = tuple(
            c(v) if c is not None and v is not None else v
            for c, v in zip(self.converters, values, strict=True)
        )
        self.rows.append(row + self.extra_values)
        if len(self.rows) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        with connection.cursor() as cur:
            if self.vendor == "postgresql":
                raw = cur.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(self.sql) as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                cur.executemany(self.sql, self.rows)
        self.written += len(self.rows)
        self.rows = []


def analyze(model_list: list[type[models.Model]]) -> None:
    """Planner statistics for the freshly loaded tables (PostgreSQL). Why: after a bulk load
    autovacuum may be off or late, and without statistics the planner guesses (a supervisor's
    saved view took 17.5 s instead of ~0.2 s at 1,000,000 tickets). SQLite plans without them.
    Outside a transaction VACUUM too, as autovacuum soon would: it sets the visibility map, without
    which every index-only scan (the queue badges' capped counts) reads the table's pages as well."""
    if connection.vendor != "postgresql":
        return
    verb = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cur:
        for model in model_list:
            cur.execute(f"{verb} {connection.ops.quote_name(model._meta.db_table)}")


def next_id(model: type[models.Model]) -> int:
    return int((model._default_manager.aggregate(m=models.Max("pk"))["m"] or 0) + 1)


def reset_sequences(model_list: list[type[models.Model]]) -> None:
    """After explicit ids: move PostgreSQL's sequences past them (SQLite follows by itself)."""
    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    if statements:
        with connection.cursor() as cur:
            for sql in statements:
                cur.execute(sql)


@dataclass
class Pools:
    """Encrypted contact values, computed once and reused (encryption is the slow part)."""

    phones: list[tuple[str, str]] = field(default_factory=list)  # (ciphertext, blind index)
    emails: list[tuple[str, str]] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)


def make_pools(rng: random.Random, size: int) -> Pools:
    from herdesk.common import crypto
    from herdesk.customers.services import EMAIL_CTX, PHONE_CTX

    pools = Pools()
    for i in range(size):
        phone = f"+8613{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
        email = f"user{i}@example.cn"
        region = rng.choice(data.REGIONS)
        address = f"{region}幸福路{rng.randint(1, 300)}号{rng.randint(1, 30)}栋"
        pools.phones.append(
            (
                crypto.encrypt(phone, context="customers.contact.phone"),
                crypto.blind_index(phone, context=PHONE_CTX),
            )
        )
        pools.emails.append(
            (
                crypto.encrypt(email, context="customers.contact.email"),
                crypto.blind_index(email, context=EMAIL_CTX),
            )
        )
        pools.addresses.append(crypto.encrypt(address, context="customers.customer.address"))
    return pools


@dataclass
class GenerateStats:
    tickets: int = 0
    customers: int = 0
    organisations: int = 0
    staff: int = 0
    interactions: int = 0
    clocks: int = 0
    incidents: int = 0
    transfers: int = 0
    clock_states: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)

    def rows(self) -> int:
        return (
            self.tickets
            + self.customers
            + self.organisations
            + self.interactions
            + self.clocks
            + self.incidents
            + self.transfers
        )


def _person(rng: random.Random) -> str:
    return rng.choice(data.SURNAMES) + rng.choice(data.GIVEN)


def _minutes(rng: random.Random, lo: float, hi: float) -> timedelta:
    return timedelta(minutes=rng.uniform(lo, hi))


@dataclass
class Context:
    rng: random.Random
    now: datetime
    pools: Pools
    version_id: int
    definitions: list[Any]
    calendars: dict[str, Any]
    durations: dict[int, Any]
    teams: dict[str, Any]
    members: dict[str, list[int]]
    staff_names: dict[int, str]
    products: list[Any]
    categories: dict[str, list[int | None]]
    agents: list[int]
    prefix: str
    counters: dict[Any, int] = field(default_factory=dict)


def timeline(
    ctx: Context, received: datetime, complexity: str, cancelled: bool, *, complaint: bool = False
) -> dict[str, datetime]:
    """The instants of each ticket event, as the services would have recorded them (only those
    that are not in the future are used)."""
    rng = ctx.rng
    ev: dict[str, datetime] = {"received": received}
    t = received + _minutes(rng, 0.5, 4)
    ev["triaged"] = t
    ev["first_response"] = t + _minutes(rng, 1, 45 if rng.random() < 0.85 else 180)
    t += _minutes(rng, 1, 10)
    ev["assigned"] = t
    if cancelled:
        ev["cancelled"] = t + _minutes(rng, 5, 600)
        return ev
    t += _minutes(rng, 2, 25 if rng.random() < 0.9 else 90)
    ev["acknowledged"] = t
    if complaint:
        # tickets.services.ticket_acknowledge emits handling_started for a complaint (S1 §五(二)1:
        # handling starts when the assignee confirms receipt), which stops its complaint_start
        # clock. Without it every complaint's clock kept counting after the ticket was closed.
        ev["handling_started"] = t
    t += _minutes(rng, 5, 70 if complexity != "complex" else 150)
    ev["options_offered"] = ev["progress_given"] = t
    if rng.random() < 0.01:  # stuck: never resolved (long-running open work)
        return ev
    scale = {"simple": 20, "general": 240, "complex": 1800}[complexity]
    t += timedelta(minutes=rng.expovariate(1 / scale) + 5)
    ev["resolved"] = t
    ev["follow_up_recorded"] = t + timedelta(hours=rng.uniform(2, 90))
    if rng.random() < 0.03:  # resolved, customer never confirmed
        return ev
    t += timedelta(hours=rng.uniform(1, 40))
    ev["closed"] = t
    ev["record_finalized"] = t + timedelta(hours=rng.uniform(0.5, 30))
    return ev


def status_of(ev: dict[str, datetime], now: datetime, rng: random.Random) -> tuple[str, datetime | None]:
    """(status, waiting since) from the last event that has happened."""
    if ev.get("cancelled") and ev["cancelled"] <= now:
        return "cancelled", None
    for name, status in (
        ("closed", "closed"),
        ("resolved", "resolved"),
        ("options_offered", "in_progress"),
        ("acknowledged", "acknowledged"),
        ("assigned", "assigned"),
        ("triaged", "triaged"),
    ):
        at = ev.get(name)
        if at is not None and at <= now:
            if status == "in_progress" and rng.random() < 0.25:
                wait = at + (now - at) * rng.random()
                return "waiting_customer", wait
            return status, None
    return "new", None


def generate_tickets(
    ctx: Context, *, tickets: int, customers: list[tuple[int, int | None, str, str]], progress: Progress
) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """Yields (table, row) pairs: tickets, interactions, transfers, clocks, incidents."""
    from herdesk.clocks.services import applies

    rng, now = ctx.rng, ctx.now
    span = timedelta(days=365 if tickets >= 50_000 else 90)
    start = now - span
    step = span / max(tickets, 1)
    ptypes = list(data.SUBJECTS)
    for i in range(tickets):
        # Ids follow arrival; the last ~3% arrived in the last day and a half (open work).
        if rng.random() < 0.03:
            received = now - timedelta(hours=rng.uniform(0.02, 36))
        else:
            received = start + step * i + timedelta(seconds=rng.uniform(0, 60))
        received = min(received, now - timedelta(seconds=30))
        ptype = rng.choices(ptypes, weights=PTYPE_WEIGHTS)[0]
        product = rng.choice(ctx.products)
        order = f"{rng.randint(100000, 999999)}"
        subject = rng.choice(data.SUBJECTS[ptype]).format(p=product.name, o=f"DD{order}")
        detail = rng.choice(DETAILS).format(
            n=rng.randint(50, 3000),
            h=rng.randint(2, 72),
            t=rng.randint(5, 12),
            o=order,
            r=rng.choice(data.REGIONS),
            e=rng.choice(["123", "204", "311", "507"]),
        )
        description = f"客户来电/来信反映：{subject}。{detail}"
        channel = rng.choices(CHANNELS, weights=CHANNEL_WEIGHTS)[0]
        complexity = rng.choices(["simple", "general", "complex"], weights=[35, 45, 20])[0]
        priority = rng.choices(["low", "normal", "high", "urgent"], weights=[10, 65, 20, 5])[0]
        severity = ("major" if rng.random() < 0.3 else "general") if ptype == "complaint" else ""
        cust_id, org_id, tier, region = rng.choice(customers)
        team_code = ROUTE[ptype]
        team = ctx.teams[team_code]
        assignee = rng.choice(ctx.members[team_code])
        agent = rng.choice(ctx.agents)
        cancelled = rng.random() < 0.02
        ev = timeline(ctx, received, complexity, cancelled, complaint=ptype == "complaint")
        status, waiting_since = status_of(ev, now, rng)
        happened = {k: v for k, v in ev.items() if v <= now}

        local_day = timezone.localtime(received).date()
        ctx.counters[local_day] = n = ctx.counters.get(local_day, 0) + 1
        number = f"{ctx.prefix}-{local_day:%Y%m%d}-{n:04d}"
        tid = ctx.counters["_ticket_id"] = ctx.counters.get("_ticket_id", 0) + 1
        assigned = "assigned" in happened and status != "new"
        last_event = max(happened.values())
        yield (
            "ticket",
            (
                tid,
                number,
                subject,
                description,
                channel,
                ptype,
                rng.choice(ctx.categories[ptype]),
                priority,
                complexity,
                severity,
                cust_id,
                org_id,
                product.pk,
                f"DD{order}" if ptype == "order_inquiry" else "",
                region,
                team.pk if "triaged" in happened else None,
                assignee if assigned else None,
                agent,
                status,
                "options_offered" if "options_offered" in happened else "",
                ctx.version_id,
                received,
                received,
                last_event,
                happened.get("acknowledged"),
                happened.get("first_response"),
                happened.get("resolved") if status in ("resolved", "closed") else None,
                happened.get("closed") if status == "closed" else None,
                agent,
            ),
        )
        # The timeline, as the services write it.
        yield (
            "interaction",
            (tid, CHANNEL_KIND[channel], "inbound", channel, None, description, True, False, received, {}),
        )
        if "first_response" in happened:
            yield (
                "interaction",
                (
                    tid,
                    CHANNEL_KIND[channel],
                    "outbound",
                    channel,
                    agent,
                    rng.choice(RESPONSES),
                    True,
                    False,
                    happened["first_response"],
                    {},
                ),
            )
        if assigned:
            name = ctx.staff_names.get(assignee, "")
            yield (
                "interaction",
                (
                    tid,
                    "system_event",
                    "internal",
                    "",
                    agent,
                    f"分派给 {name}",
                    False,
                    False,
                    happened["assigned"],
                    {"from_status": "triaged", "to_status": "assigned"},
                ),
            )
            yield (
                "transfer",
                (
                    tid,
                    None,
                    team.pk,
                    None,
                    assignee,
                    "按问题类型分派",
                    "请按服务规定时限处理",
                    15,
                    agent,
                    happened["assigned"],
                ),
            )
        if "options_offered" in happened and status != "cancelled":
            yield (
                "interaction",
                (
                    tid,
                    "system_event",
                    "outbound",
                    "",
                    assignee,
                    rng.choice(OPTIONS),
                    True,
                    False,
                    happened["options_offered"],
                    {},
                ),
            )
        if status in ("resolved", "closed"):
            yield (
                "interaction",
                (
                    tid,
                    "system_event",
                    "outbound",
                    "",
                    assignee,
                    "问题已处理，请确认。",
                    True,
                    False,
                    happened["resolved"],
                    {"verification_method": "customer_confirmation"},
                ),
            )
        if status == "closed":
            yield (
                "interaction",
                (
                    tid,
                    "system_event",
                    "internal",
                    "",
                    assignee,
                    "已关闭",
                    False,
                    False,
                    happened["closed"],
                    {"from_status": "resolved", "to_status": "closed"},
                ),
            )
        if status == "cancelled":
            yield (
                "interaction",
                (
                    tid,
                    "system_event",
                    "internal",
                    "",
                    agent,
                    "客户撤回，工单取消",
                    False,
                    False,
                    happened["cancelled"],
                    {"from_status": "assigned", "to_status": "cancelled"},
                ),
            )
        # Clocks, from the policy's definitions.
        fake = SimpleNamespace(
            channel=channel,
            problem_type=ptype,
            complexity=complexity,
            priority=priority,
            complaint_severity=severity,
            customer_id=cust_id,
            customer=SimpleNamespace(tier=tier),
        )
        cancelled_at = happened.get("cancelled")
        for d in ctx.definitions:
            started = happened.get(d.start_event)
            if started is None or not applies(d, fake):
                continue
            cal = ctx.calendars[d.calendar_code]
            due = cal.add(started, ctx.durations[d.pk])
            warn = started + (due - started) * d.warn_at_percent / 100
            stop = happened.get(d.stop_event)
            state, stopped_at, breached_at, warned_at = "running", None, None, None
            paused_at, remaining, remaining_warn = None, None, None
            if cancelled_at is not None and (stop is None or stop > cancelled_at):
                state, stopped_at = "cancelled", cancelled_at
            elif stop is not None:
                stopped_at = stop
                if stop > due:
                    state, breached_at = "breached", min(stop, due + timedelta(seconds=30))
                else:
                    state = "met"
                if stop > warn:
                    warned_at = min(stop, warn + timedelta(seconds=30))
            elif waiting_since is not None and "waiting_customer" in (d.pause_statuses or []):
                state, paused_at = "paused", waiting_since
                remaining = max(0, int((due - waiting_since).total_seconds()))
                remaining_warn = max(0, int((warn - waiting_since).total_seconds()))
            elif due <= now - BACKLOG_WINDOW:
                state, breached_at, warned_at = (
                    "breached",
                    due + timedelta(seconds=30),
                    warn + timedelta(seconds=30),
                )
            elif warn <= now - BACKLOG_WINDOW:
                warned_at = warn + timedelta(seconds=30)
            cid = ctx.counters["_clock_id"] = ctx.counters.get("_clock_id", 0) + 1
            yield (
                "clock",
                (
                    cid,
                    tid,
                    d.pk,
                    d.kind,
                    1,
                    d.target,
                    d.calendar_code,
                    state,
                    started,
                    due,
                    warn,
                    due,
                    paused_at,
                    remaining,
                    remaining_warn,
                    warned_at,
                    breached_at,
                    stopped_at,
                    False,
                ),
            )
            if breached_at is not None:
                yield ("incident", (cid, "breach", due, breached_at))
        progress(1)


TICKET_FIELDS = [
    "id",
    "number",
    "subject",
    "description",
    "channel",
    "problem_type",
    "category",
    "priority",
    "complexity",
    "complaint_severity",
    "customer",
    "organisation",
    "product",
    "order_number",
    "region",
    "team",
    "assignee",
    "first_contact_owner",
    "status",
    "solution_stage",
    "policy_version",
    "received_at",
    "created_at",
    "updated_at",
    "acknowledged_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "created_by",
]
INTERACTION_FIELDS = [
    "ticket",
    "kind",
    "direction",
    "channel",
    "author",
    "body",
    "is_public",
    "is_automatic",
    "occurred_at",
    "data",
]
TRANSFER_FIELDS = [
    "ticket",
    "from_team",
    "to_team",
    "from_user",
    "to_user",
    "reason",
    "requirement",
    "expected_response_minutes",
    "created_by",
    "created_at",
]
CLOCK_FIELDS = [
    "id",
    "ticket",
    "definition",
    "kind",
    "cycle",
    "target",
    "calendar_code",
    "state",
    "started_at",
    "due_at",
    "warn_at",
    "original_due_at",
    "paused_at",
    "remaining_seconds",
    "remaining_warn_seconds",
    "warned_at",
    "breached_at",
    "stopped_at",
    "renegotiated",
]
INCIDENT_FIELDS = ["clock", "kind", "due_at", "recorded_at"]


def attnames(model: type[models.Model], names: list[str]) -> list[str]:
    """Field names for BulkWriter (foreign keys are given as ids)."""
    return [model._meta.get_field(n).name for n in names]
