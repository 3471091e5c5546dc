"""Publishing real-time events to channel-layer groups after the database commit.

Services run in a worker thread (`database_sync_to_async`) while the sockets live on the server's
event loop. `async_to_sync(group_send)` would block that worker until the busy loop gets round to
the send — and with one database thread for every socket that stalls everybody. So when the worker
was started from the server's loop, the send is handed to that loop and the worker goes on; the
scheduler thread or a Celery worker (no loop) sends synchronously. Clients order what they receive
by sequence number and resume from the last one they saw, so a late or lost event is never a lost
message.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger("herdesk.realtime")


def _done(future: Any) -> None:
    exc = future.exception()
    if exc is not None:  # a full or unreachable layer must not undo a committed change
        log.warning("real-time publish failed: %r", exc)


def send_now(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:  # pragma: no cover - CHANNEL_LAYERS is always configured
        return
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is not None and loop.is_running():
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            # We are the worker thread of a running server loop: hand the send over, do not wait.
            asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop).add_done_callback(_done)
            return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception as exc:
        log.warning("real-time publish to %s failed: %r", group, exc)


def publish_after_commit(group: str, message: dict[str, Any]) -> None:
    """Send `message` to `group` once the surrounding transaction has committed (never before: no
    socket may see what the database does not hold)."""
    transaction.on_commit(lambda: send_now(group, message))
