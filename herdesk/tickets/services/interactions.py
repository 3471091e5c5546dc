"""The timeline: adding interactions (the first human response stops the first-response clock, a
customer's message moves a waiting or resolved ticket on) and recording outbound delivery."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.clocks import services as clocks
from herdesk.common.rowsql import rows_insert
from herdesk.notifications import staff_notices
from herdesk.policies.choices import Event
from herdesk.search.services import search_index_ticket

from ..choices import Direction, InteractionKind, Status
from ..models import Interaction, Ticket
from ._common import MAX_TEXT, Actor, _check_choice, _lock, _person, _system_event, _transition
from .create import TicketCreated, ticket_create_detailed
from .lifecycle import ticket_reopen


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


def reply_opens_new_ticket(*, ticket: Ticket, at: datetime) -> bool:
    """CLS-1: a customer's message on a closed ticket reopens it within the reopen window
    (settings.HERDESK_REOPEN_WINDOW_DAYS, default 7 days from the close); after the window, and
    always once the service record is finalised (CLS-3: a finalised record is not reopened), it
    opens a new ticket linked to the old one. A resolved ticket always reopens."""
    if ticket.status != Status.CLOSED:
        return False
    if ticket.record_finalized_at is not None:
        return True
    days = int(getattr(settings, "HERDESK_REOPEN_WINDOW_DAYS", 7))
    return ticket.closed_at is not None and at > ticket.closed_at + timedelta(days=days)


def ticket_follow_on_create(
    *,
    ticket: Ticket,
    actor: Actor,
    body: str,
    channel: str,
    at: datetime,
    contact: Any = None,
    data: dict[str, Any] | None = None,
) -> TicketCreated:
    """The customer's message on a ticket that no longer reopens (`reply_opens_new_ticket`) as a
    new ticket linked to it (`previous_ticket`), with the old ticket's customer, product and order;
    its clocks start from the message (INT-2) and it reaches the intake team like any new ticket.
    The old ticket's timeline names the new one. Locks the old ticket."""
    old = _lock(ticket)
    created = ticket_create_detailed(
        actor=actor,
        customer=old.customer,
        contact=contact or old.contact,
        channel=channel,
        problem_type=old.problem_type,
        subject=old.subject,
        description=body,
        received_at=at,
        product=old.product,
        order_number=old.order_number,
        region=old.region,
        previous_ticket=old,
        interaction_data=data,
    )
    _system_event(
        old,
        actor,
        _("The customer wrote again after the close; new ticket %(n)s opened") % {"n": created.ticket.number},
        at,
        follow_on=created.ticket.number,
    )
    _system_event(
        created.ticket,
        actor,
        _("Follows on from %(n)s") % {"n": old.number},
        at,
        previous_ticket=old.number,
    )
    return created


def interaction_add(
    *,
    ticket: Ticket,
    actor: Actor,
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
    (INT-2); a customer's message on a resolved ticket, or on a closed one within the reopen window,
    reopens it (CLS-1); on a ticket closed longer ago or finalised it opens a new linked ticket and
    the returned entry is that ticket's first (`reply_opens_new_ticket`).

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
        if direction == Direction.INBOUND and reply_opens_new_ticket(ticket=ticket, at=at):
            return ticket_follow_on_create(
                ticket=ticket, actor=actor, body=body, channel=channel or ticket.channel, at=at, data=data
            ).interaction  # type: ignore[return-value]
        interaction = Interaction(
            ticket=ticket,
            kind=kind,
            direction=direction,
            channel=channel or ticket.channel,
            author=_person(actor),
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
