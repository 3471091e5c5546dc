"""The scorecard pages of the supervision group (QA-3): the list, a version, a new scorecard, and
drafting its sections and criteria one page each. Thin, like `views.py` (whose page frame helpers
they use): parse the POST, call a service, show the refusal (bilingual, its 4xx) or redirect.

Only a draft changes; the same pages show a version in use read-only, because a review keeps the
version it was scored with.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from herdesk.common.errors import DomainError

from . import selectors, services
from .choices import Scale, VersionState
from .models import Scorecard, ScorecardVersion, ScoreCriterion, ScoreSection
from .views import _ctx, _need, _page, _refused, staff_required


@staff_required
@require_GET
def scorecards(request: HttpRequest) -> HttpResponse:
    _need(request, "quality.view_scorecard")
    cards = Scorecard.objects.prefetch_related("versions")
    return _page(request, "quality/scorecards.html", _ctx(request, cards=cards))


@staff_required
@require_http_methods(["GET", "POST"])
def version_page(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "quality.view_scorecard")
    version = get_object_or_404(ScorecardVersion.objects.select_related("scorecard"), pk=pk)
    status = 200
    if request.method == "POST":
        _need(request, "quality.change_scorecard")
        changes: dict[int, dict[str, Any]] = {}
        for c in ScoreCriterion.objects.filter(section__version=version):
            changes[c.pk] = {
                "weight": request.POST.get(f"w-{c.pk}", c.weight),
                "scale": request.POST.get(f"s-{c.pk}", c.scale),
                "red_line": bool(request.POST.get(f"rl-{c.pk}")),
                "na": bool(request.POST.get(f"na-{c.pk}")),
                "training": request.POST.get(f"t-{c.pk}", c.training_module_code),
            }
        try:
            services.version_update_criteria(actor=request.user, version=version, changes=changes)
            if request.POST.get("add_code"):
                section = version.sections.get(pk=int(request.POST.get("add_section") or 0))
                services.criterion_add(
                    actor=request.user,
                    version=version,
                    section=section,
                    code=request.POST["add_code"][:40],
                    name=request.POST.get("add_name", "")[:200] or request.POST["add_code"][:40],
                    weight=int(request.POST.get("add_weight") or 0),
                    scale=request.POST.get("add_scale", Scale.FIVE),
                )
        except DomainError as exc:
            status = _refused(request, exc)
        except (ValueError, version.sections.model.DoesNotExist):
            messages.error(request, _("Enter whole numbers. / 请填写整数。"))
            status = 400
        else:
            messages.success(request, _("Draft saved."))
            return redirect("quality:version", pk=pk)
    sections = version.sections.prefetch_related("criteria")
    ctx = _ctx(
        request,
        version=version,
        sections=sections,
        total=sum(c.weight for c in ScoreCriterion.objects.filter(section__version=version)),
        problems=services.version_problems(version) if version.state == VersionState.DRAFT else [],
        scales=Scale.choices,
        editable=version.state == VersionState.DRAFT and request.user.has_perm("quality.change_scorecard"),  # type: ignore[union-attr]
        versions=version.scorecard.versions.all(),
    )
    return _page(request, "quality/version.html", ctx, status)


@staff_required
@require_POST
def version_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _need(request, "quality.change_scorecard")
    version = get_object_or_404(ScorecardVersion, pk=pk)
    try:
        if action == "publish":
            services.version_publish(actor=request.user, version=version)
            messages.success(request, _("Version %(n)d is now in use.") % {"n": version.number})
        elif action == "draft":
            version = services.version_new_draft(actor=request.user, scorecard=version.scorecard)
        else:
            raise Http404
    except DomainError as exc:
        _refused(request, exc)
    return redirect("quality:version", pk=version.pk)


def _editable(request: HttpRequest, version: ScorecardVersion) -> bool:
    return version.state == VersionState.DRAFT and request.user.has_perm("quality.change_scorecard")  # type: ignore[union-attr]


@staff_required
@require_http_methods(["GET", "POST"])
def scorecard_new(request: HttpRequest) -> HttpResponse:
    """A new scorecard: its code and names and a first section; version 1 is a draft to fill in."""
    _need(request, "quality.add_scorecard")
    status = 200
    if request.method == "POST":
        p = request.POST
        try:
            version = services.scorecard_create(
                actor=request.user,
                code=p.get("code", ""),
                name=p.get("name", ""),
                name_en=p.get("name_en", "").strip()[:120],
                description=p.get("description", "").strip()[:2000],
                sections=[{"name": p.get("section", "").strip()[:120] or _("General / 通用")}],
            )
        except DomainError as exc:
            status = _refused(request, exc)
        else:
            messages.success(request, _("Scorecard created: add its criteria, then publish."))
            return redirect("quality:version", pk=version.pk)
    post = request.POST if request.method == "POST" else None
    return _page(request, "quality/scorecard_new.html", _ctx(request, post=post), status)


@staff_required
@require_http_methods(["GET", "POST"])
def section_new(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "quality.change_scorecard")
    version = get_object_or_404(ScorecardVersion.objects.select_related("scorecard"), pk=pk)
    return _section_form(request, version, None)


@staff_required
@require_http_methods(["GET", "POST"])
def section_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "quality.view_scorecard")
    section = get_object_or_404(ScoreSection.objects.select_related("version__scorecard"), pk=pk)
    return _section_form(request, section.version, section)


def _section_form(
    request: HttpRequest, version: ScorecardVersion, section: ScoreSection | None
) -> HttpResponse:
    status = 200
    if request.method == "POST":
        _need(request, "quality.change_scorecard")
        p = request.POST
        try:
            if section is not None and p.get("remove"):
                services.section_remove(actor=request.user, section=section)
                messages.success(request, _("Section removed."))
            elif section is not None:
                services.section_update(
                    actor=request.user, section=section, name=p.get("name", ""), name_en=p.get("name_en", "")
                )
                messages.success(request, _("Section saved."))
            else:
                services.section_add(
                    actor=request.user, version=version, name=p.get("name", ""), name_en=p.get("name_en", "")
                )
                messages.success(request, _("Section added."))
        except DomainError as exc:
            status = _refused(request, exc)
        else:
            return redirect("quality:version", pk=version.pk)
    initial = {"name": section.name, "name_en": section.name_en} if section else {}
    ctx = _ctx(
        request,
        version=version,
        section=section,
        values=request.POST if request.method == "POST" else initial,
        editable=_editable(request, version),
    )
    return _page(request, "quality/section.html", ctx, status)


@staff_required
@require_http_methods(["GET", "POST"])
def criterion_new(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "quality.change_scorecard")
    section = get_object_or_404(ScoreSection.objects.select_related("version__scorecard"), pk=pk)
    return _criterion_form(request, section, None)


@staff_required
@require_http_methods(["GET", "POST"])
def criterion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "quality.view_scorecard")
    criterion = get_object_or_404(ScoreCriterion.objects.select_related("section__version__scorecard"), pk=pk)
    return _criterion_form(request, criterion.section, criterion)


def _criterion_post(request: HttpRequest) -> dict[str, Any]:
    p = request.POST
    return {
        "code": p.get("code", ""),
        "name": p.get("name", ""),
        "name_en": p.get("name_en", ""),
        "guidance": p.get("guidance", ""),
        "weight": p.get("weight", ""),
        "scale": p.get("scale", ""),
        "red_line": bool(p.get("red_line")),
        "na": bool(p.get("na")),
        "training": p.get("training", ""),
    }


def _criterion_form(
    request: HttpRequest, section: ScoreSection, criterion: ScoreCriterion | None
) -> HttpResponse:
    version = section.version
    status = 200
    values: dict[str, Any] = services.criterion_fields(criterion) if criterion else {"scale": Scale.FIVE}
    if request.method == "POST":
        _need(request, "quality.change_scorecard")
        values = _criterion_post(request)
        try:
            if criterion is not None and request.POST.get("remove"):
                services.criterion_remove(actor=request.user, criterion=criterion)
                messages.success(request, _("Criterion removed."))
            elif criterion is not None:
                services.criterion_update(actor=request.user, criterion=criterion, fields=values)
                messages.success(request, _("Criterion saved."))
            else:
                services.criterion_create(actor=request.user, section=section, fields=values)
                messages.success(request, _("Criterion added."))
        except DomainError as exc:
            status = _refused(request, exc)
            values["error_field"] = exc.field
        else:
            return redirect("quality:version", pk=version.pk)
    modules = selectors.training_modules()
    if values.get("training") and values["training"] not in {code for code, _t in modules}:
        # An old link to a retired (or never made) module stays selectable: saving keeps it.
        modules.append((values["training"], _("not an active module")))
    others = ScoreCriterion.objects.filter(section__version=version)
    if criterion is not None:
        others = others.exclude(pk=criterion.pk)
    ctx = _ctx(
        request,
        version=version,
        section=section,
        criterion=criterion,
        values=values,
        scales=Scale.choices,
        modules=modules,
        others_total=sum(others.values_list("weight", flat=True)),
        editable=_editable(request, version),
    )
    return _page(request, "quality/criterion.html", ctx, status)
