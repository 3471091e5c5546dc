"""Workspace steps that take more than one service call, each in one transaction.

No business rule lives here: every write is a call to the owning app's service (tickets,
customers, clocks); this module only fixes the order and the all-or-nothing boundary, so a view
stays a thin "parse form → call one function → show the result".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.common.errors import DomainError
from herdesk.customers.selectors import contact_primary
from herdesk.customers.services import customer_create
from herdesk.mail.services import email_reply_send
from herdesk.notifications import customer_notices
from herdesk.phone.services import call_link_ticket
from herdesk.tickets import services as ts
from herdesk.tickets.choices import (
    CloseReason,
    Direction,
    InteractionKind,
    ProblemType,
    Status,
    VerificationMethod,
)
from herdesk.tickets.models import Ticket
from herdesk.tickets.selectors import tickets_visible_to
from herdesk.triage.services import triage_outcome_record, triage_ticket_received
from herdesk.wechat.services import wechat_reply_send

# The live channels an agent answers in person: the answered call/chat is the first response (INT-2,
# S1 §二(二)1 "如电话接通、在线回复").
LIVE_KIND = {
    "phone": InteractionKind.PHONE_CALL,
    "chat": InteractionKind.CHAT,
    "wechat": InteractionKind.WECHAT,
}
REPLY_KIND = {
    "phone": InteractionKind.PHONE_CALL,
    "chat": InteractionKind.CHAT,
    "wechat": InteractionKind.WECHAT,
    "email": InteractionKind.EMAIL,
    "email_other": InteractionKind.EMAIL,
    "portal": InteractionKind.WEB_FORM,
    "social": InteractionKind.WEB_FORM,
}
# Channels whose answer is sent, not only recorded (timeline entry + outbox row in one transaction).
ANSWER_SENDERS: dict[str, Callable[..., Any]] = {
    "email": email_reply_send,
    "email_other": email_reply_send,
    "wechat": lambda *, at, **kw: wechat_reply_send(now=at, **kw),
}


@transaction.atomic
def intake_submit(
    *,
    actor: Any,
    customer: Any,
    new_name: str,
    phone: str,
    region: str,
    channel: str,
    call_started_at: datetime,
    problem_type: str,
    subject: str,
    description: str,
    product: Any,
    order_number: str,
    priority: str,
    complexity: str,
    readback: str,
    complaint_severity: str = "",
    call_id: str = "",
    now: datetime | None = None,
) -> Ticket:
    """Record a phone/chat contact (INT-3): the customer (created inline if new), the ticket with
    `received_at` = the call start, and the agent's confirmed read-back as the first response.

    With `call_id` (the intake opened from a screen pop) the hotline call is linked to the new
    ticket (phone.services.call_link_ticket), in the same transaction.

    Side effects: whatever customer_create, ticket_create and interaction_add write (audit, clocks).
    Raises ValidationError keyed by field.
    """
    now = now or timezone.now()
    if customer is None:
        try:
            customer = customer_create(actor=actor, name=new_name, phone=phone, region=region)
        except ValidationError as exc:
            # Map the customer fields onto the intake form's names.
            raise ValidationError(
                {{"name": "new_name", "phone": "phone"}.get(k, k): v for k, v in exc.message_dict.items()}
            )
    contact = contact_primary(customer=customer)
    ticket = ts.ticket_create(
        actor=actor,
        customer=customer,
        contact=contact,
        channel=channel,
        problem_type=problem_type,
        subject=subject,
        description=description,
        received_at=call_started_at,
        product=product,
        order_number=order_number,
        region=region or customer.region,
        priority=priority,
        complexity=complexity,
        complaint_severity=complaint_severity if problem_type == ProblemType.COMPLAINT else "",
        now=now,
    )
    # The food-safety flag acts whatever the agent chose (#15); the suggestion shows on the ticket.
    triage_ticket_received(ticket=ticket)
    ts.interaction_add(
        ticket=ticket,
        actor=actor,
        kind=LIVE_KIND.get(channel, InteractionKind.PHONE_CALL),
        direction=Direction.OUTBOUND,
        occurred_at=now,
        body=_("Read-back confirmed by the customer: %(summary)s") % {"summary": readback},
        # The agent's note about the call, in the third person: internal (the portal shows the
        # customer what was said to them, not notes about them). Still the first response.
        is_public=False,
    )
    if call_id:
        call_link_ticket(call_id=call_id, ticket_number=ticket.number, actor=actor)
    return ticket


@transaction.atomic
def triage_and_route(
    *,
    ticket: Ticket,
    actor: Any,
    problem_type: str,
    category: Any,
    complexity: str,
    priority: str,
    team: Any,
    assignee: Any,
    reason: str,
    requirement: str,
    expected_response_minutes: int | None,
    complaint_severity: str = "",
    at: datetime | None = None,
) -> Ticket:
    """INT-5: classify (stops the triage clock) and route with the handling requirement (HND-2)."""
    at = at or timezone.now()
    ticket = ts.ticket_triage(
        ticket=ticket,
        actor=actor,
        problem_type=problem_type,
        category=category,
        complexity=complexity,
        priority=priority,
        team=team,
        complaint_severity=(complaint_severity or None) if problem_type == ProblemType.COMPLAINT else None,
        at=at,
    )
    # The person's decision beside the automatic suggestion: the next training learns from it.
    triage_outcome_record(ticket=ticket, problem_type=ticket.problem_type)
    return ts.ticket_assign(
        ticket=ticket,
        actor=actor,
        assignee=assignee,
        team=team,
        reason=reason or _("Routed at triage"),
        requirement=requirement,
        expected_response_minutes=expected_response_minutes,
        at=at,
    )


@transaction.atomic
def answer_and_close(*, ticket: Ticket, actor: Any, body: str, at: datetime | None = None) -> Ticket:
    """S1 §三(一)3: a common question is answered directly (from a saved reply) and closed."""
    at = at or timezone.now()
    if ticket.status == Status.NEW:
        ticket = ts.ticket_triage(ticket=ticket, actor=actor, at=at)
    send = ANSWER_SENDERS.get(ticket.channel)
    if send is not None:  # the answer really goes out on the customer's channel (issue 12)
        send(ticket=ticket, actor=actor, body=body, at=at)
    else:
        ts.interaction_add(
            ticket=ticket,
            actor=actor,
            body=body,
            direction=Direction.OUTBOUND,
            kind=REPLY_KIND.get(ticket.channel, InteractionKind.EMAIL),
            occurred_at=at,
        )
    # The answer is the message: no "resolved, please confirm" and "closed" notices after it.
    with customer_notices.quiet():
        ticket = ts.ticket_resolve(
            ticket=ticket,
            actor=actor,
            at=at,
            summary=_("Answered directly"),
            verification_method=VerificationMethod.CUSTOMER_CONFIRMATION,
        )
        return ts.ticket_close(ticket=ticket, actor=actor, reason=CloseReason.ANSWERED, at=at)


@transaction.atomic
def option_choice_record(
    *, ticket: Ticket, actor: Any, position: int, via: str, at: datetime | None = None
) -> Ticket:
    """HND-3: the handler records the option the customer chose (on the phone, by email, ...)."""
    at = at or timezone.now()
    via_label = {"phone": _("on the phone"), "email": _("by email"), "portal": _("in the portal")}.get(
        via, via
    )
    ticket = ts.solution_option_choose(ticket=ticket, actor=actor, position=position, at=at)
    ts.interaction_add(
        ticket=ticket,
        actor=actor,
        occurred_at=at,
        data={"position": position, "via": via},
        body=_("Recorded the customer's choice (%(via)s): option %(n)d.") % {"via": via_label, "n": position},
    )
    return ticket


def bulk_reassign(
    *, actor: Any, numbers: list[str], team: Any, assignee: Any, reason: str, limit: int = 100
) -> tuple[list[str], list[tuple[str, str]]]:
    """Reassign many tickets (supervisors, tickets.reassign_ticket). Each ticket is its own
    transaction, so one ticket the lifecycle refuses does not undo the others.

    Returns (reassigned numbers, [(number, reason it was not)]).
    """
    if not actor.has_perm("tickets.reassign_ticket"):
        raise PermissionDenied
    wanted = [n for n in dict.fromkeys(numbers) if n][:limit]
    found = {t.number: t for t in tickets_visible_to(actor).filter(number__in=wanted)}
    done: list[str] = []
    failed: list[tuple[str, str]] = []
    for number in wanted:
        ticket = found.get(number)
        if ticket is None:
            failed.append((number, _("Not found.")))
            continue
        try:
            with transaction.atomic():
                ts.ticket_assign(ticket=ticket, actor=actor, assignee=assignee, team=team, reason=reason)
            done.append(number)
        except ValidationError as exc:
            failed.append((number, "; ".join(exc.messages)))
        except DomainError as exc:
            failed.append((number, exc.message))
    return done, failed
