"""A JSON WebSocket consumer that never dies on bad input: binary frames, oversized frames, invalid
JSON and non-object JSON get an error frame and the socket stays open (4xx semantics, never 5xx).
Shared by the chat and the phone (screen pop) consumers."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import translation
from django.utils.translation import gettext as _

log = logging.getLogger("herdesk.realtime")

MAX_FRAME_CHARS = 16_000
# A simple token bucket per socket: bursts of BURST frames, then RATE frames per second.
RATE = 10.0
BURST = 30.0


def error_frame(
    code: str, message: str, errors: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """The WebSocket twin of the API's error shape {"code", "message", "errors": [{field, message}]}."""
    fields = []
    for name, msgs in (errors or {}).items():
        for m in msgs if isinstance(msgs, list) else [msgs]:
            fields.append({"field": name, "message": str(m)})
    return {"type": "error", "code": code, "message": str(message), "errors": fields, **extra}


def validation_errors(exc: Any) -> dict[str, Any]:
    """A Django ValidationError as {field: [messages]}."""
    if hasattr(exc, "message_dict"):
        return {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
    return {"__all__": [str(m) for m in getattr(exc, "messages", [str(exc)])]}


class JsonSocket(AsyncWebsocketConsumer):
    """Frames from the client are handled one at a time, in order, by a task of the socket's own;
    the consumer itself only checks them (binary, size, rate) and queues them. So events from the
    channel layer (a customer's message arriving at a console, an agent's reply at a widget) are
    delivered at once even while the socket's last frame waits for the database thread — before,
    a console with 50 chats delivered nothing while each of its replies was being stored, and its
    events queued for seconds under load (docs/architecture/realtime.md, the benchmark)."""

    lang = "zh-hans"
    rate = RATE
    burst = BURST

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tokens = self.burst
        self._last = time.monotonic()
        self._frames: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._closed = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:  # however the socket ended (even by an error), its frame task ends with it
            if self._worker is not None and not self._worker.done():
                self._worker.cancel()

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels (>= 4.2) runs `aclose_old_connections()` before every handler: a hop into the one
        thread that runs all database work, for every frame and every channel-layer event of every
        socket. Under load each event then waited behind the whole database queue (seconds in the
        1,000-socket benchmark). These sockets never use the ORM on the event loop: every database
        call goes through database_sync_to_async, which closes old connections itself around each
        call; so events are handled at once."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    def _allow(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    async def send_json(self, content: dict[str, Any]) -> None:
        if self._closed:  # a frame finished after the client left: nobody to answer
            return
        await self.send(text_data=json.dumps(content, ensure_ascii=False, separators=(",", ":")))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        with translation.override(self.lang):
            if text_data is None:
                await self.send_json(error_frame("bad_frame", _("Send JSON text frames.")))
                return
            if len(text_data) > MAX_FRAME_CHARS:
                self._enqueue("oversized", text_data)
                return
            if not self._allow():
                await self.send_json(
                    error_frame("rate_limited", _("Too many messages at once; slow down a little."))
                )
                return
            self._enqueue("frame", text_data)

    def _enqueue(self, kind: str, text_data: str) -> None:
        self._frames.put_nowait((kind, text_data))
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._work())

    async def _work(self) -> None:
        while True:
            kind, text_data = await self._frames.get()
            try:
                with translation.override(self.lang):
                    await self._handle(kind, text_data)
            except Exception:  # never lose the worker: the next frame is handled as usual
                log.exception("socket: a frame failed")
            finally:
                self._frames.task_done()

    async def _handle(self, kind: str, text_data: str) -> None:
        if kind == "oversized":
            await self.on_oversized(text_data)
            await self.send_json(
                error_frame(
                    "frame_too_large",
                    _("The message is too large (at most %(n)d characters).") % {"n": MAX_FRAME_CHARS},
                )
            )
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.send_json(error_frame("invalid_json", _("The frame is not valid JSON.")))
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_json(error_frame("bad_frame", _('Each frame is a JSON object with a "type".')))
            return
        await self.receive_frame(content, text_data)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        # What the client sent before it left is still handled (a message stored, a chat closed);
        # only the answers are dropped.
        self._closed = True
        if self._worker is not None:
            await self._frames.join()
            self._worker.cancel()
        await super().websocket_disconnect(message)

    async def on_oversized(self, text_data: str) -> None:
        """Called before an oversized frame is refused (a consumer may keep it as evidence)."""

    async def receive_frame(self, content: dict[str, Any], raw: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
