"""WebSocket consumers for live chat: the customer's widget and the agent console.

Protocol (JSON text frames, documented in docs/architecture/realtime.md):

customer  → hello{token?, after_seq?, lang?} | open{name, phone, page?} | message{client_id, body}
            | resume{after_seq} | check | close | ping (→ pong{last_seq})
server    → welcome | joined{token, status…} | history{messages} | ack{client_id, seq}
            | message{seq, …} | status{…} | error{code, message, errors}
agent     → accept | view{conversation, after_seq?} | resume{conversation, after_seq}
            | message{conversation, client_id, body}
            | convert{conversation, problem_type?, subject?} | link{conversation, ticket} | close
server    → queue_snapshot | queue | accepted | context | history | ack | message | status | ticket

A message is acknowledged only after its transaction committed; the acknowledgement carries the
sequence number, and a reconnecting client asks for everything after the last one it saw.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from herdesk.common.errors import DomainError

from . import ingest, selectors, services, verification
from .choices import ConversationStatus, Sender
from .sockets import JsonSocket, error_frame, validation_errors
from .tokens import conversation_id_from_token, conversation_token

log = logging.getLogger("herdesk.chat")

LANGS = {"zh-hans", "en"}


def _lang(value: Any) -> str:
    value = str(value or "").lower()
    if value in ("zh", "zh-cn", "zh_cn", "zh-hans"):
        return "zh-hans"
    return value if value in LANGS else "zh-hans"


def _run(lang: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a service in the worker thread with the socket's language active (messages are
    gettext'ed where they are raised)."""
    with translation.override(lang):
        return fn(**kwargs)


def _after_seq(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def _widget_strings() -> dict[str, str]:
    """Every text the widget shows, translated on the server (one catalogue for the project)."""
    return {
        "title": _("Online service"),
        "open_button": _("Chat with us"),
        "name": _("Your name"),
        "phone": _("Mobile phone"),
        "start": _("Start chat"),
        "send": _("Send"),
        "placeholder": _("Type your message…"),
        "waiting": _("Connecting you to an agent…"),
        "active": _("%(agent)s is serving you."),
        "offline_closed_hours": _(
            "We are outside service hours. Leave a message and we will reply after we open (%(when)s)."
        ),
        "offline_no_agent": _(
            "All agents are busy. Leave a message: it becomes a service request and we will call you back."
        ),
        "closed": _("This conversation has ended. Thank you!"),
        "reconnecting": _("Connection lost, reconnecting…"),
        "end": _("End chat"),
        "ticket": _("Service request number: %(number)s"),
        "pending": _("sending…"),
        "signed_in_as": _("Signed in as %(name)s"),
        "new_chat": _("New chat"),
        # Phone verification (issue #14): the agent sees the visitor's history only after it.
        "verify_hint": _("Verify your phone number so the agent can see your service history."),
        "verify_ask": _("Send code"),
        "verify_code": _("6-digit code"),
        "verify_ok": _("Verify"),
        "verify_sent": _("A code was sent to your phone."),
        "verified": _("Your phone number is verified."),
        # QA-2: the rating offered when the agent ends the chat.
        "rate_ask": _("How was this chat? Rate our service:"),
        "rate_thanks": _("Thank you for your rating!"),
    }


class _Base(JsonSocket):
    _groups: set[str]

    async def chat_event(self, event: dict[str, Any]) -> None:
        await self.send_json(event["payload"])

    async def _error(self, exc: Exception, **extra: Any) -> None:
        if isinstance(exc, ValidationError):
            await self.send_json(
                error_frame(
                    "validation_error", _("Some fields are invalid."), validation_errors(exc), **extra
                )
            )
        elif isinstance(exc, DomainError):
            await self.send_json(error_frame(exc.code, exc.message, **extra))
        else:  # a bug or a database outage: logged, answered, and the socket stays open
            log.error("chat: unexpected error", exc_info=exc)
            await self.send_json(
                error_frame("server_error", _("Something went wrong; please try again."), **extra)
            )

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self._groups.add(group)

    async def _rejoin(self) -> None:
        """Join the socket's groups again. A channel layer drops a socket from every group when an
        event waited too long for it (the in-memory layer after 60 s, e.g. while the server was
        overloaded); joining again on every keep-alive heals that within one ping interval."""
        for group in list(self._groups):
            await self.channel_layer.group_add(group, self.channel_name)

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "_groups", set()):
            await self.channel_layer.group_discard(group, self.channel_name)


class CustomerChatConsumer(_Base):
    """The customer's socket. It is bound to at most one conversation, named by a signed token, and
    only ever joins that conversation's group: it cannot see any other conversation."""

    async def connect(self) -> None:
        self._groups = set()
        self.conversation: Any = None
        await self.accept()

    async def receive_frame(self, content: dict[str, Any], raw: str) -> None:
        kind = content["type"]
        handler = {
            "hello": self.on_hello,
            "open": self.on_open,
            "message": self.on_message,
            "resume": self.on_resume,
            "check": self.on_check,
            "close": self.on_close,
            "ping": self.on_ping,
            "verify_request": self.on_verify_request,
            "verify": self.on_verify,
            "rate": self.on_rate,
        }.get(kind)
        if handler is None:
            await self.send_json(
                error_frame("unknown_type", _("Unknown frame type “%(type)s”.") % {"type": kind[:40]})
            )
            return
        try:
            await handler(content, raw)
        except Exception as exc:  # one bad frame never closes the socket
            await self._error(exc, client_id=content.get("client_id"))

    async def on_ping(self, content: dict[str, Any], raw: str) -> None:
        """Keep-alive that also says the conversation's last sequence number, so a widget that
        missed an event (a dropped frame, a layer that was full) notices and resumes."""
        last_seq = None
        if self.conversation is not None:
            # From the cache, in a worker of its own: a ping never waits for the database thread.
            last_seq = await sync_to_async(selectors.last_seq_cached, thread_sensitive=False)(
                conversation_pk=self.conversation.pk
            )
        await self._rejoin()
        await self.send_json({"type": "pong", "last_seq": last_seq})

    async def on_hello(self, content: dict[str, Any], raw: str) -> None:
        self.lang = _lang(content.get("lang"))
        token = content.get("token")
        if token:
            pid = await database_sync_to_async(conversation_id_from_token)(token)
            conv = await database_sync_to_async(selectors.conversation_by_public_id)(pid) if pid else None
            if conv is None:
                await self.send_json(
                    error_frame("bad_token", _("This conversation cannot be resumed; start a new one."))
                )
            else:
                await self._bind(conv, token)
                await self._history(_after_seq(content.get("after_seq")))
                return
        await self.send_json(await database_sync_to_async(self._welcome)())

    def _welcome(self) -> dict[str, Any]:
        from django.utils import timezone

        with translation.override(self.lang):
            now = timezone.now()
            user = self.scope.get("user")
            customer = getattr(user, "customer", None) if getattr(user, "is_authenticated", False) else None
            return {
                "type": "welcome",
                "service_open": services.service_open(now),
                "next_opening": services.next_opening(now).isoformat(),
                "portal_customer": customer.name if customer is not None else None,
                "strings": _widget_strings(),
            }

    async def _bind(self, conv: Any, token: str | None = None) -> None:
        for group in list(self._groups):
            await self.channel_layer.group_discard(group, self.channel_name)
        self._groups.clear()
        self.conversation = conv
        await self._join(services.conversation_group(conv.pk))
        if not token:  # a new random token, stored hashed (herdesk.chat.tokens)
            token = await database_sync_to_async(conversation_token)(conv.public_id)
        await self.send_json(
            {
                **services.status_payload(conv),
                "type": "joined",
                "token": token,
                "name": conv.visitor_name,
                "last_seq": conv.last_seq,
                "verified": verification.is_verified(conv),
                "strings": _widget_strings(),
            }
        )

    async def _history(self, after_seq: int) -> None:
        conv = self.conversation

        def load() -> list[dict[str, Any]]:
            return [
                services.message_payload(m, conv)
                for m in selectors.messages_after(conversation=conv, after_seq=after_seq)
            ]

        await self.send_json(
            {
                "type": "history",
                "conversation": str(conv.public_id),
                "messages": await database_sync_to_async(load)(),
            }
        )

    async def on_open(self, content: dict[str, Any], raw: str) -> None:
        user = self.scope.get("user")
        portal_user = (
            user if getattr(user, "is_authenticated", False) and getattr(user, "customer_id", None) else None
        )
        conv = await database_sync_to_async(_run)(
            self.lang,
            services.conversation_open,
            name=content.get("name", ""),
            phone=content.get("phone", ""),
            portal_user=portal_user,
            page_url=content.get("page", ""),
            language=self.lang,
        )
        await self._bind(conv)

    def _need_conversation(self) -> None:
        if self.conversation is None:
            raise DomainError(_("Open a conversation first."), code="no_conversation", status=400)

    async def on_message(self, content: dict[str, Any], raw: str) -> None:
        """Store raw first (inbound payload, committed), then process, then acknowledge."""
        self._need_conversation()
        answer = await database_sync_to_async(_run)(
            self.lang, ingest.chat_message_receive, conversation=self.conversation, raw=raw, frame=content
        )
        await self.send_json(answer)

    async def on_oversized(self, text_data: str) -> None:
        await database_sync_to_async(ingest.oversized_frame_store)(
            conversation=self.conversation, raw=text_data
        )

    async def on_resume(self, content: dict[str, Any], raw: str) -> None:
        self._need_conversation()
        await self._history(_after_seq(content.get("after_seq")))

    async def on_check(self, content: dict[str, Any], raw: str) -> None:
        self._need_conversation()
        conv = await database_sync_to_async(_run)(
            self.lang, services.conversation_check_deadline, conversation_pk=self.conversation.pk
        )
        self.conversation = conv
        await self.send_json(services.status_payload(conv))

    async def on_close(self, content: dict[str, Any], raw: str) -> None:
        self._need_conversation()
        conv = await database_sync_to_async(_run)(
            self.lang, services.conversation_close, conversation_pk=self.conversation.pk, actor=None
        )
        self.conversation = conv

    async def on_rate(self, content: dict[str, Any], raw: str) -> None:
        """QA-2: the customer's 1–5 rating of a chat the agent ended (the status frame follows)."""
        self._need_conversation()
        conv = await database_sync_to_async(_run)(
            self.lang,
            services.conversation_rate,
            conversation_pk=self.conversation.pk,
            score=content.get("score"),
        )
        self.conversation = conv
        await self.send_json(services.status_payload(conv))

    async def on_verify_request(self, content: dict[str, Any], raw: str) -> None:
        """Send the SMS code to the number given (issue #14: verification before history)."""
        self._need_conversation()
        await database_sync_to_async(_run)(
            self.lang, verification.verification_request, conversation_pk=self.conversation.pk
        )
        await self.send_json({"type": "verify_sent", "conversation": str(self.conversation.public_id)})

    async def on_verify(self, content: dict[str, Any], raw: str) -> None:
        self._need_conversation()
        conv = await database_sync_to_async(_run)(
            self.lang,
            verification.verification_check,
            conversation_pk=self.conversation.pk,
            code=content.get("code", ""),
        )
        self.conversation = conv
        await self.send_json({"type": "verified", "conversation": str(conv.public_id)})


class AgentChatConsumer(_Base):
    """An agent's console socket: the queue for everybody, plus the agent's own conversations."""

    # A console catching up after a reconnect asks about each of its chats at once.
    rate, burst = 50.0, 200.0

    async def connect(self) -> None:
        self._groups = set()
        self._mine: dict[str, int] = {}
        user = self.scope.get("user")
        if not await database_sync_to_async(selectors.can_chat)(user):
            # 4403: the WebSocket analogue of 403; the console shows "sign in again".
            await self.close(code=4403)
            return
        self.user = user
        await self.accept()
        await self._join(services.AGENTS_GROUP)
        await self._join(services.agent_group(user.pk))

        def snapshot() -> dict[str, Any]:
            return {
                "type": "queue_snapshot",
                "conversations": [services.queue_payload(c) for c in selectors.queue_for(user=user)],
            }

        await self.send_json(await database_sync_to_async(snapshot)())

    async def receive_frame(self, content: dict[str, Any], raw: str) -> None:
        kind = content["type"]
        handler = {
            "hello": self.on_hello,
            "accept": self.on_accept,
            "view": self.on_view,
            "resume": self.on_resume,
            "message": self.on_message,
            "convert": self.on_convert,
            "link": self.on_link,
            "close": self.on_close,
            "ping": self.on_ping,
        }.get(kind)
        if handler is None:
            await self.send_json(
                error_frame("unknown_type", _("Unknown frame type “%(type)s”.") % {"type": kind[:40]})
            )
            return
        try:
            await handler(content)
        except Exception as exc:  # one bad frame never closes the socket
            await self._error(
                exc, client_id=content.get("client_id"), conversation=content.get("conversation")
            )

    async def on_ping(self, content: dict[str, Any]) -> None:
        """Keep-alive: re-joins the groups and reports the last sequence number of each of the
        agent's active conversations, so the console fetches anything it missed."""
        await self._rejoin()
        user = self.user
        seqs = await database_sync_to_async(selectors.active_last_seqs)(user=user)
        await self.send_json({"type": "pong", "conversations": seqs})

    async def on_hello(self, content: dict[str, Any]) -> None:
        self.lang = _lang(content.get("lang"))

    async def _conversation(self, content: dict[str, Any]) -> Any:
        conv = await database_sync_to_async(selectors.conversation_for_staff)(
            user=self.user, public_id=content.get("conversation")
        )
        if conv is None:
            raise DomainError(_("No such conversation, or it is not yours."), code="not_found", status=404)
        if conv.agent_id == self.user.pk:
            self._mine[str(conv.public_id)] = conv.pk
        return conv

    async def _context_and_history(self, conv: Any, after_seq: int = 0) -> None:
        def load() -> tuple[dict[str, Any], list[dict[str, Any]]]:
            with translation.override(self.lang):
                ctx = selectors.customer_context(user=self.user, conversation=conv)
                msgs = [
                    services.message_payload(m, conv)
                    for m in selectors.messages_after(conversation=conv, after_seq=after_seq)
                ]
            return ctx, msgs

        ctx, msgs = await database_sync_to_async(load)()
        await self.send_json(ctx)
        await self.send_json({"type": "history", "conversation": str(conv.public_id), "messages": msgs})

    async def on_accept(self, content: dict[str, Any]) -> None:
        conv = await self._conversation(content)
        conv = await database_sync_to_async(_run)(
            self.lang, services.conversation_accept, conversation_pk=conv.pk, agent=self.user
        )
        self._mine[str(conv.public_id)] = conv.pk
        await self.send_json({**services.status_payload(conv), "type": "accepted"})
        await self._context_and_history(conv)

    async def on_view(self, content: dict[str, Any]) -> None:
        conv = await self._conversation(content)
        await self.send_json(services.status_payload(conv))
        await self._context_and_history(conv, _after_seq(content.get("after_seq")))

    async def on_resume(self, content: dict[str, Any]) -> None:
        """Only the messages after `after_seq` (a gap noticed by the console), no context."""
        conv = await self._conversation(content)
        after = _after_seq(content.get("after_seq"))

        def load() -> list[dict[str, Any]]:
            return [
                services.message_payload(m, conv)
                for m in selectors.messages_after(conversation=conv, after_seq=after)
            ]

        messages = await database_sync_to_async(load)()
        await self.send_json({"type": "history", "conversation": str(conv.public_id), "messages": messages})

    async def on_message(self, content: dict[str, Any]) -> None:
        # The hot path: a conversation this socket already knows as the agent's goes straight to
        # message_post, which checks the ownership again under the row lock.
        public_id = str(content.get("conversation") or "")
        pk = self._mine.get(public_id)
        if pk is None:
            pk = (await self._conversation(content)).pk
        result = await database_sync_to_async(_run)(
            self.lang,
            services.message_post,
            conversation_pk=pk,
            sender=Sender.AGENT,
            author=self.user,
            client_id=content.get("client_id"),
            body=content.get("body"),
        )
        await self.send_json(
            {
                "type": "ack",
                "conversation": public_id,
                "client_id": result.message.client_id,
                "seq": result.message.seq,
                "duplicate": not result.created,
            }
        )

    async def on_convert(self, content: dict[str, Any]) -> None:
        conv = await self._conversation(content)
        ticket = await database_sync_to_async(_run)(
            self.lang,
            services.conversation_convert,
            conversation_pk=conv.pk,
            agent=self.user,
            problem_type=content.get("problem_type") or "product_inquiry",
            subject=content.get("subject") or "",
        )
        await self.send_json({"type": "ticket", "conversation": str(conv.public_id), "ticket": ticket.number})

    async def on_link(self, content: dict[str, Any]) -> None:
        conv = await self._conversation(content)
        ticket = await database_sync_to_async(_run)(
            self.lang,
            services.conversation_link,
            conversation_pk=conv.pk,
            agent=self.user,
            ticket_number=str(content.get("ticket") or ""),
        )
        await self.send_json({"type": "ticket", "conversation": str(conv.public_id), "ticket": ticket.number})

    async def on_close(self, content: dict[str, Any]) -> None:
        conv = await self._conversation(content)
        if conv.status == ConversationStatus.CLOSED:
            return
        await database_sync_to_async(_run)(
            self.lang, services.conversation_close, conversation_pk=conv.pk, actor=self.user
        )
