"""The on-site visit form for the ticket page's action panels (CLS-3)."""

from __future__ import annotations

from typing import Any

from django import template

from herdesk.workspace.forms_onsite import OnsiteVisitForm

register = template.Library()


@register.simple_tag(takes_context=True)
def onsite_visit_form(context: Any) -> OnsiteVisitForm:
    user = context.get("user")
    return OnsiteVisitForm(prefix="onsite", initial={"staff": str(user) if user is not None else ""})


@register.filter
def onsite_period(data: Any) -> str:
    """ "11-24 08:00 – 09:00" in Asia/Shanghai from an on-site entry's ISO start and end."""
    from datetime import datetime

    from django.utils import timezone

    try:
        start = timezone.localtime(datetime.fromisoformat(str((data or {}).get("started_at", ""))))
        end = timezone.localtime(datetime.fromisoformat(str((data or {}).get("ended_at", ""))))
    except ValueError:
        return ""
    tail = end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%m-%d %H:%M")
    return f"{start:%m-%d %H:%M} – {tail}"
