"""The ticket page: what it shows, the routing suggestion and attachment downloads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from herdesk.attachments.choices import ACCEPT
from herdesk.attachments.models import Attachment
from herdesk.attachments.selectors import attachment_for_download, attachments_for
from herdesk.attachments.services import attachment_path
from herdesk.clocks.models import Clock, ClockState
from herdesk.complaints.selectors import complaint_for_ticket
from herdesk.notifications import customer_notices
from herdesk.savedviews.selectors import saved_replies_for
from herdesk.staff.models import Team
from herdesk.tickets.choices import Channel, InteractionKind, Status
from herdesk.tickets.models import Ticket
from herdesk.tickets.selectors import ticket_get
from herdesk.triage.selectors import triage_panel

from .. import forms, routing, selectors
from .common import (
    _page,
    staff_required,
)


def _ticket_or_404(user: Any, number: str) -> Ticket:
    try:
        return ticket_get(user=user, number=number[:32])
    except Ticket.DoesNotExist:
        raise Http404


def _live_clocks(ticket: Ticket, now: datetime) -> list[Clock]:
    return list(
        Clock.objects.filter(
            ticket=ticket,
            state__in=(ClockState.RUNNING, ClockState.PAUSED),
            stopped_at__isnull=True,
            due_at__gt=now,
        ).order_by("due_at")
    )


def _progress_kind(t: Ticket) -> str:
    """Answer the way the customer wrote: an email ticket's update goes out by email (sent)."""
    if preferred := customer_notices.preferred_progress_kind(t):  # the customer's chosen channel
        return preferred
    if t.channel in (Channel.EMAIL, Channel.EMAIL_OTHER):
        return InteractionKind.EMAIL
    if t.channel == Channel.WECHAT:
        return InteractionKind.WECHAT
    return InteractionKind.PHONE_CALL


def _ticket_forms(request: HttpRequest, data: selectors.TicketPageData, now: datetime) -> dict[str, Any]:
    t = data.ticket
    tier = t.customer.tier
    # INT-6: an untriaged ticket's form starts from the automatic classification (unless it abstained).
    panel = triage_panel(ticket=t) if t.status == Status.NEW else None
    problem_type = panel.problem_type if panel is not None and not panel.abstained else t.problem_type
    suggestion = routing.suggest_route(problem_type=problem_type, complexity=t.complexity, tier=tier)
    team = Team.objects.filter(code=suggestion.team_code).first()
    offered = [o for o in data.options if o.offered_at and not o.chosen_at]
    return {
        "triage": forms.TriageForm(
            prefix="triage",
            initial={
                "problem_type": problem_type,
                "category": t.category_id,
                "complexity": t.complexity,
                "priority": t.priority,
                # A food-safety report suggests a major complaint (#15; CMP-2's 5-working-day clock).
                "complaint_severity": t.complaint_severity
                or ("major" if panel is not None and panel.food_safety else ""),
                "team": team.pk if team else None,
                "expected_response_minutes": suggestion.expected_response_minutes
                or routing.ACKNOWLEDGE_MINUTES,
            },
        ),
        "answer_close": forms.AnswerCloseForm(prefix="answer_close"),
        "transfer": forms.TransferForm(prefix="transfer", initial={"team": t.team_id}),
        "options": forms.OptionFormSet(prefix="options"),
        "choose": forms.ChooseOptionForm(prefix="choose", options=offered),
        "progress": forms.ProgressForm(prefix="progress", initial={"kind": _progress_kind(t)}),
        "note": forms.NoteForm(prefix="note"),
        "renegotiate": forms.RenegotiateForm(prefix="renegotiate", clocks=_live_clocks(t, now)),
        "wait": forms.ReasonForm(prefix="wait"),
        "resolve": forms.ResolveForm(prefix="resolve"),
        "close": forms.CloseForm(prefix="close"),
        "reopen": forms.ReasonForm(prefix="reopen"),
        "cancel": forms.ReasonForm(prefix="cancel"),
        "merge": forms.MergeForm(prefix="merge"),
        "follow_up": forms.FollowUpForm(prefix="follow_up"),
        "attach": forms.AttachmentForm(prefix="attach"),
        "suggestion": suggestion,
        "triage_panel": panel,
        "suggested_team": team,
    }


def _render_ticket(
    request: HttpRequest,
    number: str,
    *,
    bound: dict[str, Any] | None = None,
    open_panel: str = "",
    status: int = 200,
) -> HttpResponse:
    user: Any = request.user
    now = timezone.now()
    try:
        data = selectors.ticket_page(user=user, number=number[:32], now=now)
    except Ticket.DoesNotExist:
        raise Http404
    ticket_forms = _ticket_forms(request, data, now)
    ticket_forms.update(bound or {})
    replies = list(saved_replies_for(user=user, problem_type=data.ticket.problem_type))
    return _page(
        request,
        "workspace/ticket.html",
        {
            "d": data,
            "t": data.ticket,
            "forms": ticket_forms,
            "open_panel": open_panel,
            "now": now,
            "attachments": list(attachments_for(user=user, ticket=data.ticket)),
            "accept": ACCEPT,
            "saved_replies": replies,
            "saved_replies_map": {str(r.pk): r.body for r in replies},
            # CMP-1: a complaint ticket links to its complaint page (workflow, RCA, CAPA), if visible.
            "complaint": complaint_for_ticket(user=user, ticket=data.ticket),
        },
        status=status,
    )


@staff_required
@require_GET
def ticket_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _render_ticket(request, number)


@staff_required
@require_GET
def route_suggestion(request: HttpRequest, number: str) -> HttpResponse:
    """htmx: the routing suggestion for the triage form's current values (INT-5)."""
    ticket = _ticket_or_404(request.user, number)
    g = request.GET
    suggestion = routing.suggest_route(
        problem_type=g.get("triage-problem_type") or ticket.problem_type,
        complexity=g.get("triage-complexity") or ticket.complexity,
        tier=ticket.customer.tier,
    )
    team = Team.objects.filter(code=suggestion.team_code).first()
    return render(
        request,
        "workspace/partials/route_suggestion.html",
        {"suggestion": suggestion, "suggested_team": team},
    )


@staff_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Serve a file only to someone who may see its ticket, always as a download (never inline)."""
    try:
        attachment = attachment_for_download(user=request.user, pk=pk)
        path = attachment_path(attachment)
        handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    except (Attachment.DoesNotExist, FileNotFoundError):
        raise Http404
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
