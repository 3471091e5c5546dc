"""One API operation per ticket action (issue #21): POST /api/v1/tickets/{number}/<action>.

Each operation has its own input schema, asks the one action table (tickets.actions, shared with
the ticket page) whether the token's user may take the action now — 403 when the role never may,
409 when the ticket's state does not allow it — and calls the same service as the page (staff) or
the portal (customers). POST /tickets/{number}/transitions is the deprecated generic alias.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import pydantic
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Status
from ninja.errors import ValidationError as NinjaValidationError

from herdesk.clocks.models import Clock, ClockState
from herdesk.clocks.services import clock_renegotiate
from herdesk.portal import services as portal_services
from herdesk.staff.models import Team, User
from herdesk.tickets import actions as ticket_actions
from herdesk.tickets import selectors as ticket_selectors
from herdesk.tickets import services as ts
from herdesk.tickets.models import Category, Ticket
from herdesk.triage.rules import ACKNOWLEDGE_MINUTES
from herdesk.workspace import actions as workspace_actions

from .api import api
from .errors import error_responses
from .schemas import (
    ActionsOut,
    AnswerIn,
    AssignIn,
    ChooseIn,
    CloseIn,
    FollowUpIn,
    InteractionIn,
    InteractionOut,
    MergeIn,
    OnsiteVisitIn,
    OptionsIn,
    ReasonIn,
    RenegotiateIn,
    ReopenIn,
    ResolveIn,
    TicketOut,
    TransferIn,
    TransitionIn,
    TriageIn,
)
from .shaping import interaction_out, ticket_for, ticket_reread, user_of

ACTION_RESPONSES: dict[int, Any] = {
    200: TicketOut,
    **error_responses(400, 401, 403, 404, 409, 413, 422, 429),
}
TAGS = ["ticket actions"]


def _begin(request: HttpRequest, number: str, action: str) -> tuple[User, Ticket]:
    user = user_of(request)
    ticket = ticket_for(user, number)
    ticket_actions.action_check(user=user, ticket=ticket, name=action)
    return user, ticket


def _team(code: str | None) -> Team | None:
    if not code:
        return None
    team = Team.objects.filter(code=code).first()
    if team is None:
        raise ValidationError({"team_code": _("No team with this code.")})
    return team


def _staff(username: str | None) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username=username, customer__isnull=True, is_active=True).first()
    if user is None:
        raise ValidationError({"assignee": _("No active staff member with this username.")})
    return user


@api.get(
    "/v1/tickets/{number}/actions",
    response={200: ActionsOut, **error_responses(401, 403, 404, 422, 429)},
    tags=TAGS,
    operation_id="ticket_actions_available",
)
def actions_available(request: HttpRequest, number: str) -> dict[str, Any]:
    """The actions the token's user may take on the ticket now — the same list the ticket page
    offers (issue #12). Staff action names: triage, assign, transfer, acknowledge, start, options,
    choose, wait, renegotiate, resolve, close, reopen, cancel, merge, note (= POST interactions), and
    the page-only ones; a customer's: reply (= POST interactions), choose, close, reopen."""
    user = user_of(request)
    ticket = ticket_for(user, number)
    names = ticket_actions.available_actions(user=user, ticket=ticket)
    return {"number": ticket.number, "status": ticket.status, "actions": sorted(names)}


@api.post(
    "/v1/tickets/{number}/acknowledge",
    response=ACTION_RESPONSES,
    tags=TAGS,
    operation_id="ticket_acknowledge",
)
def acknowledge(request: HttpRequest, number: str) -> dict[str, Any]:
    """查收确认 by the assignee (HND-1): stops the 15-minute acknowledgement clock."""
    user, ticket = _begin(request, number, "acknowledge")
    ts.ticket_acknowledge(ticket=ticket, actor=user)
    return ticket_reread(user, ticket)


@api.post("/v1/tickets/{number}/triage", response=ACTION_RESPONSES, tags=TAGS, operation_id="ticket_triage")
def triage(request: HttpRequest, number: str, payload: TriageIn) -> dict[str, Any]:
    """INT-5 classification; with `team_code` or `assignee` also routed (as the page's triage)."""
    user, ticket = _begin(request, number, "triage")
    team, assignee = _team(payload.team_code), _staff(payload.assignee)
    category = None
    if payload.category_id is not None:
        category = Category.objects.filter(pk=payload.category_id, is_active=True).first()
        if category is None:
            raise ValidationError({"category_id": _("No active category with this id.")})
    if team is None and assignee is None:
        ts.ticket_triage(
            ticket=ticket,
            actor=user,
            problem_type=payload.problem_type,
            category=category,
            complexity=payload.complexity,
            priority=payload.priority,
            complaint_severity=payload.complaint_severity,
        )
    else:
        workspace_actions.triage_and_route(
            ticket=ticket,
            actor=user,
            problem_type=payload.problem_type or ticket.problem_type,
            category=category or ticket.category,
            complexity=payload.complexity or ticket.complexity,
            priority=payload.priority or ticket.priority,
            team=team,
            assignee=assignee,
            reason=payload.reason,
            requirement=payload.requirement,
            expected_response_minutes=payload.expected_response_minutes,
        )
    return ticket_reread(user, ticket)


def _assign(request: HttpRequest, number: str, payload: AssignIn, action: str) -> dict[str, Any]:
    user, ticket = _begin(request, number, action)
    team, assignee = _team(payload.team_code), _staff(payload.assignee)
    if team is None and assignee is None and ticket.team_id is None:
        raise ValidationError({"team_code": _("Name a team or an assignee.")})
    ts.ticket_assign(
        ticket=ticket,
        actor=user,
        assignee=assignee,
        team=team,
        reason=payload.reason,
        requirement=payload.requirement,
        expected_response_minutes=payload.expected_response_minutes,
    )
    return ticket_reread(user, ticket)


@api.post("/v1/tickets/{number}/assign", response=ACTION_RESPONSES, tags=TAGS, operation_id="ticket_assign")
def assign(request: HttpRequest, number: str, payload: AssignIn) -> dict[str, Any]:
    """HND-2: assign a triaged ticket (or re-assign one) to a person and/or team."""
    return _assign(request, number, payload, "assign")


@api.post(
    "/v1/tickets/{number}/transfer", response=ACTION_RESPONSES, tags=TAGS, operation_id="ticket_transfer"
)
def transfer(request: HttpRequest, number: str, payload: TransferIn) -> dict[str, Any]:
    """HND-2: transfer with a reason; restarts the 15-minute acknowledgement clock."""
    return _assign(request, number, payload, "transfer")


@api.post("/v1/tickets/{number}/take", response=ACTION_RESPONSES, tags=TAGS, operation_id="ticket_take")
def take(request: HttpRequest, number: str) -> dict[str, Any]:
    """Take an unassigned ticket of your team's queue (acknowledge it within 15 minutes)."""
    user, ticket = _begin(request, number, "take")
    ts.ticket_assign(
        ticket=ticket,
        actor=user,
        assignee=user,
        team=ticket.team or user.team,
        reason=_("Taken from the queue"),
        expected_response_minutes=ACKNOWLEDGE_MINUTES,
    )
    return ticket_reread(user, ticket)


@api.post("/v1/tickets/{number}/answer", response=ACTION_RESPONSES, tags=TAGS, operation_id="ticket_answer")
def answer(request: HttpRequest, number: str, payload: AnswerIn) -> dict[str, Any]:
    """A common question answered directly and closed (the page's “answer and close”)."""
    user, ticket = _begin(request, number, "answer_close")
    workspace_actions.answer_and_close(ticket=ticket, actor=user, body=payload.body)
    return ticket_reread(user, ticket)


@api.post("/v1/tickets/{number}/start", response=ACTION_RESPONSES, tags=TAGS, operation_id="ticket_start")
def start(request: HttpRequest, number: str) -> dict[str, Any]:
    user, ticket = _begin(request, number, "start")
    ts.ticket_start(ticket=ticket, actor=user)
    return ticket_reread(user, ticket)


@api.post("/v1/tickets/{number}/options", response=ACTION_RESPONSES, tags=TAGS, operation_id="ticket_options")
def options(request: HttpRequest, number: str, payload: OptionsIn) -> dict[str, Any]:
    """HND-3: offer one to three checked solution options to the customer."""
    user, ticket = _begin(request, number, "options")
    ts.solution_options_offer(ticket=ticket, actor=user, options=[o.dict() for o in payload.options])
    return ticket_reread(user, ticket)


@api.post("/v1/tickets/{number}/choose", response=ACTION_RESPONSES, tags=TAGS, operation_id="ticket_choose")
def choose(request: HttpRequest, number: str, payload: ChooseIn) -> dict[str, Any]:
    """HND-3: the customer's choice — by the customer's own token, or recorded by staff (`via`)."""
    user, ticket = _begin(request, number, "choose")
    if user.customer_id:
        portal_services.portal_option_choose(user=user, ticket=ticket, position=payload.position)
    else:
        workspace_actions.option_choice_record(
            ticket=ticket, actor=user, position=payload.position, via=payload.via
        )
    return ticket_reread(user, ticket)


@api.post("/v1/tickets/{number}/wait", response=ACTION_RESPONSES, tags=TAGS, operation_id="ticket_wait")
def wait(request: HttpRequest, number: str, payload: ReasonIn) -> dict[str, Any]:
    """Waiting for the customer: the resolution clock pauses."""
    user, ticket = _begin(request, number, "wait")
    ts.ticket_wait_customer(ticket=ticket, actor=user, reason=payload.reason)
    return ticket_reread(user, ticket)


@api.post(
    "/v1/tickets/{number}/renegotiate",
    response=ACTION_RESPONSES,
    tags=TAGS,
    operation_id="ticket_renegotiate",
)
def renegotiate(request: HttpRequest, number: str, payload: RenegotiateIn) -> dict[str, Any]:
    """HND-5: a new due time for a live clock (named by its kind), agreed before it is due."""
    user, ticket = _begin(request, number, "renegotiate")
    now = timezone.now()
    clock = (
        Clock.objects.filter(
            ticket=ticket,
            kind=payload.clock,
            state__in=(ClockState.RUNNING, ClockState.PAUSED),
            stopped_at__isnull=True,
            due_at__gt=now,
        )
        .order_by("due_at")
        .first()
    )
    if clock is None:
        raise ValidationError({"clock": _("No running clock of this kind that is not yet due.")})
    clock_renegotiate(clock=clock, actor=user, new_due_at=payload.new_due_at, reason=payload.reason, at=now)
    return ticket_reread(user, ticket)


@api.post("/v1/tickets/{number}/resolve", response=ACTION_RESPONSES, tags=TAGS, operation_id="ticket_resolve")
def resolve(request: HttpRequest, number: str, payload: ResolveIn) -> dict[str, Any]:
    user, ticket = _begin(request, number, "resolve")
    ts.ticket_resolve(
        ticket=ticket, actor=user, verification_method=payload.verification_method, summary=payload.summary
    )
    return ticket_reread(user, ticket)


@api.post("/v1/tickets/{number}/close", response=ACTION_RESPONSES, tags=TAGS, operation_id="ticket_close")
def close(request: HttpRequest, number: str, payload: CloseIn) -> dict[str, Any]:
    """Staff close with a reason; a customer's close confirms the resolution (CLS-1)."""
    user, ticket = _begin(request, number, "close")
    if user.customer_id:
        portal_services.portal_resolution_confirm(user=user, ticket=ticket)
    else:
        ts.ticket_close(
            ticket=ticket,
            actor=user,
            reason=payload.reason,
            evidence=payload.evidence,
            confirmed_at=payload.confirmed_at,
        )
    return ticket_reread(user, ticket)


@api.post("/v1/tickets/{number}/reopen", response=ACTION_RESPONSES, tags=TAGS, operation_id="ticket_reopen")
def reopen(request: HttpRequest, number: str, payload: ReopenIn) -> dict[str, Any]:
    """Staff reopen; a customer's reopen disputes the resolution (CLS-1)."""
    user, ticket = _begin(request, number, "reopen")
    if user.customer_id:
        portal_services.portal_resolution_dispute(user=user, ticket=ticket, reason=payload.reason)
    else:
        ts.ticket_reopen(ticket=ticket, actor=user, reason=payload.reason)
    return ticket_reread(user, ticket)


@api.post("/v1/tickets/{number}/cancel", response=ACTION_RESPONSES, tags=TAGS, operation_id="ticket_cancel")
def cancel(request: HttpRequest, number: str, payload: ReasonIn) -> dict[str, Any]:
    user, ticket = _begin(request, number, "cancel")
    ts.ticket_cancel(ticket=ticket, actor=user, reason=payload.reason)
    return ticket_reread(user, ticket)


@api.post("/v1/tickets/{number}/merge", response=ACTION_RESPONSES, tags=TAGS, operation_id="ticket_merge")
def merge(request: HttpRequest, number: str, payload: MergeIn) -> dict[str, Any]:
    """Merge this ticket into `into` (a ticket you may open)."""
    user, ticket = _begin(request, number, "merge")
    try:
        into = ticket_for(user, payload.into.strip().upper())
    except Ticket.DoesNotExist:
        raise ValidationError({"into": _("No ticket with that number that you may open.")}) from None
    ts.ticket_merge(ticket=ticket, into=into, actor=user)
    return ticket_reread(user, ticket)


@api.post(
    "/v1/tickets/{number}/follow-up", response=ACTION_RESPONSES, tags=TAGS, operation_id="ticket_follow_up"
)
def follow_up(request: HttpRequest, number: str, payload: FollowUpIn) -> dict[str, Any]:
    """CLS-2: record the satisfaction follow-up; stops the follow-up clock."""
    user, ticket = _begin(request, number, "follow_up")
    ts.follow_up_record(
        ticket=ticket,
        actor=user,
        method=payload.method,
        fully_solved=payload.fully_solved,
        score=payload.score,
        comments=payload.comments,
    )
    return ticket_reread(user, ticket)


@api.post(
    "/v1/tickets/{number}/finalize", response=ACTION_RESPONSES, tags=TAGS, operation_id="ticket_finalize"
)
def finalize(request: HttpRequest, number: str) -> dict[str, Any]:
    """CLS-3: the closed ticket's service record checked and finalised (within 24 hours)."""
    user, ticket = _begin(request, number, "finalize")
    ts.record_finalize(ticket=ticket, actor=user)
    return ticket_reread(user, ticket)


@api.post(
    "/v1/tickets/{number}/interactions",
    response={201: InteractionOut, **error_responses(400, 401, 403, 404, 409, 413, 422, 429)},
    tags=TAGS,
    operation_id="interaction_add",
)
def interaction_add(request: HttpRequest, number: str, payload: InteractionIn) -> Status[dict[str, Any]]:
    """Staff record an interaction (any kind/direction); a customer writes to us (as in the portal:
    `kind`/`direction`/`occurred_at` are ignored, a reply to a resolved ticket reopens it)."""
    user = user_of(request)
    ticket = ticket_for(user, number)
    if user.customer_id:
        ticket_actions.action_check(user=user, ticket=ticket, name="reply")
        i = portal_services.portal_reply(user=user, ticket=ticket, body=payload.body)
    else:
        ticket_actions.action_check(user=user, ticket=ticket, name="note")
        i = ts.interaction_add(
            ticket=ticket,
            actor=user,
            body=payload.body,
            kind=payload.kind,
            direction=payload.direction,
            occurred_at=payload.occurred_at,
        )
    return Status(201, interaction_out(i))


@api.post(
    "/v1/tickets/{number}/onsite-visits",
    response={201: InteractionOut, **error_responses(400, 401, 403, 404, 409, 413, 422, 429)},
    tags=TAGS,
    operation_id="onsite_visit_add",
)
def onsite_visit_add(request: HttpRequest, number: str, payload: OnsiteVisitIn) -> Status[dict[str, Any]]:
    """Record an on-site visit (CLS-3): content, start and end, place, staff, and the customer's
    confirmation or signature text; a signed-off visit is the customer's confirmation for closing."""
    user = user_of(request)
    if user.customer_id or not user.has_perm("tickets.add_interaction"):
        raise PermissionDenied
    ticket = ticket_for(user, number)
    i = ts.onsite_visit_record(
        ticket=ticket,
        actor=user,
        content=payload.content,
        started_at=payload.started_at,
        ended_at=payload.ended_at,
        place=payload.place,
        staff=payload.staff,
        customer_confirmation=payload.customer_confirmation,
    )
    return Status(201, interaction_out(i))


@api.get(
    "/v1/tickets/{number}/interactions",
    response={200: list[InteractionOut], **error_responses(401, 403, 404, 422, 429)},
    tags=["tickets"],
    operation_id="interaction_list",
)
def interaction_list(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    user = user_of(request)
    ticket = ticket_for(user, number)
    return [interaction_out(i) for i in ticket_selectors.interactions_for(user=user, ticket=ticket)]


# --- the deprecated generic alias ---------------------------------------------------------------

OldAction = Literal[
    "triage",
    "assign",
    "acknowledge",
    "start",
    "wait_customer",
    "resolve",
    "close",
    "reopen",
    "cancel",
    "merge",
    "offer_options",
    "choose_option",
]


def _parse(schema: type[pydantic.BaseModel], data: dict[str, Any]) -> Any:
    try:
        return schema.model_validate(data)
    except pydantic.ValidationError as exc:
        raise NinjaValidationError(
            [{**e, "loc": ("body", "payload", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None


def _alias_calls(p: TransitionIn) -> dict[str, Callable[[HttpRequest, str], Any]]:
    d = p.dict()
    return {
        "triage": lambda r, n: triage(r, n, _parse(TriageIn, d)),
        "assign": lambda r, n: assign(r, n, _parse(AssignIn, d)),
        "acknowledge": lambda r, n: acknowledge(r, n),
        "start": lambda r, n: start(r, n),
        "wait_customer": lambda r, n: wait(r, n, _parse(ReasonIn, d)),
        "resolve": lambda r, n: resolve(r, n, _parse(ResolveIn, {**d, "summary": p.reason})),
        "close": lambda r, n: close(r, n, _parse(CloseIn, {**d, "reason": p.close_reason})),
        "reopen": lambda r, n: reopen(r, n, _parse(ReopenIn, d)),
        "cancel": lambda r, n: cancel(r, n, _parse(ReasonIn, d)),
        "merge": lambda r, n: merge(r, n, _parse(MergeIn, d)),
        "offer_options": lambda r, n: options(r, n, _parse(OptionsIn, d)),
        "choose_option": lambda r, n: choose(r, n, _parse(ChooseIn, d)),
    }


@api.post(
    "/v1/tickets/{number}/transitions",
    response=ACTION_RESPONSES,
    tags=TAGS,
    operation_id="ticket_transition",
    deprecated=True,
)
def ticket_transition(request: HttpRequest, number: str, payload: TransitionIn) -> dict[str, Any]:
    """Deprecated: use the operation of the action (POST /tickets/{number}/triage, /assign, …).
    Dispatches `action` to that operation, with the same checks and errors (`wait_customer` =
    /wait, `offer_options` = /options, `choose_option` = /choose)."""
    result: dict[str, Any] = _alias_calls(payload)[payload.action](request, number)
    return result
