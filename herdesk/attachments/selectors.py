"""Reads for attachments, filtered by ticket visibility (SEC-3)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from herdesk.audit.services import audit_record
from herdesk.tickets.selectors import tickets_visible_to

from .models import Attachment


def attachments_for(*, user: Any, ticket: Any) -> QuerySet[Attachment]:
    """The ticket's attachments, newest first; customers see only the public ones."""
    qs = Attachment.objects.filter(ticket=ticket).select_related("uploaded_by").order_by("-id")
    if getattr(user, "customer_id", None):
        qs = qs.filter(is_public=True)
    return qs


def attachment_for_download(*, user: Any, pk: int) -> Attachment:
    """The attachment if `user` may see its ticket (and, for customers, if it is public).

    Raises Attachment.DoesNotExist otherwise, so a stranger cannot tell "absent" from "forbidden".
    The download is audited: attachments often carry personal data (photos, recordings; SEC-2).
    """
    qs = Attachment.objects.select_related("ticket").filter(
        pk=pk, ticket__in=tickets_visible_to(user).values("pk")
    )
    if getattr(user, "customer_id", None):
        qs = qs.filter(is_public=True)
    attachment = qs.get()
    audit_record(
        actor=user,
        action="attachment.download",
        object_type="ticket",
        object_id=attachment.ticket.number,
        data={"attachment": attachment.pk},
    )
    return attachment
