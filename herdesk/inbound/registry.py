"""Channel handlers: each channel app registers the function that turns its stored payloads into
tickets (in its AppConfig.ready). `inbound` itself never imports a channel app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.module_loading import import_string

Handler = Callable[[Any], Any]
_HANDLERS: dict[str, Handler | str] = {}


def handler_register(channel: str, handler: Handler | str) -> None:
    """Register `handler` (a callable or "module.path:function") for payloads of `channel`."""
    _HANDLERS[channel] = handler


def handler_for(channel: str) -> Handler | None:
    handler = _HANDLERS.get(channel)
    if isinstance(handler, str):
        handler = import_string(handler.replace(":", "."))
        _HANDLERS[channel] = handler
    return handler


def registered_channels() -> list[str]:
    return sorted(_HANDLERS)
