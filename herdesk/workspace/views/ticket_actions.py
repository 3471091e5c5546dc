"""Every action on the ticket page through ONE dispatcher.

`TICKET_ACTIONS` is the table: action name → the form that parses its input, the service call
that performs it, the permission it needs and the message shown when it is done. The lifecycle
(selectors.available_actions) decides whether the action is possible now; the service checks
again on submit. Adding an action is one row here and one panel in ticket.html.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django import forms as djforms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm, BaseFormSet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from herdesk.attachments.services import attachment_add
from herdesk.clocks.services import clock_renegotiate
from herdesk.common.errors import DomainError
from herdesk.mail.services import email_reply_send
from herdesk.sms.services import sms_progress_send
from herdesk.tickets import services as ts
from herdesk.tickets.choices import Direction, InteractionKind
from herdesk.tickets.models import Ticket
from herdesk.tickets.selectors import ticket_get
from herdesk.wechat.services import wechat_reply_send

from .. import actions, forms, routing, selectors
from ..templatetags.workspace_tags import local_name
from .common import _apply_errors, staff_required
from .ticket_page import _live_clocks, _render_ticket, _ticket_or_404

AnyForm = BaseForm | BaseFormSet


@dataclass(frozen=True)
class Step:
    """One submitted action: who, on which ticket, when, and the validated input."""

    request: HttpRequest
    ticket: Ticket
    now: datetime
    form: AnyForm

    @property
    def actor(self) -> Any:
        return self.request.user

    @property
    def data(self) -> dict[str, Any]:
        return cast(dict[str, Any], getattr(self.form, "cleaned_data", {}))


class NoInput(djforms.Form):
    """Actions that are one button (take, acknowledge, start, finalise): nothing to parse."""


@dataclass(frozen=True)
class TicketAction:
    run: Callable[[Step], Any]  # calls the owning service; raises ValidationError / DomainError
    done: str | Promise  # the success message
    form: Callable[..., AnyForm] = NoInput
    # Extra keyword arguments the form needs (offered options, live clocks), from the ticket.
    form_kwargs: Callable[[Ticket, datetime], dict[str, Any]] | None = None
    permission: str = "tickets.change_ticket"
    files: bool = False

    def bind(self, name: str, request: HttpRequest, ticket: Ticket, now: datetime) -> AnyForm:
        if self.form is NoInput:
            return NoInput({})
        args: list[Any] = [request.POST, request.FILES] if self.files else [request.POST]
        extra = self.form_kwargs(ticket, now) if self.form_kwargs else {}
        return self.form(*args, prefix=name, **extra)


# A progress update "by email / SMS / WeChat" is sent, not only recorded (HND-6): each channel's
# service puts it on the timeline and in the outbox in one transaction; a ticket without an address
# on that channel gets the service's message on the form and nothing is recorded as sent.
PROGRESS_SENDERS: dict[str, Callable[..., Any]] = {
    InteractionKind.EMAIL: email_reply_send,
    InteractionKind.SMS: sms_progress_send,
    InteractionKind.WECHAT: lambda *, at, **kw: wechat_reply_send(now=at, **kw),
}


def _progress(s: Step) -> Any:
    body, kind = s.data["body"], s.data["kind"]
    send = PROGRESS_SENDERS.get(kind)
    if send is not None:
        return send(ticket=s.ticket, actor=s.actor, body=body, at=s.now)
    # A phone call or an on-site visit that happened: recorded.
    return ts.interaction_add(
        ticket=s.ticket,
        actor=s.actor,
        body=body,
        kind=kind,
        direction=Direction.OUTBOUND,
        is_public=True,
        occurred_at=s.now,
        data={"progress_update": True},
    )


def _renegotiate(s: Step) -> Any:
    clock = next(c for c in _live_clocks(s.ticket, s.now) if c.pk == s.data["clock"])
    return clock_renegotiate(
        clock=clock, actor=s.actor, new_due_at=s.data["new_due_at"], reason=s.data["reason"], at=s.now
    )


def _merge(s: Step) -> Any:
    try:
        into = ticket_get(user=s.actor, number=s.data["into"].strip().upper())
    except Ticket.DoesNotExist:
        raise ValidationError({"into": _("No ticket with that number that you may open.")})
    return ts.ticket_merge(ticket=s.ticket, into=into, actor=s.actor, at=s.now)


def _attach(s: Step) -> Any:
    upload = s.data["file"]
    return attachment_add(
        ticket=s.ticket,
        actor=s.actor,
        upload=upload,
        name=upload.name,
        is_public=s.data["is_public"],
        at=s.now,
    )


def _offered(t: Ticket, now: datetime) -> dict[str, Any]:
    return {"options": list(t.options.filter(offered_at__isnull=False, chosen_at__isnull=True))}


def _clocks(t: Ticket, now: datetime) -> dict[str, Any]:
    return {"clocks": _live_clocks(t, now)}


TICKET_ACTIONS: dict[str, TicketAction] = {
    "triage": TicketAction(
        form=forms.TriageForm,
        run=lambda s: actions.triage_and_route(
            ticket=s.ticket,
            actor=s.actor,
            problem_type=s.data["problem_type"],
            category=s.data["category"],
            complexity=s.data["complexity"],
            priority=s.data["priority"],
            team=s.data["team"],
            assignee=s.data["assignee"],
            reason=s.data["reason"],
            requirement=s.data["requirement"],
            expected_response_minutes=s.data["expected_response_minutes"],
            complaint_severity=s.data.get("complaint_severity", ""),
            at=s.now,
        ),
        done=gettext_lazy("Triaged and routed."),
    ),
    "answer_close": TicketAction(
        form=forms.AnswerCloseForm,
        run=lambda s: actions.answer_and_close(ticket=s.ticket, actor=s.actor, body=s.data["body"], at=s.now),
        done=gettext_lazy("Answered and closed."),
    ),
    "take": TicketAction(
        run=lambda s: ts.ticket_assign(
            ticket=s.ticket,
            actor=s.actor,
            assignee=s.actor,
            team=s.ticket.team or s.actor.team,
            reason=_("Taken from the queue"),
            expected_response_minutes=routing.ACKNOWLEDGE_MINUTES,
            at=s.now,
        ),
        done=gettext_lazy("The ticket is yours now. Acknowledge it within 15 minutes."),
    ),
    "acknowledge": TicketAction(
        run=lambda s: ts.ticket_acknowledge(ticket=s.ticket, actor=s.actor, at=s.now),
        done=gettext_lazy("Acknowledged (查收确认)."),
    ),
    "start": TicketAction(
        run=lambda s: ts.ticket_start(ticket=s.ticket, actor=s.actor, at=s.now),
        done=gettext_lazy("Work started."),
    ),
    "transfer": TicketAction(
        form=forms.TransferForm,
        run=lambda s: ts.ticket_assign(
            ticket=s.ticket,
            actor=s.actor,
            assignee=s.data["assignee"],
            team=s.data["team"],
            reason=s.data["reason"],
            requirement=s.data["requirement"],
            expected_response_minutes=s.data["expected_response_minutes"],
            at=s.now,
        ),
        done=gettext_lazy("Transferred."),
    ),
    "options": TicketAction(
        form=forms.OptionFormSet,
        run=lambda s: ts.solution_options_offer(
            ticket=s.ticket,
            actor=s.actor,
            options=[dict(o) for o in cast(forms.BaseOptionFormSet, s.form).options()],
            at=s.now,
        ),
        done=gettext_lazy("Solution options offered to the customer."),
    ),
    "choose": TicketAction(
        form=forms.ChooseOptionForm,
        form_kwargs=_offered,
        run=lambda s: actions.option_choice_record(
            ticket=s.ticket, actor=s.actor, position=s.data["position"], via=s.data["via"], at=s.now
        ),
        done=gettext_lazy("The customer's choice is recorded."),
    ),
    "progress": TicketAction(
        form=forms.ProgressForm,
        run=_progress,
        done=gettext_lazy("Progress update recorded (by email, SMS or WeChat: sent to the customer)."),
    ),
    "note": TicketAction(
        form=forms.NoteForm,
        run=lambda s: ts.interaction_add(
            ticket=s.ticket,
            actor=s.actor,
            body=s.data["body"],
            kind=InteractionKind.INTERNAL_NOTE,
            direction=Direction.INTERNAL,
            is_public=False,
            occurred_at=s.now,
        ),
        done=gettext_lazy("Internal note added."),
        permission="tickets.add_interaction",  # QA and managers may annotate, not handle
    ),
    "renegotiate": TicketAction(
        form=forms.RenegotiateForm,
        form_kwargs=_clocks,
        run=_renegotiate,
        done=gettext_lazy("New expected time recorded; the customer is notified."),
    ),
    "wait": TicketAction(
        form=forms.ReasonForm,
        run=lambda s: ts.ticket_wait_customer(
            ticket=s.ticket, actor=s.actor, reason=s.data["reason"], at=s.now
        ),
        done=gettext_lazy("Waiting for the customer; the resolution clock is paused."),
    ),
    "resolve": TicketAction(
        form=forms.ResolveForm,
        run=lambda s: ts.ticket_resolve(
            ticket=s.ticket,
            actor=s.actor,
            verification_method=s.data["verification_method"],
            summary=s.data["summary"],
            at=s.now,
        ),
        done=gettext_lazy("Resolved; waiting for the customer's verification."),
    ),
    "close": TicketAction(
        form=forms.CloseForm,
        run=lambda s: ts.ticket_close(
            ticket=s.ticket,
            actor=s.actor,
            reason=s.data["reason"],
            evidence=s.data["evidence"],
            confirmed_at=s.data.get("confirmed_at"),
            at=s.now,
        ),
        done=gettext_lazy("Closed."),
    ),
    "reopen": TicketAction(
        form=forms.ReasonForm,
        run=lambda s: ts.ticket_reopen(ticket=s.ticket, actor=s.actor, reason=s.data["reason"], at=s.now),
        done=gettext_lazy("Reopened."),
    ),
    "cancel": TicketAction(
        form=forms.ReasonForm,
        run=lambda s: ts.ticket_cancel(ticket=s.ticket, actor=s.actor, reason=s.data["reason"], at=s.now),
        done=gettext_lazy("Cancelled."),
    ),
    "merge": TicketAction(form=forms.MergeForm, run=_merge, done=gettext_lazy("Merged.")),
    "attach": TicketAction(
        form=forms.AttachmentForm, files=True, run=_attach, done=gettext_lazy("Attachment added.")
    ),
    "follow_up": TicketAction(
        form=forms.FollowUpForm,
        run=lambda s: ts.follow_up_record(
            ticket=s.ticket,
            actor=s.actor,
            method=s.data["method"],
            fully_solved=s.data["fully_solved"],
            score=s.data["score"],
            comments=s.data["comments"],
            at=s.now,
        ),
        done=gettext_lazy("Satisfaction follow-up recorded."),
    ),
    "finalize": TicketAction(
        run=lambda s: ts.record_finalize(ticket=s.ticket, actor=s.actor, at=s.now),
        done=gettext_lazy("Service record finalised."),
    ),
}


def perform(name: str, request: HttpRequest, ticket: Ticket, now: datetime) -> AnyForm | None:
    """Validate the action's input and call its service. Returns None when done, otherwise the
    form carrying the errors (the service's ValidationError / DomainError mapped onto it)."""
    spec = TICKET_ACTIONS[name]
    form = spec.bind(name, request, ticket, now)
    if not form.is_valid():
        return form
    try:
        spec.run(Step(request=request, ticket=ticket, now=now, form=form))
    except (ValidationError, DomainError) as exc:
        _apply_errors(form, exc)
        return form
    return None


@staff_required
@require_POST
def ticket_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """One POST endpoint for every action; the role and the lifecycle decide whether it is offered."""
    spec = TICKET_ACTIONS.get(action)
    if spec is None:
        raise Http404
    user: Any = request.user
    if not user.has_perm(spec.permission):
        raise PermissionDenied
    ticket = _ticket_or_404(user, number)
    if action not in selectors.available_actions(user=user, ticket=ticket):
        messages.error(
            request,
            _("This action is not possible while the ticket is “%(s)s”.")
            % {"s": ticket.get_status_display()},
        )
        return _render_ticket(request, number, status=409)
    form = perform(action, request, ticket, timezone.now())
    if form is None:
        messages.success(request, str(spec.done))
        try:
            ticket_get(user=user, number=ticket.number)
        except Ticket.DoesNotExist:
            # Triage or a transfer handed it to a team this user does not see: back to the queue
            # with a word on where it went, not a 404 on the page they were just working on.
            moved = Ticket.objects.select_related("team").get(pk=ticket.pk)
            messages.info(
                request,
                _("%(n)s is now with %(team)s.") % {"n": moved.number, "team": local_name(moved.team) or "—"},
            )
            return redirect(reverse("workspace:queue", kwargs={"queue": "mine"}))
        return redirect(reverse("workspace:ticket", kwargs={"number": ticket.number}) + f"#{action}")
    if isinstance(form, NoInput):
        # A one-button action has no panel to show its errors in: say why it was refused.
        for err in form.non_field_errors():
            messages.error(request, str(err))
        return _render_ticket(request, number, status=400)
    messages.error(request, _("Please correct the marked fields."))
    return _render_ticket(request, number, bound={action: form}, open_panel=action, status=400)
