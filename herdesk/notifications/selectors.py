"""Reads of the notifications app: staff notifications (always the signed-in user's own — nobody
reads another's) and the outbox backlog (/readyz, /metrics)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Min, QuerySet
from django.utils import timezone

from .choices import NotificationKind, OutboxStatus
from .models import Notification, NotificationSetting, OutboxMessage

PAGE = 50
# The bell is on every staff page: its count is cached per user (like the queue counts) and dropped
# when a notification is written or read (staff_notices: after commit); the socket keeps open pages
# live in between, so a page load costs no query for it.
UNREAD_CACHE_SECONDS = 300


def unread_cache_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def unread_count(*, user: Any, cached: bool = True) -> int:
    """The bell's number (index notif_user_unread)."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "customer_id", None):
        return 0
    key = unread_cache_key(user.pk)
    if cached and (hit := cache.get(key)) is not None:
        return int(hit)
    n = Notification.objects.filter(user=user, read_at__isnull=True).count()
    cache.set(key, n, UNREAD_CACHE_SECONDS)
    return n


def notifications_for(
    *, user: Any, kind: str = "", unread_only: bool = False, before: int | None = None, limit: int = PAGE
) -> list[Notification]:
    """The user's notifications, newest first; `kind` filters (unknown kinds: nothing), `before`
    pages by id."""
    qs: QuerySet[Notification] = Notification.objects.filter(user=user).select_related("ticket")
    if kind:
        if kind not in NotificationKind.values:
            return []
        qs = qs.filter(kind=kind)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if before is not None:
        qs = qs.filter(pk__lt=before)
    return list(qs.order_by("-id")[: max(1, min(limit, 200))])


def notification_setting(*, user: Any) -> NotificationSetting:
    return NotificationSetting.objects.filter(user=user).first() or NotificationSetting(user=user)


def outbox_backlog(*, now: datetime | None = None) -> dict[str, Any]:
    """Pending outbox messages, how many are due and how long the oldest due one has waited
    (/readyz and /metrics: a dispatcher that stopped shows here first)."""
    now = now or timezone.now()
    pending = OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
    due = pending.filter(next_attempt_at__lte=now)
    oldest = due.aggregate(oldest=Min("next_attempt_at"))["oldest"]
    return {
        "pending": pending.count(),
        "due": due.count(),
        "oldest_due_age_seconds": (now - oldest).total_seconds() if oldest else 0.0,
    }
