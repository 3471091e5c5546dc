"""Clock runtime: start, stop, pause, resume, renegotiate and sweep (POL-1, HND-1/4/5, CLS-2/3, CMP-2).

Ticket services call `clocks_on_event` / `clocks_on_status` / `clocks_reconcile` inside their own
transaction, so a clock changes exactly when the ticket does. The sweep records each warning and
breach once (unique constraint + row locks) and queues its actions in the outbox.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.calendars.engine import parse_duration
from herdesk.calendars.selectors import working_calendar
from herdesk.common.errors import DomainError
from herdesk.common.rowsql import rows_insert
from herdesk.notifications import customer_notices
from herdesk.notifications.services import outbox_insert_sql
from herdesk.policies.choices import Event
from herdesk.policies.models import ClockDefinition
from herdesk.tickets.choices import Direction, InteractionKind, channel_group
from herdesk.tickets.models import Interaction

from .models import Clock, ClockIncident, ClockState, Renegotiation, SweepRun

if TYPE_CHECKING:
    from herdesk.tickets.models import Ticket

ACTIVE = (ClockState.RUNNING, ClockState.PAUSED)


# Tickets only ever point at approved policy versions, and an approved version's definitions can
# never change (POL-2), so they are cached per process for good: no query on the hot paths.
_VERSION_DEFS: dict[int, list[ClockDefinition]] = {}
_DEFS_BY_ID: dict[int, ClockDefinition] = {}


def definitions_cache_clear() -> None:
    """For tests, whose rolled-back databases may reuse a version's primary key."""
    _VERSION_DEFS.clear()
    _DEFS_BY_ID.clear()


def _version_definitions(version_id: int) -> list[ClockDefinition]:
    defs = _VERSION_DEFS.get(version_id)
    if defs is None:
        defs = list(ClockDefinition.objects.filter(version_id=version_id))
        _VERSION_DEFS[version_id] = defs
        _DEFS_BY_ID.update((d.pk, d) for d in defs)
    return defs


def _definition(definition_id: int) -> ClockDefinition:
    found = _DEFS_BY_ID.get(definition_id)
    if found is None:
        version_id = ClockDefinition.objects.values_list("version_id", flat=True).get(pk=definition_id)
        _version_definitions(version_id)
        found = _DEFS_BY_ID[definition_id]
    return found


def _definitions(ticket: Ticket) -> list[ClockDefinition]:
    if ticket.policy_version_id is None:
        return []
    return _version_definitions(ticket.policy_version_id)


def applies(definition: ClockDefinition, ticket: Any) -> bool:
    rules = definition.applies_to or {}
    checks = {
        "channel_groups": channel_group(ticket.channel),
        "channels": ticket.channel,
        "problem_types": ticket.problem_type,
        "complexities": ticket.complexity,
        "priorities": ticket.priority,
        "tiers": getattr(ticket.customer, "tier", None) if ticket.customer_id else None,
        "severities": ticket.complaint_severity,
    }
    return all(not rules.get(key) or value in rules[key] for key, value in checks.items())


def compute_due(
    *, calendar_code: str, target: str, start: datetime, warn_percent: int
) -> tuple[datetime, datetime]:
    """(due, warn_at): warn_at is `warn_percent` of the target's working time after the start."""
    cal = working_calendar(calendar_code)
    due = cal.add(start, parse_duration(target))
    total = cal.elapsed(start, due)
    warn = cal.add_seconds(start, total * warn_percent // 100) if total else due
    return due, warn


def _new_clock(ticket: Ticket, definition: ClockDefinition, at: datetime, cycle: int) -> Clock:
    """The unsaved clock of this definition started at `at`."""
    due, warn = compute_due(
        calendar_code=definition.calendar_code,
        target=definition.target,
        start=at,
        warn_percent=definition.warn_at_percent,
    )
    return Clock(
        ticket=ticket,
        definition=definition,
        kind=definition.kind,
        cycle=cycle,
        target=definition.target,
        calendar_code=definition.calendar_code,
        started_at=at,
        due_at=due,
        warn_at=warn,
        original_due_at=due,
    )


def _start(ticket: Ticket, definition: ClockDefinition, at: datetime) -> Clock:
    """Start the next cycle of this clock kind."""
    last = Clock.objects.filter(ticket=ticket, kind=definition.kind).order_by("-cycle").first()
    clock = _new_clock(ticket, definition, at, (last.cycle + 1) if last else 1)
    clock.save(force_insert=True)
    return clock


def _record_incident(clock: Clock, kind: str, at: datetime) -> None:
    ClockIncident.objects.bulk_create(
        [ClockIncident(clock=clock, kind=kind, due_at=clock.due_at, recorded_at=at)], ignore_conflicts=True
    )


def _stop(clock: Clock, at: datetime) -> None:
    if clock.state in ACTIVE and at > clock.due_at and clock.breached_at is None:
        # Stopped late before the sweep saw it: the breach is still recorded, once.
        clock.breached_at = at
        _record_incident(clock, ClockIncident.BREACH, at)
    clock.state = ClockState.BREACHED if clock.breached_at else ClockState.MET
    clock.stopped_at = at
    clock.save(update_fields=["state", "stopped_at", "breached_at"])


def _cancel(clock: Clock, at: datetime) -> None:
    clock.state = ClockState.CANCELLED
    clock.stopped_at = at
    clock.save(update_fields=["state", "stopped_at"])


def _close_outstanding(open_clocks: list[Clock], at: datetime) -> None:
    """Resolving and closing end the obligations that run up to the resolution (S1 §三): a clock
    whose stop event never happened — the solution-options clock of a ticket resolved without
    options, the complaint clock of a complaint closed at triage, the first-response clock of a
    ticket resolved without a message — no longer applies and is cancelled, so it neither breaches
    later on a resolved or closed ticket nor counts in the compliance summary. A breach stays a
    breach (evidence; an overdue clock the sweep has not reached yet is recorded as breached now)
    and stops counting. The clocks that start at resolution or closure (follow-up, record
    finalised) run on. A reopening starts the resolution clocks again as a new cycle."""
    for clock in open_clocks:
        if clock.stopped_at is not None or clock.definition.start_event in (Event.RESOLVED, Event.CLOSED):
            continue
        if clock.breached_at is not None or (clock.state == ClockState.RUNNING and at > clock.due_at):
            _stop(clock, at)
        else:
            _cancel(clock, at)


def _open_clocks(ticket: Ticket) -> list[Clock]:
    """Clocks not yet stopped (running, paused, or breached but still counting until stopped)."""
    clocks = list(
        Clock.objects.filter(ticket=ticket, stopped_at__isnull=True).exclude(state=ClockState.CANCELLED)
    )
    for clock in clocks:
        clock.definition = _definition(clock.definition_id)
    return clocks


def clocks_on_event(*, ticket: Ticket, event: str, at: datetime, now: datetime | None = None) -> list[Clock]:
    """Stop the clocks this event stops, then start the ones it starts. Returns the started clocks."""
    # `received` is emitted once, by ticket creation: the ticket has no clocks yet.
    fresh = event == Event.RECEIVED
    open_clocks = [] if fresh else _open_clocks(ticket)
    for clock in open_clocks:
        if clock.definition.stop_event == event:
            _stop(clock, at)
    if event == Event.CANCELLED:
        for clock in open_clocks:
            if clock.stopped_at is None:
                _cancel(clock, at)
        return []
    if event in (Event.RESOLVED, Event.CLOSED):
        _close_outstanding(open_clocks, at)
    if event == Event.REOPENED:
        # Reopening undoes the resolution: follow-up and finalisation no longer apply, and every
        # clock that stopped on resolution runs again as a new cycle.
        for clock in open_clocks:
            if clock.stopped_at is None and clock.definition.start_event in (Event.RESOLVED, Event.CLOSED):
                _cancel(clock, at)
        started = []
        for d in _definitions(ticket):
            if d.stop_event == Event.RESOLVED and applies(d, ticket):
                started.append(_start(ticket, d, at))
        return started
    if fresh:
        # A new ticket (every ticket of every channel): no clock to look up or cancel, and its
        # first cycles are written in one INSERT (they get their ids back, RETURNING), its SQL text
        # built once (rows_insert).
        return rows_insert(
            [
                _new_clock(ticket, d, at, 1)
                for d in _definitions(ticket)
                if d.start_event == event and applies(d, ticket)
            ]
        )
    started = []
    running_kinds = {c.kind for c in open_clocks if c.stopped_at is None}
    for d in _definitions(ticket):
        if d.start_event != event or not applies(d, ticket):
            continue
        if d.kind in running_kinds:
            if not d.restarts:
                continue
            for c in open_clocks:
                if c.kind == d.kind and c.stopped_at is None:
                    _cancel(c, at)
        started.append(_start(ticket, d, at))
    return started


def clocks_withdraw(*, ticket: Ticket, start_event: str, at: datetime) -> int:
    """The start event was withdrawn (FLD-2: the dispatched work order was cancelled, and no other
    order of the ticket is booked): the open clocks it started no longer apply and are cancelled, as
    `_close_outstanding` does for obligations that ended; a recorded breach stays a breach. Returns
    how many were ended."""
    ended = 0
    for clock in _open_clocks(ticket):
        if clock.definition.start_event != start_event:
            continue
        if clock.breached_at is not None or (clock.state == ClockState.RUNNING and at > clock.due_at):
            _stop(clock, at)
        else:
            _cancel(clock, at)
        ended += 1
    return ended


def clocks_on_status(*, ticket: Ticket, old_status: str, new_status: str, at: datetime) -> None:
    """Pause clocks whose definition pauses in the new status; resume those that no longer pause."""
    for clock in _open_clocks(ticket):
        pauses = clock.definition.pause_statuses or []
        if clock.state == ClockState.RUNNING and new_status in pauses:
            cal = working_calendar(clock.calendar_code)
            clock.state = ClockState.PAUSED
            clock.paused_at = at
            clock.remaining_seconds = cal.elapsed(at, clock.due_at) if at < clock.due_at else 0
            clock.remaining_warn_seconds = cal.elapsed(at, clock.warn_at) if at < clock.warn_at else 0
            clock.save(update_fields=["state", "paused_at", "remaining_seconds", "remaining_warn_seconds"])
        elif clock.state == ClockState.PAUSED and new_status not in pauses:
            cal = working_calendar(clock.calendar_code)
            clock.state = ClockState.BREACHED if clock.breached_at else ClockState.RUNNING
            clock.due_at = cal.add_seconds(at, clock.remaining_seconds or 0)
            clock.warn_at = cal.add_seconds(at, clock.remaining_warn_seconds or 0)
            clock.paused_at = None
            clock.save(update_fields=["state", "due_at", "warn_at", "paused_at"])


def clocks_reconcile(*, ticket: Ticket, at: datetime) -> None:
    """After triage changed what the ticket is, swap clocks whose definition no longer applies.

    A replacement that starts on receipt counts from the received time, not from the triage.
    """
    open_clocks = _open_clocks(ticket)
    kinds_open = set()
    for clock in open_clocks:
        if not applies(clock.definition, ticket) or clock.definition.version_id != ticket.policy_version_id:
            _cancel(clock, at)
        else:
            kinds_open.add(clock.kind)
    stopped_kinds = set(
        Clock.objects.filter(ticket=ticket)
        .exclude(state=ClockState.CANCELLED)
        .filter(stopped_at__isnull=False)
        .values_list("kind", flat=True)
    )
    for d in _definitions(ticket):
        if (
            d.start_event == Event.RECEIVED
            and applies(d, ticket)
            and d.kind not in kinds_open
            and d.kind not in stopped_kinds
        ):
            _start(ticket, d, ticket.received_at)
            kinds_open.add(d.kind)


@transaction.atomic
def clock_renegotiate(
    *, clock: Clock, actor: Any, new_due_at: datetime, reason: str, at: datetime | None = None
) -> Renegotiation:
    """HND-5: before the due time, record a reason and a new expected time; tell the customer.

    The original due time stays in `original_due_at`; reports count both.
    """

    at = at or timezone.now()
    clock = Clock.objects.select_for_update().get(pk=clock.pk)
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = _("Give the reason for the new time.")
    if new_due_at <= at:
        errors["new_due_at"] = _("The new time must be in the future.")
    elif new_due_at <= clock.due_at:
        errors["new_due_at"] = _("The new time must be later than the current due time.")
    if errors:
        raise ValidationError(errors)
    if clock.state not in ACTIVE or at >= clock.due_at:
        raise DomainError(
            _("A new time can only be agreed before the clock is due."), code="clock_not_renegotiable"
        )
    reneg = Renegotiation.objects.create(
        clock=clock,
        previous_due_at=clock.due_at,
        new_due_at=new_due_at,
        reason=reason,
        created_by=actor,
        created_at=at,
    )
    shift = new_due_at - clock.due_at
    clock.due_at = new_due_at
    if clock.warned_at is None:
        clock.warn_at = clock.warn_at + shift
    clock.renegotiated = True
    clock.save(update_fields=["due_at", "warn_at", "renegotiated"])
    local = timezone.localtime(new_due_at)
    text = _("We need more time: %(reason)s. New expected time: %(when)s.") % {
        "reason": reason,
        "when": local.strftime("%Y-%m-%d %H:%M"),
    }
    entry = Interaction.objects.create(
        ticket=clock.ticket,
        kind=InteractionKind.SYSTEM_EVENT,
        direction=Direction.OUTBOUND,
        author=actor,
        body=text,
        is_public=True,
        occurred_at=at,
        data={"clock": clock.kind, "new_due_at": new_due_at.isoformat()},
    )
    customer_notices.notice_renegotiation(
        ticket=clock.ticket, reason=reason, new_due_at=new_due_at, entry=entry
    )

    audit_record(
        actor=actor,
        action="clock.renegotiate",
        object_type="ticket",
        object_id=clock.ticket.number,
        data={
            "clock": clock.kind,
            "previous": reneg.previous_due_at.isoformat(),
            "new": new_due_at.isoformat(),
            "reason": reason,
        },
    )
    return reneg


@dataclass
class SweepResult:
    warnings: int = 0
    breaches: int = 0
    duration_ms: float = 0.0


def _sweep_sql() -> dict[tuple[str, str], list[str]]:
    """The sweep's statements per database and incident kind, built once from the models' tables.

    Set-based, with no Python object per clock (bench scenario 5c: 50,000 breaches and their
    150,000 actions): claim the due clocks, mark them, record one incident per clock (unique per
    clock and kind: ON CONFLICT DO NOTHING) and queue one outbox message per action of the clock's
    definition (dedupe key per clock, incident and action: ON CONFLICT DO NOTHING).

    PostgreSQL: one statement whose first CTE claims with FOR UPDATE SKIP LOCKED, so a concurrent
    sweep skips these rows and takes the next ones. SQLite has no data-modifying CTEs, but its
    IMMEDIATE transactions hold the write lock from BEGIN, so the SELECT and the statements after it
    in one transaction see no other writer.
    The payload is the one the dispatcher reads: clock kind, incident, ticket number and the due
    instant as Python's isoformat() of the UTC time ("2026-11-23T02:00:00[.123456]+00:00").
    """
    q = connection.ops.quote_name
    clock, incident = q(Clock._meta.db_table), q(ClockIncident._meta.db_table)
    ticket = q(Clock._meta.get_field("ticket").related_model._meta.db_table)
    definition = q(ClockDefinition._meta.db_table)
    running = f"'{ClockState.RUNNING.value}'"
    # What is due (served by the partial indexes clock_due_running / clock_warn_running), in order.
    due = {
        ClockIncident.BREACH: (f"state = {running} AND due_at <= %(now)s", "due_at", "breach_actions"),
        ClockIncident.WARNING: (
            f"state = {running} AND warned_at IS NULL AND warn_at <= %(now)s",
            "warn_at",
            "warn_actions",
        ),
    }
    # A breach also settles the warning (a clock breached unwarned never warns afterwards); a
    # warning recorded earlier keeps its time.
    mark = {
        ClockIncident.BREACH: f"state = '{ClockState.BREACHED.value}', breached_at = %(now)s, "
        "warned_at = COALESCE(warned_at, %(now)s)",
        ClockIncident.WARNING: "warned_at = %(now)s",
    }
    pg_iso = (
        "to_char(m.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
        "extract(microseconds FROM m.due_at)::bigint %% 1000000 = 0 THEN '' "
        "ELSE to_char(m.due_at AT TIME ZONE 'UTC', '.US') END || '+00:00'"
    )
    ids = "(SELECT value FROM json_each(%(ids)s))"
    sql: dict[tuple[str, str], list[str]] = {}
    for kind, (where, order, actions) in due.items():
        pg_actions = outbox_insert_sql(
            f"""SELECT 'clock:' || m.id || ':{kind}:' || a.action AS dedupe_key, 'action' AS channel,
                '' AS recipient, a.action AS template,
                jsonb_build_object('clock', m.kind, 'incident', '{kind}', 'ticket',
                    (SELECT t.number FROM {ticket} AS t WHERE t.id = m.ticket_id), 'due_at', {pg_iso}
                ) AS payload, m.ticket_id
            FROM marked AS m JOIN {definition} AS d ON d.id = m.definition_id
            CROSS JOIN LATERAL jsonb_array_elements_text(
                CASE WHEN jsonb_typeof(d.{actions}) = 'array' THEN d.{actions} ELSE '[]' END
            ) AS a(action)"""
        )
        # The ticket number is a look-up by primary key per row: a join let the planner hash the
        # whole tickets table for each batch.
        sql["postgresql", kind] = [
            f"""WITH claimed AS (
                SELECT id FROM {clock} WHERE {where} ORDER BY {order} LIMIT %(batch)s
                FOR UPDATE SKIP LOCKED
            ), marked AS (
                UPDATE {clock} AS c SET {mark[kind]} FROM claimed WHERE c.id = claimed.id
                RETURNING c.id, c.kind, c.due_at, c.ticket_id, c.definition_id
            ), recorded AS (
                INSERT INTO {incident} (clock_id, kind, due_at, recorded_at)
                SELECT id, '{kind}', due_at, %(now)s FROM marked ON CONFLICT DO NOTHING
            ), queued AS ({pg_actions})
            SELECT count(*) FROM marked"""
        ]
        sql["sqlite", kind] = [
            f"SELECT id FROM {clock} WHERE {where} ORDER BY {order} LIMIT %(batch)s",
            f"INSERT INTO {incident} (clock_id, kind, due_at, recorded_at) "
            f"SELECT id, '{kind}', due_at, %(now)s FROM {clock} WHERE id IN {ids} ON CONFLICT DO NOTHING",
            outbox_insert_sql(
                f"""SELECT 'clock:' || c.id || ':{kind}:' || a.value AS dedupe_key, 'action' AS channel,
                    '' AS recipient, a.value AS template,
                    json_object('clock', c.kind, 'incident', '{kind}', 'ticket', t.number,
                        'due_at', replace(c.due_at, ' ', 'T') || '+00:00') AS payload, c.ticket_id
                FROM {clock} AS c JOIN {ticket} AS t ON t.id = c.ticket_id
                JOIN {definition} AS d ON d.id = c.definition_id, json_each(d.{actions}) AS a
                WHERE c.id IN {ids} AND json_type(d.{actions}) = 'array'"""
            ),
            f"UPDATE {clock} SET {mark[kind]} WHERE id IN {ids}",
        ]
    return sql


_SWEEP_SQL: dict[tuple[str, str], list[str]] = {}


def _sweep_batch(kind: str, now: datetime, batch: int) -> int:
    """One transaction: claim up to `batch` clocks due for `kind`, record their incidents and queue
    their actions (`_sweep_sql`). Returns how many clocks it claimed."""
    if not _SWEEP_SQL:
        _SWEEP_SQL.update(_sweep_sql())
    adapt = connection.ops.adapt_datetimefield_value
    params: dict[str, Any] = {"now": adapt(now), "batch": batch, "enqueued": adapt(timezone.now())}
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            (statement,) = _SWEEP_SQL["postgresql", kind]
            # The planner guesses 100 actions per definition, so the estimate passes jit_above_cost
            # and JIT compilation (~100 ms) would cost more than the statement itself (an idle
            # sweep runs in milliseconds).
            cur.execute("SET LOCAL jit = off")
            cur.execute(statement, params)
            return int(cur.fetchone()[0])
        if connection.vendor != "sqlite":
            raise NotImplementedError(f"clock sweep on {connection.vendor}")
        claim, *record = _SWEEP_SQL["sqlite", kind]
        cur.execute(claim, params)
        ids = [row[0] for row in cur.fetchall()]
        if ids:
            params["ids"] = json.dumps(ids)
            for statement in record:
                cur.execute(statement, params)
        return len(ids)


def clock_sweep(*, now: datetime | None = None, batch: int = 2000) -> SweepResult:
    """Record every warning and breach that is due (catching up after any outage). Safe to run
    concurrently: claimed rows are locked and incidents are unique per clock and kind."""
    t0 = time.perf_counter()
    started = timezone.now()
    now = now or started
    result = SweepResult()
    while n := _sweep_batch(ClockIncident.BREACH, now, batch):
        result.breaches += n
    while n := _sweep_batch(ClockIncident.WARNING, now, batch):
        result.warnings += n
    result.duration_ms = (time.perf_counter() - t0) * 1000
    SweepRun.objects.create(
        started_at=started,
        finished_at=timezone.now(),
        warnings=result.warnings,
        breaches=result.breaches,
        duration_ms=result.duration_ms,
    )
    return result
