"""What every workspace page shares: the staff-only guard, the role's navigation (sidebar
queues with cached counts) and the page frame; and mapping a service error onto its form."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.forms import BaseForm, BaseFormSet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.chat.selectors import can_chat
from herdesk.common.errors import DomainError
from herdesk.inbound.selectors import can_view_health
from herdesk.phone.selectors import can_take_calls
from herdesk.savedviews.choices import Queue
from herdesk.savedviews.selectors import savedviews_for
from herdesk.staff.roles import ROLES
from herdesk.staff.selectors import user_role

from .. import selectors

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
    """What the sidebar offers this user: every page the role may use (issue 13); the queue
    counts follow through `queue_counts_fragment`, the chat's waiting count through
    `chat_waiting_fragment`."""

    user: Any = request.user
    role = user_role(user)
    handler = user.has_perm("tickets.change_ticket")
    return {
        "nav_queues": _nav_queues(user, None),
        "nav_saved_views": list(savedviews_for(user=user)),
        "nav_can_intake": user.has_perm("tickets.add_ticket"),
        "nav_chat": can_chat(user),
        "nav_calls": can_take_calls(user),  # loads the screen pop (phone/screenpop.js)
        "nav_follow_up": handler,
        "nav_customers": user.has_perm("customers.view_customer"),
        "nav_supervisor": user.has_perm("tickets.view_all_tickets"),
        "nav_reports": user.has_perm("tickets.view_reports"),
        "nav_channels": can_view_health(user),
        "nav_admin": bool(user.is_staff),
        "nav_role": ROLES.get(role, {}).get("label", role),
        "now": now,
    }


def _page(request: HttpRequest, template: str, ctx: dict[str, Any], status: int = 200) -> HttpResponse:
    now = ctx.get("now") or timezone.now()
    return render(request, template, {**_nav(request, now), **ctx, "now": now}, status=status)


def _apply_errors(form: BaseForm | BaseFormSet, exc: Exception) -> None:
    """Put a service's ValidationError / DomainError onto the form that caused it."""
    # A formset's errors go on its first form (OptionFormSet always has three).
    target: BaseForm = form.forms[0] if isinstance(form, BaseFormSet) else form
    if isinstance(exc, DomainError):
        target.add_error(None, exc.message)
        return
    assert isinstance(exc, ValidationError)
    if hasattr(exc, "error_dict"):
        for key, errs in exc.message_dict.items():
            fields = getattr(target, "fields", {})
            if key in fields:
                target.add_error(key, errs)
            else:
                # Service keys such as "options[2].checks" name an option; other keys are not shown.
                m = re.match(r"options\[(\d+)\]", key)
                prefix = (_("Option %(n)s") % {"n": m.group(1)} + ": ") if m else ""
                target.add_error(None, [prefix + e for e in errs])
    else:
        target.add_error(None, exc.messages)


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico → the static icon. Resolved per request: the production storage's manifest
    exists only after collectstatic, so it must not be read when the URLs are imported."""
    from django.http import HttpResponsePermanentRedirect
    from django.templatetags.static import static

    return HttpResponsePermanentRedirect(static("img/favicon.svg"))
