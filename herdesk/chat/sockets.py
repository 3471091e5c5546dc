"""A JSON WebSocket consumer that never dies on bad input: binary frames, oversized frames, invalid
JSON and non-object JSON get an error frame and the socket stays open (4xx semantics, never 5xx).
Shared by the chat and the phone (screen pop) consumers."""

from __future__ import annotations

import json
import time
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import translation
from django.utils.translation import gettext as _

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
    lang = "zh-hans"
    rate = RATE
    burst = BURST

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tokens = self.burst
        self._last = time.monotonic()

    def _allow(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, ensure_ascii=False, separators=(",", ":")))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        with translation.override(self.lang):
            if text_data is None:
                await self.send_json(error_frame("bad_frame", _("Send JSON text frames.")))
                return
            if len(text_data) > MAX_FRAME_CHARS:
                await self.on_oversized(text_data)
                await self.send_json(
                    error_frame(
                        "frame_too_large",
                        _("The message is too large (at most %(n)d characters).") % {"n": MAX_FRAME_CHARS},
                    )
                )
                return
            if not self._allow():
                await self.send_json(
                    error_frame("rate_limited", _("Too many messages at once; slow down a little."))
                )
                return
            try:
                content = json.loads(text_data)
            except ValueError:
                await self.send_json(error_frame("invalid_json", _("The frame is not valid JSON.")))
                return
            if not isinstance(content, dict) or not isinstance(content.get("type"), str):
                await self.send_json(
                    error_frame("bad_frame", _('Each frame is a JSON object with a "type".'))
                )
                return
            await self.receive_frame(content, text_data)

    async def on_oversized(self, text_data: str) -> None:
        """Called before an oversized frame is refused (a consumer may keep it as evidence)."""

    async def receive_frame(self, content: dict[str, Any], raw: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
