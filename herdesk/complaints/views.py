"""Complaint pages of the staff workspace (CMP-1..5): the list and board of the supervision group,
the complaint page (workflow, root cause, CAPA, timeline), the cause taxonomy, the monthly analysis
and the 8D report (PDF).

Thin: parse the form, call a service or selector, show the result. A refusal is a message with a 4xx
status, never a 500.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from herdesk.catalog.models import Product
from herdesk.common.errors import DomainError
from herdesk.staff.models import User
from herdesk.workspace.views import _page, staff_required

from . import selectors, services
from .choices import CapaKind, Level, Regulator, Stage
from .lifecycle import ACTIONS, CAPA_ACTIONS, CAPA_USER_ACTIONS
from .models import Capa, CauseCategory, Complaint
from .report import render_8d

ACTION_LABELS = {
    "assess": gettext_lazy("Assess"),
    "assign": gettext_lazy("Assign owner"),
    "contain": gettext_lazy("Record immediate action"),
    "solve": gettext_lazy("Record solution and communication"),
    "execute": gettext_lazy("Mark executed"),
    "verify": gettext_lazy("Mark verified"),
    "reject_verification": gettext_lazy("Verification failed"),
    "confirm": gettext_lazy("Record customer confirmation"),
    "customer_rejects": gettext_lazy("Customer does not accept"),
    "close": gettext_lazy("Close complaint"),
}


def _viewer(request: HttpRequest) -> None:
    if not request.user.has_perm("complaints.view_complaint"):  # type: ignore[union-attr]
        raise PermissionDenied


def _complaint_or_404(request: HttpRequest, number: str) -> Complaint:
    try:
        return selectors.complaint_get(user=request.user, number=number[:40])
    except Complaint.DoesNotExist:
        raise Http404


def _worker(request: HttpRequest, complaint: Complaint) -> None:
    if not selectors.can_work(request.user, complaint):
        raise PermissionDenied


def _refused(request: HttpRequest, exc: Exception) -> None:
    if isinstance(exc, DomainError):
        messages.error(request, exc.message)
    elif isinstance(exc, ValidationError):
        messages.error(request, " ".join(exc.messages))


def _back(complaint: Complaint) -> HttpResponse:
    return redirect("complaints:detail", number=complaint.ticket.number)


@staff_required
@require_GET
def complaint_list(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    board = request.GET.get("view") == "board"
    stage = (request.GET.get("stage") or "")[:20]
    severity = (request.GET.get("severity") or "")[:10]
    regulator = request.GET.get("regulator") == "1"
    ctx: dict[str, Any] = {
        "active": "complaints",
        "board": board,
        "stage": stage,
        "severity": severity,
        "regulator": regulator,
        "stages": Stage.choices,
    }
    if board:
        ctx["columns"] = selectors.complaint_board(user=request.user)
    else:
        ctx["rows"] = selectors.complaint_list(
            user=request.user, stage=stage, severity=severity, regulator=regulator
        )
    return _page(request, "complaints/list.html", ctx)


@staff_required
@require_GET
def complaint_detail(request: HttpRequest, number: str) -> HttpResponse:
    _viewer(request)
    complaint = _complaint_or_404(request, number)
    page = selectors.complaint_page(complaint=complaint)

    ctx = {
        "active": "complaints",
        "c": complaint,
        "page": page,
        "can_work": selectors.can_work(request.user, complaint),
        "can_sign_off": complaint.is_key_account
        and complaint.account_manager_id == request.user.pk
        and complaint.stage == Stage.SOLUTION
        and complaint.am_signed_off_at is None,
        "actions": [(a, ACTION_LABELS[a]) for a in page.actions],
        "levels": Level.choices,
        "regulators": [r for r in Regulator.choices if r[0]],
        "capa_kinds": CapaKind.choices,
        "staff_users": User.objects.filter(is_active=True, customer__isnull=True).order_by("username"),
        "products": Product.objects.filter(is_active=True),
    }
    return _page(request, "complaints/detail.html", ctx)


def _user(raw: str | None) -> Any:

    if not raw or not str(raw).isdigit():
        return None
    return User.objects.filter(pk=int(raw), is_active=True, customer__isnull=True).first()


def _int(raw: str | None, default: int = 0) -> int:
    try:
        return int(str(raw or "").strip())
    except ValueError:
        return default


@staff_required
@require_POST
def complaint_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    _viewer(request)
    complaint = _complaint_or_404(request, number)
    p = request.POST
    try:
        if action == "sign_off":
            services.complaint_am_sign_off(complaint=complaint, actor=request.user)
            messages.success(request, _("Solution signed off."))
            return _back(complaint)
        _worker(request, complaint)
        if action == "regulator":
            services.complaint_regulator_set(
                complaint=complaint,
                actor=request.user,
                regulator=p.get("regulator", "")[:10],
                reference=p.get("reference", "")[:100],
                working_days=_int(p.get("working_days"), services.REGULATOR_DEFAULT_DAYS),
            )
        elif action == "regulator_replied":
            services.complaint_regulator_replied(complaint=complaint, actor=request.user)
        elif action in ACTIONS:
            lots = [
                {
                    "product": p.get(f"lot{i}_product") or None,
                    "batch": p.get(f"lot{i}_batch", "")[:60],
                    "production_date": p.get(f"lot{i}_date", "")[:10],
                }
                for i in range(3)
            ]
            services.complaint_transition(
                complaint=complaint,
                action=action,
                actor=request.user,
                impact=p.get("impact", ""),
                urgency=p.get("urgency", ""),
                severity=p.get("severity", ""),
                lots=lots,
                note=p.get("note", ""),
                owner=_user(p.get("owner")),
                text=p.get("text", ""),
                solution=p.get("solution", ""),
                communication=p.get("communication", ""),
            )
        else:
            raise Http404
    except (DomainError, ValidationError) as exc:
        _refused(request, exc)
        return _page(
            request,
            "complaints/refused.html",
            {"active": "complaints", "c": complaint},
            status=getattr(exc, "status", 400) if isinstance(exc, DomainError) else 400,
        )
    messages.success(request, _("Saved."))
    return _back(complaint)


@staff_required
@require_POST
def complaint_rca(request: HttpRequest, number: str) -> HttpResponse:
    _viewer(request)
    complaint = _complaint_or_404(request, number)
    _worker(request, complaint)
    p = request.POST
    category = CauseCategory.objects.filter(pk=_int(p.get("category"), -1)).first()
    try:
        services.rca_record(
            complaint=complaint,
            actor=request.user,
            category=category,
            whys=[p.get(f"why{i}", "")[:600] for i in range(1, 6)],
            statement=p.get("statement", ""),
            systemic=p.get("systemic") == "1",
            uploads=request.FILES.getlist("evidence")[:5],
        )
    except (DomainError, ValidationError) as exc:
        _refused(request, exc)
        return _page(request, "complaints/refused.html", {"active": "complaints", "c": complaint}, status=400)
    messages.success(request, _("Root-cause analysis saved."))
    return _back(complaint)


@staff_required
@require_POST
def capa_add(request: HttpRequest, number: str) -> HttpResponse:
    _viewer(request)
    complaint = _complaint_or_404(request, number)
    _worker(request, complaint)
    p = request.POST
    try:
        services.capa_create(
            complaint=complaint,
            actor=request.user,
            kind=p.get("kind", ""),
            description=p.get("description", ""),
            expected_effect=p.get("expected_effect", ""),
            owner=_user(p.get("owner")),
            working_days=_int(p.get("working_days"), 0),
        )
    except (DomainError, ValidationError) as exc:
        _refused(request, exc)
        return _page(request, "complaints/refused.html", {"active": "complaints", "c": complaint}, status=400)
    messages.success(request, _("CAPA added."))
    return _back(complaint)


@staff_required
@require_POST
def capa_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _viewer(request)
    capa = Capa.objects.select_related("complaint__ticket").filter(pk=pk).first()
    if (
        capa is None
        or not selectors.complaints_visible_to(request.user).filter(pk=capa.complaint_id).exists()
    ):
        raise Http404
    complaint = capa.complaint
    if not (selectors.can_work(request.user, complaint) or capa.owner_id == request.user.pk):
        raise PermissionDenied
    if action not in CAPA_ACTIONS or action not in CAPA_USER_ACTIONS:
        raise Http404
    try:
        services.capa_transition(
            capa=capa,
            action=action,
            actor=request.user,
            evidence=request.POST.get("evidence", ""),
            uploads=request.FILES.getlist("evidence_files")[:5],
        )
    except (DomainError, ValidationError) as exc:
        _refused(request, exc)
        return _page(request, "complaints/refused.html", {"active": "complaints", "c": complaint}, status=409)
    messages.success(request, _("Saved."))
    return _back(complaint)


@staff_required
@require_http_methods(["GET", "POST"])
def causes(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not user.has_perm("complaints.view_causecategory"):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        if not user.has_perm("complaints.change_causecategory"):
            raise PermissionDenied
        p = request.POST
        try:
            if p.get("category"):
                cat = CauseCategory.objects.filter(pk=_int(p.get("category"), -1)).first()
                if cat is None:
                    raise Http404
                services.cause_save(
                    actor=user,
                    category=cat,
                    name=p.get("name", "")[:100],
                    name_en=p.get("name_en", "")[:100],
                    is_active=p.get("is_active") == "1",
                )
            else:
                parent = CauseCategory.objects.filter(pk=_int(p.get("parent"), -1), parent=None).first()
                services.cause_save(
                    actor=user,
                    parent=parent,
                    code=p.get("code", "")[:60],
                    name=p.get("name", "")[:100],
                    name_en=p.get("name_en", "")[:100],
                )
        except DomainError as exc:
            messages.error(request, exc.message)
            status = 400
        else:
            messages.success(request, _("Saved."))
            return redirect("complaints:causes")
    ctx = {
        "active": "complaints",
        "tree": selectors.cause_tree(),
        "can_edit": user.has_perm("complaints.change_causecategory"),
    }
    return _page(request, "complaints/causes.html", ctx, status=status)


def _month(raw: str | None) -> dt.date | None:
    if not raw:
        today = timezone.localdate()
        return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    try:
        return dt.datetime.strptime(raw[:7], "%Y-%m").date()
    except ValueError:
        return None


@staff_required
@require_GET
def analysis(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("complaints.view_complaint_reports"):  # type: ignore[union-attr]
        raise PermissionDenied
    month = _month(request.GET.get("month"))
    if month is None:
        messages.error(request, _("A month is written YYYY-MM."))
        return _page(
            request, "complaints/analysis.html", {"active": "complaints_analysis", "a": None}, status=400
        )
    a = selectors.monthly_analysis(month=month)
    tables = [
        (_("Type"), a.by_type, "type"),
        (
            _("Severity"),
            [(_("Major") if k == "major" else _("General"), n) for k, n in a.by_severity],
            "severity",
        ),
        (_("Product"), a.by_product, "product"),
        (_("Batch"), a.by_batch, "batch"),
        (_("Cause category"), a.by_cause, "cause"),
        (_("Sub-cause"), a.by_subcause, "subcause"),
        (_("Region"), a.by_region, "region"),
    ]
    ctx = {"active": "complaints_analysis", "a": a, "month": month, "tables": tables}
    return _page(request, "complaints/analysis.html", ctx)


@staff_required
@require_GET
def report_pdf(request: HttpRequest, number: str) -> HttpResponse:
    _viewer(request)
    complaint = _complaint_or_404(request, number)

    pdf = render_8d(complaint=complaint)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="8D-{complaint.ticket.number}.pdf"'
    return response
