"""Governance pages: the service policy editor (POL-1, POL-2, S1 §六) and the working calendar editor
(CAL-1). Thin like the other workspace views: a form parses, a service decides and writes (and
audits), a selector reads. Refusals become a message and a 4xx, never a 500 (issue #12: settings
that were only reachable through unaudited admin switches)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from herdesk.calendars import selectors as cal_selectors
from herdesk.calendars import services as cal_services
from herdesk.calendars.models import Calendar
from herdesk.common.errors import DomainError
from herdesk.policies import selectors as pol_selectors
from herdesk.policies import services as pol_services
from herdesk.policies.choices import VersionStatus
from herdesk.policies.models import PolicyVersion

from . import forms_governance as gf

# The workspace's page helpers (layout context, staff-only). views.py is being split into a package;
# these two names are what this module needs from it.
from .views import _page, staff_required

VIEW_POLICIES = "policies.view_servicepolicy"
EDIT_POLICIES = "policies.change_policyversion"
APPROVE_POLICIES = "policies.approve_policy"
VIEW_CALENDARS = "calendars.view_calendar"
EDIT_CALENDARS = "calendars.change_calendar"


def _require(user: Any, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied


def _version(pk: int) -> PolicyVersion:
    try:
        return pol_selectors.version_get(pk)
    except PolicyVersion.DoesNotExist:
        raise Http404


def _refused(request: HttpRequest, exc: Exception) -> None:
    if isinstance(exc, DomainError):
        messages.error(request, exc.message)
    elif isinstance(exc, ValidationError):
        messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, str(exc))


# --- policies ------------------------------------------------------------------------------------


@staff_required
@require_GET
def policy_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    _require(user, VIEW_POLICIES)
    now = timezone.now()
    versions = pol_selectors.policy_versions()
    in_force = pol_selectors.policy_version_in_force(at=now)
    latest = pol_selectors.policy_version_latest_approved()
    scheduled = latest if latest is not None and in_force is not None and latest.pk != in_force.pk else None
    active = pol_selectors.policy_in_force()
    open_version = next(
        (
            v
            for v in versions
            if active
            and v.policy_id == active.pk
            and v.status in (VersionStatus.DRAFT, VersionStatus.SUBMITTED)
        ),
        None,
    )
    return _page(
        request,
        "workspace/governance/policy_list.html",
        {
            "versions": versions,
            "in_force": in_force,
            "scheduled": scheduled,
            "active_policy": active,
            "open_version": open_version,
            "can_draft": user.has_perm(EDIT_POLICIES) and in_force is not None and open_version is None,
            "diff_form": gf.DiffForm(initial={"a": in_force.pk if in_force else None}),
            "active": "policies",
        },
    )


@staff_required
@require_POST
def policy_draft(request: HttpRequest) -> HttpResponse:
    """A new draft of the policy in force, copied from its latest approved version (the one in force,
    or one already approved to take effect later: its changes are kept)."""
    user: Any = request.user
    _require(user, EDIT_POLICIES)
    source = pol_selectors.policy_version_latest_approved()
    if source is None:
        messages.error(request, _("No version is in force to copy."))
        return redirect("workspace:policies")
    form = gf.NotesForm(request.POST)
    notes = form.cleaned_data["notes"] if form.is_valid() else ""
    try:
        version = pol_services.version_draft_from(source=source, actor=user, notes=notes)
    except DomainError as exc:
        _refused(request, exc)
        return redirect("workspace:policies")
    messages.success(
        request, _("Draft v%(n)s created from v%(s)s.") % {"n": version.number, "s": source.number}
    )
    return redirect("workspace:policy_version", pk=version.pk)


def _tomorrow() -> dt.datetime:
    """The default effective time: the start of tomorrow in Asia/Shanghai."""
    day = timezone.localdate() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _clock_forms(version: PolicyVersion, data: Any = None) -> list[tuple[Any, gf.ClockRowForm]]:
    return [
        (c, gf.ClockRowForm(data, prefix=f"c{c.pk}", initial=gf.clock_initial(c)))
        for c in version.clocks.all()
    ]


def _version_page(
    request: HttpRequest, version: PolicyVersion, *, rows: Any = None, decision: Any = None, status: int = 200
) -> HttpResponse:
    user: Any = request.user
    editable = version.status == VersionStatus.DRAFT and user.has_perm(EDIT_POLICIES)
    others = [v for v in pol_selectors.policy_versions() if v.pk != version.pk]
    compare_to = next(
        (v for v in others if v.policy_id == version.policy_id and v.number < version.number), None
    )
    drafters = pol_services.drafters_of(version) if version.status == VersionStatus.SUBMITTED else set()
    return _page(
        request,
        "workspace/governance/policy_version.html",
        {
            "version": version,
            "rows": rows if rows is not None else _clock_forms(version),
            "editable": editable,
            "can_submit": editable,
            "can_decide": version.status == VersionStatus.SUBMITTED and user.has_perm(APPROVE_POLICIES),
            "is_drafter": user.pk in drafters,
            "decision": decision
            or gf.DecisionForm(initial={"decision": "approve", "effective_from": _tomorrow()}),
            "notes_form": gf.NotesForm(initial={"notes": version.notes}),
            "history": pol_selectors.version_history(version),
            "others": others,
            "compare_to": compare_to,
            "active": "policies",
        },
        status=status,
    )


@staff_required
@require_GET
def policy_version(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, VIEW_POLICIES)
    return _version_page(request, _version(pk))


@staff_required
@require_POST
def policy_clocks_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the clock table of a draft: every changed clock through clock_definition_update, all or
    nothing (one transaction), each change audited."""
    user: Any = request.user
    _require(user, EDIT_POLICIES)
    version = _version(pk)
    rows = _clock_forms(version, request.POST)
    notes = gf.NotesForm(request.POST)
    if not all(f.is_valid() for _c, f in rows) or not notes.is_valid():
        messages.error(request, _("Some clocks have errors; nothing was saved."))
        return _version_page(request, version, rows=rows, status=400)
    changed = 0
    try:
        with transaction.atomic():
            for clock, form in rows:
                changes = {k: form.cleaned_data[k] for k in form.changed_data}
                if changes:
                    pol_services.clock_definition_update(definition=clock, actor=user, **changes)
                    changed += 1
            pol_services.version_notes_set(version=version, actor=user, notes=notes.cleaned_data["notes"])
    except ValidationError as exc:
        messages.error(
            request, _("Some clocks have errors; nothing was saved.") + " " + " ".join(exc.messages)
        )
        return _version_page(request, version, rows=rows, status=400)
    except DomainError as exc:
        _refused(request, exc)
        return _version_page(request, _version(pk), status=exc.status)
    messages.success(request, _("Saved: %(n)s clocks changed.") % {"n": changed})
    return redirect("workspace:policy_version", pk=pk)


@staff_required
@require_POST
def policy_submit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    _require(user, EDIT_POLICIES)
    version = _version(pk)
    try:
        pol_services.version_submit(version=version, actor=user)
    except DomainError as exc:
        _refused(request, exc)
        return _version_page(request, _version(pk), status=exc.status)
    messages.success(request, _("Submitted for approval; management has been notified."))
    return redirect("workspace:policy_version", pk=pk)


@staff_required
@require_POST
def policy_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Management approves (with an effective time) or rejects (with a reason) a submitted version."""
    user: Any = request.user
    _require(user, APPROVE_POLICIES)
    version = _version(pk)
    form = gf.DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please correct the decision form."))
        return _version_page(request, version, decision=form, status=400)
    d = form.cleaned_data
    try:
        if d["decision"] == "approve":
            pol_services.version_approve(
                version=version, actor=user, effective_from=d["effective_from"], comment=d["comment"]
            )
            messages.success(
                request,
                _("Approved: tickets received from %(at)s get v%(n)s.")
                % {
                    "at": timezone.localtime(d["effective_from"]).strftime("%Y-%m-%d %H:%M"),
                    "n": version.number,
                },
            )
        else:
            pol_services.version_reject(version=version, actor=user, comment=d["comment"])
            messages.success(request, _("Returned to the drafters with your comment."))
    except DomainError as exc:
        _refused(request, exc)
        return _version_page(request, _version(pk), decision=form, status=exc.status)
    except ValidationError as exc:
        _refused(request, exc)
        return _version_page(request, _version(pk), decision=form, status=400)
    return redirect("workspace:policy_version", pk=pk)


@staff_required
@require_GET
def policy_diff(request: HttpRequest) -> HttpResponse:
    _require(request.user, VIEW_POLICIES)
    form = gf.DiffForm(request.GET)
    if not form.is_valid():
        messages.error(request, _("Choose two versions to compare."))
        return redirect("workspace:policies")
    try:
        a = pol_selectors.version_get(form.cleaned_data["a"])
        b = pol_selectors.version_get(form.cleaned_data["b"])
    except PolicyVersion.DoesNotExist:
        raise Http404
    rows = pol_selectors.version_diff(a, b)
    return _page(
        request,
        "workspace/governance/policy_diff.html",
        {
            "a": a,
            "b": b,
            "rows": rows,
            "changed": [r for r in rows if r.status != "same"],
            "same": sum(1 for r in rows if r.status == "same"),
            "versions": pol_selectors.policy_versions(),
            "active": "policies",
        },
    )


# --- calendars -----------------------------------------------------------------------------------


def _calendar(code: str) -> Calendar:
    try:
        return cal_selectors.calendar_get(code)
    except Calendar.DoesNotExist:
        raise Http404


def _calendar_page(request: HttpRequest, calendar: Calendar, status: int = 200, **forms: Any) -> HttpResponse:
    user: Any = request.user
    weekly = cal_services.calendar_weekly(calendar)
    today = timezone.localdate()
    ctx = {
        "calendar": calendar,
        "calendars": cal_selectors.calendars_all(),
        "hours_form": forms.get("hours_form")
        or gf.CalendarHoursForm(initial=gf.CalendarHoursForm.initial_for(calendar, weekly)),
        "closure_form": forms.get("closure_form") or gf.ClosureForm(),
        "import_form": forms.get("import_form") or gf.HolidayImportForm(),
        "preview": forms.get("preview"),
        "closures": cal_selectors.calendar_closures(calendar),
        "holidays": cal_selectors.holidays_from(today.replace(month=1, day=1)),
        "holiday_years": cal_selectors.holiday_years(),
        "history": cal_selectors.calendar_history(calendar.code),
        "can_edit": user.has_perm(EDIT_CALENDARS),
        "today": today,
        "active": "calendars",
    }
    return _page(request, "workspace/governance/calendar.html", ctx, status=status)


@staff_required
@require_GET
def calendar_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, VIEW_CALENDARS)
    first = cal_selectors.calendars_all()
    if not first:
        raise Http404
    return redirect("workspace:calendar", code=first[0].code)


@staff_required
@require_GET
def calendar_page(request: HttpRequest, code: str) -> HttpResponse:
    _require(request.user, VIEW_CALENDARS)
    return _calendar_page(request, _calendar(code))


@staff_required
@require_POST
def calendar_hours(request: HttpRequest, code: str) -> HttpResponse:
    user: Any = request.user
    _require(user, EDIT_CALENDARS)
    calendar = _calendar(code)
    form = gf.CalendarHoursForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please correct the opening hours."))
        return _calendar_page(request, calendar, status=400, hours_form=form)
    try:
        cal_services.calendar_hours_set(
            calendar=calendar,
            intervals=form.cleaned_data["weekly"],
            observes_holidays=form.cleaned_data["observes_holidays"],
            always_open=form.cleaned_data["always_open"],
            actor=user,
        )
    except ValueError as exc:
        messages.error(request, str(exc))
        return _calendar_page(request, calendar, status=400, hours_form=form)
    messages.success(request, _("Opening hours saved; clocks started from now on use them."))
    return redirect("workspace:calendar", code=code)


@staff_required
@require_POST
def calendar_closure_add(request: HttpRequest, code: str) -> HttpResponse:
    user: Any = request.user
    _require(user, EDIT_CALENDARS)
    calendar = _calendar(code)
    form = gf.ClosureForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please correct the closure."))
        return _calendar_page(request, calendar, status=400, closure_form=form)
    cal_services.calendar_closure_add(
        calendar=calendar, date=form.cleaned_data["date"], reason=form.cleaned_data["reason"], actor=user
    )
    messages.success(request, _("Closed on %(d)s.") % {"d": form.cleaned_data["date"].isoformat()})
    return redirect("workspace:calendar", code=code)


@staff_required
@require_POST
def calendar_closure_remove(request: HttpRequest, code: str) -> HttpResponse:
    user: Any = request.user
    _require(user, EDIT_CALENDARS)
    calendar = _calendar(code)
    form = gf.ClosureRemoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown date."))
        return _calendar_page(request, calendar, status=400)
    day: dt.date = form.cleaned_data["date"]
    if cal_services.calendar_closure_remove(calendar=calendar, date=day, actor=user):
        messages.success(request, _("Open again on %(d)s.") % {"d": day.isoformat()})
    else:
        messages.info(request, _("%(d)s was not a closure.") % {"d": day.isoformat()})
    return redirect("workspace:calendar", code=code)


@staff_required
@require_POST
def calendar_holidays_import(request: HttpRequest, code: str) -> HttpResponse:
    """Two steps: without `apply`, show what the schedule would change; with it, import (audited)."""
    user: Any = request.user
    _require(user, EDIT_CALENDARS)
    calendar = _calendar(code)
    form = gf.HolidayImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("The holiday schedule was not accepted."))
        return _calendar_page(request, calendar, status=400, import_form=form)
    schedule, source = form.cleaned_data["schedule"], form.cleaned_data["source"]
    if request.POST.get("apply") != "1":
        preview = cal_services.holidays_import_preview(data=schedule)
        return _calendar_page(
            request,
            calendar,
            import_form=gf.HolidayImportForm(
                initial={"text": form.cleaned_data["schedule_json"], "source": source}
            ),
            preview=preview,
        )
    created, updated = cal_services.holidays_import(data=schedule, source=source, actor=user)
    messages.success(
        request, _("Holiday schedule imported: %(c)s new, %(u)s changed.") % {"c": created, "u": updated}
    )
    return redirect("workspace:calendar", code=code)
