"""Staff pages of the emergencies app (EMG-1, EMG-2): incidents and drills, contingency plans.

Thin: parse a form, call a selector or a service, show the result. Refusals become messages with
a 4xx status, never a 500.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from herdesk.catalog.models import Product
from herdesk.common.errors import DomainError
from herdesk.workspace.views import _page, staff_required

from . import drills, lifecycle, selectors, services
from .choices import ROMAN, IncidentStatus, Level, RecipientStatus
from .forms import (
    AssessForm,
    DrillForm,
    NotifyForm,
    PlanForm,
    ReviewForm,
    ScopeForm,
    StatementForm,
    TemplateForm,
    UpdateForm,
)
from .models import ContingencyPlan, Incident, IncidentTask, MessageTemplate

PREVIEW = 20
# Transitions with a form of their own (the assessment, the review) are not plain buttons.
FORM_TARGETS = frozenset({IncidentStatus.ASSESSED, IncidentStatus.REVIEWED})


def _need(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):  # type: ignore[union-attr]
        raise PermissionDenied


def _errors(exc: Exception) -> tuple[str, int]:
    if isinstance(exc, DomainError):
        return exc.message, exc.status
    return " ".join(getattr(exc, "messages", [str(exc)])), 400


def _plan_or_404(code: str) -> ContingencyPlan:
    try:
        return selectors.plan_get(code)
    except ContingencyPlan.DoesNotExist:
        raise Http404


def _incident_or_404(number: str) -> Incident:
    try:
        return selectors.incident_get(number)
    except Incident.DoesNotExist:
        raise Http404


@require_GET
def banner(request: HttpRequest) -> HttpResponse:
    """The status banner of active incidents, for everyone (the portal and the help centre load it
    after the page with htmx, so their own pages keep their query counts)."""
    from django.shortcuts import render

    response = render(request, "emergency/_banner.html", {"banners": selectors.active_banners()})
    response["Cache-Control"] = "max-age=30"
    return response


@staff_required
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    _need(request, "emergency.view_incident")
    ctx = {
        "active": "emergency",
        "incidents": selectors.incidents(drills=False),
        "drills": selectors.incidents(drills=True, limit=50),
        "plans": selectors.plans(),
        "levels": Level.choices,
        "drill_form": DrillForm(),
        "can_declare": request.user.has_perm("emergency.add_incident"),  # type: ignore[union-attr]
    }
    return _page(request, "emergency/list.html", ctx)


@staff_required
@require_POST
def incident_declare(request: HttpRequest) -> HttpResponseBase:
    """The second click: a plan's level button on the list page."""
    _need(request, "emergency.add_incident")
    plan = ContingencyPlan.objects.filter(code=(request.POST.get("plan") or "")[:40]).first()
    level = request.POST.get("level", "")
    if plan is None or not level.isdigit() or int(level) not in ROMAN:
        messages.error(request, _("Choose a plan and a response level."))
        return redirect("emergency:list")
    try:
        incident = services.incident_declare(plan=plan, level=int(level), actor=request.user)
    except (ValidationError, DomainError) as exc:
        messages.error(request, _errors(exc)[0])
        return redirect("emergency:list")
    messages.success(request, _("Incident %(n)s declared.") % {"n": incident.number})
    return redirect("emergency:incident", number=incident.number)


@staff_required
@require_POST
def drill_schedule(request: HttpRequest) -> HttpResponseBase:
    _need(request, "emergency.add_incident")
    form = DrillForm(request.POST)
    plan = ContingencyPlan.objects.filter(code=(request.POST.get("plan") or "")[:40]).first()
    if not form.is_valid() or plan is None:
        messages.error(request, _("Choose a plan, a level and a time for the drill."))
        return redirect("emergency:list")
    d = form.cleaned_data
    try:
        drill = services.incident_declare(
            plan=plan,
            level=d["level"],
            actor=request.user,
            is_drill=True,
            scheduled_for=d["scheduled_for"],
            title=d["title"],
        )
    except (ValidationError, DomainError) as exc:
        messages.error(request, _errors(exc)[0])
        return redirect("emergency:list")
    messages.success(request, _("Drill %(n)s scheduled.") % {"n": drill.number})
    return redirect("emergency:incident", number=drill.number)


def _incident_ctx(request: HttpRequest, incident: Incident, **forms: Any) -> dict[str, Any]:
    user: Any = request.user
    scope = forms.get("scope") or ScopeForm(request.GET if "search" in request.GET else None)
    preview, matches = [], None
    if "search" in request.GET and scope.is_valid() and not scope.is_empty():
        try:
            qs = selectors.tickets_for_scope(user=user, **scope.scope())
            matches = qs.count()
            preview = list(qs.select_related("customer", "product").order_by("-id")[:PREVIEW])
        except ValidationError as exc:
            scope.add_error(None, exc.messages)
    delivery = request.GET.get("delivery", "")[:12]
    targets = [
        (t, IncidentStatus(t).label)
        for t in sorted(lifecycle.allowed_targets(incident.status), key=list(IncidentStatus.values).index)
        if t not in FORM_TARGETS
    ]
    return {
        "active": "emergency",
        "incident": incident,
        "timing": selectors.timing(incident),
        "targets": targets,
        "can_assess": IncidentStatus.ASSESSED in lifecycle.allowed_targets(incident.status),
        "can_review": IncidentStatus.REVIEWED in lifecycle.allowed_targets(incident.status),
        "can_run": user.has_perm("emergency.change_incident"),
        "is_open": incident.status
        not in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED, IncidentStatus.SCHEDULED),
        "tasks": list(incident.tasks.select_related("done_by")),
        "responders": list(incident.responders.select_related("user")),
        "history": list(incident.transitions.select_related("actor")),
        "links": selectors.linked_tickets(incident),
        "n_links": incident.links.count(),
        "updates": list(incident.updates.select_related("posted_by").order_by("-seq")),
        "counts": selectors.delivery_counts(incident),
        "recipients": selectors.recipients(incident, status=delivery),
        "delivery": delivery,
        "recipient_states": RecipientStatus,
        "scope": scope,
        "response": drills.response_state(incident),
        "preview": preview,
        "matches": matches,
        "search_query": request.GET.urlencode() if "search" in request.GET else "",
        "assess_form": forms.get("assess") or AssessForm(initial={"level": incident.level}),
        "statement_form": forms.get("statement")
        or StatementForm(
            initial={
                "product": incident.product_id,
                "batch": incident.batch,
                "region": incident.region,
                "public_statement": incident.public_statement,
            }
        ),
        "update_form": forms.get("update") or UpdateForm(),
        "notify_form": forms.get("notify")
        or NotifyForm(
            initial={
                "channels": ["sms"],
                "product": incident.product_id,
                "batch": incident.batch,
                "region": incident.region,
            }
        ),
        "review_form": forms.get("review")
        or ReviewForm(initial={"review_summary": incident.review_summary, "findings": incident.findings}),
    }


@staff_required
@require_GET
def incident_page(request: HttpRequest, number: str) -> HttpResponse:
    _need(request, "emergency.view_incident")
    incident = _incident_or_404(number)
    return _page(request, "emergency/incident.html", _incident_ctx(request, incident))


def _do(request: HttpRequest, incident: Incident, action: str) -> tuple[str, dict[str, Any]]:
    """Run one action; returns the success message (or raises), and the bound form for errors."""
    actor, post = request.user, request.POST
    if action == "transition":
        to = post.get("to", "")
        if to not in IncidentStatus.values or to in FORM_TARGETS:
            raise ValidationError(_("Unknown step."))
        services.incident_transition(incident=incident, to=to, actor=actor, note=post.get("note", "")[:300])
        return _("Now: %(s)s.") % {"s": IncidentStatus(to).label}, {}
    if action == "assess":
        assess: Any = AssessForm(post)
        if not assess.is_valid():
            raise ValidationError(_("Write the risk assessment."))
        services.incident_assess(
            incident=incident,
            actor=actor,
            risk_assessment=assess.cleaned_data["risk_assessment"],
            level=assess.cleaned_data["level"],
        )
        return _("Risk assessed."), {}
    form: Any
    if action == "statement":
        form = StatementForm(post)
        if not form.is_valid():
            raise ValidationError(_("Check the scope and the statement."))
        d = form.cleaned_data
        services.incident_scope_update(
            incident=incident,
            actor=actor,
            product=Product.objects.filter(pk=d["product"]).first() if d["product"] else None,
            batch=d["batch"],
            region=d["region"],
            public_statement=d["public_statement"],
        )
        return _("Scope and statement saved."), {}
    if action == "task":
        task = IncidentTask.objects.filter(
            incident=incident, pk=int(post.get("task") or 0) if (post.get("task") or "").isdigit() else 0
        ).first()
        if task is None:
            raise Http404
        services.task_set_done(task=task, actor=actor, done=post.get("done") == "1")
        return _("Checklist updated."), {}
    if action == "link":
        scope = ScopeForm(post)
        if not scope.is_valid() or scope.is_empty():
            raise ValidationError(_("Search by product, batch, region or time window first."))
        qs = selectors.tickets_for_scope(user=actor, **scope.scope())
        ids = list(qs.order_by("-id").values_list("pk", flat=True)[: services.MAX_LINK])
        n = services.incident_link_tickets(incident=incident, actor=actor, ticket_ids=ids)
        return _("%(n)d tickets linked (%(m)d matched).") % {"n": n, "m": len(ids)}, {}
    if action == "update":
        form = UpdateForm(post)
        if not form.is_valid():
            raise ValidationError(_("Write the text to post."))
        up = services.incident_update_post(incident=incident, actor=actor, **form.cleaned_data)
        return _("Posted to %(a)d linked tickets (%(s)d skipped).") % {"a": up.applied, "s": up.skipped}, {}
    if action == "notify":
        form = NotifyForm(post)
        if not form.is_valid():
            raise ValidationError(_("Choose who and at least one channel."))
        d = form.cleaned_data
        customers = selectors.customers_for_scope(
            user=actor,
            incident=incident,
            source=d["source"],
            product=Product.objects.filter(pk=d["product"]).first() if d["product"] else None,
            batch=d["batch"],
            region=d["region"],
            equipment_model=d["equipment_model"],
            equipment_region=d["equipment_region"],
        )
        counts = services.incident_notify_customers(
            incident=incident,
            actor=actor,
            customer_ids=customers.values_list("pk", flat=True),
            channels=d["channels"],
        )
        return (
            _("Queued %(q)d messages; %(n)d without an address, %(a)d already sent, %(d)d drill.")
            % {
                "q": counts["queued"],
                "n": counts["no_address"],
                "a": counts["already"],
                "d": counts["drill"],
            },
            {},
        )
    if action == "review":
        form = ReviewForm(post)
        if not form.is_valid():
            raise ValidationError(_("A post-incident review is required before closing."))
        services.incident_review(
            incident=incident,
            actor=actor,
            summary=form.cleaned_data["review_summary"],
            findings=form.cleaned_data["findings"],
        )
        return _("Review recorded."), {}
    raise Http404


@staff_required
@require_POST
def incident_action(request: HttpRequest, number: str, action: str) -> HttpResponseBase:
    _need(request, "emergency.change_incident")
    incident = _incident_or_404(number)
    try:
        text, _forms = _do(request, incident, action)
    except (ValidationError, DomainError, ValueError) as exc:
        text, status = _errors(exc)
        messages.error(request, text)
        incident.refresh_from_db()
        return _page(request, "emergency/incident.html", _incident_ctx(request, incident), status=status)
    messages.success(request, text)
    return redirect("emergency:incident", number=incident.number)


@staff_required
@require_GET
def plan_detail(request: HttpRequest, code: str) -> HttpResponse:
    _need(request, "emergency.view_contingencyplan")
    plan = _plan_or_404(code)
    ctx = {
        "active": "emergency",
        "plan": plan,
        "levels": Level.choices,
        "can_edit": request.user.has_perm("emergency.change_contingencyplan"),  # type: ignore[union-attr]
        "can_declare": request.user.has_perm("emergency.add_incident"),  # type: ignore[union-attr]
    }
    return _page(request, "emergency/plan.html", ctx)


@staff_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, code: str) -> HttpResponse:
    _need(request, "emergency.change_contingencyplan")
    plan = _plan_or_404(code)
    lines = "\n".join(f"{s.text} | {s.owner} | {s.max_level}" for s in plan.steps.all())
    form = PlanForm(
        request.POST or None,
        initial={
            "name": plan.name,
            "description": plan.description,
            "is_active": plan.is_active,
            "steps": lines,
        },
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.plan_update(
                    plan=plan,
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    is_active=form.cleaned_data["is_active"],
                    steps=form.step_rows(),
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("Plan saved (version %(v)d).") % {"v": plan.version + 1})
                return redirect("emergency:plan", code=plan.code)  # type: ignore[return-value]
    return _page(
        request, "emergency/plan_edit.html", {"active": "emergency", "plan": plan, "form": form}, status
    )


@staff_required
@require_POST
def template_edit(request: HttpRequest, code: str, pk: int) -> HttpResponseBase:
    _need(request, "emergency.change_messagetemplate")
    plan = _plan_or_404(code)
    template = MessageTemplate.objects.filter(plan=plan, pk=pk).first()
    if template is None:
        raise Http404
    form = TemplateForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("The text is required."))
        services.template_update(template=template, actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        ctx = {
            "active": "emergency",
            "plan": plan,
            "levels": Level.choices,
            "can_edit": True,
            "can_declare": request.user.has_perm("emergency.add_incident"),  # type: ignore[union-attr]
        }
        return _page(request, "emergency/plan.html", ctx, status=400)
    messages.success(request, _("Message approved and saved."))
    return redirect("emergency:plan", code=plan.code)
