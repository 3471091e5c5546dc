"""Every write to tickets goes through these functions (views, API, tasks and commands call them).

Conventions: keyword-only arguments, `@transaction.atomic`, the ticket row is locked
(SELECT … FOR UPDATE) before a transition, and each change writes the timeline (Interaction),
the audit log and the clock events in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.clocks import services as clocks
from herdesk.common.rowsql import rows_insert
from herdesk.notifications import customer_notices, staff_notices
from herdesk.policies.choices import Event
from herdesk.policies.selectors import policy_version_in_force
from herdesk.search.services import search_index_ticket

from .choices import (
    Channel,
    CloseReason,
    Complexity,
    Direction,
    InteractionKind,
    Priority,
    ProblemType,
    SolutionStage,
    Status,
    VerificationMethod,
)
from .lifecycle import can_transition
from .models import IdempotencyRecord, Interaction, SolutionOption, Ticket, TicketCounter, Transfer

MAX_TEXT = 20000
# Received times may be slightly ahead of our clock (a client's clock skew); more is refused.
FUTURE_TOLERANCE = timedelta(seconds=60)

CHANNEL_KIND: dict[str, str] = {
    Channel.PHONE: InteractionKind.PHONE_CALL,
    Channel.EMAIL: InteractionKind.EMAIL,
    Channel.EMAIL_OTHER: InteractionKind.EMAIL,
    Channel.CHAT: InteractionKind.CHAT,
    Channel.PORTAL: InteractionKind.WEB_FORM,
    Channel.WECHAT: InteractionKind.WECHAT,
    Channel.SOCIAL: InteractionKind.WEB_FORM,
}


def _check_choice(
    errors: dict[str, str], field: str, value: Any, choices: Any, required: bool = True
) -> None:
    if value in (None, ""):
        if required:
            errors[field] = _("This field is required.")
        return
    if value not in choices.values:
        errors[field] = _("“%(value)s” is not one of: %(choices)s.") % {
            "value": str(value)[:40],
            "choices": ", ".join(choices.values),
        }


def _next_number(received_at: datetime) -> str:
    """The day's next readable number. One statement in the usual case (UPDATE … RETURNING, SQLite
    ≥ 3.35 and PostgreSQL), which takes the day's counter row lock until the caller commits: every
    ticket creation of the system waits for it, so ticket_create calls this as late as it can."""
    day = timezone.localtime(received_at).date()
    table = connection.ops.quote_name(TicketCounter._meta.db_table)
    col = connection.ops.quote_name("last")
    sql = (
        f"UPDATE {table} SET {col} = {col} + 1 WHERE {connection.ops.quote_name('day')} = %s RETURNING {col}"
    )
    param = connection.ops.adapt_datefield_value(day)
    for _attempt in range(2):
        with connection.cursor() as cur:
            cur.execute(sql, [param])
            row = cur.fetchone()
        if row is not None:
            return f"{settings.HERDESK_TICKET_PREFIX}-{day:%Y%m%d}-{int(row[0]):04d}"
        # The day's first ticket: create its counter (a concurrent creator may win; then count on its row).
        TicketCounter.objects.get_or_create(day=day)
    raise RuntimeError(f"ticket counter for {day} could not be created")  # pragma: no cover


def request_fingerprint(data: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()


# --- batches of creations (the inbound processor) ---------------------------------------------------

# The approved versions of the active policy, read once per `ticket_create_batch` block (None: no block).
_BATCH_VERSIONS: ContextVar[list[Any] | None] = ContextVar("ticket_create_batch", default=None)


@contextmanager
def ticket_create_batch() -> Iterator[None]:
    """Many ticket creations in ONE transaction (the inbound processor's batch of emails): the
    policy versions that may be in force are read once for the block instead of once per ticket.

    Only inside a single transaction: on SQLite no other writer can approve a policy version while
    the block's transaction holds the write lock, so the result is exactly `policy_version_in_force`;
    on PostgreSQL a version approved by another session during the block (at most a fraction of a
    second) applies from the next block, as if it had been approved that much later."""
    if _BATCH_VERSIONS.get() is not None:
        yield
        return
    token = _BATCH_VERSIONS.set([])
    try:
        yield
    finally:
        _BATCH_VERSIONS.reset(token)


def _policy_version(at: datetime) -> Any:
    versions = _BATCH_VERSIONS.get()
    if versions is None:
        return policy_version_in_force(at=at)
    if not versions:
        # The candidates of policy_version_in_force in its own order (the database's NULL ordering
        # included); keep the two in step (test_services: test_batch_policy_version_matches).
        from herdesk.policies.choices import VersionStatus
        from herdesk.policies.models import PolicyVersion

        versions.extend(
            PolicyVersion.objects.filter(policy__is_active=True, status=VersionStatus.APPROVED).order_by(
                "-effective_from", "-number"
            )
        )
        if not versions:
            versions.append(None)  # no approved version: remember that too
    return next(
        (v for v in versions if v is None or v.effective_from is None or v.effective_from <= at), None
    )


@dataclass
class TicketCreated:
    """What `ticket_create_detailed` made: the ticket, its first timeline entry (the contact
    itself) and the clocks it started. An idempotent repeat returns the first ticket only."""

    ticket: Ticket
    interaction: Interaction | None = None
    clocks: list[Any] = dataclass_field(default_factory=list)


@transaction.atomic
def ticket_create(
    *,
    actor: Any,
    customer: Any,
    channel: str,
    problem_type: str,
    subject: str,
    description: str = "",
    received_at: datetime | None = None,
    category: Any = None,
    priority: str = Priority.NORMAL,
    complexity: str = Complexity.GENERAL,
    complaint_severity: str = "",
    product: Any = None,
    order_number: str = "",
    region: str = "",
    contact: Any = None,
    first_contact_owner: Any = None,
    idempotency_key: str | None = None,
    idempotency_fingerprint: str | None = None,
    interaction_body: str | None = None,
    interaction_data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Record a contact as a ticket (INT-3) and start its clocks from `received_at` (INT-2).

    The policy version in force at `received_at` is stored on the ticket for life (POL-2).
    With an idempotency key, a repeat with the same fingerprint returns the first ticket; a
    different fingerprint raises IdempotencyConflict.
    Raises ValidationError keyed by field for any bad input.
    Locks, taken as late as possible because every creator waits for them until commit: the day's
    TicketCounter row (just before the ticket row is written) and the audit chain head (last).
    """
    # Every parameter, forwarded unchanged (so this must stay the first statement).
    return _ticket_create(**locals()).ticket


@transaction.atomic(savepoint=False)
def ticket_create_detailed(**kwargs: Any) -> TicketCreated:
    """`ticket_create` (same keyword arguments, same checks, locks and side effects) that also
    returns the first timeline entry and the started clocks, for callers that need them at once
    (the inbound channels: no second query for what was just written).

    Inside a transaction it takes no savepoint of its own: an error rolls back the caller's block
    (the inbound processor's savepoint per message), which is what its callers want anyway."""
    return _ticket_create(**kwargs)


def _ticket_create(
    *,
    actor: Any,
    customer: Any,
    channel: str,
    problem_type: str,
    subject: str,
    description: str = "",
    received_at: datetime | None = None,
    category: Any = None,
    priority: str = Priority.NORMAL,
    complexity: str = Complexity.GENERAL,
    complaint_severity: str = "",
    product: Any = None,
    order_number: str = "",
    region: str = "",
    contact: Any = None,
    first_contact_owner: Any = None,
    idempotency_key: str | None = None,
    idempotency_fingerprint: str | None = None,
    interaction_body: str | None = None,
    interaction_data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> TicketCreated:
    from herdesk.common.errors import IdempotencyConflict

    now = now or timezone.now()
    if idempotency_key:
        existing = (
            IdempotencyRecord.objects.filter(user=actor, key=idempotency_key).select_related("ticket").first()
        )
        if existing:
            if existing.request_hash != idempotency_fingerprint:
                raise IdempotencyConflict(
                    _("This Idempotency-Key was already used with a different request body."),
                    field="Idempotency-Key",
                )
            return TicketCreated(ticket=existing.ticket)
    errors: dict[str, str] = {}
    _check_choice(errors, "channel", channel, Channel)
    _check_choice(errors, "problem_type", problem_type, ProblemType)
    _check_choice(errors, "priority", priority, Priority)
    _check_choice(errors, "complexity", complexity, Complexity)
    subject = (subject or "").strip()
    if not subject:
        errors["subject"] = _("This field is required.")
    elif len(subject) > 200:
        errors["subject"] = _("At most %(n)d characters (got %(got)d).") % {"n": 200, "got": len(subject)}
    if len(description or "") > MAX_TEXT:
        errors["description"] = _("At most %(n)d characters (got %(got)d).") % {
            "n": MAX_TEXT,
            "got": len(description),
        }
    received_at = received_at or now
    if timezone.is_naive(received_at):
        errors["received_at"] = _("Give a time zone offset, e.g. 2026-11-23T09:30:00+08:00.")
    elif received_at > now + FUTURE_TOLERANCE:
        errors["received_at"] = _("The received time cannot be in the future.")
    # Choices and lengths are checked here; foreign keys come from the caller's own look-ups, so no
    # full_clean (it would re-query every relation on the hot path).
    region = region or customer.region
    for name, value, limit in (("order_number", order_number or "", 40), ("region", region or "", 60)):
        if len(value) > limit and name not in errors:
            errors[name] = _("At most %(n)d characters (got %(got)d).") % {"n": limit, "got": len(value)}
    if errors:
        raise ValidationError(errors)

    # Reads first; the hot rows (day counter, audit chain head) are taken only to write.
    ticket = Ticket(
        subject=subject,
        description=description or "",
        channel=channel,
        problem_type=problem_type,
        category=category,
        priority=priority,
        complexity=complexity,
        complaint_severity=complaint_severity or ("general" if problem_type == ProblemType.COMPLAINT else ""),
        customer=customer,
        contact=contact,
        organisation_id=customer.organisation_id,
        product=product,
        order_number=order_number or "",
        region=region or "",
        first_contact_owner=first_contact_owner
        if first_contact_owner is not None
        else (actor if actor is not None and not getattr(actor, "customer_id", None) else None),
        received_at=received_at,
        created_by=actor if getattr(actor, "pk", None) else None,
        policy_version=_policy_version(received_at),
    )
    ticket.number = _next_number(received_at)
    # rows_insert: the ORM's save/create without compiling the INSERT again for every ticket.
    rows_insert([ticket])
    interaction = Interaction(
        ticket=ticket,
        kind=CHANNEL_KIND.get(channel, InteractionKind.WEB_FORM),
        direction=Direction.INBOUND,
        channel=channel,
        # Who recorded the contact: the agent on the phone, or the customer writing in (CLS-3).
        author=actor if getattr(actor, "pk", None) else None,
        body=interaction_body if interaction_body is not None else (description or subject),
        is_public=True,
        occurred_at=received_at,
        data=interaction_data or {},
    )
    rows_insert([interaction])
    started = clocks.clocks_on_event(ticket=ticket, event=Event.RECEIVED, at=received_at, now=now)
    search_index_ticket(ticket=ticket)  # KB-2: searchable as soon as it commits
    if idempotency_key:
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    user=actor, key=idempotency_key, request_hash=idempotency_fingerprint or "", ticket=ticket
                )
        except IntegrityError:
            # A concurrent request with the same key won; this one rolls back entirely.
            raise IdempotencyConflict(
                _("This Idempotency-Key is being used by a concurrent request."),
                field="Idempotency-Key",
                status=409,
            )
    audit_record(
        actor=actor,
        action="ticket.create",
        object_type="ticket",
        object_id=ticket.number,
        data={"channel": channel, "problem_type": problem_type, "received_at": received_at.isoformat()},
    )
    return TicketCreated(ticket=ticket, interaction=interaction, clocks=started)


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _system_event(ticket: Ticket, actor: Any, text: str, at: datetime, **data: Any) -> None:
    Interaction.objects.create(
        ticket=ticket,
        kind=InteractionKind.SYSTEM_EVENT,
        direction=Direction.INTERNAL,
        author=actor if getattr(actor, "pk", None) else None,
        body=text,
        is_public=False,
        occurred_at=at,
        data=data,
    )


def _transition(
    ticket: Ticket, to_status: str, *, actor: Any, at: datetime, note: str = "", **data: Any
) -> Ticket:
    """Apply one lifecycle step. Raises TransitionNotAllowed if the table forbids it."""
    from herdesk.common.errors import TransitionNotAllowed

    if not can_transition(ticket.status, to_status):
        raise TransitionNotAllowed(
            _("A ticket that is “%(from)s” cannot become “%(to)s”.")
            % {"from": Status(ticket.status).label, "to": Status(to_status).label}
        )
    old = ticket.status
    ticket.status = to_status
    _system_event(ticket, actor, note or f"{old} → {to_status}", at, from_status=old, to_status=to_status)
    audit_record(
        actor=actor,
        action="ticket.transition",
        object_type="ticket",
        object_id=ticket.number,
        data={"from": old, "to": to_status, **{k: str(v) for k, v in data.items()}},
    )
    clocks.clocks_on_status(ticket=ticket, old_status=old, new_status=to_status, at=at)
    return ticket


@transaction.atomic
def ticket_triage(
    *,
    ticket: Ticket,
    actor: Any,
    problem_type: str | None = None,
    category: Any = None,
    complexity: str | None = None,
    priority: str | None = None,
    team: Any = None,
    complaint_severity: str | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Set type, category, complexity, priority and team (INT-5); stops the triage clock.

    Clocks whose definition depends on these (resolution by complexity, complaint clocks) are
    reconciled from the received time.
    """
    at = at or timezone.now()
    ticket = _lock(ticket)
    errors: dict[str, str] = {}
    if problem_type is not None:
        _check_choice(errors, "problem_type", problem_type, ProblemType)
    if complexity is not None:
        _check_choice(errors, "complexity", complexity, Complexity)
    if priority is not None:
        _check_choice(errors, "priority", priority, Priority)
    if errors:
        raise ValidationError(errors)
    for field, value in (
        ("problem_type", problem_type),
        ("category", category),
        ("complexity", complexity),
        ("priority", priority),
        ("team", team),
        ("complaint_severity", complaint_severity),
    ):
        if value is not None:
            setattr(ticket, field, value)
    if ticket.problem_type == ProblemType.COMPLAINT and not ticket.complaint_severity:
        ticket.complaint_severity = "general"
    if ticket.status == Status.NEW:
        _transition(ticket, Status.TRIAGED, actor=actor, at=at, note=_("Triaged"))
        ticket.save()
        clocks.clocks_reconcile(ticket=ticket, at=at)
        clocks.clocks_on_event(ticket=ticket, event=Event.TRIAGED, at=at)
    else:
        ticket.save()
        clocks.clocks_reconcile(ticket=ticket, at=at)
    return ticket


@transaction.atomic
def ticket_assign(
    *,
    ticket: Ticket,
    actor: Any,
    assignee: Any,
    team: Any = None,
    reason: str = "",
    requirement: str = "",
    expected_response_minutes: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Assign or transfer (HND-2). Records the transfer; restarts the 15-minute acknowledge clock."""
    at = at or timezone.now()
    ticket = _lock(ticket)
    if assignee is not None and getattr(assignee, "customer_id", None):
        raise ValidationError({"assignee": _("Tickets can only be assigned to staff.")})
    team = team or getattr(assignee, "team", None) or ticket.team
    Transfer.objects.create(
        ticket=ticket,
        from_team=ticket.team,
        to_team=team,
        from_user=ticket.assignee,
        to_user=assignee,
        reason=reason,
        requirement=requirement,
        expected_response_minutes=expected_response_minutes,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _transition(
        ticket,
        Status.ASSIGNED,
        actor=actor,
        at=at,
        note=_("Assigned to %(who)s") % {"who": assignee or team},
        reason=reason,
    )
    previous_assignee_id = ticket.assignee_id
    ticket.assignee, ticket.team = assignee, team
    ticket.acknowledged_at = None
    ticket.save()
    clocks.clocks_on_event(ticket=ticket, event=Event.ASSIGNED, at=at)
    staff_notices.notify_assignment(
        ticket=ticket, actor=actor, previous_assignee_id=previous_assignee_id, reason=reason
    )
    return ticket


@transaction.atomic
def ticket_acknowledge(*, ticket: Ticket, actor: Any, at: datetime | None = None) -> Ticket:
    """查收确认 (HND-1): only the assignee confirms receipt."""
    from herdesk.common.errors import DomainError

    at = at or timezone.now()
    ticket = _lock(ticket)
    if ticket.assignee_id != getattr(actor, "pk", None):
        raise DomainError(
            _("Only the assignee can acknowledge this ticket."), code="not_assignee", status=403
        )
    _transition(ticket, Status.ACKNOWLEDGED, actor=actor, at=at, note=_("Acknowledged (查收确认)"))
    ticket.acknowledged_at = at
    ticket.save()
    clocks.clocks_on_event(ticket=ticket, event=Event.ACKNOWLEDGED, at=at)
    if ticket.problem_type == ProblemType.COMPLAINT:
        clocks.clocks_on_event(ticket=ticket, event=Event.HANDLING_STARTED, at=at)
    return ticket


@transaction.atomic
def ticket_start(*, ticket: Ticket, actor: Any, at: datetime | None = None) -> Ticket:
    at = at or timezone.now()
    ticket = _lock(ticket)
    _transition(ticket, Status.IN_PROGRESS, actor=actor, at=at, note=_("Work started"))
    ticket.save()
    return ticket


@transaction.atomic
def solution_options_offer(
    *, ticket: Ticket, actor: Any, options: list[dict[str, Any]], at: datetime | None = None
) -> list[SolutionOption]:
    """Offer 1–3 options (HND-3); each must pass the four checks of S1 §三(二)2 first."""
    at = at or timezone.now()
    ticket = _lock(ticket)
    if not 1 <= len(options) <= 3:
        raise ValidationError({"options": _("Offer between one and three solution options.")})
    errors: dict[str, str] = {}
    for i, opt in enumerate(options, 1):
        if not (opt.get("summary") or "").strip():
            errors[f"options[{i}].summary"] = _("This field is required.")
        missing = [
            c
            for c in ("check_accuracy", "check_feasibility", "check_acceptance", "check_safety")
            if not opt.get(c)
        ]
        if missing:
            errors[f"options[{i}].checks"] = _(
                "Tick all four checks (accuracy, feasibility, customer acceptance, safety) first."
            )
    if errors:
        raise ValidationError(errors)
    if ticket.status in (Status.ACKNOWLEDGED, Status.WAITING_CUSTOMER):
        _transition(ticket, Status.IN_PROGRESS, actor=actor, at=at, note=_("Solution options offered"))
    elif ticket.status != Status.IN_PROGRESS:
        from herdesk.common.errors import TransitionNotAllowed

        raise TransitionNotAllowed(_("Options can be offered once the ticket is acknowledged."))
    ticket.options.filter(chosen_at__isnull=True).delete()
    created = []
    for i, opt in enumerate(options, 1):
        fields = {
            k: opt.get(k, "") for k in ("summary", "pros", "cons", "steps", "time_needed", "extra_cost")
        }
        checks = {
            c: True for c in ("check_accuracy", "check_feasibility", "check_acceptance", "check_safety")
        }
        created.append(
            SolutionOption.objects.create(
                ticket=ticket, position=i, offered_at=at, created_by=actor, **fields, **checks
            )
        )
    ticket.solution_stage = SolutionStage.OFFERED
    ticket.save()
    entry = Interaction.objects.create(
        ticket=ticket,
        kind=InteractionKind.SYSTEM_EVENT,
        direction=Direction.OUTBOUND,
        author=actor,
        is_public=True,
        occurred_at=at,
        body="\n".join(f"{o.position}. {o.summary}" for o in created),
        data={"options": [o.pk for o in created]},
    )
    customer_notices.notice_options(ticket=ticket, options=created, entry=entry)
    clocks.clocks_on_event(ticket=ticket, event=Event.OPTIONS_OFFERED, at=at)
    clocks.clocks_on_event(ticket=ticket, event=Event.PROGRESS_GIVEN, at=at)
    return created


@transaction.atomic
def solution_option_choose(
    *, ticket: Ticket, actor: Any, position: int, at: datetime | None = None
) -> Ticket:
    at = at or timezone.now()
    ticket = _lock(ticket)
    option = ticket.options.filter(position=position).first()
    if option is None or ticket.solution_stage != SolutionStage.OFFERED:
        raise ValidationError({"position": _("There is no offered option with that number.")})
    option.chosen_at = at
    option.save(update_fields=["chosen_at"])
    ticket.solution_stage = SolutionStage.CHOSEN
    ticket.save()
    _system_event(
        ticket, actor, _("Customer chose option %(n)d: %(s)s") % {"n": position, "s": option.summary}, at
    )
    audit_record(
        actor=actor,
        action="ticket.option_chosen",
        object_type="ticket",
        object_id=ticket.number,
        data={"position": position},
    )
    return ticket


@transaction.atomic
def ticket_wait_customer(
    *, ticket: Ticket, actor: Any, reason: str = "", at: datetime | None = None
) -> Ticket:
    """Pauses the resolution clock while the customer owes us something."""
    at = at or timezone.now()
    ticket = _lock(ticket)
    _transition(ticket, Status.WAITING_CUSTOMER, actor=actor, at=at, note=reason or _("Waiting for customer"))
    ticket.save()
    return ticket


@transaction.atomic
def ticket_resolve(
    *, ticket: Ticket, actor: Any, verification_method: str, summary: str = "", at: datetime | None = None
) -> Ticket:
    """CLS-1: resolved, pending the customer's verification; starts the 3-working-day follow-up."""
    at = at or timezone.now()
    errors: dict[str, str] = {}
    _check_choice(errors, "verification_method", verification_method, VerificationMethod)
    if errors:
        raise ValidationError(errors)
    ticket = _lock(ticket)
    _transition(
        ticket,
        Status.RESOLVED,
        actor=actor,
        at=at,
        note=summary or _("Resolved"),
        verification_method=verification_method,
    )
    ticket.resolved_at = at
    ticket.save()
    entry = None
    if summary:
        entry = Interaction.objects.create(
            ticket=ticket,
            kind=InteractionKind.SYSTEM_EVENT,
            direction=Direction.OUTBOUND,
            author=actor,
            body=summary,
            is_public=True,
            occurred_at=at,
            data={"verification_method": verification_method},
        )
    clocks.clocks_on_event(ticket=ticket, event=Event.RESOLVED, at=at)
    customer_notices.notice_resolution(ticket=ticket, summary=summary, entry=entry)
    return ticket


@transaction.atomic
def ticket_close(
    *,
    ticket: Ticket,
    actor: Any,
    reason: str = CloseReason.CUSTOMER_CONFIRMED,
    evidence: str = "",
    at: datetime | None = None,
) -> Ticket:
    """Closure needs the customer's confirmation or the handler's with evidence (CLS-1)."""
    at = at or timezone.now()
    errors: dict[str, str] = {}
    _check_choice(errors, "reason", reason, CloseReason)
    if reason == CloseReason.HANDLER_CONFIRMED and not evidence.strip():
        errors["evidence"] = _("Record the evidence that the repair standard is met.")
    if errors:
        raise ValidationError(errors)
    ticket = _lock(ticket)
    _transition(ticket, Status.CLOSED, actor=actor, at=at, note=evidence or _("Closed"), reason=reason)
    ticket.closed_at = at
    ticket.save()
    clocks.clocks_on_event(ticket=ticket, event=Event.CLOSED, at=at)
    customer_notices.notice_closing(ticket=ticket, actor=actor)
    return ticket


@transaction.atomic
def ticket_reopen(*, ticket: Ticket, actor: Any, reason: str, at: datetime | None = None) -> Ticket:
    """A dispute or a customer reply after resolution reopens the ticket (CLS-1)."""
    at = at or timezone.now()
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the ticket is reopened.")})
    ticket = _lock(ticket)
    _transition(ticket, Status.IN_PROGRESS, actor=actor, at=at, note=reason, reason=reason)
    ticket.reopen_count += 1
    ticket.resolved_at = None
    ticket.closed_at = None
    ticket.save()
    clocks.clocks_on_event(ticket=ticket, event=Event.REOPENED, at=at)
    return ticket


@transaction.atomic
def ticket_cancel(*, ticket: Ticket, actor: Any, reason: str, at: datetime | None = None) -> Ticket:
    at = at or timezone.now()
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the ticket is cancelled.")})
    ticket = _lock(ticket)
    _transition(ticket, Status.CANCELLED, actor=actor, at=at, note=reason)
    ticket.save()
    clocks.clocks_on_event(ticket=ticket, event=Event.CANCELLED, at=at)
    return ticket


@transaction.atomic
def ticket_merge(*, ticket: Ticket, into: Ticket, actor: Any, at: datetime | None = None) -> Ticket:
    """INT-8: a duplicate is merged into the surviving ticket; its history stays readable."""
    at = at or timezone.now()
    if into.pk == ticket.pk:
        raise ValidationError({"into": _("A ticket cannot be merged into itself.")})
    if into.customer_id != ticket.customer_id and into.organisation_id != ticket.organisation_id:
        raise ValidationError({"into": _("Only tickets of the same customer can be merged.")})
    ticket = _lock(ticket)
    _transition(
        ticket,
        Status.MERGED,
        actor=actor,
        at=at,
        note=_("Merged into %(n)s") % {"n": into.number},
        into=into.number,
    )
    ticket.merged_into = into
    ticket.save()
    _system_event(into, actor, _("%(n)s was merged into this ticket") % {"n": ticket.number}, at)
    clocks.clocks_on_event(ticket=ticket, event=Event.CANCELLED, at=at)
    return ticket


@transaction.atomic
def interaction_delivery_record(
    *, interaction_id: int, status: str, at: datetime | None = None, **detail: Any
) -> dict[str, Any] | None:
    """Record how a message sent through the outbox fared on its timeline entry:
    `data["delivery"] = {"status": …, "at": …, **detail}` (queued → sent / retrying / failed /
    bounced …; shown on the ticket page). Every outbound channel (email, SMS, WeChat) records it here.
    Locks the entry (a delivery report may race the dispatcher). Returns the record, None when the
    entry no longer exists."""
    row = Interaction.objects.select_for_update().filter(pk=interaction_id).first()
    if row is None:
        return None
    info = {"status": status, "at": (at or timezone.now()).isoformat(), **detail}
    row.data = {**(row.data or {}), "delivery": info}
    row.save(update_fields=["data"])
    return info


def interaction_add(
    *,
    ticket: Ticket,
    actor: Any,
    body: str,
    kind: str = InteractionKind.INTERNAL_NOTE,
    direction: str = Direction.INTERNAL,
    channel: str = "",
    is_public: bool | None = None,
    is_automatic: bool = False,
    occurred_at: datetime | None = None,
    data: dict[str, Any] | None = None,
    locked: bool = False,
    savepoint: bool = True,
) -> Interaction:
    """Add a timeline entry. The first human outbound response stops the first-response clock
    (INT-2); a customer's message on a resolved ticket reopens it (CLS-1).

    Locks the ticket row (SELECT … FOR UPDATE) and works on the fresh row, unless the caller says
    `locked=True`: then `ticket` must be the instance the caller itself created or locked in the
    current transaction (the acknowledgement of a ticket created a moment ago), which no other
    transaction can have changed since.

    Atomic; inside a transaction, `savepoint=False` takes no savepoint of its own, for callers whose
    own block rolls back on any error anyway (the inbound processor's savepoint per message)."""
    with transaction.atomic(savepoint=savepoint):
        at = occurred_at or timezone.now()
        errors: dict[str, str] = {}
        _check_choice(errors, "kind", kind, InteractionKind)
        _check_choice(errors, "direction", direction, Direction)
        if not (body or "").strip():
            errors["body"] = _("This field is required.")
        elif len(body) > MAX_TEXT:
            errors["body"] = _("At most %(n)d characters (got %(got)d).") % {"n": MAX_TEXT, "got": len(body)}
        if errors:
            raise ValidationError(errors)
        if is_public is None:
            is_public = kind not in (InteractionKind.INTERNAL_NOTE, InteractionKind.SYSTEM_EVENT)
        if not locked:
            ticket = _lock(ticket)
        interaction = Interaction(
            ticket=ticket,
            kind=kind,
            direction=direction,
            channel=channel or ticket.channel,
            author=actor if getattr(actor, "pk", None) else None,
            body=body,
            is_public=is_public,
            is_automatic=is_automatic,
            occurred_at=at,
            data=data or {},
        )
        rows_insert([interaction])  # every channel's hot path: no INSERT compilation per entry
        # KB-2: public interactions are part of the searchable text; automatic acknowledgements add
        # nothing a person would search for, so they skip the re-index (hot path of every channel).
        if is_public and not is_automatic:
            search_index_ticket(ticket=ticket)
        if direction == Direction.OUTBOUND and not is_automatic and ticket.first_response_at is None:
            ticket.first_response_at = at
            ticket.save(update_fields=["first_response_at", "updated_at"])
            clocks.clocks_on_event(ticket=ticket, event=Event.FIRST_RESPONSE, at=at)
        if direction == Direction.INBOUND:
            if ticket.status in (Status.RESOLVED, Status.CLOSED):
                ticket_reopen(
                    ticket=ticket, actor=actor, reason=_("Customer replied after resolution"), at=at
                )
            elif ticket.status == Status.WAITING_CUSTOMER:
                _transition(ticket, Status.IN_PROGRESS, actor=actor, at=at, note=_("Customer replied"))
                ticket.save()
        staff_notices.notify_mentions(interaction=interaction, actor=actor)
        audit_record(
            actor=actor,
            action="ticket.interaction_add",
            object_type="ticket",
            object_id=ticket.number,
            data={"kind": kind, "direction": direction, "interaction": interaction.pk},
        )
        return interaction


# CLS-3 (S1 §二(二)3): what a complete record of each interaction type must hold.
REQUIRED_ELEMENTS: dict[str, list[tuple[str, str]]] = {
    InteractionKind.PHONE_CALL: [("body", "key content"), ("occurred_at", "time"), ("author", "staff")],
    InteractionKind.ONSITE_VISIT: [
        ("body", "service content"),
        ("occurred_at", "time"),
        ("data.place", "place"),
        ("author", "staff"),
        ("data.customer_confirmation", "customer confirmation"),
    ],
}


def record_completeness(*, ticket: Ticket) -> list[str]:
    """Name the missing elements per interaction (empty list = complete)."""
    missing = []
    for i in ticket.interactions.filter(kind__in=list(REQUIRED_ELEMENTS)).select_related("author"):
        for field, label in REQUIRED_ELEMENTS[i.kind]:
            if field.startswith("data."):
                ok = bool((i.data or {}).get(field[5:]))
            elif field == "author":
                ok = i.author_id is not None
            else:
                ok = bool(getattr(i, field))
            if not ok:
                missing.append(f"{InteractionKind(i.kind).label} #{i.pk}: {label}")
    if not ticket.customer_id or not ticket.subject:
        missing.append("ticket: customer and problem description")
    return missing


@transaction.atomic
def follow_up_record(
    *,
    ticket: Ticket,
    actor: Any,
    method: str,
    fully_solved: bool,
    score: int,
    comments: str = "",
    at: datetime | None = None,
) -> Any:
    """Record the satisfaction follow-up (CLS-2); stops the 3-working-day follow-up clock.

    A low score (≤ 2) or "not fully solved" queues a review (复盘) notice to the team lead (S2 §2.3).
    """
    from herdesk.notifications.services import outbox_enqueue_many

    from .models import FollowUp

    at = at or timezone.now()
    errors: dict[str, str] = {}
    if method not in dict(FollowUp.METHODS):
        errors["method"] = _("“%(value)s” is not one of: %(choices)s.") % {
            "value": str(method)[:20],
            "choices": ", ".join(dict(FollowUp.METHODS)),
        }
    if not isinstance(score, int) or not 1 <= score <= 5:
        errors["score"] = _("Give a score from 1 to 5.")
    if errors:
        raise ValidationError(errors)
    ticket = _lock(ticket)
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        from herdesk.common.errors import TransitionNotAllowed

        raise TransitionNotAllowed(_("A follow-up is recorded after the ticket is resolved."))
    fu = FollowUp.objects.create(
        ticket=ticket,
        method=method,
        fully_solved=fully_solved,
        score=score,
        comments=comments,
        recorded_by=actor if getattr(actor, "pk", None) else None,
        recorded_at=at,
    )
    _system_event(
        ticket, actor, _("Satisfaction follow-up: %(score)d/5") % {"score": score}, at, follow_up=fu.pk
    )
    audit_record(
        actor=actor,
        action="ticket.follow_up",
        object_type="ticket",
        object_id=ticket.number,
        data={"score": score, "fully_solved": fully_solved, "method": method},
    )
    clocks.clocks_on_event(ticket=ticket, event=Event.FOLLOW_UP_RECORDED, at=at)
    if score <= 2 or not fully_solved:
        outbox_enqueue_many(
            [
                {
                    "dedupe_key": f"review:{fu.pk}",
                    "channel": "action",
                    "template": "notify_team_lead",
                    "ticket_id": ticket.pk,
                    "payload": {
                        "ticket": ticket.number,
                        "clock": "follow_up",
                        "incident": "low score",
                        "due_at": "",
                    },
                }
            ]
        )
    return fu


@transaction.atomic
def record_finalize(*, ticket: Ticket, actor: Any, at: datetime | None = None) -> Ticket:
    """Check and finalise the service record of a closed ticket (CLS-3); stops the 24 h clock.

    Refuses with the list of missing elements when the record is incomplete.
    """
    at = at or timezone.now()
    ticket = _lock(ticket)
    if ticket.status != Status.CLOSED:
        from herdesk.common.errors import TransitionNotAllowed

        raise TransitionNotAllowed(_("Only a closed ticket's record can be finalised."))
    missing = record_completeness(ticket=ticket)
    if missing:
        raise ValidationError({"record": missing})
    ticket.record_finalized_at = at
    ticket.record_finalized_by = actor if getattr(actor, "pk", None) else None
    ticket.save(update_fields=["record_finalized_at", "record_finalized_by", "updated_at"])
    _system_event(ticket, actor, _("Service record finalised"), at)
    audit_record(actor=actor, action="ticket.record_finalized", object_type="ticket", object_id=ticket.number)
    clocks.clocks_on_event(ticket=ticket, event=Event.RECORD_FINALIZED, at=at)
    return ticket
