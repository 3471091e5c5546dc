"""Helpers shared by the field-service service modules: the time zone, the idempotency record
of a phone submission, the row lock, the ticket timeline entry."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from herdesk.tickets.choices import Direction, InteractionKind
from herdesk.tickets.services import interaction_add

from ..models import (
    Submission,
    WorkOrder,
)

ZONE = ZoneInfo("Asia/Shanghai")
MAX_SIGNATURE_BYTES = 400_000
MAX_PHOTO_BYTES = 8_000_000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def quarantine_hours() -> int:
    return int(getattr(settings, "HERDESK_FIELD_QUARANTINE_HOURS", 48))


def _person(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _checklist(items: list[str] | list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    out = []
    for item in items or []:
        label = (item.get("label") if isinstance(item, dict) else item) or ""
        label = str(label).strip()[:200]
        if label:
            out.append({"label": label, "done": bool(isinstance(item, dict) and item.get("done"))})
    return out[:50]


def _timeline(ticket: Any, actor: Any, text: str, **data: Any) -> None:
    if ticket is None:
        return

    interaction_add(
        ticket=ticket,
        actor=actor,
        body=text,
        kind=InteractionKind.SYSTEM_EVENT,
        direction=Direction.INTERNAL,
        is_public=False,
        data=data,
    )


def _lock(wo: WorkOrder) -> WorkOrder:
    return WorkOrder.objects.select_for_update().get(pk=wo.pk)


def _seen(key: str, actor: Any, wo: WorkOrder, action: str) -> bool:
    """True when this submission was applied before (the caller then does nothing); else records
    the key in the caller's transaction, so it commits exactly with the change."""
    if not key:
        return False
    key = key[:64]
    if Submission.objects.filter(key=key).exists():
        return True
    try:
        with transaction.atomic():
            Submission.objects.create(key=key, user=actor, work_order=wo, action=action)
    except IntegrityError:  # the same key racing in: the other one applies it
        return True
    return False


def _local(when: dt.datetime) -> str:
    return f"{timezone.localtime(when, ZONE):%Y-%m-%d %H:%M}"
