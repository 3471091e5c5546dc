"""The staff notification list (/notifications/): filter by kind, open (marks read and goes to the
ticket), mark read, mark all read, and the e-mail digest setting. Thin: selectors and
staff_notices services do the work. Shown inside the workspace layout."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from herdesk.workspace.views import _page, staff_required

from . import selectors, staff_notices
from .choices import NotificationKind
from .models import Notification


def _back(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("kind", "")
    url = reverse("notifications:list")
    return redirect(f"{url}?kind={kind}" if kind in NotificationKind.values else url)


@staff_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    kind = (request.GET.get("kind") or "")[:20]
    unread_only = request.GET.get("unread") == "1"
    before = request.GET.get("before", "")
    status = 200
    if kind and kind not in NotificationKind.values:
        messages.warning(request, _("Unknown kind of notification; showing all."))
        kind, status = "", 400
    rows = selectors.notifications_for(
        user=user, kind=kind, unread_only=unread_only, before=int(before) if before.isdigit() else None
    )
    return _page(
        request,
        "notifications/list.html",
        {
            "active": "notifications",
            "rows": rows,
            "kind": kind,
            "unread_only": unread_only,
            "kinds": NotificationKind.choices,
            "unread": selectors.unread_count(user=user, cached=False),
            "next_before": rows[-1].pk if len(rows) == selectors.PAGE else None,
            "setting": selectors.notification_setting(user=user),
        },
        status=status,
    )


@staff_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Marks the notification read and goes to its ticket (or back to the list)."""
    user: Any = request.user
    n = Notification.objects.filter(pk=pk, user=user).first()
    if n is None:
        raise Http404
    staff_notices.notifications_mark_read(user=request.user, ids=[n.pk])
    number = (n.data or {}).get("ticket")
    if n.ticket_id and number:
        return redirect("workspace:ticket", number=number)
    # A notice about something else names its page (training: the module, the attempt): local only.
    url = str((n.data or {}).get("url") or "")
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return redirect(url)
    return redirect("notifications:list")


@staff_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark read: the ids posted (`id`), or every unread one (`all=1`)."""
    if request.POST.get("all") == "1":
        n = staff_notices.notifications_mark_read(user=request.user)
    else:
        ids = [i for i in request.POST.getlist("id") if i.isdigit()]
        if not ids:
            messages.error(request, _("Choose a notification to mark as read."))
            return _back(request)
        n = staff_notices.notifications_mark_read(user=request.user, ids=[int(i) for i in ids])
    messages.success(request, _("%(n)d marked as read.") % {"n": n})
    return _back(request)


@staff_required
@require_POST
def notification_settings(request: HttpRequest) -> HttpResponse:
    on = request.POST.get("email_digest") == "1"
    staff_notices.notification_setting_update(user=request.user, email_digest=on)
    messages.success(request, _("E-mail digest switched on.") if on else _("E-mail digest switched off."))
    return _back(request)
