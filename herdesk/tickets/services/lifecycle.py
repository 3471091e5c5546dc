"""The ticket's lifecycle after creation: triage, assignment and transfer, acknowledgement, work,
waiting, resolution, closure, reopening, cancellation and merging (INT-5, INT-8, HND-1/2, CLS-1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.clocks import services as clocks
from herdesk.common.errors import DomainError
from herdesk.notifications import customer_notices, staff_notices
from herdesk.policies.choices import Event

from ..choices import (
    CloseReason,
    ComplaintSeverity,
    Complexity,
    Direction,
    InteractionKind,
    Priority,
    ProblemType,
    Status,
    VerificationMethod,
)
from ..models import Interaction, Ticket, Transfer
from ._common import FUTURE_TOLERANCE, Actor, _check_choice, _lock, _person, _system_event, _transition


@transaction.atomic
def ticket_triage(
    *,
    ticket: Ticket,
    actor: Actor,
    problem_type: str | None = None,
    category: Any = None,
    complexity: str | None = None,
    priority: str | None = None,
    team: Any = None,
    complaint_severity: str | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Set type, category, complexity, priority, team and complaint severity (INT-5, CMP-1); stops
    the triage clock. Also used later to correct these (a complaint found to be major).

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
    if complaint_severity:
        _check_choice(errors, "complaint_severity", complaint_severity, ComplaintSeverity)
    if errors:
        raise ValidationError(errors)
    old_severity = ticket.complaint_severity
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
        ticket.complaint_severity = ComplaintSeverity.GENERAL
    if ticket.problem_type == ProblemType.COMPLAINT and old_severity != ticket.complaint_severity:
        # CMP-1 "assess impact and urgency": the severity decides the complaint clocks (3 or 5
        # working days from receipt, CMP-2), so who changed it and when is on the record.
        _system_event(
            ticket,
            actor,
            _("Complaint severity: %(old)s → %(new)s")
            % {
                "old": ComplaintSeverity(old_severity).label if old_severity else "—",
                "new": ComplaintSeverity(ticket.complaint_severity).label,
            },
            at,
            complaint_severity=ticket.complaint_severity,
        )
        audit_record(
            actor=actor,
            action="ticket.complaint_severity",
            object_type="ticket",
            object_id=ticket.number,
            data={"from": old_severity, "to": ticket.complaint_severity},
        )
    if ticket.status == Status.NEW:
        _transition(ticket, Status.TRIAGED, actor=actor, at=at, note=_("Triaged"))
        ticket.save()
        clocks.clocks_reconcile(ticket=ticket, at=at)
        clocks.clocks_on_event(ticket=ticket, event=Event.TRIAGED, at=at)
    else:
        ticket.save()
        clocks.clocks_reconcile(ticket=ticket, at=at)
    return ticket


def _in_team(user: Any, team: Any) -> bool:
    """A member of the team, or its lead (a lead may sit in a parent team)."""
    return bool(user.team_id == team.pk or (team.lead_id and team.lead_id == user.pk))


@transaction.atomic
def ticket_assign(
    *,
    ticket: Ticket,
    actor: Actor,
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
    if assignee is not None and getattr(assignee, "ticket_hold", None):
        # STF-2: a new agent takes tickets only once onboarding is complete or a supervisor
        # overrode it (training sets and clears the staff-level flag; staff.models.TicketHold).
        raise DomainError(
            _(
                "%(who)s cannot take tickets yet: %(hold)s. "
                "A supervisor can override it in Training → Onboarding."
            )
            % {"who": assignee, "hold": assignee.get_ticket_hold_display()},
            code="assignee_on_hold",
            field="assignee",
            status=409,
        )
    team = team or getattr(assignee, "team", None) or ticket.team
    if assignee is not None and team is not None and not _in_team(assignee, team):
        # HND-2: a transfer names the team that takes the ticket over; its handler is one of them
        # (the team's queue, lead and reports follow the team, not the person).
        raise DomainError(
            _("%(who)s is not a member of %(team)s; choose someone of that team or transfer to their team.")
            % {"who": assignee, "team": team},
            code="assignee_not_in_team",
            field="assignee",
            status=422,
        )
    Transfer.objects.create(
        ticket=ticket,
        from_team=ticket.team,
        to_team=team,
        from_user=ticket.assignee,
        to_user=assignee,
        reason=reason,
        requirement=requirement,
        expected_response_minutes=expected_response_minutes,
        created_by=_person(actor),
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
def ticket_acknowledge(*, ticket: Ticket, actor: Actor, at: datetime | None = None) -> Ticket:
    """查收确认 (HND-1): only the assignee confirms receipt."""
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
def ticket_start(*, ticket: Ticket, actor: Actor, at: datetime | None = None) -> Ticket:
    at = at or timezone.now()
    ticket = _lock(ticket)
    _transition(ticket, Status.IN_PROGRESS, actor=actor, at=at, note=_("Work started"))
    ticket.save()
    return ticket


@transaction.atomic
def ticket_wait_customer(
    *, ticket: Ticket, actor: Actor, reason: str = "", at: datetime | None = None
) -> Ticket:
    """Pauses the resolution clock while the customer owes us something."""
    at = at or timezone.now()
    ticket = _lock(ticket)
    _transition(ticket, Status.WAITING_CUSTOMER, actor=actor, at=at, note=reason or _("Waiting for customer"))
    ticket.save()
    return ticket


@transaction.atomic
def ticket_resolve(
    *, ticket: Ticket, actor: Actor, verification_method: str, summary: str = "", at: datetime | None = None
) -> Ticket:
    """CLS-1: resolved, pending the customer's verification; starts the 3-working-day follow-up.

    A summary is sent to the customer as the resolution message. Clocks that run up to the
    resolution and can no longer stop (no first response, triage, acknowledgement or options will
    come on a resolved ticket) end here as on closing: cancelled, or stopped as breached."""
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
            author=_person(actor),
            body=summary,
            is_public=True,
            occurred_at=at,
            data={"verification_method": verification_method},
        )
        # The resolution message is a person's answer to the customer (INT-2): it is the first
        # response if none came before, and for a complaint the solution (CMP-2).
        if ticket.first_response_at is None and (person := _person(actor)) and not person.customer_id:
            ticket.first_response_at = at
            ticket.save(update_fields=["first_response_at", "updated_at"])
            clocks.clocks_on_event(ticket=ticket, event=Event.FIRST_RESPONSE, at=at)
        if ticket.problem_type == ProblemType.COMPLAINT:
            clocks.clocks_on_event(ticket=ticket, event=Event.PROGRESS_GIVEN, at=at)
    # Ends the clocks whose stop event can no longer come (clocks._close_outstanding).
    clocks.clocks_on_event(ticket=ticket, event=Event.RESOLVED, at=at)
    customer_notices.notice_resolution(ticket=ticket, summary=summary, entry=entry)
    return ticket


def customer_confirmation_recorded(*, ticket: Ticket) -> bool:
    """Whether the customer's confirmation is on record since the ticket was last reopened: an
    entry whose data holds `customer_confirmation` (the handler's phone confirmation recorded at
    closing, an on-site visit signed off by the customer — `records.onsite_visit_record`)."""
    reopened = (
        ticket.interactions.filter(
            kind=InteractionKind.SYSTEM_EVENT,
            data__to_status=Status.IN_PROGRESS,
            data__from_status__in=[Status.RESOLVED, Status.CLOSED],
        )
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )
    qs = ticket.interactions.filter(data__has_key="customer_confirmation")
    if reopened is not None:
        qs = qs.filter(occurred_at__gte=reopened)
    return any(bool((d or {}).get("customer_confirmation")) for d in qs.values_list("data", flat=True))


@transaction.atomic
def ticket_close(
    *,
    ticket: Ticket,
    actor: Actor,
    reason: str = CloseReason.CUSTOMER_CONFIRMED,
    evidence: str = "",
    confirmed_at: datetime | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Closure needs the customer's confirmation or the handler's with evidence (CLS-1).

    "Customer confirmed" holds only when the confirmation is on record: the customer's own (the
    actor is the customer: portal, signed link) or one recorded before (`customer_confirmation_recorded`:
    an on-site sign-off), or the handler records it now — a phone confirmation note (`evidence`) with
    its time (`confirmed_at`), kept as a phone-call entry. Otherwise DomainError
    `confirmation_missing` (422)."""
    at = at or timezone.now()
    errors: dict[str, str] = {}
    _check_choice(errors, "reason", reason, CloseReason)
    if reason == CloseReason.HANDLER_CONFIRMED and not evidence.strip():
        errors["evidence"] = _("Record the evidence that the repair standard is met.")
    if confirmed_at is not None and (timezone.is_naive(confirmed_at) or confirmed_at > at + FUTURE_TOLERANCE):
        errors["confirmed_at"] = _("Give the time the customer confirmed; it cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    ticket = _lock(ticket)
    by_customer = bool(getattr(actor, "customer_id", None))
    phone_note = None
    if reason == CloseReason.CUSTOMER_CONFIRMED and not by_customer:
        if evidence.strip() and confirmed_at is not None:
            phone_note = evidence.strip()
        elif not customer_confirmation_recorded(ticket=ticket):
            raise DomainError(
                _(
                    "Closing as “customer confirmed” needs the customer's confirmation on record: "
                    "their own (portal, link), an on-site sign-off, or your phone confirmation note "
                    "with the time the customer confirmed."
                ),
                code="confirmation_missing",
                field="evidence",
                status=422,
            )
    if phone_note is not None and confirmed_at is not None:
        # CLS-3: a phone record with its key content, time and staff.
        Interaction.objects.create(
            ticket=ticket,
            kind=InteractionKind.PHONE_CALL,
            direction=Direction.OUTBOUND,
            author=_person(actor),
            body=phone_note,
            is_public=False,
            occurred_at=confirmed_at,
            data={"customer_confirmation": {"method": "phone", "at": confirmed_at.isoformat()}},
        )
    _transition(ticket, Status.CLOSED, actor=actor, at=at, note=evidence or _("Closed"), reason=reason)
    ticket.closed_at = at
    ticket.save()
    clocks.clocks_on_event(ticket=ticket, event=Event.CLOSED, at=at)
    customer_notices.notice_closing(ticket=ticket, actor=actor)
    return ticket


@transaction.atomic
def ticket_reopen(*, ticket: Ticket, actor: Actor, reason: str, at: datetime | None = None) -> Ticket:
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
def ticket_cancel(*, ticket: Ticket, actor: Actor, reason: str, at: datetime | None = None) -> Ticket:
    at = at or timezone.now()
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the ticket is cancelled.")})
    ticket = _lock(ticket)
    _transition(ticket, Status.CANCELLED, actor=actor, at=at, note=reason)
    ticket.save()
    clocks.clocks_on_event(ticket=ticket, event=Event.CANCELLED, at=at)
    return ticket


@transaction.atomic
def ticket_merge(*, ticket: Ticket, into: Ticket, actor: Actor, at: datetime | None = None) -> Ticket:
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
