"""Customer chat messages through the shared inbound machinery (docs/architecture/channels.md).

Each customer "message" frame is stored raw and committed first (`payload_store`, channel "chat",
exactly once by conversation + client message id), then processed by `process_payload` (the
handler registered in ChatConfig.ready), which calls `services.message_post`. Only then is the
frame acknowledged. A frame that cannot become a message (too long, empty, closed conversation)
is quarantined with the reason — raw kept — and the customer gets an error frame.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from herdesk.inbound.choices import Outcome, PayloadState, ReasonCode
from herdesk.inbound.errors import Quarantine
from herdesk.inbound.messages import HandlerResult

from . import services
from .choices import ConversationStatus, Sender
from .models import ChatMessage, Conversation
from .sockets import error_frame
from .webhooks import ensure_source

CHANNEL, SOURCE = "chat", "widget"
log = logging.getLogger("herdesk.chat")


def _external_id(conversation: Conversation, client_id: Any) -> str:
    if isinstance(client_id, str) and 0 < len(client_id.strip()) <= services.MAX_CLIENT_ID:
        return f"{conversation.public_id}:{client_id.strip()}"
    return ""


def process_payload(payload: Any) -> HandlerResult:
    meta = payload.meta or {}
    conversation_pk = meta.get("conversation_pk")
    if not isinstance(conversation_pk, int):
        raise Quarantine(ReasonCode.PARSE_ERROR, _("The chat message names no known conversation."))
    if meta.get("truncated"):
        raise Quarantine(
            ReasonCode.PARSE_ERROR,
            _("The chat frame was larger than the limit; only its beginning was kept."),
            error_code="frame_too_large",
        )
    try:
        frame = json.loads(bytes(payload.raw).decode("utf-8"))
        if not isinstance(frame, dict):
            raise ValueError("not an object")
    except (UnicodeDecodeError, ValueError):
        raise Quarantine(
            ReasonCode.PARSE_ERROR, _("The chat frame is not a JSON object."), error_code="invalid_json"
        )
    try:
        result = services.message_post(
            conversation_pk=conversation_pk,
            sender=Sender.CUSTOMER,
            # Types are checked by message_post itself (a bad value is a field error, quarantined).
            client_id=frame.get("client_id"),  # type: ignore[arg-type]
            body=frame.get("body"),  # type: ignore[arg-type]
            now=payload.received_at,
        )
    except ValidationError as exc:
        raise Quarantine(
            ReasonCode.PARSE_ERROR,
            "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()),
            error_code="validation_error",
            errors=json.dumps(exc.message_dict, ensure_ascii=False),
        )
    except services.ChatError as exc:
        raise Quarantine(ReasonCode.HANDLER_ERROR, exc.message, error_code=exc.code)
    except Conversation.DoesNotExist:
        raise Quarantine(ReasonCode.PARSE_ERROR, _("The chat message names no known conversation."))
    conv = result.conversation
    if result.ticket_created:
        outcome = Outcome.TICKET_CREATED  # message-taking mode: this message opened the ticket
    elif conv.status == ConversationStatus.OFFLINE and conv.ticket_id:
        outcome = Outcome.INTERACTION_ADDED
    elif conv.ticket_id:
        outcome = Outcome.ALREADY_ON_TICKET  # live chat on a ticket: the transcript goes there on close
    else:
        outcome = Outcome.IGNORED  # live chat not (yet) on a ticket: kept in the conversation
    return HandlerResult(
        outcome=outcome,
        ticket=conv.ticket,
        detail={"conversation": str(conv.public_id), "seq": result.message.seq},
    )


def chat_message_receive(*, conversation: Conversation, raw: str, frame: dict[str, Any]) -> dict[str, Any]:
    """Store the raw frame (committed), process it, and say what to answer: an acknowledgement
    {"type": "ack", client_id, seq, duplicate} or an error frame. Must not run inside a
    transaction (payload_store commits on its own)."""
    # looked up at each call: the chaos tests replace inbound.services.payload_store
    from herdesk.inbound.services import payload_process, payload_store

    client_id, body = frame.get("client_id"), frame.get("body")
    # The content key ignores the frame's formatting: a resend of the same text with the same id is
    # the same message (a "duplicate", not an id reused by another message).
    content_key = hashlib.sha256(
        json.dumps([str(conversation.public_id), client_id, body], ensure_ascii=False).encode()
    ).hexdigest()
    ensure_source(CHANNEL, SOURCE, "Live chat widget")
    try:
        stored = payload_store(
            channel=CHANNEL,
            source=SOURCE,
            raw=raw.encode("utf-8"),
            external_id=_external_id(conversation, client_id),
            content_key=content_key,
            meta={"conversation": str(conversation.public_id), "conversation_pk": conversation.pk},
        )
    except Exception:  # not stored: never acknowledge; the widget keeps it and sends it again
        log.exception("chat: could not store a message")
        return error_frame(
            "try_again", _("The message could not be stored yet; it will be sent again."), client_id=client_id
        )
    processed_now = False
    if stored.payload.state == PayloadState.PENDING:
        result = payload_process(payload_id=stored.payload.pk)
        processed_now = result.state == PayloadState.PROCESSED and stored.created and not stored.duplicate
    if isinstance(client_id, str):
        message = ChatMessage.objects.filter(
            conversation=conversation, sender=Sender.CUSTOMER, client_id=client_id.strip()
        ).first()
        if message is not None:
            return {
                "type": "ack",
                "client_id": message.client_id,
                "seq": message.seq,
                "duplicate": not processed_now,
            }
    stored.payload.refresh_from_db(fields=["state", "reason", "result"])
    if stored.payload.state == PayloadState.QUARANTINED:
        detail = (stored.payload.result or {}).get("quarantine", {})
        code = detail.get("error_code") or "rejected"
        errors = json.loads(detail["errors"]) if detail.get("errors") else None
        message_text = _("Some fields are invalid.") if code == "validation_error" else stored.payload.reason
        return error_frame(code, message_text, errors, client_id=client_id)
    return error_frame(
        "try_again", _("The message could not be processed yet; it will be sent again."), client_id=client_id
    )


def oversized_frame_store(*, conversation: Conversation | None, raw: str) -> None:
    """Keep the beginning of a frame too large to accept (evidence; quarantined at once)."""
    # looked up at each call: the chaos tests replace inbound.services.payload_store
    from herdesk.inbound.services import payload_process, payload_store

    if conversation is None:
        return
    data = raw.encode("utf-8")[: settings.HERDESK_WEBHOOK_MAX_BYTES]
    stored = payload_store(
        channel=CHANNEL,
        source=SOURCE,
        raw=data,
        meta={
            "conversation": str(conversation.public_id),
            "conversation_pk": conversation.pk,
            "truncated": True,
            "declared_length": len(raw),
        },
    )
    if stored.payload.state == PayloadState.PENDING:
        payload_process(payload_id=stored.payload.pk)
