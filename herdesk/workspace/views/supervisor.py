"""Supervisors: the breach board and the monthly compliance report."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from herdesk.clocks.selectors import compliance_summary
from herdesk.followup.selectors import follow_up_rate
from herdesk.savedviews.choices import Queue

from .. import forms, selectors
from .common import (
    COUNTS_CACHE_SECONDS,
    _page,
    staff_required,
)


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
    # The follow-up rate (CLS-2, target 90 %) next to the clocks: the follow-up app's own selector,
    # so this page shows the follow-up rate page's figures (#18).
    follow_up = follow_up_rate(month=form.cleaned_data["month"]) if status == 200 else None
    follow_up_chart = []
    if follow_up:
        team_rows = [r for r in follow_up["teams"] if r.rate is not None]
        follow_up_chart = [
            {
                "id": "chart-follow-up",
                "kind": "hbar",
                "percent": True,
                "title": str(_("Follow-up rate")),
                "categories": [r.label for r in team_rows] + [str(_("Total"))],
                "series": [
                    {
                        "name": str(_("Follow-up rate")),
                        "data": [r.rate for r in team_rows] + [follow_up["total"].rate],
                    }
                ],
                "target": follow_up["target"],
            }
        ]
    return _page(
        request,
        "workspace/compliance.html",
        {
            "form": form,
            "rows": rows,
            "month": month,
            "months": months if month in months else [month, *months],
            "chart": chart,
            "follow_up": follow_up,
            "follow_up_chart": follow_up_chart,
            "follow_up_target": f"{follow_up['target']:.0%}" if follow_up else "",
            "active": "compliance",
        },
        status=status,
    )
