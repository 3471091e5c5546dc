"""What every ticket service shares: limits, choice checks, the row lock, the timeline's system
events and the one lifecycle step (`_transition`) that every status change goes through."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeAlias

from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.clocks import services as clocks
from herdesk.common.errors import TransitionNotAllowed
from herdesk.common.rowsql import row_get
from herdesk.staff.models import User

from ..choices import Channel, Direction, InteractionKind, Status
from ..lifecycle import can_transition
from ..models import Interaction, Ticket

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

# Who does it: a member of staff or a customer's login (portal, API) — a view passes request.user —
# or None (the system: a channel's intake, a clock's breach action).
Actor: TypeAlias = "User | AnonymousUser | None"


def _person(actor: Actor) -> User | None:
    """The person to store as author, creator or recorder: None for the system or an anonymous user."""
    return actor if isinstance(actor, User) and actor.pk else None


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


def request_fingerprint(data: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()


def _lock(ticket: Ticket) -> Ticket:
    """The ticket's row, fresh and locked until the transaction ends (every action on a ticket
    starts here): `Ticket.objects.select_for_update().get(pk=…)` with its statement built once."""
    locked: Ticket | None = row_get(Ticket, "pk", ticket.pk, for_update=True)
    if locked is None:
        raise Ticket.DoesNotExist("Ticket matching query does not exist.")
    return locked


def _system_event(ticket: Ticket, actor: Actor, text: str, at: datetime, **data: Any) -> None:
    Interaction.objects.create(
        ticket=ticket,
        kind=InteractionKind.SYSTEM_EVENT,
        direction=Direction.INTERNAL,
        author=_person(actor),
        body=text,
        is_public=False,
        occurred_at=at,
        data=data,
    )


def _transition(
    ticket: Ticket, to_status: str, *, actor: Actor, at: datetime, note: str = "", **data: Any
) -> Ticket:
    """Apply one lifecycle step. Raises TransitionNotAllowed if the table forbids it."""

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
