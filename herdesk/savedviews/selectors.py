"""Reads for saved views (the owner's own only) and saved replies (staff only)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from .models import SavedReply, SavedView


def savedviews_for(*, user: Any) -> QuerySet[SavedView]:
    if not getattr(user, "is_authenticated", False):
        return SavedView.objects.none()
    return SavedView.objects.filter(owner=user).order_by("name")


def saved_replies_for(*, user: Any, problem_type: str | None = None) -> QuerySet[SavedReply]:
    """Active replies for staff; customers never see the internal list."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "customer_id", None):
        return SavedReply.objects.none()
    qs = SavedReply.objects.filter(is_active=True)
    if problem_type:
        qs = qs.filter(Q(problem_type="") | Q(problem_type=problem_type))
    return qs.order_by("position", "title")
