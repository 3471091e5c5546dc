"""Solution options (HND-3): offering one to three checked options and the customer's choice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.clocks import services as clocks
from herdesk.common.errors import TransitionNotAllowed
from herdesk.notifications import customer_notices
from herdesk.policies.choices import Event

from ..choices import Direction, InteractionKind, SolutionStage, Status
from ..models import Interaction, SolutionOption, Ticket
from ._common import Actor, _lock, _person, _system_event, _transition


@transaction.atomic
def solution_options_offer(
    *, ticket: Ticket, actor: Actor, options: list[dict[str, Any]], at: datetime | None = None
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
                ticket=ticket, position=i, offered_at=at, created_by=_person(actor), **fields, **checks
            )
        )
    ticket.solution_stage = SolutionStage.OFFERED
    ticket.save()
    entry = Interaction.objects.create(
        ticket=ticket,
        kind=InteractionKind.SYSTEM_EVENT,
        direction=Direction.OUTBOUND,
        author=_person(actor),
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
    *, ticket: Ticket, actor: Actor, position: int, at: datetime | None = None
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
