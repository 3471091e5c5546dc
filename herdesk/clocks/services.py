"""Clock runtime: start, stop, pause, resume, renegotiate and sweep (POL-1, HND-1/4/5, CLS-2/3, CMP-2).

Ticket services call `clocks_on_event` / `clocks_on_status` / `clocks_reconcile` inside their own
transaction, so a clock changes exactly when the ticket does. The sweep records each warning and
breach once (unique constraint + row locks) and queues its actions in the outbox.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.calendars.engine import parse_duration
from herdesk.calendars.selectors import working_calendar
from herdesk.common.errors import DomainError
from herdesk.notifications.services import outbox_enqueue_many
from herdesk.policies.choices import Event
from herdesk.policies.models import ClockDefinition

from .models import Clock, ClockIncident, ClockState, Renegotiation, SweepRun

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


def _definitions(ticket: Any) -> list[ClockDefinition]:
    if ticket.policy_version_id is None:
        return []
    return _version_definitions(ticket.policy_version_id)


def applies(definition: ClockDefinition, ticket: Any) -> bool:
    from herdesk.tickets.choices import channel_group

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


def _start(ticket: Any, definition: ClockDefinition, at: datetime, *, first: bool = False) -> Clock:
    """Start the next cycle of this clock kind (`first`: the ticket has no clocks yet, skip the look-up)."""
    last = (
        None
        if first
        else Clock.objects.filter(ticket=ticket, kind=definition.kind).order_by("-cycle").first()
    )
    due, warn = compute_due(
        calendar_code=definition.calendar_code,
        target=definition.target,
        start=at,
        warn_percent=definition.warn_at_percent,
    )
    return Clock.objects.create(
        ticket=ticket,
        definition=definition,
        kind=definition.kind,
        cycle=(last.cycle + 1) if last else 1,
        target=definition.target,
        calendar_code=definition.calendar_code,
        started_at=at,
        due_at=due,
        warn_at=warn,
        original_due_at=due,
    )


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


def _open_clocks(ticket: Any) -> list[Clock]:
    """Clocks not yet stopped (running, paused, or breached but still counting until stopped)."""
    clocks = list(
        Clock.objects.filter(ticket=ticket, stopped_at__isnull=True).exclude(state=ClockState.CANCELLED)
    )
    for clock in clocks:
        clock.definition = _definition(clock.definition_id)
    return clocks


def clocks_on_event(*, ticket: Any, event: str, at: datetime, now: datetime | None = None) -> list[Clock]:
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
        started.append(_start(ticket, d, at, first=fresh))
    return started


def clocks_on_status(*, ticket: Any, old_status: str, new_status: str, at: datetime) -> None:
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


def clocks_reconcile(*, ticket: Any, at: datetime) -> None:
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
    from herdesk.tickets.choices import Direction, InteractionKind
    from herdesk.tickets.models import Interaction

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
    Interaction.objects.create(
        ticket=clock.ticket,
        kind=InteractionKind.SYSTEM_EVENT,
        direction=Direction.OUTBOUND,
        author=actor,
        body=text,
        is_public=True,
        occurred_at=at,
        data={"clock": clock.kind, "new_due_at": new_due_at.isoformat()},
    )
    outbox_enqueue_many(
        [
            {
                "dedupe_key": f"reneg:{reneg.pk}",
                "channel": "customer",
                "template": "renegotiation",
                "ticket_id": clock.ticket_id,
                "payload": {"text": text, "clock": clock.kind},
            }
        ]
    )
    from herdesk.audit.services import audit_record

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


def _claim(qs: Any, batch: int, fields: tuple[str, ...]) -> list[tuple[Any, ...]]:
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs.values_list(*fields)[:batch])


def _insert_incidents(rows: list[tuple[Any, ...]], kind: str, now: datetime) -> None:
    """One multi-row statement per batch, skipping incidents already recorded (unique per clock and
    kind). Plain parameters instead of model instances: building 50,000 ClockIncident objects cost
    more than the inserts themselves (bench scenario 5c)."""
    adapt = connection.ops.adapt_datetimefield_value
    table = connection.ops.quote_name(ClockIncident._meta.db_table)
    recorded = adapt(now)
    with connection.cursor() as cur:
        cur.executemany(
            f"INSERT INTO {table} (clock_id, kind, due_at, recorded_at) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            [(r[0], kind, adapt(r[2]), recorded) for r in rows],
        )


def _sweep_batch(kind: str, now: datetime, batch: int) -> int:
    """One transaction: claim due clocks (row locks, SKIP LOCKED), record incidents, queue actions."""
    with transaction.atomic():
        if kind == ClockIncident.BREACH:
            qs = Clock.objects.filter(state=ClockState.RUNNING, due_at__lte=now).order_by("due_at")
            actions_field = "definition__breach_actions"
        else:
            qs = Clock.objects.filter(
                state=ClockState.RUNNING, warned_at__isnull=True, warn_at__lte=now
            ).order_by("warn_at")
            actions_field = "definition__warn_actions"
        # Tuples, not model instances: the sweep reads six values per clock (bench scenario 5c).
        rows = _claim(qs, batch, ("id", "kind", "due_at", "ticket_id", "ticket__number", actions_field))
        if not rows:
            return 0
        ids = [r[0] for r in rows]
        _insert_incidents(rows, kind, now)
        if kind == ClockIncident.BREACH:
            Clock.objects.filter(pk__in=ids).update(state=ClockState.BREACHED, breached_at=now, warned_at=now)
        else:
            Clock.objects.filter(pk__in=ids).update(warned_at=now)
        messages = []
        for clock_id, clock_kind, due_at, ticket_id, number, actions in rows:
            for action in actions or []:
                messages.append(
                    {
                        "dedupe_key": f"clock:{clock_id}:{kind}:{action}",
                        "channel": "action",
                        "template": action,
                        "ticket_id": ticket_id,
                        "payload": {
                            "clock": clock_kind,
                            "incident": kind,
                            "ticket": number,
                            "due_at": due_at.isoformat(),
                        },
                    }
                )
        outbox_enqueue_many(messages)
        return len(rows)


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
