"""Queues, saved views, bulk reassignment and the jump-to-ticket box."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from herdesk.savedviews.choices import Queue
from herdesk.savedviews.services import savedview_delete, savedview_save
from herdesk.tickets.choices import Status
from herdesk.tickets.selectors import tickets_visible_to

from .. import actions, exports, forms, selectors
from .common import (
    _counts,
    _is_htmx,
    _nav_queues,
    _page,
    staff_required,
)


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
def queue_export(request: HttpRequest, queue: str) -> HttpResponseBase:
    """The whole queue as the page lists it (same filters, same order, every page) as XLSX."""
    if queue not in Queue.values:
        raise Http404
    user: Any = request.user
    filter_form = forms.QueueFilterForm(
        request.GET or None, supervisor=user.has_perm("tickets.view_all_tickets"), shared={}
    )
    filters, now = filter_form.active(), timezone.now()
    keys = selectors.queue_export_keys(user=user, queue=queue, filters=filters, now=now)
    truncated = len(keys) > selectors.EXPORT_CAP
    keys = keys[: selectors.EXPORT_CAP]
    clock_queue = queue in selectors.CLOCK_QUEUES
    clocks = {pk: clock for pk, clock in keys if clock is not None} if clock_queue else None
    ids = list(dict.fromkeys(pk for pk, _clock in keys))
    exports.export_audit(user, "queue", queue, len(ids), request.GET.urlencode())
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return exports.tickets_xlsx(
        rows=selectors.tickets_export_rows(ids),
        filename=f"herdesk-{queue}-{stamp}.xlsx",
        title=str(Queue(queue).label),
        clocks=clocks,
        truncated=truncated,
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
        # The title says what is listed: "All open · Waiting for customer" with a status filter.
        "queue_label": (
            f"{Queue(queue).label} · {Status(filters['status']).label}"
            if filters.get("status") in Status.values
            else Queue(queue).label
        ),
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
