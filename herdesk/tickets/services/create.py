"""Creating tickets (INT-2, INT-3): numbering, the policy version in force, idempotency, the first
timeline entry and the clocks started from the received time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.clocks import services as clocks
from herdesk.common.errors import IdempotencyConflict
from herdesk.common.reflists import cached_list
from herdesk.common.rowsql import rows_insert
from herdesk.policies.choices import Event
from herdesk.policies.selectors import policy_version_in_force
from herdesk.search.services import search_index_new_ticket
from herdesk.staff.models import Team

from .. import hooks
from ..choices import (
    Channel,
    ComplaintSeverity,
    Complexity,
    Direction,
    InteractionKind,
    Priority,
    ProblemType,
)
from ..models import IdempotencyRecord, Interaction, Ticket, TicketCounter

if TYPE_CHECKING:
    from herdesk.staff.models import User

from ._common import CHANNEL_KIND, FUTURE_TOLERANCE, MAX_TEXT, Actor, _check_choice, _person


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
            PolicyVersion.objects.filter(policy__is_active=True, status=VersionStatus.APPROVED)
            .select_related("policy")
            .order_by("-effective_from", "-number")
        )
        if not versions:
            versions.append(None)  # no approved version: remember that too
    return next(
        (v for v in versions if v is None or v.effective_from is None or v.effective_from <= at), None
    )


def intake_team(channel: str) -> Team | None:
    """The team an untriaged ticket of this channel belongs to from arrival (#13: its agents see it
    in the unassigned queue and can claim it): settings.HERDESK_INTAKE_TEAMS[channel], else
    HERDESK_INTAKE_TEAM. Read from the process's team list (no query per ticket; the ticket's
    `team` is then known without a query either — the API's creation response shows its name)."""
    code = (getattr(settings, "HERDESK_INTAKE_TEAMS", {}) or {}).get(channel) or getattr(
        settings, "HERDESK_INTAKE_TEAM", ""
    )
    if not code:
        return None
    teams = cached_list("teams_by_code", lambda: {t.code: t for t in Team.objects.all()})
    return teams.get(code)


def intake_team_id(channel: str) -> int | None:
    team = intake_team(channel)
    return team.pk if team is not None else None


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
    actor: Actor,
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
    team: Any = None,
    previous_ticket: Any = None,
    idempotency_key: str | None = None,
    idempotency_fingerprint: str | None = None,
    interaction_body: str | None = None,
    interaction_data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Record a contact as a ticket (INT-3) and start its clocks from `received_at` (INT-2).

    The policy version in force at `received_at` is stored on the ticket for life (POL-2).
    Without a `team`, the ticket belongs to the channel's intake team (`intake_team_id`) until
    triage routes it.
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
    actor: Actor,
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
    team: Any = None,
    previous_ticket: Any = None,
    idempotency_key: str | None = None,
    idempotency_fingerprint: str | None = None,
    interaction_body: str | None = None,
    interaction_data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> TicketCreated:
    now = now or timezone.now()
    if idempotency_key:
        existing = (
            IdempotencyRecord.objects.filter(user=_person(actor), key=idempotency_key)
            .select_related("ticket")
            .first()
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
    if complaint_severity:
        _check_choice(errors, "complaint_severity", complaint_severity, ComplaintSeverity)
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
        team=team if team is not None else intake_team(channel),
        previous_ticket=previous_ticket,
        product=product,
        order_number=order_number or "",
        region=region or "",
        first_contact_owner=first_contact_owner
        if first_contact_owner is not None
        else (person if (person := _person(actor)) is not None and not person.customer_id else None),
        received_at=received_at,
        created_by=_person(actor),
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
        author=_person(actor),
        body=interaction_body if interaction_body is not None else (description or subject),
        is_public=True,
        occurred_at=received_at,
        data=interaction_data or {},
    )
    rows_insert([interaction])
    started = clocks.clocks_on_event(ticket=ticket, event=Event.RECEIVED, at=received_at, now=now)
    search_index_new_ticket(ticket=ticket, bodies=[interaction.body])  # KB-2: searchable at commit
    if idempotency_key:
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    user=cast("User", _person(actor)),
                    key=idempotency_key,
                    request_hash=idempotency_fingerprint or "",
                    ticket=ticket,
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
    hooks.ticket_created_run(ticket)  # feature layers above (complaints, CMP-1), after commit
    return TicketCreated(ticket=ticket, interaction=interaction, clocks=started)
