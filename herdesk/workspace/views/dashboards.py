"""The role dashboards (KPI-2): the agent's own figures, the supervisor's team and the management's
centre view. They read the daily rollups only — never the ticket table — except the supervisor's
live state (queue counts, clocks breaching soon, agents' load), which uses the indexed queue
selectors. Every chart links to the tickets behind it (analytics.dashboards)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from herdesk.analytics import dashboards, kpis, periods
from herdesk.analytics.selectors import kpi_report, volume_breakdown
from herdesk.analytics.stages import bottleneck_report
from herdesk.savedviews.choices import Queue
from herdesk.staff.models import Team, User

from .. import selectors
from .common import _page, staff_required

REPORTS_PERM = "tickets.view_reports"
# The supervisor's month: the indicators a team lead steers by (the full list is on /reports/).
TEAM_KPIS = (
    "received",
    "resolved",
    "backlog",
    "first_response_on_time",
    "acknowledge_on_time",
    "resolution_on_time",
    "first_contact_resolution",
    "handling_time_avg",
    "follow_up_rate",
    "csat",
    "record_completeness",
)
LIVE_QUEUES = (Queue.UNASSIGNED, Queue.TEAM, Queue.WAITING, Queue.SOON, Queue.BREACHED)


def shown(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "rate":
        return f"{value:.1%}"
    if unit in {"minutes", "per10k", "score"}:
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def _met(value: float | None, k: kpis.Kpi) -> bool | None:
    if value is None or k.target is None:
        return None
    return value >= k.target if k.higher_is_better else value <= k.target


def _decorate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for r in rows:
        r["value_shown"] = shown(r["value"], r["unit"])
        r["target_shown"] = "" if r.get("target") is None else shown(r["target"], r["unit"])
        if "previous" in r:
            r["previous_shown"] = shown(r["previous"], r["unit"])
            r["year_before_shown"] = shown(r["year_before"], r["unit"])
    return rows


@staff_required
@require_GET
def agent_dashboard(request: HttpRequest) -> HttpResponse:
    """My figures today and this month against the centre's targets (DailyAgentStats)."""
    user: Any = request.user
    if not user.has_perm("tickets.change_ticket"):
        raise PermissionDenied
    return _agent_page(request, user, seen_by_other=False)


@staff_required
@require_GET
def agent_figures(request: HttpRequest, pk: int) -> HttpResponse:
    """One agent's dashboard as their supervisor sees it (KPI-2: the figures per agent), reached from
    the team dashboard's list of agents; its links open the "all" queue of that assignee."""
    user: Any = request.user
    if not user.has_perm("tickets.view_all_tickets"):
        raise PermissionDenied
    agent = get_object_or_404(User, pk=pk, is_active=True, customer__isnull=True)
    return _agent_page(request, agent, seen_by_other=True)


def _agent_page(request: HttpRequest, agent: Any, *, seen_by_other: bool) -> HttpResponse:
    today = timezone.localdate()
    data = dashboards.agent_dashboard(agent.pk, today, seen_by_other=seen_by_other)
    return _page(
        request,
        "workspace/dashboard_agent.html",
        {
            "active": "dashboard_supervisor" if seen_by_other else "dashboard_agent",
            "agent": agent if seen_by_other else None,
            "today": today,
            "today_rows": _decorate(data["today"]),
            "month_rows": _decorate(data["month"]),
            "charts": data["charts"],
        },
    )


def _month(request: HttpRequest) -> tuple[periods.Period, str, int]:
    today = timezone.localdate()
    try:
        return periods.month(request.GET.get("month") or f"{today:%Y-%m}"), "", 200
    except periods.PeriodError as exc:
        return periods.month(f"{today:%Y-%m}"), str(exc), 400


@staff_required
@require_GET
def supervisor_dashboard(request: HttpRequest) -> HttpResponse:
    """The team's live state (queues, breaching soon, agents' load) and the month's KPIs."""
    user: Any = request.user
    if not user.has_perm("tickets.view_all_tickets"):
        raise PermissionDenied
    now = timezone.now()
    teams = list(Team.objects.order_by("name").values_list("pk", "name"))
    raw = request.GET.get("team")
    team_id = int(raw) if raw and raw.isdigit() and len(raw) < 12 else (None if raw == "" else user.team_id)
    if team_id is not None and team_id not in {pk for pk, _n in teams}:
        team_id = None
    counts = selectors.queue_counts(user=user, now=now, queues=[q.value for q in LIVE_QUEUES])
    queue_chart = dashboards.with_drill(
        {
            "id": "chart-live-queues",
            "kind": "bar",
            "title": _("Queues now"),
            "categories": [str(q.label) for q in LIVE_QUEUES],
            "series": [{"name": _("Tickets"), "data": [counts.get(q.value, 0) for q in LIVE_QUEUES]}],
            "links": [reverse("workspace:queue", args=[q.value]) for q in LIVE_QUEUES],
        }
    )
    load = selectors.open_load(user=user, team_id=team_id)
    all_q = reverse("workspace:queue", args=["all"])
    team_param = f"&team={team_id}" if team_id else ""
    load_chart = dashboards.with_drill(
        {
            "id": "chart-agent-load",
            "kind": "hbar",
            "title": _("Agents' load: open tickets"),
            "categories": [r["assignee__display_name"] or r["assignee__username"] for r in load],
            "series": [{"name": _("Open tickets"), "data": [r["n"] for r in load]}],
            # The "all" queue without a status lists exactly the open tickets of that assignee.
            "links": [f"{all_q}?assignee={r['assignee_id']}{team_param}" for r in load],
        }
    )
    soon = selectors.queue_clocks(user=user, queue=Queue.SOON, now=now, limit=10)
    period, error, status = _month(request)
    filters = kpis.Filters(team_id=team_id)
    values = kpis.compute(period.first, period.last, filters)
    month_rows = _decorate(
        [
            {
                "code": code,
                "name": str(kpis.BY_CODE[code].name),
                "unit": kpis.BY_CODE[code].unit,
                "value": values[code].value,
                "target": kpis.BY_CODE[code].target,
                "met": _met(values[code].value, kpis.BY_CODE[code]),
            }
            for code in TEAM_KPIS
        ]
    )
    breakdown = volume_breakdown(period, filters, only=("problem_type",))
    type_chart = dashboards.breakdown_chart(
        "chart-team-types",
        str(_("Contacts by problem type")),
        period,
        filters,
        "problem_type",
        breakdown["problem_type"],
    )
    return _page(
        request,
        "workspace/dashboard_supervisor.html",
        {
            "active": "dashboard_supervisor",
            "teams": teams,
            "team_id": team_id,
            "period": period,
            "error": error,
            "soon": soon,
            "load": load,
            "agents": selectors.team_agents(team_id=team_id),
            "month_rows": month_rows,
            "charts": [queue_chart, load_chart, type_chart],
            "now": now,
        },
        status=status,
    )


@staff_required
@require_GET
def management_dashboard(request: HttpRequest) -> HttpResponse:
    """The centre's KPIs with comparisons, 12-month trends, top problems and regions, complaints
    and where the working time goes (bottlenecks)."""
    user: Any = request.user
    if not user.has_perm(REPORTS_PERM):
        raise PermissionDenied
    period, error, status = _month(request)
    # Only the breakdowns this page charts: the region one is the only read of the wide rollup here.
    report = kpi_report(period, breakdowns=dashboards.MANAGEMENT_BREAKDOWNS)
    charts = dashboards.management_charts(period, report["breakdown"])
    bottlenecks = bottleneck_report(period)
    charts.append(dashboards.with_drill(bottlenecks["chart"]))
    headline = {"received", "resolved", "backlog", "first_response_on_time", "resolution_on_time",
                "first_contact_resolution", "csat", "follow_up_rate", "complaint_rate",
                "process_compliance"}  # fmt: skip
    today = timezone.localdate()
    months = []
    p = periods.month(f"{today:%Y-%m}")
    for _i in range(13):
        months.append(p.label)
        p = p.previous()
    return _page(
        request,
        "workspace/dashboard_management.html",
        {
            "active": "dashboard_management",
            "period": period,
            "months": months if period.label in months else [period.label, *months],
            "error": error,
            "headline": _decorate([r for r in report["kpis"] if r["code"] in headline]),
            "charts": charts,
            "bottlenecks": bottlenecks,
        },
        status=status,
    )
