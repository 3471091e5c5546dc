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
