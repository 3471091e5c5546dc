"""Every write of the hotline channel: CTI events → call records, screen pops, call-back tasks,
links between calls and tickets.

`call_event_apply` is called by the inbound handler (ingest.py) inside the payload's processing
transaction, so the call record, the call-back ticket and the payload's `processed` mark commit
together (exactly once per call id + event). Screen pops are published to the agent's WebSocket
group after commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.common.pii import mask_phone
from herdesk.customers.selectors import can_view_personal_data, customer_find_by_phone, customers_visible_to
from herdesk.customers.services import phone_index
from herdesk.inbound.messages import InboundMessage
from herdesk.inbound.services import inbound_route, sender_resolve
from herdesk.realtime.publish import publish_after_commit
from herdesk.staff.models import User
from herdesk.tickets.choices import OPEN_STATUSES, Channel, Direction, InteractionKind
from herdesk.tickets.selectors import tickets_visible_to
from herdesk.tickets.services import interaction_add

from .choices import UNANSWERED, CallEvent, CallStatus
from .models import CallRecord, DialRequest
from .selectors import can_take_calls

log = logging.getLogger("herdesk.phone")


def agent_group(user_pk: int) -> str:
    return f"phone-u-{user_pk}"


def _publish(group: str, payload: dict[str, Any]) -> None:
    publish_after_commit(group, {"type": "phone.event", "payload": payload})


def agent_for_extension(extension: str) -> Any:
    if not extension:
        return None
    return User.objects.filter(extension=extension, is_active=True, customer__isnull=True).first()


def screen_pop(*, user: Any, call: CallRecord, event: str) -> dict[str, Any]:
    """What `user` sees when the phone rings (INT-7): who is calling, their tier and account
    manager, open and recent tickets. The number is masked unless the user may see it (then the
    read is audited, SEC-1/SEC-2)."""

    number = call.caller
    if number and can_view_personal_data(user, call.customer if call.customer_id else None):
        audit_record(
            actor=user,
            action="pii.read",
            object_type="call",
            object_id=call.call_id,
            data={"fields": ["caller"], "purpose": "screen_pop"},
        )
        shown = number
    else:
        shown = mask_phone(number)
    customer = customers_visible_to(user).filter(pk=call.customer_id).first() if call.customer_id else None
    tickets: list[dict[str, Any]] = []
    open_count = 0
    if customer is not None:
        qs = tickets_visible_to(user).filter(customer_id=customer.pk)
        open_count = qs.filter(status__in=OPEN_STATUSES).count()
        tickets = [
            {
                "number": t.number,
                "subject": t.subject,
                "status": t.status,
                "status_label": str(t.get_status_display()),
                "channel": t.channel,
            }
            for t in qs.order_by("-id")[:5]
        ]
    return {
        "type": "pop",
        "event": event,
        "call_id": call.call_id,
        "status": call.status,
        "caller": shown,
        "extension": call.extension,
        "customer": None
        if customer is None
        else {
            "id": customer.pk,
            "name": customer.name,
            "organisation": customer.organisation.name
            if customer.organisation_id and customer.organisation
            else "",
            "tier": customer.tier,
            "tier_label": str(customer.get_tier_display()),
            "account_manager": str(customer.account_manager) if customer.account_manager_id else "",
        },
        "open_tickets": open_count,
        "tickets": tickets,
        "ticket": call.ticket.number if call.ticket_id and call.ticket else "",
    }


@dataclass
class CtiEvent:
    event: str
    call_id: str
    at: datetime
    caller: str = ""  # E.164 after normalising; "" for a withheld number
    callee: str = ""
    extension: str = ""
    recording_url: str = ""
    reason: str = ""
    talk_seconds: int | None = None


def _callback_ticket(call: CallRecord, now: datetime) -> tuple[Any, bool]:
    """A missed or abandoned call becomes a call-back task: a phone ticket received when the phone
    rang, so its 30-minute first-response clock counts from then (INT-2, S1 §二(二)1). Another
    missed call of the same customer while a call-back task is open joins that task (INT-8)."""

    if not call.caller:
        return None, False  # withheld number: nobody to call back; the call record says so
    sender = sender_resolve(
        phone=call.caller, name=_("Caller %(number)s") % {"number": mask_phone(call.caller)}
    )
    call.customer = sender.customer
    open_tasks = (
        CallRecord.objects.filter(
            customer=sender.customer,
            callback_ticket__isnull=False,
            callback_ticket__status__in=OPEN_STATUSES,
        )
        .exclude(pk=call.pk)
        .select_related("callback_ticket")
        .order_by("-id")
    )
    candidates = [c.callback_ticket for c in open_tasks[:3]]
    when = timezone.localtime(call.ringing_at or call.ended_at or now).strftime("%Y-%m-%d %H:%M")
    kind = _("Abandoned call") if call.status == CallStatus.ABANDONED else _("Missed call")
    routed = inbound_route(
        message=InboundMessage(
            channel=Channel.PHONE,
            interaction_kind=InteractionKind.PHONE_CALL,
            sender=sender,
            subject=_("Call back: %(kind)s from %(number)s")
            % {"kind": kind, "number": mask_phone(call.caller)},
            body=_("%(kind)s at %(when)s (extension %(ext)s). Call the customer back.")
            % {"kind": kind, "when": when, "ext": call.extension or "—"},
            received_at=call.ringing_at or call.ended_at or now,
            external_id=call.call_id,
            data={"call_id": call.call_id, "call_status": call.status, "callback": True},
        ),
        candidates=candidates,
    )
    return routed.ticket, routed.created


def _call_interaction(call: CallRecord) -> Any:
    """An answered call linked to a ticket is recorded on its timeline (CLS-3: key content, time,
    staff; the recording link and talk time travel in the entry's data)."""

    if call.ticket is None or call.interaction_id:
        return None
    minutes, seconds = divmod(call.talk_seconds or 0, 60)
    body = _("Hotline call with %(number)s, %(m)d min %(s)d s.") % {
        "number": mask_phone(call.caller) or _("withheld number"),
        "m": minutes,
        "s": seconds,
    }
    return interaction_add(
        ticket=call.ticket,
        actor=call.agent,
        body=body,
        kind=InteractionKind.PHONE_CALL,
        # The agent spoke with the customer: the call is the human response (INT-2).
        direction=Direction.OUTBOUND,
        channel=Channel.PHONE,
        occurred_at=call.answered_at or call.ended_at,
        data={
            "call_id": call.call_id,
            "recording_url": call.recording_url,
            "talk_seconds": call.talk_seconds,
            "extension": call.extension,
        },
    )


@transaction.atomic
def call_event_apply(*, event: CtiEvent, now: datetime | None = None) -> CallRecord:
    """Apply one CTI event to its call record (created on the first event of a call).

    Locks the call row. Events may arrive out of order (a CTI retry): timestamps are kept per event
    and the status is derived from all of them. On "ended": an unanswered call gets a call-back
    task; an answered call linked to a ticket is written to its timeline. Side effects after
    commit: a screen pop to the agent at the extension (ringing, answered).
    """

    now = now or timezone.now()
    CallRecord.objects.get_or_create(call_id=event.call_id)
    call = (
        CallRecord.objects.select_for_update(of=("self",)).select_related("ticket").get(call_id=event.call_id)
    )
    if event.caller and not call.caller:
        call.caller = event.caller
        call.caller_bidx = phone_index(event.caller)
        call.customer = customer_find_by_phone(user=None, phone=event.caller).order_by("id").first()
    call.callee = call.callee or event.callee[:40]
    if event.extension:
        call.extension = event.extension[:20]
        call.agent = agent_for_extension(call.extension) or call.agent
    if event.event == CallEvent.RINGING:
        call.ringing_at = call.ringing_at or event.at
    elif event.event == CallEvent.ANSWERED:
        call.answered_at = call.answered_at or event.at
    elif event.event == CallEvent.ENDED:
        call.ended_at = call.ended_at or event.at
        call.end_reason = event.reason[:40]
        if event.recording_url:
            call.recording_url = event.recording_url[:500]
    if event.talk_seconds is not None:
        call.talk_seconds = event.talk_seconds
    elif call.answered_at and call.ended_at:
        call.talk_seconds = max(0, int((call.ended_at - call.answered_at).total_seconds()))
    call.events = [*call.events, {"event": event.event, "at": event.at.isoformat(), "reason": event.reason}][
        -20:
    ]
    # Status from everything known so far (events may come out of order).
    if call.ended_at:
        if call.answered_at:
            call.status = CallStatus.COMPLETED
        elif event.reason == "abandoned" or (not call.extension and event.reason != "missed"):
            call.status = CallStatus.ABANDONED
        else:
            call.status = CallStatus.MISSED
    elif call.answered_at:
        call.status = CallStatus.ANSWERED
    else:
        call.status = CallStatus.RINGING
    call.callback_created = False  # type: ignore[attr-defined]  # for the handler's outcome
    if call.status in UNANSWERED and call.callback_ticket_id is None:
        call.callback_ticket, call.callback_created = _callback_ticket(call, now)  # type: ignore[attr-defined]
    if call.status == CallStatus.COMPLETED and call.ticket_id:
        interaction = _call_interaction(call)
        if interaction is not None:
            call.interaction = interaction
    call.save()
    if call.agent_id and event.event in (CallEvent.RINGING, CallEvent.ANSWERED, CallEvent.ENDED):
        _publish(agent_group(call.agent_id), screen_pop(user=call.agent, call=call, event=event.event))
    return call


@transaction.atomic
def call_link_ticket(*, call_id: str, ticket_number: str, actor: Any) -> CallRecord:
    """The agent says which ticket a call is about (the intake they created, or an existing one).
    The ticket must be visible to the agent and belong to the caller's customer when the caller is
    known. If the call already ended, it goes onto the ticket's timeline now."""

    call = CallRecord.objects.select_for_update(of=("self",)).filter(call_id=call_id).first()
    if call is None:
        raise ValidationError({"call": _("No such call.")})
    ticket = tickets_visible_to(actor).filter(number=(ticket_number or "").strip()).first()
    if ticket is None:
        raise ValidationError({"ticket": _("No ticket with that number is visible to you.")})
    if (
        call.customer_id
        and ticket.customer_id != call.customer_id
        and (
            ticket.organisation_id is None
            or ticket.organisation_id != getattr(call.customer, "organisation_id", None)
        )
    ):
        raise ValidationError({"ticket": _("That ticket belongs to another customer.")})
    call.ticket = ticket
    call.customer = call.customer or ticket.customer
    if call.status == CallStatus.COMPLETED and not call.interaction_id:
        call.interaction = _call_interaction(call)
    call.save()
    return call


CTI_GROUP = "phone-cti"  # the CTI bridge's channel-layer group: outbound dial requests


def call_dial_request(*, actor: Any, contact: Any, ticket: Any = None, now: datetime | None = None) -> Any:
    """Click-to-call (issue 13): ask the CTI to ring the agent's extension and dial the contact.

    The full number goes only to the CTI bridge (group CTI_GROUP, after commit); the agent's
    screen-pop socket gets a "dialing" frame with the masked number. The request is recorded
    (DialRequest) and audited as a use of personal data. Raises PermissionDenied (not service
    staff, or the customer is not visible) or ValidationError (no extension, no phone number).
    """
    from django.core.exceptions import PermissionDenied

    if not can_take_calls(actor) or not customers_visible_to(actor).filter(pk=contact.customer_id).exists():
        raise PermissionDenied
    extension = (getattr(actor, "extension", "") or "").strip()
    if not extension:
        raise ValidationError(
            {"extension": _("You have no phone extension; ask an administrator to set one.")}
        )
    if not contact.phone:
        raise ValidationError({"contact": _("This contact has no phone number.")})
    now = now or timezone.now()
    with transaction.atomic():
        req = DialRequest.objects.create(
            requested_by=actor,
            extension=extension,
            customer_id=contact.customer_id,
            contact=contact,
            ticket=ticket,
            requested_at=now,
        )
        audit_record(
            actor=actor,
            action="call.dial",
            object_type="customer",
            object_id=contact.customer_id,
            data={"request": req.pk, "contact": contact.pk, "ticket": getattr(ticket, "number", "")},
        )
        publish_after_commit(
            CTI_GROUP,
            {
                "type": "phone.dial",
                "payload": {
                    "type": "dial",
                    "request": req.pk,
                    "extension": extension,
                    "number": contact.phone,
                    "ticket": getattr(ticket, "number", ""),
                },
            },
        )
        _publish(
            agent_group(actor.pk),
            {
                "type": "dialing",
                "request": req.pk,
                "number": mask_phone(contact.phone),
                "customer": contact.customer.name,
                "ticket": getattr(ticket, "number", ""),
            },
        )
    return req
