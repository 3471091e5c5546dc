"""Reads for the email channel, permission-filtered: an email is visible to whoever may see its
ticket (tickets_visible_to, SEC-3); mailboxes and their secrets to administrators only."""

from __future__ import annotations

import re
import time
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from herdesk.notifications.models import OutboxMessage, OutboxStatus
from herdesk.tickets.selectors import tickets_visible_to

from .choices import CHANNEL
from .models import EmailAttachment, EmailMessage, Mailbox


def ticket_number_re() -> re.Pattern[str]:
    prefix = re.escape(getattr(settings, "HERDESK_TICKET_PREFIX", "FW"))
    # [FW-20261123-0001] and the full-width 【FW-20261123-0001】 that Chinese input methods type.
    return re.compile(rf"[\[【]\s*({prefix}-\d{{8}}-\d{{4,6}})\s*[\]】]", re.I)


def ticket_numbers_in(subject: str) -> list[str]:
    return list(dict.fromkeys(m.upper() for m in ticket_number_re().findall(subject or "")))


# Mailboxes change rarely and are read for every message: cached per process for a few seconds
# (and dropped at once by the services that change them in this process).
CACHE_SECONDS = 10.0
_cache: dict[str, Any] = {}


def mailboxes_cache_clear() -> None:
    _cache.clear()


def _mailboxes() -> dict[str, Mailbox]:
    now = time.monotonic()
    if _cache.get("until", 0.0) < now:
        _cache["by_code"] = {m.code: m for m in Mailbox.objects.all()}
        _cache["until"] = now + CACHE_SECONDS
    return dict(_cache["by_code"])


def mailbox_get(code: str) -> Mailbox | None:
    return _mailboxes().get(code)


def our_addresses() -> set[str]:
    """Every mailbox address we own (active or not): mail from them is our own coming back."""
    return {m.address.lower() for m in _mailboxes().values()}


def mailbox_by_address(address: str) -> Mailbox | None:
    return Mailbox.objects.filter(address__iexact=(address or "").strip(), active=True).first()


def mailboxes_active() -> QuerySet[Mailbox]:
    return Mailbox.objects.filter(active=True).order_by("code")


def default_mailbox() -> Mailbox | None:
    """Outbound mail without a mailbox of its own is sent from the first active primary one."""
    return Mailbox.objects.filter(active=True).order_by("-kind", "id").filter(kind="primary").first() or (
        Mailbox.objects.filter(active=True).order_by("id").first()
    )


def emails_visible_to(user: Any) -> QuerySet[EmailMessage]:
    if user is None or not user.is_authenticated or getattr(user, "customer_id", None):
        # Customers read their mail in their own mailbox and the portal timeline, not here.
        return EmailMessage.objects.none()
    return EmailMessage.objects.filter(ticket__in=tickets_visible_to(user))


def email_get(*, user: Any, pk: int) -> EmailMessage:
    """Raises EmailMessage.DoesNotExist when absent or not visible (no existence leak)."""
    return (
        emails_visible_to(user)
        .select_related("ticket", "mailbox", "payload")
        .defer("payload__raw")
        .get(pk=pk)
    )


def attachment_get(*, user: Any, pk: int) -> EmailAttachment:
    return EmailAttachment.objects.select_related("email", "email__ticket").get(
        pk=pk, email__in=emails_visible_to(user)
    )


def latest_inbound(*, ticket: Any) -> EmailMessage | None:
    return (
        EmailMessage.objects.filter(ticket=ticket, direction="in", is_automatic=False)
        .select_related("contact", "mailbox")
        .order_by("-id")
        .first()
    )


def mail_metrics() -> list[dict[str, Any]]:
    """Gauges for /metrics (herdesk.ops): email outbox messages pending, retrying and failed."""
    from django.db.models import Count

    counts = {"pending": 0, "retrying": 0, "failed": 0}
    for row in (
        OutboxMessage.objects.filter(channel=CHANNEL, status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED])
        .values("status", "attempts")
        .annotate(n=Count("id"))
        .order_by()
    ):
        if row["status"] == OutboxStatus.FAILED:
            counts["failed"] += row["n"]
        elif row["attempts"]:
            counts["retrying"] += row["n"]
        else:
            counts["pending"] += row["n"]
    return [
        {
            "name": "herdesk_mail_outbox",
            "help": "Outbound emails by state (pending, retrying, failed).",
            "value": n,
            "labels": {"state": state},
        }
        for state, n in counts.items()
    ]
