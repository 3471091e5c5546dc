"""Template helpers of the emergency pages, and the status banner the portal and the help centre
show while an incident is active (`{% load emergency_tags %}{% emergency_banner %}`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template
from django.utils.translation import gettext as _

from herdesk.emergency.choices import ROMAN, EventType, IncidentStatus, RecipientStatus
from herdesk.emergency.selectors import active_banners

register = template.Library()


@register.inclusion_tag("emergency/_banner.html")
def emergency_banner() -> dict[str, Any]:
    return {"banners": active_banners()}


@register.filter
def roman(level: Any) -> str:
    try:
        return ROMAN.get(int(level), str(level))
    except (TypeError, ValueError):
        return ""


@register.filter
def incident_status(value: str) -> str:
    try:
        return str(IncidentStatus(value).label)
    except ValueError:
        return value


@register.filter
def event_type(value: str) -> str:
    try:
        return str(EventType(value).label)
    except ValueError:
        return value


@register.filter
def recipient_state(value: str) -> str:
    labels = {"pending": _("Pending"), "sent": _("Sent"), "failed": _("Failed"), "sending": _("Sending")}
    if value in labels:
        return str(labels[value])
    try:
        return str(RecipientStatus(value).label)
    except ValueError:
        return value


@register.filter
def span(value: timedelta | None) -> str:
    """A duration as 1 h 05 min / 3 min 20 s."""
    if value is None:
        return "—"
    secs = max(0, int(value.total_seconds()))
    h, rest = divmod(secs, 3600)
    m, s = divmod(rest, 60)
    if h:
        return _("%(h)d h %(m)02d min") % {"h": h, "m": m}
    if m:
        return _("%(m)d min %(s)02d s") % {"m": m, "s": s}
    return _("%(s)d s") % {"s": s}
