"""Reads for live chat, permission-filtered: customers reach a conversation only through its signed
token (tokens.py); staff through these functions (SEC-3)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from herdesk.customers.choices import Tier
from herdesk.customers.selectors import contact_view
from herdesk.savedviews.selectors import saved_replies_for
from herdesk.tickets.choices import OPEN_STATUSES
from herdesk.tickets.selectors import tickets_visible_to

from .choices import ConversationStatus
from .models import ChatMessage, Conversation
from .services import last_seq_key
from .verification import is_verified

HISTORY_LIMIT = 500


def can_chat(user: Any) -> bool:
    """Staff who handle contacts (agents, engineers, supervisors); never a portal customer."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and not getattr(user, "customer_id", None)
        and user.has_perm("tickets.add_interaction")
    )


def conversations_visible_to(user: Any) -> QuerySet[Conversation]:
    """Waiting and message-taking conversations are everybody's queue; an active or closed one is
    its agent's, and every conversation is visible to holders of tickets.view_all_tickets."""
    from django.db.models import Q

    qs = Conversation.objects.select_related("customer", "customer__organisation", "agent", "ticket")
    if not can_chat(user):
        return qs.none()
    if user.has_perm("tickets.view_all_tickets"):
        return qs
    return qs.filter(
        Q(status__in=[ConversationStatus.WAITING, ConversationStatus.OFFLINE]) | Q(agent_id=user.pk)
    )


def conversation_for_staff(*, user: Any, public_id: Any) -> Conversation | None:
    try:
        pid = uuid.UUID(str(public_id))
    except (TypeError, ValueError):
        return None
    return conversations_visible_to(user).filter(public_id=pid).first()


def conversation_by_public_id(public_id: uuid.UUID) -> Conversation | None:
    """For the customer's socket, after the signed token named this id."""
    return (
        Conversation.objects.select_related("customer", "agent", "ticket").filter(public_id=public_id).first()
    )


def messages_after(
    *, conversation: Conversation, after_seq: int = 0, limit: int = HISTORY_LIMIT
) -> list[ChatMessage]:
    """What a reconnecting client missed: every message with a higher sequence number."""
    return list(
        conversation.messages.filter(seq__gt=max(0, int(after_seq)))
        .select_related("author")
        .order_by("seq")[:limit]
    )


def last_seq_cached(*, conversation_pk: int) -> int | None:
    """The last sequence number as the cache knows it (set after each commit), without touching
    the database; None when the cache does not know (then the client simply waits for events)."""
    from django.core.cache import cache

    value = cache.get(last_seq_key(conversation_pk))
    return int(value) if value is not None else None


def active_last_seqs(*, user: Any) -> dict[str, int]:
    """{public id: last sequence number} of the agent's active conversations (one query)."""
    rows = Conversation.objects.filter(agent_id=user.pk, status=ConversationStatus.ACTIVE).values_list(
        "public_id", "last_seq"
    )
    return {str(pid): seq for pid, seq in rows}


def queue_for(*, user: Any, limit: int = 100) -> list[Conversation]:
    """The console's list: waiting conversations (oldest first) and the agent's own active ones."""
    if not can_chat(user):
        return []
    waiting = list(
        conversations_visible_to(user)
        .filter(status=ConversationStatus.WAITING)
        .order_by("created_at")[:limit]
    )
    mine = list(
        Conversation.objects.select_related("customer", "agent", "ticket")
        .filter(agent_id=user.pk, status=ConversationStatus.ACTIVE)
        .order_by("accepted_at")
    )
    return waiting + mine


def customer_context(*, user: Any, conversation: Conversation) -> dict[str, Any]:
    """What the agent sees beside the chat (INT-7): who it is, how sure we are, recent tickets,
    and saved replies. Contact details are masked unless the agent may see them (then audited)."""

    customer = conversation.customer
    contact = conversation.contact
    if not is_verified(conversation):
        # Issue #14: a number typed in the widget proves nothing. Until the visitor enters the SMS
        # code, the agent sees only what the visitor told us — no history, no record details.
        return {
            "type": "context",
            "conversation": str(conversation.public_id),
            "customer": {
                "id": None,
                "name": conversation.visitor_name,
                "name_given": conversation.visitor_name,
                "organisation": "",
                "tier": "",
                "tier_label": "",
                "region": "",
                "identity": conversation.identity,
                "verified": False,
                "phone": "",
                "masked": True,
            },
            "open_tickets": 0,
            "tickets": [],
            "saved_replies": saved_replies(user=user),
            "ticket": conversation.ticket.number if conversation.ticket_id and conversation.ticket else "",
            "page_url": conversation.page_url,
        }
    view = contact_view(user=user, contact=contact, purpose="chat") if contact is not None else None
    tickets = list(
        tickets_visible_to(user)
        .filter(customer_id=customer.pk)
        .order_by("-id")
        .only("number", "subject", "status", "channel", "received_at")[:10]
    )
    open_count = tickets_visible_to(user).filter(customer_id=customer.pk, status__in=OPEN_STATUSES).count()
    return {
        "type": "context",
        "conversation": str(conversation.public_id),
        "customer": {
            "id": customer.pk,
            "name": customer.name,
            "name_given": conversation.visitor_name,
            "organisation": customer.organisation.name
            if customer.organisation_id and customer.organisation
            else "",
            "tier": customer.tier,
            "tier_label": str(Tier(customer.tier).label) if customer.tier in Tier.values else customer.tier,
            "region": customer.region,
            "identity": conversation.identity,
            "verified": True,
            "phone": view.phone if view else "",
            "masked": view.masked if view else True,
        },
        "open_tickets": open_count,
        "tickets": [
            {
                "number": t.number,
                "subject": t.subject,
                "status": t.status,
                "status_label": str(t.get_status_display()),
                "channel": t.channel,
                "channel_label": str(t.get_channel_display()),
                "received_at": t.received_at.isoformat(),
            }
            for t in tickets
        ],
        "saved_replies": saved_replies(user=user),
        "ticket": conversation.ticket.number if conversation.ticket_id and conversation.ticket else "",
        "page_url": conversation.page_url,
    }


def saved_replies(*, user: Any) -> list[dict[str, str]]:
    """The savedviews app's saved replies (HND-7 canned replies), when that app is installed."""
    from django.apps import apps

    if not apps.is_installed("herdesk.savedviews"):
        return []

    return [{"title": r.title, "body": r.body} for r in saved_replies_for(user=user)[:50]]
