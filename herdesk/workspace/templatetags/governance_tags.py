"""Labels for the governance pages (policy versions, clocks, calendars, their audit history)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from herdesk.customers.choices import Tier
from herdesk.policies.choices import Action, ClockKind, Event, VersionStatus
from herdesk.policies.selectors import versions_awaiting_approval
from herdesk.tickets.choices import Channel, ComplaintSeverity, Complexity, Priority, ProblemType, Status

register = template.Library()

AUDIT_STEPS = {
    "policy.draft": gettext_lazy("Draft created"),
    "policy.copy": gettext_lazy("Copied from"),
    "policy.notes": gettext_lazy("Change notes edited"),
    "policy.clock_update": gettext_lazy("Clock changed"),
    "policy.submit": gettext_lazy("Submitted for approval"),
    "policy.approve": gettext_lazy("Approved"),
    "policy.reject": gettext_lazy("Rejected"),
    "calendar.hours_set": gettext_lazy("Opening hours changed"),
    "calendar.closure_add": gettext_lazy("Closure added"),
    "calendar.closure_remove": gettext_lazy("Closure removed"),
    "calendar.holidays_import": gettext_lazy("Holiday schedule imported"),
}
FIELDS = {
    "target": gettext_lazy("Target"),
    "calendar_code": gettext_lazy("Calendar"),
    "warn_at_percent": gettext_lazy("Warn at % of target"),
    "warn_actions": gettext_lazy("Warning actions"),
    "breach_actions": gettext_lazy("Breach actions"),
    "stop_event": gettext_lazy("Stops on"),
    "pause_statuses": gettext_lazy("Paused while"),
    "restarts": gettext_lazy("Restarts"),
    "label": gettext_lazy("Label"),
}
SCOPES = {
    "channel_groups": gettext_lazy("channels"),
    "channels": gettext_lazy("channel"),
    "problem_types": gettext_lazy("type"),
    "complexities": gettext_lazy("complexity"),
    "priorities": gettext_lazy("priority"),
    "tiers": gettext_lazy("tier"),
    "severities": gettext_lazy("severity"),
    "statuses": gettext_lazy("status"),
}


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


@register.filter
def audit_step(action: str) -> str:
    return str(AUDIT_STEPS.get(action, action))


@register.filter
def field_label(name: str) -> str:
    return str(FIELDS.get(name, name))


@register.filter
def version_status(value: str) -> str:
    return _label(VersionStatus, value)


@register.filter
def event_label(value: str) -> str:
    return _label(Event, value)


@register.filter
def kind_label(value: str) -> str:
    return _label(ClockKind, value)


@register.filter
def actions_label(values: Any) -> str:
    return "、".join(_label(Action, v) for v in values or []) or "—"


def _scope_value(key: str, value: Any) -> str:
    if key == "channel_groups":
        return str({"primary": _("primary channels"), "secondary": _("secondary channels")}.get(value, value))
    choices = {
        "channels": Channel,
        "problem_types": ProblemType,
        "complexities": Complexity,
        "priorities": Priority,
        "tiers": Tier,
        "severities": ComplaintSeverity,
        "statuses": Status,
    }.get(key)
    return _label(choices, value) if choices is not None else str(value)


@register.filter
def scope_label(applies_to: Any) -> str:
    """{"complexities": ["general"]} → "complexity: 一般"; {} → "all tickets"."""
    parts = [
        f"{SCOPES.get(k, k)}: {', '.join(_scope_value(k, x) for x in v)}"
        for k, v in (applies_to or {}).items()
        if v
    ]
    return "; ".join(parts) or _("all tickets")


@register.filter
def diff_value(value: Any, field: str) -> str:
    if field in ("warn_actions", "breach_actions"):
        return actions_label(value)
    if field == "stop_event":
        return event_label(value)
    if field == "warn_at_percent":
        return f"{value}%"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "—"
    return str(value)


@register.filter
def hours_text(pairs: Any) -> str:
    def hm(seconds: int) -> str:
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"

    return ", ".join(f"{hm(a)}-{hm(b)}" for a, b in pairs or [])


@register.filter
def iso_local(value: Any) -> str:
    """An ISO instant stored in an audit entry, shown in Asia/Shanghai as YYYY-MM-DD HH:MM."""
    import datetime as dt

    from django.utils import timezone

    try:
        at = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if at.tzinfo is None:
        return at.strftime("%Y-%m-%d %H:%M")
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


@register.simple_tag
def pending_approvals() -> int:
    """Versions awaiting management's approval (the sidebar badge of approvers; one indexed count)."""

    return versions_awaiting_approval()
