"""Managers and supervisors: the service KPIs of a month or quarter with comparisons, the report pack
downloads (KPI-1, KPI-2) and the automatic-triage model page (INT-6)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from herdesk.analytics import dashboards, kpis, periods, reports, staffing
from herdesk.analytics import selectors as analytics_selectors
from herdesk.analytics.models import ReportArchive
from herdesk.analytics.selectors import kpi_report
from herdesk.analytics.services import archives
from herdesk.analytics.stages import bottleneck_report
from herdesk.catalog.models import Product
from herdesk.customers.choices import Tier
from herdesk.staff.models import Team
from herdesk.tickets.choices import Channel, ProblemType
from herdesk.triage.selectors import triage_model_report
from herdesk.triage.services import triage_train

from .common import _page, staff_required

REPORTS_PERM = "tickets.view_reports"


def _period(request: HttpRequest) -> periods.Period:
    """The period the form chose (day, ISO week, month, quarter or explicit dates; #18)."""
    g = request.GET
    kind = g.get("kind", "month")
    today = timezone.localdate()
    if kind == "day":
        return periods.day(g.get("day") or today.isoformat())
    if kind == "week":
        return periods.week(g.get("week") or f"{today.isocalendar()[0]}-W{today.isocalendar()[1]:02d}")
    if kind == "custom":
        return periods.custom(g.get("from") or "", g.get("to") or "")
    if kind == "quarter":
        return periods.quarter(g.get("quarter") or f"{today.year}Q{(today.month - 1) // 3 + 1}")
    return periods.month(g.get("month") or f"{today:%Y-%m}")


def _filters(request: HttpRequest) -> kpis.Filters:
    """The report filters from GET; a value that is not one of the choices is ignored (never a 500)."""
    team = request.GET.get("team") or ""
    channel = request.GET.get("channel") or ""
    ptype = request.GET.get("problem_type") or ""
    product = request.GET.get("product") or ""
    tier = request.GET.get("tier") or ""
    return kpis.Filters(
        team_id=int(team) if team.isdigit() and len(team) < 12 else None,
        channel=channel if channel in Channel.values else None,
        problem_type=ptype if ptype in ProblemType.values else None,
        region=(request.GET.get("region") or "").strip()[:60] or None,
        product_id=int(product) if product.isdigit() and len(product) < 12 else None,
        tier=tier if tier in Tier.values else None,
    )


@staff_required
@require_GET
def service_reports(request: HttpRequest) -> HttpResponse:
    """The KPIs of the chosen period against target, the previous period and a year before."""
    user: Any = request.user
    if not user.has_perm(REPORTS_PERM):
        raise PermissionDenied
    status, error, report = 200, "", None
    try:
        period = _period(request)
    except periods.PeriodError as exc:
        status, error = 400, str(exc)
        period = periods.month(f"{timezone.localdate():%Y-%m}")
    filters = _filters(request)
    report = kpi_report(period, filters)
    percent = {"rate"}
    for row in report["kpis"]:
        row["drill"] = dashboards.kpi_drill_url(row["code"], period.first, period.last, filters)
        for key in ("value", "target", "previous", "year_before"):
            v = row[key]
            row[f"{key}_shown"] = (
                "—"
                if v is None
                else f"{v:.1%}"
                if row["unit"] in percent
                else f"{v:,.1f}"
                if isinstance(v, float)
                else f"{v:,}"
            )
    today = timezone.localdate()
    months = [
        f"{today.year - (today.month - 1 - i < 0)}-{(today.month - 1 - i) % 12 + 1:02d}" for i in range(13)
    ]
    quarters = []
    y, q = today.year, (today.month - 1) // 3 + 1
    for _i in range(6):
        quarters.append(f"{y}Q{q}")
        y, q = (y, q - 1) if q > 1 else (y - 1, 4)
    return _page(
        request,
        "workspace/reports.html",
        {
            "active": "reports",
            "period": period,
            # The report pack (服务数据汇总) is monthly and quarterly; other periods are read here.
            "download_kind": {"quarter": "quarterly", "month": "monthly"}.get(period.kind, ""),
            "archives": archives(),
            "report": report,
            "error": error,
            "months": months,
            "quarters": quarters,
            "teams": list(Team.objects.order_by("name").values_list("pk", "name")),
            "channels": Channel.choices,
            "problem_types": ProblemType.choices,
            "regions": analytics_selectors.regions(period),
            "products": list(Product.objects.filter(is_active=True).only("name", "model_number")),
            "tiers": Tier.choices,
            "f": request.GET,
            "filter_query": urlencode(filters.as_params()),
            "charts": dashboards.volume_charts(period, filters, report["breakdown"]),
            "bottlenecks": bottleneck_report(period, filters),
            # The stage rollup has the team dimension only: say so when other filters are set.
            "bottlenecks_unfiltered": any(
                (filters.channel, filters.problem_type, filters.region, filters.product_id, filters.tier)
            ),
        },
        status=status,
    )


@staff_required
@require_GET
def service_report_download(request: HttpRequest, kind: str, label: str, fmt: str) -> FileResponse:
    """The report pack file (PDF or XLSX), generated now from the rollups (服务数据汇总)."""
    user: Any = request.user
    if not user.has_perm(REPORTS_PERM):
        raise PermissionDenied
    if fmt not in {"pdf", "xlsx"} or kind not in {"monthly", "quarterly"}:
        raise Http404
    try:
        period = periods.month(label) if kind == "monthly" else periods.quarter(label)
    except periods.PeriodError:
        raise Http404
    language = "en" if (get_language() or "").startswith("en") else "zh-hans"
    filters = _filters(request)
    out = Path(tempfile.mkstemp(suffix=f".{fmt}", prefix="herdesk-report-")[1])
    if fmt == "pdf":
        reports.render_pdf(period, out, language=language, filters=filters)
    else:
        reports.render_xlsx(period, out, language=language, filters=filters)
    # The file is unlinked as soon as it is open: the response streams it, nothing stays on disk.
    handle = out.open("rb")
    out.unlink()
    return FileResponse(handle, as_attachment=True, filename=f"herdesk-{kind}-{period.label}.{fmt}")


@staff_required
@require_http_methods(["GET", "POST"])
def triage_model(request: HttpRequest) -> HttpResponse:
    """The classifier's measured quality for supervisors; "train now" for those who see every ticket."""
    user: Any = request.user
    if not user.has_perm(REPORTS_PERM):
        raise PermissionDenied
    can_train = user.has_perm("tickets.view_all_tickets")
    if request.method == "POST":
        if not can_train:
            raise PermissionDenied
        row = triage_train()
        messages.success(
            request, _("Model v%(v)s trained on %(n)s examples.") % {"v": row.pk, "n": row.examples}
        )
        return redirect("workspace:triage_model")
    return _page(
        request, "triage/model.html", {"active": "triage", "r": triage_model_report(), "can_train": can_train}
    )


def _number(request: HttpRequest, name: str, default: float, low: float, high: float) -> float:
    try:
        value = float(request.GET.get(name, default))
    except ValueError:
        return default
    return min(max(value, low), high)


@staff_required
@require_GET
def peak_analysis(request: HttpRequest) -> HttpResponse:
    """KPI-4 (S2 §4.4): contacts by hour × weekday over the last weeks, working days and days off
    apart on the calendar, a four-week forecast and the agents each hour needs (Erlang C)."""
    user: Any = request.user
    if not user.has_perm(REPORTS_PERM):
        raise PermissionDenied
    weeks = int(_number(request, "weeks", 8, 1, 52))
    channel = request.GET.get("channel") or "phone"
    channel = channel if channel in Channel.values else "phone"
    handle = _number(request, "handle", 360, 30, 7200)
    target = _number(request, "target", 1800, 10, 86400)
    level = _number(request, "level", 0.8, 0.5, 0.99)
    today = timezone.localdate()
    first = today - dt.timedelta(days=7 * weeks)
    profile = staffing.hourly_profile(first, today - dt.timedelta(days=1), channel)
    plan = staffing.staffing_plan(profile, handle_seconds=handle, target_seconds=target, level=level)
    hours = list(range(24))
    rows = [
        {
            "hour": h,
            "working": round(profile.working[h], 2),
            "off": round(profile.non_working[h], 2),
            "agents_working": plan["working"][h],
            "agents_off": plan["non_working"][h],
        }
        for h in hours
    ]
    return _page(
        request,
        "workspace/peaks.html",
        {
            "active": "peaks",
            "weeks": weeks,
            "channel": channel,
            "channels": Channel.choices,
            "handle": int(handle),
            "target": int(target),
            "level": level,
            "rows": rows,
            "profile": profile,
            "chart": {
                "heat": [[h, w, round(profile.by_weekday[w][h], 2)] for w in range(7) for h in hours],
                "weekdays": [
                    str(d) for d in (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))
                ],
                "forecast": staffing.forecast(profile, today, weeks=4),
                "labels": {"expected": _("Expected contacts")},
            },
        },
    )


@staff_required
@require_GET
def report_archive_download(request: HttpRequest, pk: int) -> FileResponse:
    """An archived report pack file, as generated on the first working day after its period."""
    user: Any = request.user
    if not user.has_perm(REPORTS_PERM):
        raise PermissionDenied
    row = ReportArchive.objects.filter(pk=pk).first()
    if row is None:
        raise Http404
    name = f"herdesk-{row.kind}-{row.label}.{row.fmt}"
    return FileResponse(row.file.open("rb"), as_attachment=True, filename=name)
