"""Staff notifications of the signed-in user (API v1): list, mark read, mark all read.

Registered in herdesk.api.api with one line (`api.add_router("/v1/notifications", …)`). Each user
only ever sees and changes their own notifications; a portal customer gets 403.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from herdesk.notifications import selectors, staff_notices
from herdesk.notifications.choices import NotificationKind

from .errors import error_responses

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    kind_label: str
    text: str
    ticket: str
    created_at: datetime
    read_at: datetime | None


class NotificationPage(Schema):
    unread: int
    items: list[NotificationOut]
    next_before: int | None


class ReadIn(Schema):
    ids: list[int]


class ReadOut(Schema):
    marked: int
    unread: int


def _staff(request: HttpRequest) -> Any:
    user: Any = request.user
    if getattr(user, "customer_id", None):
        raise PermissionDenied
    return user


def _out(n: Any) -> dict[str, Any]:
    return {
        "id": n.pk,
        "kind": n.kind,
        "kind_label": str(NotificationKind(n.kind).label) if n.kind in NotificationKind.values else n.kind,
        "text": staff_notices.notification_text(n.kind, n.data or {}) or n.text,
        "ticket": str((n.data or {}).get("ticket", "")),
        "created_at": n.created_at,
        "read_at": n.read_at,
    }


@router.get("", response={200: NotificationPage, **error_responses(400, 401, 403, 422, 429)})
def notification_list(
    request: HttpRequest,
    kind: str = Query("", max_length=20),
    unread: bool = False,
    before: int | None = None,
    limit: int = Query(selectors.PAGE, ge=1, le=200),
) -> dict[str, Any]:
    """Newest first; `kind` filters (one of the notification kinds), `unread=true` only unread ones,
    `before=<id>` pages back."""
    user = _staff(request)
    if kind and kind not in NotificationKind.values:
        raise ValidationError(
            {
                "kind": _("“%(value)s” is not one of: %(choices)s.")
                % {"value": kind[:20], "choices": ", ".join(NotificationKind.values)}
            }
        )
    rows = selectors.notifications_for(user=user, kind=kind, unread_only=unread, before=before, limit=limit)
    return {
        "unread": selectors.unread_count(user=user, cached=False),
        "items": [_out(n) for n in rows],
        "next_before": rows[-1].pk if len(rows) == limit else None,
    }


@router.post("/read", response={200: ReadOut, **error_responses(400, 401, 403, 413, 422, 429)})
def notification_read(request: HttpRequest, payload: ReadIn) -> dict[str, Any]:
    """Mark the given notifications read (ids of other users' notifications are ignored)."""
    user = _staff(request)
    if not payload.ids:
        raise ValidationError({"ids": _("This field is required.")})
    marked = staff_notices.notifications_mark_read(user=user, ids=payload.ids[:500])
    return {"marked": marked, "unread": selectors.unread_count(user=user, cached=False)}


@router.post("/read-all", response={200: ReadOut, **error_responses(400, 401, 403, 413, 422, 429)})
def notification_read_all(request: HttpRequest) -> dict[str, Any]:
    user = _staff(request)
    marked = staff_notices.notifications_mark_read(user=user)
    return {"marked": marked, "unread": selectors.unread_count(user=user, cached=False)}
