"""The bell of the staff pages' header (included by templates/base.html) and notification texts."""

from __future__ import annotations

from typing import Any

from django import template

from ..selectors import unread_count
from ..staff_notices import notification_text

register = template.Library()


@register.inclusion_tag("notifications/bell_button.html", takes_context=True)
def notification_bell(context: dict[str, Any]) -> dict[str, Any]:
    """Shown to signed-in staff only (a portal customer has no staff notifications)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    staff = bool(getattr(user, "is_authenticated", False)) and not getattr(user, "customer_id", None)
    return {"show": staff, "unread": unread_count(user=user) if staff else 0}


@register.filter
def notice_text(n: Any) -> str:
    """A notification's text in the reader's language (falls back to the stored English text)."""
    return notification_text(n.kind, n.data or {}) or n.text
