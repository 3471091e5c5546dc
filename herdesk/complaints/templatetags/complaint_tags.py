"""Template helpers of the complaint pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def person(user: Any) -> str:
    """A member of staff's display name (else username), "—" for nobody."""
    if user is None:
        return "—"
    return str(user)
