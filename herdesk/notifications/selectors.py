"""Reads of the notifications app (the app skeleton: services write, selectors read)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Min
from django.utils import timezone

from .choices import OutboxStatus
from .models import OutboxMessage


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
