"""The service record (CLS-3) and the satisfaction follow-up (CLS-2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.clocks import services as clocks
from herdesk.common.errors import DomainError, TransitionNotAllowed
from herdesk.notifications.services import outbox_enqueue_many
from herdesk.policies.choices import Event

from ..choices import Direction, InteractionKind, Status
from ..models import FollowUp, Ticket
from ._common import FUTURE_TOLERANCE, MAX_TEXT, Actor, _lock, _person, _system_event
from .interactions import interaction_add

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


@transaction.atomic
def onsite_visit_record(
    *,
    ticket: Ticket,
    actor: Actor,
    content: str,
    started_at: datetime | None,
    ended_at: datetime | None,
    place: str,
    staff: str = "",
    customer_confirmation: str = "",
) -> Any:
    """Record an on-site visit (CLS-3, S1 §二(二)3) as the ticket's on-site interaction, with every
    element `record_completeness` checks: service content, time (start and end), place, staff (the
    author, and who else was there) and the customer's confirmation or signature text. A visit
    signed off by the customer is also the customer's confirmation for closing (CLS-1).

    An on-site visit is a response to the customer (it can be the first one, INT-2). Refused on a
    cancelled or merged ticket and on a finalised record (DomainError); ValidationError keyed by
    field for bad input. Locks the ticket (interaction_add)."""

    now = timezone.now()
    errors: dict[str, str] = {}
    content, place = (content or "").strip(), (place or "").strip()
    staff, customer_confirmation = (staff or "").strip(), (customer_confirmation or "").strip()
    texts = (
        ("content", content, MAX_TEXT),
        ("place", place, 200),
        ("staff", staff, 200),
        ("customer_confirmation", customer_confirmation, 1000),
    )
    for name, text, limit in texts:
        if not text and name != "staff":
            errors[name] = _("This field is required.")
        elif len(text) > limit:
            errors[name] = _("At most %(n)d characters (got %(got)d).") % {"n": limit, "got": len(text)}
    for name, when in (("started_at", started_at), ("ended_at", ended_at)):
        if when is None:
            errors[name] = _("This field is required.")
        elif timezone.is_naive(when):
            errors[name] = _("Give a time zone offset, e.g. 2026-11-23T09:30:00+08:00.")
        elif when > now + FUTURE_TOLERANCE:
            errors[name] = _("The visit time cannot be in the future.")
    if started_at and ended_at and not errors.keys() & {"started_at", "ended_at"} and ended_at < started_at:
        errors["ended_at"] = _("The visit cannot end before it started.")
    if errors:
        raise ValidationError(errors)
    assert started_at is not None and ended_at is not None
    ticket = _lock(ticket)  # the status and finalisation as committed, held until the entry is in
    if ticket.status in (Status.CANCELLED, Status.MERGED) or ticket.record_finalized_at is not None:
        raise DomainError(
            _("An on-site visit cannot be added to a cancelled, merged or finalised ticket."),
            code="record_closed",
        )
    staff_names = staff or str(actor)
    return interaction_add(
        ticket=ticket,
        actor=actor,
        body=content,
        kind=InteractionKind.ONSITE_VISIT,
        direction=Direction.OUTBOUND,
        is_public=True,
        occurred_at=started_at,
        data={
            "place": place,
            "started_at": started_at.isoformat(),
            "ended_at": ended_at.isoformat(),
            "staff": staff_names,
            "customer_confirmation": customer_confirmation,
        },
        locked=True,
    )


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
    actor: Actor,
    method: str,
    fully_solved: bool,
    score: int,
    comments: str = "",
    at: datetime | None = None,
) -> Any:
    """Record the satisfaction follow-up (CLS-2); stops the 3-working-day follow-up clock.

    A low score (≤ 2) or "not fully solved" queues a review (复盘) notice to the team lead (S2 §2.3).
    """

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
        raise TransitionNotAllowed(_("A follow-up is recorded after the ticket is resolved."))
    fu = FollowUp.objects.create(
        ticket=ticket,
        method=method,
        fully_solved=fully_solved,
        score=score,
        comments=comments,
        recorded_by=_person(actor),
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
def record_finalize(*, ticket: Ticket, actor: Actor, at: datetime | None = None) -> Ticket:
    """Check and finalise the service record of a closed ticket (CLS-3); stops the 24 h clock.

    Refuses with the list of missing elements when the record is incomplete.
    """
    at = at or timezone.now()
    ticket = _lock(ticket)
    if ticket.status != Status.CLOSED:
        raise TransitionNotAllowed(_("Only a closed ticket's record can be finalised."))
    missing = record_completeness(ticket=ticket)
    if missing:
        raise ValidationError({"record": missing})
    ticket.record_finalized_at = at
    ticket.record_finalized_by = _person(actor)
    ticket.save(update_fields=["record_finalized_at", "record_finalized_by", "updated_at"])
    _system_event(ticket, actor, _("Service record finalised"), at)
    audit_record(actor=actor, action="ticket.record_finalized", object_type="ticket", object_id=ticket.number)
    clocks.clocks_on_event(ticket=ticket, event=Event.RECORD_FINALIZED, at=at)
    return ticket
