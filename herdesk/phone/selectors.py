"""Reads of the hotline channel, permission-filtered."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import CallRecord


def can_take_calls(user: Any) -> bool:
    """Service staff (never a portal customer) who handle contacts."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and not getattr(user, "customer_id", None)
        and user.has_perm("tickets.add_interaction")
    )


def calls_visible_to(user: Any) -> QuerySet[CallRecord]:
    """Supervisors and QA (tickets.view_all_tickets) see every call; an agent their own calls."""
    qs = CallRecord.objects.select_related("customer", "agent", "ticket", "callback_ticket")
    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "customer_id", None):
        return qs.none()
    if user.has_perm("tickets.view_all_tickets"):
        return qs
    if not can_take_calls(user):
        return qs.none()
    return qs.filter(agent_id=user.pk)
