"""Staff workspace pages. Views are thin: parse a form, call a selector or a service (or one
workspace.actions step), show the result. Domain and validation errors become form errors and
messages with a 4xx status, never a 500."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm, BaseFormSet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from herdesk.attachments.choices import ACCEPT
from herdesk.attachments.models import Attachment
from herdesk.attachments.selectors import attachment_for_download, attachments_for
from herdesk.attachments.services import attachment_add, attachment_path
from herdesk.catalog.models import Product
from herdesk.clocks.models import Clock, ClockState
from herdesk.clocks.selectors import compliance_summary
from herdesk.clocks.services import clock_renegotiate
from herdesk.common.errors import DomainError
from herdesk.customers.models import Customer
from herdesk.mail.services import email_reply_send
from herdesk.notifications import customer_notices
from herdesk.savedviews.choices import Queue
from herdesk.savedviews.selectors import saved_replies_for, savedviews_for
from herdesk.savedviews.services import savedview_delete, savedview_save
from herdesk.sms.services import sms_progress_send
from herdesk.staff.models import Team
from herdesk.staff.roles import ROLES
from herdesk.staff.selectors import user_role
from herdesk.tickets import services as ts
from herdesk.tickets.choices import Channel, Direction, InteractionKind, ProblemType
from herdesk.tickets.models import Ticket
from herdesk.tickets.selectors import ticket_get, tickets_visible_to
from herdesk.wechat.services import wechat_reply_send

from . import actions, forms, intake, routing, selectors
from .templatetags.workspace_tags import local_name

PORTAL_URL = "/portal/"
QUEUE_ICONS = {
    Queue.MINE: "user",
    Queue.TEAM: "users",
    Queue.UNASSIGNED: "user-x",
    Queue.TO_ACKNOWLEDGE: "user-check",
    Queue.SOON: "zap",
    Queue.BREACHED: "x-octagon",
    Queue.WAITING: "pause-circle",
    Queue.ALL: "layers",
}


def staff_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Login required; customers (portal accounts) are sent to the portal, never shown staff pages."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if getattr(request.user, "customer_id", None):
            return redirect(PORTAL_URL)
        return view(request, *args, **kwargs)

    return wrapper


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# Queue counts are badges: a few seconds old is fine, and at a million tickets they are the most
# expensive query of a page. They are loaded after the page (htmx) and kept this long per user.
COUNTS_CACHE_SECONDS = 20


def _queues_shown(user: Any) -> list[Queue]:
    """The queues this role works with (navigation by role)."""
    handler = user.has_perm("tickets.change_ticket")
    sees_all = user.has_perm("tickets.view_all_tickets")
    return [
        q
        for q in Queue
        if not (q in (Queue.MINE, Queue.TO_ACKNOWLEDGE) and not handler)
        and not (q == Queue.TEAM and not user.team_id)
        and not (q == Queue.ALL and not sees_all)
    ]


def _nav_queues(user: Any, counts: dict[str, int] | None) -> list[dict[str, Any]]:
    """The queues this role works with, with counts when known."""
    # One reverse() for the whole list (queue codes are slugs: nothing to quote); the sidebar is on
    # every page and its counts are refreshed every minute (issue 4).
    head, _marker, tail = reverse("workspace:queue", args=["QUEUE0MARKER"]).partition("QUEUE0MARKER")
    shown = []
    for q in _queues_shown(user):
        count = None if counts is None else counts.get(q.value, 0)
        # Counts are capped (selectors.COUNT_CAP): beyond it the badge says "999+".
        label = (
            "" if count is None else f"{selectors.COUNT_CAP}+" if count > selectors.COUNT_CAP else str(count)
        )
        shown.append(
            {
                "code": q.value,
                "url": f"{head}{q.value}{tail}",
                "label": q.label,
                "icon": QUEUE_ICONS[q],
                "count": count,
                "count_label": label,
            }
        )
    return shown


def counts_cache_key(user: Any) -> str:
    return f"workspace:counts:{user.pk}"


def _counts(user: Any) -> dict[str, int]:
    key = counts_cache_key(user)
    counts = cache.get(key)
    if counts is None:
        # Only the queues the sidebar shows: an agent's "all open" count walked ~1,000 tickets for
        # a badge nobody sees.
        counts = selectors.queue_counts(user=user, queues=[q.value for q in _queues_shown(user)])
        cache.set(key, counts, COUNTS_CACHE_SECONDS)
    return counts


def _nav(request: HttpRequest, now: datetime) -> dict[str, Any]:
    """What the sidebar offers this user; the counts follow through `queue_counts_fragment`."""
    user: Any = request.user
    role = user_role(user)
    return {
        "nav_queues": _nav_queues(user, None),
        "nav_saved_views": list(savedviews_for(user=user)),
        "nav_can_intake": user.has_perm("tickets.add_ticket"),
        "nav_supervisor": user.has_perm("tickets.view_all_tickets"),
        "nav_reports": user.has_perm("tickets.view_reports"),
        "nav_admin": bool(user.is_staff),
        "nav_role": ROLES.get(role, {}).get("label", role),
        "now": now,
    }


@staff_required
@require_GET
def queue_counts_fragment(request: HttpRequest) -> HttpResponse:
    """htmx: the sidebar's queue list with counts (refreshed every minute by the page)."""
    active = (request.GET.get("active") or "")[:20]
    return render(
        request,
        "workspace/partials/nav_queues.html",
        {"nav_queues": _nav_queues(request.user, _counts(request.user)), "active": active},
    )


def _page(request: HttpRequest, template: str, ctx: dict[str, Any], status: int = 200) -> HttpResponse:
    now = ctx.get("now") or timezone.now()
    return render(request, template, {**_nav(request, now), **ctx, "now": now}, status=status)


def _apply_errors(form: BaseForm | BaseFormSet, exc: Exception) -> None:
    """Put a service's ValidationError / DomainError onto the form that caused it."""
    target = form.forms[0] if isinstance(form, BaseFormSet) and form.forms else form
    if isinstance(exc, DomainError):
        target.add_error(None, exc.message)  # type: ignore[union-attr]
        return
    assert isinstance(exc, ValidationError)
    if hasattr(exc, "error_dict"):
        for key, errs in exc.message_dict.items():
            fields = getattr(target, "fields", {})
            if key in fields:
                target.add_error(key, errs)  # type: ignore[union-attr]
            else:
                # Service keys such as "options[2].checks" name an option; other keys are not shown.
                m = re.match(r"options\[(\d+)\]", key)
                prefix = (_("Option %(n)s") % {"n": m.group(1)} + ": ") if m else ""
                target.add_error(None, [prefix + e for e in errs])  # type: ignore[union-attr]
    else:
        target.add_error(None, exc.messages)  # type: ignore[union-attr]


# ---------------------------------------------------------------- home, queues


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.has_perm("tickets.change_ticket"):
        return redirect("workspace:queue", queue=Queue.MINE)
    return redirect(
        "workspace:queue", queue=Queue.ALL if user.has_perm("tickets.view_all_tickets") else Queue.UNASSIGNED
    )


@staff_required
@require_GET
def queue(request: HttpRequest, queue: str) -> HttpResponse:
    if queue not in Queue.values:
        raise Http404
    user: Any = request.user
    now = timezone.now()
    supervisor = user.has_perm("tickets.view_all_tickets")
    params = request.GET.copy()
    cursor = params.pop("cursor", [""])[0]
    shared: forms.SharedChoices = {}  # the filter and bulk-reassign forms list the same staff
    filter_form = forms.QueueFilterForm(params or None, supervisor=supervisor, shared=shared)
    filters = filter_form.active()
    if queue in selectors.CLOCK_QUEUES:
        page = selectors.queue_clocks(user=user, queue=queue, filters=filters, after=cursor or None, now=now)
    else:
        before = int(cursor) if cursor.isdigit() else None
        page = selectors.queue_tickets(user=user, queue=queue, filters=filters, before=before)
    ctx = {
        "active": queue,
        "queue": queue,
        "queue_label": Queue(queue).label,
        "page": page,
        "filter_form": filter_form,
        "filter_params": filter_form.as_params(),
        "now": now,
        "can_reassign": user.has_perm("tickets.reassign_ticket"),
    }
    if _is_htmx(request) and cursor:
        return render(request, "workspace/partials/queue_rows.html", ctx)
    ctx["saved_view_form"] = forms.SavedViewForm(initial={"queue": queue})
    if ctx["can_reassign"]:
        ctx["bulk_form"] = forms.BulkReassignForm(shared=shared)
    if filter_form.is_bound and filter_form.errors:
        messages.warning(request, _("Some filters were not understood and are ignored."))
    return _page(request, "workspace/queue.html", ctx)


@staff_required
@require_POST
def savedview_create(request: HttpRequest) -> HttpResponse:
    form = forms.SavedViewForm(request.POST)
    queue = request.POST.get("queue") or Queue.MINE
    params = {k: v for k, v in request.POST.items() if k.startswith("f_")}
    params = {k[2:]: v for k, v in params.items()}
    if form.is_valid():
        try:
            savedview_save(
                owner=request.user,
                name=form.cleaned_data["name"],
                queue=form.cleaned_data["queue"],
                params=params,
            )
            messages.success(request, _("View “%(name)s” saved.") % {"name": form.cleaned_data["name"]})
        except ValidationError as exc:
            for msg in exc.messages:
                messages.error(request, msg)
    else:
        for errs in form.errors.values():
            for err in errs:
                messages.error(request, str(err))
    target = reverse("workspace:queue", kwargs={"queue": queue if queue in Queue.values else Queue.MINE})
    return HttpResponseRedirect(target + ("?" + urlencode(params) if params else ""))


@staff_required
@require_POST
def savedview_remove(request: HttpRequest, pk: int) -> HttpResponse:
    savedview_delete(owner=request.user, pk=pk)
    messages.success(request, _("View deleted."))
    return redirect("workspace:home")


@staff_required
@require_POST
def bulk_reassign(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not user.has_perm("tickets.reassign_ticket"):
        raise PermissionDenied
    form = forms.BulkReassignForm(request.POST)
    numbers = [n.strip()[:32] for n in request.POST.getlist("tickets") if n.strip()]
    back = request.POST.get("back") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) or not back.startswith(
        "/"
    ):
        back = reverse("workspace:queue", kwargs={"queue": Queue.ALL})
    if not numbers:
        messages.error(request, _("Select at least one ticket."))
        return HttpResponseRedirect(back, status=303)
    if not form.is_valid():
        for field, errs in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for msg in errs:
                messages.error(request, f"{label}: {msg}" if label else str(msg))
        return HttpResponseRedirect(back, status=303)
    done, failed = actions.bulk_reassign(
        actor=user,
        numbers=numbers,
        team=form.cleaned_data["team"],
        assignee=form.cleaned_data["assignee"],
        reason=form.cleaned_data["reason"],
    )
    if done:
        messages.success(request, _("Reassigned %(n)d ticket(s).") % {"n": len(done)})
    for number, why in failed:
        messages.error(request, f"{number}: {why}")
    return HttpResponseRedirect(back, status=303)


@staff_required
@require_GET
def go(request: HttpRequest) -> HttpResponse:
    """Jump to a ticket by number (the search box in the top bar)."""
    number = (request.GET.get("q") or "").strip().upper()[:32]
    if number and tickets_visible_to(request.user).filter(number=number).exists():
        return redirect("workspace:ticket", number=number)
    messages.error(request, _("No ticket “%(n)s” that you may open.") % {"n": number})
    return redirect("workspace:home")


# ---------------------------------------------------------------- intake (INT-3, INT-7)


def _intake_context(request: HttpRequest, form: forms.IntakeForm, phone: str) -> dict[str, Any]:
    user = request.user
    profiles, lookup_error = _lookup(user, phone)
    labels = {str(k): str(v) for k, v in ProblemType.choices}
    products = {str(p.pk): local_name(p) for p in Product.objects.filter(is_active=True)}
    return {
        "active": "intake",
        "form": form,
        "greeting": intake.greeting(),
        "checklist": intake.CHECKLIST,
        "profiles": profiles,
        "lookup_error": lookup_error,
        "phone": phone,
        "selected_customer": str(form["customer_id"].value() or ""),
        "auto_select": not form.is_bound,
        "intake_js": json.dumps(
            {
                "types": labels,
                "products": products,
                "readback": intake.readback_templates(),
                "needsProduct": sorted(intake.NEEDS_PRODUCT),
                "needsOrder": sorted(intake.NEEDS_ORDER),
                "needsEither": sorted(intake.NEEDS_PRODUCT_OR_ORDER),
            },
            ensure_ascii=False,
        ),
    }


def _lookup(user: Any, phone: str) -> tuple[list[selectors.CallerProfile], str]:
    phone = (phone or "").strip()[:40]
    if not phone:
        return [], ""
    try:
        return selectors.caller_lookup(user=user, phone=phone), ""
    except ValidationError as exc:
        return [], exc.messages[0]


@staff_required
def intake_page(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not user.has_perm("tickets.add_ticket"):
        raise PermissionDenied
    if request.method != "POST":
        form = forms.IntakeForm(
            initial={
                "call_started_at": timezone.now().isoformat(timespec="seconds"),
                "phone": request.GET.get("phone", ""),
            }
        )
        return _page(
            request, "workspace/intake.html", _intake_context(request, form, request.GET.get("phone", ""))
        )
    customer = None
    raw_id = (request.POST.get("customer_id") or "").strip()
    if raw_id.isdigit():
        try:
            customer = selectors.customer_for_intake(user=user, pk=int(raw_id))
        except Customer.DoesNotExist:
            customer = None
    form = forms.IntakeForm(request.POST, customer=customer)
    if form.is_valid():
        d = form.cleaned_data
        product = d.get("product")
        readback = intake.readback_summary(
            type_label=str(ProblemType(d["problem_type"]).label),
            subject=d["subject"],
            product_label=local_name(product) if product else "",
            order_number=d.get("order_number", ""),
        )
        try:
            ticket = actions.intake_submit(
                actor=user,
                customer=customer,
                new_name=d.get("new_name", ""),
                phone=d.get("phone", ""),
                region=d.get("region", ""),
                channel=d["channel"],
                call_started_at=d["call_started_at"],
                problem_type=d["problem_type"],
                subject=d["subject"],
                description=d.get("description", ""),
                product=product,
                order_number=d.get("order_number", ""),
                priority=d["priority"],
                complexity=d["complexity"],
                readback=readback,
            )
        except (ValidationError, DomainError) as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request, _("Ticket %(n)s created. Triage it now (within 3 minutes).") % {"n": ticket.number}
            )
            return redirect(reverse("workspace:ticket", kwargs={"number": ticket.number}) + "#triage")
    messages.error(request, _("The intake record is incomplete; see the marked fields."))
    return _page(
        request,
        "workspace/intake.html",
        _intake_context(request, form, request.POST.get("phone", "")),
        status=400,
    )


@staff_required
@require_GET
def intake_lookup(request: HttpRequest) -> HttpResponse:
    """htmx: the caller's profile and history by phone number (INT-7)."""
    user: Any = request.user
    if not user.has_perm("tickets.add_ticket"):
        raise PermissionDenied
    phone = request.GET.get("phone", "")
    profiles, error = _lookup(user, phone)
    return render(
        request,
        "workspace/partials/caller_results.html",
        {
            "profiles": profiles,
            "lookup_error": error,
            "phone": phone.strip()[:40],
            "selected_customer": request.GET.get("customer_id", ""),
            # A fresh look-up with one match pre-selects it; after a POST only the agent's choice counts.
            "auto_select": True,
        },
    )


# ---------------------------------------------------------------- the ticket page


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


def _ticket_forms(request: HttpRequest, data: selectors.TicketPageData, now: datetime) -> dict[str, Any]:
    t = data.ticket
    tier = t.customer.tier
    suggestion = routing.suggest_route(problem_type=t.problem_type, complexity=t.complexity, tier=tier)
    team = Team.objects.filter(code=suggestion.team_code).first()
    offered = [o for o in data.options if o.offered_at and not o.chosen_at]
    return {
        "triage": forms.TriageForm(
            prefix="triage",
            initial={
                "problem_type": t.problem_type,
                "category": t.category_id,
                "complexity": t.complexity,
                "priority": t.priority,
                "team": team.pk if team else None,
                "expected_response_minutes": suggestion.expected_response_minutes
                or routing.ACKNOWLEDGE_MINUTES,
            },
        ),
        "answer_close": forms.AnswerCloseForm(prefix="answer_close"),
        "transfer": forms.TransferForm(prefix="transfer", initial={"team": t.team_id}),
        "options": forms.OptionFormSet(prefix="options"),
        "choose": forms.ChooseOptionForm(prefix="choose", options=offered),
        # Answer the way the customer wrote: an email ticket's update goes out by email (sent).
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


# Each handler validates its form and calls a service; it returns the form (with errors) or None.
Handler = Callable[[HttpRequest, Ticket, datetime], "BaseForm | BaseFormSet | None"]


def _call(form: BaseForm | BaseFormSet, fn: Callable[[], Any]) -> BaseForm | BaseFormSet | None:
    try:
        fn()
    except (ValidationError, DomainError) as exc:
        _apply_errors(form, exc)
        return form
    return None


def _act_triage(request: HttpRequest, t: Ticket, now: datetime) -> BaseForm | None:
    form = forms.TriageForm(request.POST, prefix="triage")
    if not form.is_valid():
        return form
    d = form.cleaned_data
    return _call(
        form,
        lambda: actions.triage_and_route(
            ticket=t,
            actor=request.user,
            problem_type=d["problem_type"],
            category=d["category"],
            complexity=d["complexity"],
            priority=d["priority"],
            team=d["team"],
            assignee=d["assignee"],
            reason=d["reason"],
            requirement=d["requirement"],
            expected_response_minutes=d["expected_response_minutes"],
            at=now,
        ),
    )  # type: ignore[return-value]


def _act_answer_close(request: HttpRequest, t: Ticket, now: datetime) -> BaseForm | None:
    form = forms.AnswerCloseForm(request.POST, prefix="answer_close")
    if not form.is_valid():
        return form
    return _call(
        form,
        lambda: actions.answer_and_close(  # type: ignore[return-value]
            ticket=t, actor=request.user, body=form.cleaned_data["body"], at=now
        ),
    )


def _act_take(request: HttpRequest, t: Ticket, now: datetime) -> BaseForm | None:
    form = forms.ReasonForm({"reason": "-"})
    form.is_valid()
    return _call(
        form,
        lambda: ts.ticket_assign(  # type: ignore[return-value]
            ticket=t,
            actor=request.user,
            assignee=request.user,
            team=t.team or request.user.team,  # type: ignore[union-attr]
            reason=_("Taken from the queue"),
            expected_response_minutes=routing.ACKNOWLEDGE_MINUTES,
            at=now,
        ),
    )


def _act_acknowledge(request: HttpRequest, t: Ticket, now: datetime) -> BaseForm | None:
    form = forms.ReasonForm({"reason": "-"})
    form.is_valid()
    return _call(form, lambda: ts.ticket_acknowledge(ticket=t, actor=request.user, at=now))  # type: ignore[return-value]


def _act_start(request: HttpRequest, t: Ticket, now: datetime) -> BaseForm | None:
    form = forms.ReasonForm({"reason": "-"})
    form.is_valid()
    return _call(form, lambda: ts.ticket_start(ticket=t, actor=request.user, at=now))  # type: ignore[return-value]


def _act_transfer(request: HttpRequest, t: Ticket, now: datetime) -> BaseForm | None:
    form = forms.TransferForm(request.POST, prefix="transfer")
    if not form.is_valid():
        return form
    d = form.cleaned_data
    return _call(
        form,
        lambda: ts.ticket_assign(  # type: ignore[return-value]
            ticket=t,
            actor=request.user,
            assignee=d["assignee"],
            team=d["team"],
            reason=d["reason"],
            requirement=d["requirement"],
            expected_response_minutes=d["expected_response_minutes"],
            at=now,
        ),
    )


def _act_options(request: HttpRequest, t: Ticket, now: datetime) -> BaseFormSet | None:
    formset = forms.OptionFormSet(request.POST, prefix="options")
    if not formset.is_valid():
        return formset
    options = [dict(o) for o in cast(forms.BaseOptionFormSet, formset).options()]
    return _call(
        formset,
        lambda: ts.solution_options_offer(  # type: ignore[return-value]
            ticket=t, actor=request.user, options=options, at=now
        ),
    )


def _act_choose(request: HttpRequest, t: Ticket, now: datetime) -> BaseForm | None:
    offered = list(t.options.filter(offered_at__isnull=False, chosen_at__isnull=True))
    form = forms.ChooseOptionForm(request.POST, prefix="choose", options=offered)
    if not form.is_valid():
        return form
    return _call(
        form,
        lambda: actions.option_choice_record(  # type: ignore[return-value]
            ticket=t,
            actor=request.user,
            position=form.cleaned_data["position"],
            via=form.cleaned_data["via"],
            at=now,
        ),
    )


# A progress update "by email / SMS / WeChat" is sent, not only recorded (HND-6): each channel's
# service puts it on the timeline and in the outbox in one transaction; a ticket without an address
# on that channel gets the service's message on the form and nothing is recorded as sent.
PROGRESS_SENDERS: dict[str, Callable[..., Any]] = {
    InteractionKind.EMAIL: email_reply_send,
    InteractionKind.SMS: sms_progress_send,
    InteractionKind.WECHAT: lambda *, at, **kw: wechat_reply_send(now=at, **kw),
}


def _progress_kind(t: Ticket) -> str:
    if preferred := customer_notices.preferred_progress_kind(t):  # the customer's chosen channel
        return preferred
    if t.channel in (Channel.EMAIL, Channel.EMAIL_OTHER):
        return InteractionKind.EMAIL
    if t.channel == Channel.WECHAT:
        return InteractionKind.WECHAT
    return InteractionKind.PHONE_CALL


def _act_progress(request: HttpRequest, t: Ticket, now: datetime) -> BaseForm | None:
    form = forms.ProgressForm(request.POST, prefix="progress")
    if not form.is_valid():
        return form
    body, kind = form.cleaned_data["body"], form.cleaned_data["kind"]
    send = PROGRESS_SENDERS.get(kind)
    if send is not None:
        return _call(form, lambda: send(ticket=t, actor=request.user, body=body, at=now))  # type: ignore[return-value]
    return _call(  # a phone call or an on-site visit that happened: recorded
        form,
        lambda: ts.interaction_add(  # type: ignore[return-value]
            ticket=t,
            actor=request.user,
            body=body,
            kind=kind,
            direction=Direction.OUTBOUND,
            is_public=True,
            occurred_at=now,
            data={"progress_update": True},
        ),
    )


def _act_note(request: HttpRequest, t: Ticket, now: datetime) -> BaseForm | None:
    form = forms.NoteForm(request.POST, prefix="note")
    if not form.is_valid():
        return form
    return _call(
        form,
        lambda: ts.interaction_add(  # type: ignore[return-value]
            ticket=t,
            actor=request.user,
            body=form.cleaned_data["body"],
            kind=InteractionKind.INTERNAL_NOTE,
            direction=Direction.INTERNAL,
            is_public=False,
            occurred_at=now,
        ),
    )


def _act_renegotiate(request: HttpRequest, t: Ticket, now: datetime) -> BaseForm | None:
    clocks = _live_clocks(t, now)
    form = forms.RenegotiateForm(request.POST, prefix="renegotiate", clocks=clocks)
    if not form.is_valid():
        return form
    clock = next(c for c in clocks if c.pk == form.cleaned_data["clock"])
    return _call(
        form,
        lambda: clock_renegotiate(  # type: ignore[return-value]
            clock=clock,
            actor=request.user,
            new_due_at=form.cleaned_data["new_due_at"],
            reason=form.cleaned_data["reason"],
            at=now,
        ),
    )


def _act_wait(request: HttpRequest, t: Ticket, now: datetime) -> BaseForm | None:
    form = forms.ReasonForm(request.POST, prefix="wait")
    if not form.is_valid():
        return form
    return _call(
        form,
        lambda: ts.ticket_wait_customer(  # type: ignore[return-value]
            ticket=t, actor=request.user, reason=form.cleaned_data["reason"], at=now
        ),
    )


def _act_resolve(request: HttpRequest, t: Ticket, now: datetime) -> BaseForm | None:
    form = forms.ResolveForm(request.POST, prefix="resolve")
    if not form.is_valid():
        return form
    return _call(
        form,
        lambda: ts.ticket_resolve(  # type: ignore[return-value]
            ticket=t,
            actor=request.user,
            verification_method=form.cleaned_data["verification_method"],
            summary=form.cleaned_data["summary"],
            at=now,
        ),
    )


def _act_close(request: HttpRequest, t: Ticket, now: datetime) -> BaseForm | None:
    form = forms.CloseForm(request.POST, prefix="close")
    if not form.is_valid():
        return form
    return _call(
        form,
        lambda: ts.ticket_close(  # type: ignore[return-value]
            ticket=t,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            evidence=form.cleaned_data["evidence"],
            at=now,
        ),
    )


def _act_reopen(request: HttpRequest, t: Ticket, now: datetime) -> BaseForm | None:
    form = forms.ReasonForm(request.POST, prefix="reopen")
    if not form.is_valid():
        return form
    return _call(
        form,
        lambda: ts.ticket_reopen(  # type: ignore[return-value]
            ticket=t, actor=request.user, reason=form.cleaned_data["reason"], at=now
        ),
    )


def _act_cancel(request: HttpRequest, t: Ticket, now: datetime) -> BaseForm | None:
    form = forms.ReasonForm(request.POST, prefix="cancel")
    if not form.is_valid():
        return form
    return _call(
        form,
        lambda: ts.ticket_cancel(  # type: ignore[return-value]
            ticket=t, actor=request.user, reason=form.cleaned_data["reason"], at=now
        ),
    )


def _act_merge(request: HttpRequest, t: Ticket, now: datetime) -> BaseForm | None:
    form = forms.MergeForm(request.POST, prefix="merge")
    if not form.is_valid():
        return form
    try:
        into = ticket_get(user=request.user, number=form.cleaned_data["into"].strip().upper())
    except Ticket.DoesNotExist:
        form.add_error("into", _("No ticket with that number that you may open."))
        return form
    return _call(form, lambda: ts.ticket_merge(ticket=t, into=into, actor=request.user, at=now))  # type: ignore[return-value]


def _act_follow_up(request: HttpRequest, t: Ticket, now: datetime) -> BaseForm | None:
    form = forms.FollowUpForm(request.POST, prefix="follow_up")
    if not form.is_valid():
        return form
    d = form.cleaned_data
    return _call(  # type: ignore[return-value]
        form,
        lambda: ts.follow_up_record(
            ticket=t,
            actor=request.user,
            method=d["method"],
            fully_solved=d["fully_solved"],
            score=d["score"],
            comments=d["comments"],
            at=now,
        ),
    )


def _act_finalize(request: HttpRequest, t: Ticket, now: datetime) -> BaseForm | None:
    form = forms.ReasonForm({"reason": "-"})
    form.is_valid()
    return _call(form, lambda: ts.record_finalize(ticket=t, actor=request.user, at=now))  # type: ignore[return-value]


def _act_attach(request: HttpRequest, t: Ticket, now: datetime) -> BaseForm | None:
    form = forms.AttachmentForm(request.POST, request.FILES, prefix="attach")
    if not form.is_valid():
        return form
    upload = form.cleaned_data["file"]
    return _call(
        form,
        lambda: attachment_add(  # type: ignore[return-value]
            ticket=t,
            actor=request.user,
            upload=upload,
            name=upload.name,
            is_public=form.cleaned_data["is_public"],
            at=now,
        ),
    )


ACTIONS: dict[str, tuple[Handler, Any]] = {
    "triage": (_act_triage, _("Triaged and routed.")),
    "answer_close": (_act_answer_close, _("Answered and closed.")),
    "take": (_act_take, _("The ticket is yours now. Acknowledge it within 15 minutes.")),
    "acknowledge": (_act_acknowledge, _("Acknowledged (查收确认).")),
    "start": (_act_start, _("Work started.")),
    "transfer": (_act_transfer, _("Transferred.")),
    "options": (_act_options, _("Solution options offered to the customer.")),
    "choose": (_act_choose, _("The customer's choice is recorded.")),
    "progress": (
        _act_progress,
        _("Progress update recorded (by email, SMS or WeChat: sent to the customer)."),
    ),
    "note": (_act_note, _("Internal note added.")),
    "renegotiate": (_act_renegotiate, _("New expected time recorded; the customer is notified.")),
    "wait": (_act_wait, _("Waiting for the customer; the resolution clock is paused.")),
    "resolve": (_act_resolve, _("Resolved; waiting for the customer's verification.")),
    "close": (_act_close, _("Closed.")),
    "reopen": (_act_reopen, _("Reopened.")),
    "cancel": (_act_cancel, _("Cancelled.")),
    "merge": (_act_merge, _("Merged.")),
    "attach": (_act_attach, _("Attachment added.")),
    "follow_up": (_act_follow_up, _("Satisfaction follow-up recorded.")),
    "finalize": (_act_finalize, _("Service record finalised.")),
}


@staff_required
@require_POST
def ticket_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """One POST endpoint per action; the lifecycle table and the role decide whether it is offered."""
    if action not in ACTIONS:
        raise Http404
    user: Any = request.user
    ticket = _ticket_or_404(user, number)
    if action not in selectors.available_actions(user=user, ticket=ticket):
        if not user.has_perm("tickets.change_ticket") and action != "note":
            raise PermissionDenied
        messages.error(
            request,
            _("This action is not possible while the ticket is “%(s)s”.")
            % {"s": ticket.get_status_display()},
        )
        return _render_ticket(request, number, status=409)
    handler, done_message = ACTIONS[action]
    form = handler(request, ticket, timezone.now())
    if form is None:
        messages.success(request, str(done_message))
        return redirect(reverse("workspace:ticket", kwargs={"number": ticket.number}) + f"#{action}")
    messages.error(request, _("Please correct the marked fields."))
    return _render_ticket(request, number, bound={action: form}, open_panel=action, status=400)


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


# ---------------------------------------------------------------- supervisors


@staff_required
@require_GET
def supervisor_board(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not user.has_perm("tickets.view_all_tickets"):
        raise PermissionDenied
    now = timezone.now()
    # The sweep records breaches every ~30 s anyway, so a board a few seconds old loses nothing.
    key = f"workspace:board:{user.pk}"
    rows = cache.get(key)
    if rows is None:
        rows = selectors.breach_board(user=user, now=now)
        cache.set(key, rows, COUNTS_CACHE_SECONDS)
    teams: dict[str, list[selectors.BoardRow]] = {}
    english = (get_language() or "").startswith("en")
    for r in rows:
        name = (r.team_en if english and r.team_en else r.team) or str(_("No team"))
        teams.setdefault(name, []).append(r)
    totals = {
        name: {k: sum(getattr(r, k) for r in rs) for k in ("running", "warning", "overdue", "breached")}
        for name, rs in teams.items()
    }
    breached = selectors.queue_clocks(user=user, queue=Queue.BREACHED, now=now, limit=15)
    soon = selectors.queue_clocks(user=user, queue=Queue.SOON, now=now, limit=15)
    chart = {
        "teams": list(totals),
        "series": {k: [totals[t][k] for t in totals] for k in ("running", "warning", "overdue", "breached")},
        "labels": {
            "running": _("Running"),
            "warning": _("Warning"),
            "overdue": _("Overdue"),
            "breached": _("Breached"),
        },
    }
    return _page(
        request,
        "workspace/supervisor.html",
        {
            "teams": teams,
            "totals": totals,
            "breached": breached,
            "soon": soon,
            "now": now,
            "chart": chart,
            "active": "supervisor",
            "can_reassign": user.has_perm("tickets.reassign_ticket"),
        },
    )


@staff_required
@require_GET
def compliance(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not user.has_perm("tickets.view_reports"):
        raise PermissionDenied
    default_month = timezone.localtime().strftime("%Y-%m")
    form = forms.MonthForm(request.GET or {"month": default_month})
    rows: list[dict[str, Any]] = []
    status = 200
    if form.is_valid():
        rows = compliance_summary(month=form.cleaned_data["month"])
    else:
        status = 400
    for r in rows:
        r["label"] = forms.clock_label(r["kind"])
    chart = {
        "kinds": [r["label"] for r in rows],
        "met": [r["met_on_time"] for r in rows],
        "reneg": [r["met_after_renegotiation"] for r in rows],
        "breached": [r["breached"] for r in rows],
        "running": [r["running"] for r in rows],
        "labels": {
            "met": _("Met on time"),
            "reneg": _("Met after renegotiation"),
            "breached": _("Breached"),
            "running": _("Running"),
        },
    }
    today = timezone.localdate()
    months = [
        f"{today.year - (today.month - 1 - i < 0)}-{(today.month - 1 - i) % 12 + 1:02d}" for i in range(12)
    ]
    month = str(form.data.get("month", default_month))[:7]
    return _page(
        request,
        "workspace/compliance.html",
        {
            "form": form,
            "rows": rows,
            "month": month,
            "months": months if month in months else [month, *months],
            "chart": chart,
            "active": "compliance",
        },
        status=status,
    )
