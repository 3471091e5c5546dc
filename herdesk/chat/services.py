"""Every write to live chat goes through these functions; consumers and views only call them.

Conventions: keyword-only arguments, `@transaction.atomic`, the conversation row is locked
(SELECT … FOR UPDATE; on SQLite the IMMEDIATE transaction serialises writers) before its sequence
number or status changes. Real-time events are published to the channel layer *after commit*
(`transaction.on_commit`), so no socket ever sees a message the database does not hold.

Tickets: a chat becomes a ticket when an agent converts it, links it, or closes it with customer
messages in it (S1 §二(二)3: every customer interaction is recorded), and when no agent is available
(outside service hours, or nobody accepted within HERDESK_CHAT_ACCEPT_TIMEOUT_SECONDS) — then the
widget takes a message and the ticket's first-response clock runs (INT-2: 30 minutes on the hotline
calendar for chat). The clock stops at the first human outbound interaction, which is the agent's
first chat reply recorded on the ticket with its real time.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.calendars.selectors import working_calendar
from herdesk.common.errors import DomainError
from herdesk.common.pii import normalise_phone
from herdesk.customers.models import Contact, Customer
from herdesk.customers.selectors import contact_primary, customer_find_by_phone
from herdesk.customers.services import customer_create, phone_index
from herdesk.tickets.choices import Channel, Direction, InteractionKind, ProblemType
from herdesk.tickets.models import Ticket
from herdesk.tickets.selectors import tickets_visible_to
from herdesk.tickets.services import interaction_add, ticket_create
from herdesk.triage.services import triage_ticket_received

from .choices import ConversationStatus, Identity, OfflineReason, Sender
from .models import ChatMessage, Conversation
from .publish import publish_after_commit

log = logging.getLogger("herdesk.chat")

AGENTS_GROUP = "chat-agents"
MAX_CLIENT_ID = 64
LAST_SEQ_TTL = 24 * 3600


def last_seq_key(conversation_pk: int) -> str:
    return f"herdesk:chat:last_seq:{conversation_pk}"


def conversation_group(conversation_pk: int) -> str:
    """Channel-layer group of the customer's sockets for one conversation."""
    return f"chat-c-{conversation_pk}"


def agent_group(user_pk: int) -> str:
    """Channel-layer group of one agent's console sockets (every tab, every conversation)."""
    return f"chat-u-{user_pk}"


class ChatError(DomainError):
    code = "chat_error"
    status = 409


# --- publishing (after commit) ---------------------------------------------------------------


def _publish(group: str, payload: dict[str, Any]) -> None:
    """Send `payload` to every socket in `group` once the surrounding transaction has committed."""
    publish_after_commit(group, {"type": "chat.event", "payload": payload})


def message_payload(m: ChatMessage, conversation: Conversation) -> dict[str, Any]:
    return {
        "type": "message",
        "conversation": str(conversation.public_id),
        "seq": m.seq,
        "client_id": m.client_id,
        "sender": m.sender,
        "author": str(m.author) if m.author_id and m.author else "",
        "body": m.body,
        "at": m.created_at.isoformat(),
    }


def status_payload(c: Conversation) -> dict[str, Any]:
    return {
        "type": "status",
        "conversation": str(c.public_id),
        "status": c.status,
        "offline_reason": c.offline_reason,
        "agent": str(c.agent) if c.agent_id and c.agent else "",
        "ticket": c.ticket.number if c.ticket_id and c.ticket else "",
        "accept_deadline": c.accept_deadline.isoformat() if c.accept_deadline else None,
        # QA-2: the widget offers the 1–5 rating once the agent ended a chat that is on a ticket.
        "rating_offered": rating_offered(c),
        "rating": c.rating,
    }


def rating_offered(c: Conversation) -> bool:
    return bool(
        c.status == ConversationStatus.CLOSED and c.closed_by_agent and c.ticket_id and c.rating is None
    )


def queue_payload(c: Conversation, last_message: str = "") -> dict[str, Any]:
    """What every agent console shows about a conversation in the queue (no personal data)."""
    return {
        "type": "queue",
        "conversation": str(c.public_id),
        "status": c.status,
        "name": c.visitor_name or c.customer.name,
        "identity": c.identity,
        "agent_id": c.agent_id,
        "agent": str(c.agent) if c.agent_id and c.agent else "",
        "opened_at": c.created_at.isoformat(),
        "accept_deadline": c.accept_deadline.isoformat() if c.accept_deadline else None,
        "preview": last_message[:80],
        "ticket": c.ticket.number if c.ticket_id and c.ticket else "",
    }


def _publish_status(c: Conversation, last_message: str = "") -> None:
    _publish(conversation_group(c.pk), status_payload(c))
    _publish(AGENTS_GROUP, queue_payload(c, last_message))
    if c.agent_id:
        _publish(agent_group(c.agent_id), status_payload(c))


# --- helpers ----------------------------------------------------------------------------------


def _lock(conversation_pk: int) -> Conversation:
    return (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("customer", "agent", "ticket")
        .get(pk=conversation_pk)
    )


def service_open(now: datetime) -> bool:
    """Live chat is staffed during the hotline's service hours (CAL-3)."""

    return working_calendar(settings.HERDESK_CHAT_CALENDAR).is_open(now)


def next_opening(now: datetime) -> datetime:
    return working_calendar(settings.HERDESK_CHAT_CALENDAR).next_opening(now)


def _clean_body(body: Any) -> str:
    if not isinstance(body, str) or not body.strip():
        raise ValidationError({"body": _("Write a message first.")})
    body = body.strip()
    limit = settings.HERDESK_CHAT_MAX_MESSAGE_CHARS
    if len(body) > limit:
        raise ValidationError(
            {"body": _("At most %(n)d characters (got %(got)d).") % {"n": limit, "got": len(body)}}
        )
    return body


def _clean_client_id(client_id: Any) -> str:
    if not isinstance(client_id, str) or not client_id.strip() or len(client_id) > MAX_CLIENT_ID:
        raise ValidationError({"client_id": _("Each message needs a client id of 1 to 64 characters.")})
    return client_id.strip()


def _local(at: datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S")


def transcript_text(messages: list[ChatMessage], conversation: Conversation) -> str:
    """The transcript as stored on the ticket: one line per message, times in Asia/Shanghai."""
    lines = []
    for m in messages:
        if m.sender == Sender.CUSTOMER:
            who = conversation.visitor_name or conversation.customer.name
        elif m.sender == Sender.AGENT:
            who = str(m.author) if m.author_id and m.author else _("Agent")
        else:
            who = _("System")
        lines.append(f"[{_local(m.created_at)}] {who}: {m.body}")
    return "\n".join(lines)


def _messages(c: Conversation) -> list[ChatMessage]:
    return list(c.messages.select_related("author").order_by("seq"))


def _ensure_ticket(
    c: Conversation,
    *,
    actor: Any,
    problem_type: str = ProblemType.PRODUCT_INQUIRY,
    subject: str = "",
    now: datetime,
) -> Ticket:
    """The conversation's ticket, created from its customer messages if it has none yet.

    received_at is the customer's first message (or the opening), so the first-response clock
    counts from when the customer actually wrote (INT-2).
    """

    if c.ticket_id and c.ticket is not None:
        return c.ticket
    msgs = _messages(c)
    from_customer = [m for m in msgs if m.sender == Sender.CUSTOMER]
    text = "\n".join(m.body for m in from_customer)
    subject = (subject or "").strip() or (
        from_customer[0].body.splitlines()[0][:60]
        if from_customer
        else _("Chat with %(name)s") % {"name": c.visitor_name or c.customer.name}
    )
    is_staff_actor = (
        actor is not None and getattr(actor, "pk", None) and not getattr(actor, "customer_id", None)
    )
    ticket = ticket_create(
        actor=actor if is_staff_actor else None,
        customer=c.customer,
        channel=Channel.CHAT,
        problem_type=problem_type,
        subject=subject,
        description=text[:20000],
        received_at=min(c.first_customer_message_at or c.created_at, now),
        contact=c.contact,
        first_contact_owner=c.agent if c.agent_id else None,
        interaction_body=(transcript_text(msgs, c) or subject)[:20000],
        now=now,
    )
    c.ticket = ticket
    c.save(update_fields=["ticket"])
    triage_ticket_received(ticket=ticket, text=text[:20000])
    _record_first_response(c, ticket)
    return ticket


def _record_first_response(c: Conversation, ticket: Ticket) -> None:
    """Put the agent's first chat reply on the ticket with its real time: that is the first human
    response and stops the first-response clock (INT-2)."""

    if ticket.first_response_at is not None:
        return
    first = (
        c.messages.filter(sender=Sender.AGENT, created_at__gte=ticket.received_at)
        .select_related("author")
        .order_by("seq")
        .first()
    )
    if first is None:
        return
    interaction_add(
        ticket=ticket,
        actor=first.author,
        body=first.body,
        kind=InteractionKind.CHAT,
        direction=Direction.OUTBOUND,
        channel=Channel.CHAT,
        occurred_at=first.created_at,
        data={"chat": str(c.public_id), "seq": first.seq},
    )
    ticket.refresh_from_db(fields=["first_response_at"])


# --- opening ----------------------------------------------------------------------------------


@transaction.atomic
def conversation_open(
    *,
    name: str = "",
    phone: str = "",
    portal_user: Any = None,
    page_url: str = "",
    language: str = "",
    now: datetime | None = None,
) -> Conversation:
    """Open a conversation for a visitor who gave `name` and `phone`, or for a signed-in portal
    customer (`portal_user.customer`, then name and phone are not asked).

    An unknown phone number becomes a new customer (customer_create); a known one is matched
    through the blind index and marked "not verified" for the agent (INT-7). Outside service hours
    the conversation opens in message-taking mode. Raises ValidationError keyed by field.
    Side effects after commit: a queue event to every agent console.
    """

    now = now or timezone.now()
    customer: Customer | None = getattr(portal_user, "customer", None) if portal_user is not None else None
    contact: Contact | None = None
    name = (name or "").strip() if isinstance(name, str) else ""
    if customer is not None:
        identity = Identity.PORTAL
        contact = contact_primary(customer=customer)
        name = name[:120] or customer.name
    else:
        identity = Identity.PHONE
        errors: dict[str, str] = {}
        e164 = ""
        if not name:
            errors["name"] = _("Please tell us your name.")
        elif len(name) > 120:
            errors["name"] = _("At most %(n)d characters (got %(got)d).") % {"n": 120, "got": len(name)}
        try:
            e164 = normalise_phone(phone if isinstance(phone, str) else "")
            if not e164:
                errors["phone"] = _("Please give a phone number we can call you back on.")
        except ValidationError as exc:
            errors["phone"] = exc.messages[0]
        if errors:
            raise ValidationError(errors)
        customer = customer_find_by_phone(user=None, phone=e164).order_by("id").first()
        if customer is None:
            customer = customer_create(name=name, phone=e164)
        contact = (
            Contact.objects.filter(customer=customer, phone_bidx=phone_index(e164)).order_by("id").first()
        )
    is_open = service_open(now)
    c = Conversation.objects.create(
        customer=customer,
        contact=contact,
        visitor_name=name,
        identity=identity,
        status=ConversationStatus.WAITING if is_open else ConversationStatus.OFFLINE,
        offline_reason="" if is_open else OfflineReason.CLOSED_HOURS,
        page_url=(page_url if isinstance(page_url, str) else "")[:500],
        language=(language if isinstance(language, str) else "")[:10],
        created_at=now,
        accept_deadline=now + timedelta(seconds=settings.HERDESK_CHAT_ACCEPT_TIMEOUT_SECONDS)
        if is_open
        else None,
    )
    _publish(AGENTS_GROUP, queue_payload(c))
    return c


# --- messages ---------------------------------------------------------------------------------


@dataclass
class PostResult:
    message: ChatMessage
    created: bool
    conversation: Conversation
    ticket_created: bool = False


@transaction.atomic
def message_post(
    *,
    conversation_pk: int,
    sender: str,
    client_id: str,
    body: str,
    author: Any = None,
    now: datetime | None = None,
) -> PostResult:
    """Store one chat message and give it the conversation's next sequence number.

    Exactly once: a message whose (sender, client_id) is already stored is returned unchanged with
    created=False (the client resent it after a lost acknowledgement). Locks the conversation row.
    An agent may only write in a conversation they accepted. A customer message in message-taking
    mode goes onto the ticket (created on the first one). Side effects after commit: the message
    to the conversation's sockets and to the agent's console.
    Raises ValidationError (bad body or client id) or ChatError (closed, not yours).
    """

    client_id = _clean_client_id(client_id)
    if sender not in (Sender.CUSTOMER, Sender.AGENT):
        raise ValidationError({"sender": _("Unknown sender.")})
    body = _clean_body(body)
    now = now or timezone.now()
    # The hot path of live chat: a lean row lock (no joins), then the duplicate check under it, so
    # a resend racing its original finds the stored message.
    c = Conversation.objects.select_for_update(of=("self",)).get(pk=conversation_pk)
    existing = ChatMessage.objects.filter(conversation=c, sender=sender, client_id=client_id).first()
    if existing is not None:
        return PostResult(existing, False, c)
    if c.status == ConversationStatus.CLOSED:
        raise ChatError(_("This conversation is closed. Start a new one to write again."), code="chat_closed")
    had_ticket = bool(c.ticket_id)
    if sender == Sender.AGENT:
        if c.status != ConversationStatus.ACTIVE or c.agent_id != getattr(author, "pk", None):
            raise ChatError(
                _("Accept the conversation before writing in it."), code="chat_not_yours", status=403
            )
    elif c.status == ConversationStatus.WAITING and c.accept_deadline and now >= c.accept_deadline:
        _go_offline(c, OfflineReason.NO_AGENT, now)
    c.last_seq += 1
    m = ChatMessage.objects.create(
        conversation=c,
        seq=c.last_seq,
        client_id=client_id,
        sender=sender,
        author=author if sender == Sender.AGENT else None,
        body=body,
        created_at=now,
    )
    update = ["last_seq"]
    if sender == Sender.CUSTOMER and c.first_customer_message_at is None:
        c.first_customer_message_at = now
        update.append("first_customer_message_at")
    c.save(update_fields=update)
    seq = m.seq
    # The keep-alive answers from the cache (no database read per ping): see selectors.last_seq_cached.
    transaction.on_commit(lambda: cache.set(last_seq_key(conversation_pk), seq, LAST_SEQ_TTL))
    if sender == Sender.CUSTOMER and c.status == ConversationStatus.OFFLINE:
        if c.ticket_id and c.ticket is not None:
            interaction_add(
                ticket=c.ticket,
                actor=None,
                body=body,
                kind=InteractionKind.CHAT,
                direction=Direction.INBOUND,
                channel=Channel.CHAT,
                occurred_at=now,
                data={"chat": str(c.public_id), "seq": m.seq},
            )
        else:
            _ensure_ticket(c, actor=None, now=now)
    elif sender == Sender.AGENT and c.ticket_id and c.ticket is not None:
        _record_first_response(c, c.ticket)
    payload = message_payload(m, c)
    _publish(conversation_group(c.pk), payload)
    if c.agent_id:
        _publish(agent_group(c.agent_id), payload)
    if c.status == ConversationStatus.WAITING:
        _publish(AGENTS_GROUP, queue_payload(c, body))
    return PostResult(m, True, c, ticket_created=not had_ticket and bool(c.ticket_id))


# --- agent actions ----------------------------------------------------------------------------


def _go_offline(c: Conversation, reason: str, now: datetime) -> None:
    """No agent: switch to message-taking; what the customer already wrote becomes a ticket."""
    c.status = ConversationStatus.OFFLINE
    c.offline_reason = reason
    c.save(update_fields=["status", "offline_reason"])
    if c.messages.filter(sender=Sender.CUSTOMER).exists():
        _ensure_ticket(c, actor=None, now=now)
    _publish_status(c)


@transaction.atomic
def conversation_accept(*, conversation_pk: int, agent: Any, now: datetime | None = None) -> Conversation:
    """An agent takes a waiting conversation (assignment). Locks the conversation row, so two agents
    clicking at once cannot both win: the second gets ChatError 409. Past the accept deadline the
    conversation has already been handed to message-taking and cannot be accepted.
    Side effects after commit: status to the customer, queue update to every console.
    """
    now = now or timezone.now()
    c = _lock(conversation_pk)
    if c.status == ConversationStatus.ACTIVE and c.agent_id == agent.pk:
        return c
    if c.status == ConversationStatus.WAITING and c.accept_deadline and now >= c.accept_deadline:
        _go_offline(c, OfflineReason.NO_AGENT, now)
    if c.status != ConversationStatus.WAITING:
        raise ChatError(
            _("This conversation is no longer waiting (another agent took it, or it became a ticket)."),
            code="chat_not_waiting",
        )
    c.status = ConversationStatus.ACTIVE
    c.agent = agent
    c.accepted_at = now
    c.save(update_fields=["status", "agent", "accepted_at"])
    _publish_status(c)
    return c


@transaction.atomic
def conversation_check_deadline(*, conversation_pk: int, now: datetime | None = None) -> Conversation:
    """If nobody accepted the waiting conversation within the policy time, switch it to
    message-taking (called by the widget when its deadline passes, and by `chat_sweep`)."""
    now = now or timezone.now()
    c = _lock(conversation_pk)
    if c.status == ConversationStatus.WAITING and c.accept_deadline and now >= c.accept_deadline:
        _go_offline(c, OfflineReason.NO_AGENT, now)
    return c


def chat_sweep(*, now: datetime | None = None, batch: int = 200) -> int:
    """Periodic: waiting conversations past their accept deadline go to message-taking, so a
    customer who wrote and left still gets a ticket with a running first-response clock.
    Each conversation is handled in its own transaction under its row lock (safe to run twice)."""
    now = now or timezone.now()
    due = list(
        Conversation.objects.filter(status=ConversationStatus.WAITING, accept_deadline__lte=now)
        .order_by("accept_deadline")
        .values_list("pk", flat=True)[:batch]
    )
    for pk in due:
        conversation_check_deadline(conversation_pk=pk, now=now)
    return len(due)


def _require_agent(c: Conversation, agent: Any) -> None:
    if c.agent_id != getattr(agent, "pk", None):
        raise ChatError(
            _("Only the agent who accepted this conversation can do that."), code="chat_not_yours", status=403
        )


@transaction.atomic
def conversation_convert(
    *,
    conversation_pk: int,
    agent: Any,
    problem_type: str = ProblemType.PRODUCT_INQUIRY,
    subject: str = "",
    now: datetime | None = None,
) -> Ticket:
    """Turn the chat into a new ticket (received when the customer first wrote; the agent's first
    reply recorded as the first response). Raises ChatError if it already has a ticket."""
    now = now or timezone.now()
    c = _lock(conversation_pk)
    _require_agent(c, agent)
    if c.ticket_id:
        raise ChatError(
            _("This chat is already linked to ticket %(n)s.") % {"n": c.ticket.number if c.ticket else ""},
            code="chat_has_ticket",
        )
    ticket = _ensure_ticket(c, actor=agent, problem_type=problem_type, subject=subject, now=now)
    _publish(agent_group(agent.pk), status_payload(c))
    return ticket


@transaction.atomic
def conversation_link(
    *, conversation_pk: int, agent: Any, ticket_number: str, now: datetime | None = None
) -> Ticket:
    """Link the chat to an existing ticket the agent can see, of the same customer or organisation.
    The transcript goes onto that ticket when the chat closes."""

    now = now or timezone.now()
    c = _lock(conversation_pk)
    _require_agent(c, agent)
    ticket = tickets_visible_to(agent).filter(number=(ticket_number or "").strip()).first()
    if ticket is None:
        raise ValidationError({"ticket": _("No ticket with that number is visible to you.")})
    if ticket.customer_id != c.customer_id and (
        not ticket.organisation_id or ticket.organisation_id != c.customer.organisation_id
    ):
        raise ValidationError({"ticket": _("That ticket belongs to another customer.")})
    c.ticket = ticket
    c.save(update_fields=["ticket"])
    _record_first_response(c, ticket)
    _publish(agent_group(agent.pk), status_payload(c))
    return ticket


@transaction.atomic
def conversation_close(
    *, conversation_pk: int, actor: Any = None, now: datetime | None = None
) -> Conversation:
    """Close the conversation (the agent, or the customer from the widget when actor is None).

    A chat in which the customer wrote is always on a ticket afterwards (created if needed) and a
    live chat's full transcript is stored on it as one chat interaction (CLS-3). Locks the
    conversation row; closing twice is a no-op. Side effects after commit: status events.
    """

    now = now or timezone.now()
    c = _lock(conversation_pk)
    if c.status == ConversationStatus.CLOSED:
        return c
    if actor is not None and c.status == ConversationStatus.ACTIVE:
        _require_agent(c, actor)
    msgs = _messages(c)
    had_ticket = bool(c.ticket_id)
    if any(m.sender == Sender.CUSTOMER for m in msgs):
        ticket = _ensure_ticket(c, actor=actor if c.agent_id else None, now=now)
        live = any(m.sender == Sender.AGENT for m in msgs)
        if live and had_ticket:
            interaction_add(
                ticket=ticket,
                actor=actor if getattr(actor, "pk", None) else None,
                body=transcript_text(msgs, c)[:20000],
                kind=InteractionKind.CHAT,
                direction=Direction.INTERNAL,
                channel=Channel.CHAT,
                is_public=True,
                occurred_at=now,
                data={"chat": str(c.public_id), "messages": len(msgs), "transcript": True},
            )
        c.transcript_saved_at = now
    c.status = ConversationStatus.CLOSED
    c.closed_at = now
    c.closed_by_agent = getattr(actor, "pk", None) is not None
    c.save(update_fields=["status", "closed_at", "transcript_saved_at", "closed_by_agent"])
    _publish_status(c)
    return c


@transaction.atomic
def conversation_rate(*, conversation_pk: int, score: Any, now: datetime | None = None) -> Conversation:
    """QA-2: the customer rates the chat the agent ended (1–5, once). Stored as the chat's rating on
    its ticket and written on the ticket's timeline (public: the customer gave it), audited."""
    now = now or timezone.now()
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ValidationError({"score": _("Choose a score from 1 to 5.")})
    c = _lock(conversation_pk)
    if not rating_offered(c):
        raise DomainError(_("This chat cannot be rated (any more)."), code="not_allowed", status=409)
    c.rating, c.rated_at = score, now
    c.save(update_fields=["rating", "rated_at"])
    assert c.ticket_id is not None  # rating_offered
    ticket = Ticket.objects.get(pk=c.ticket_id)
    interaction_add(
        ticket=ticket,
        actor=None,
        body=_("Chat rated by the customer: %(score)d/5") % {"score": score},
        kind=InteractionKind.SYSTEM_EVENT,
        direction=Direction.INTERNAL,
        channel=Channel.CHAT,
        is_public=True,
        occurred_at=now,
        data={"chat": str(c.public_id), "chat_rating": score},
    )
    audit_record(
        actor=None,
        action="chat.rated",
        object_type="ticket",
        object_id=ticket.number,
        data={"conversation": str(c.public_id), "score": score},
    )
    _publish_status(c)
    return c


def new_client_id() -> str:
    return uuid.uuid4().hex
