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
from herdesk.policies.choices import Event

from ..choices import InteractionKind, Status
from ..models import Ticket
from ._common import _lock, _system_event

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

    from ..models import FollowUp

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
