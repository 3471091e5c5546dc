"""The embedded channel layer: Channels' in-memory layer with its expiry sweep amortised.

Upstream's InMemoryChannelLayer runs `_clean_expired()` on every `receive()`: a pass over every
channel queue and a copy of every group's membership. Every socket calls `receive()` again after
each event it handles, so with 1,000 chat sockets (1,000 conversation groups, the agents' groups)
each delivered event cost a pass over some 2,000 entries — the single largest item of the server's
event loop in the 1,000-socket benchmark (bench/bench_chat.py; docs/architecture/realtime.md).

Here the pass runs at most once per `clean_interval` seconds (default 1 s). What it does is
unchanged: a message older than `expiry` (60 s) is still dropped and its channel removed from its
groups (the keep-alives re-join them), only up to `clean_interval` later. `clean_interval=0`
restores upstream's behaviour. At scale the Redis layer (REDIS_URL) is used instead.
"""

from __future__ import annotations

import time
from typing import Any

from channels.layers import InMemoryChannelLayer as _UpstreamInMemoryChannelLayer


class InMemoryChannelLayer(_UpstreamInMemoryChannelLayer):
    def __init__(self, clean_interval: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clean_interval = clean_interval
        self._next_clean = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now < self._next_clean:
            return
        self._next_clean = now + self.clean_interval
        super()._clean_expired()
