"""Request latency histogram and the Prometheus text exposition format (OPS-3).

No client library: the format is small (https://prometheus.io/docs/instrumenting/exposition_formats/)
and a dependency would need the multiprocess mode anyway. Counting works in two modes:

- embedded (no REDIS_URL): one process, counters in memory;
- at scale (REDIS_URL set): every web process adds its counts into one Redis hash, so a scrape of
  /metrics on any process shows the whole fleet. Each process buffers its counts and flushes them at
  most once per FLUSH_SECONDS (one pipelined round trip), never once per request; a scrape flushes
  the serving process first. A process that dies loses at most its last second of counts.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

# Seconds. Chosen around the targets (p95 < 50 ms for pages, < 300 ms for the dashboard).
BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
FLUSH_SECONDS = 1.0
REDIS_KEY = "herdesk:metrics:http"
SEP = "\x1f"  # joins label values inside a Redis hash field; never appears in a route or method


@dataclass
class _Series:
    buckets: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    count: int = 0
    total: float = 0.0


def bucket_index(seconds: float) -> int:
    """Index of the first bucket whose upper bound holds the value (len(BUCKETS) = +Inf)."""
    for i, bound in enumerate(BUCKETS):
        if seconds <= bound:
            return i
    return len(BUCKETS)


class RequestHistogram:
    """Thread-safe per-process histogram of request durations by (method, route, status class)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._series: dict[tuple[str, str, str], _Series] = defaultdict(_Series)
        self._pending: dict[tuple[str, str, str], _Series] = defaultdict(_Series)
        self._last_flush = time.monotonic()

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, f"{status // 100}xx")
        i = bucket_index(seconds)
        with self._lock:
            for target in (self._series[key], self._pending[key]):
                target.buckets[i] += 1
                target.count += 1
                target.total += seconds

    def snapshot(self) -> dict[tuple[str, str, str], _Series]:
        with self._lock:
            return {k: _Series(list(v.buckets), v.count, v.total) for k, v in self._series.items() if v.count}

    def take_pending(self, *, force: bool = False) -> dict[tuple[str, str, str], _Series] | None:
        """The counts since the last flush, if a flush is due (or forced); None otherwise."""
        now = time.monotonic()
        with self._lock:
            if not self._pending or (not force and now - self._last_flush < FLUSH_SECONDS):
                return None
            pending, self._pending = self._pending, defaultdict(_Series)
            self._last_flush = now
            return pending

    def restore_pending(self, pending: dict[tuple[str, str, str], _Series]) -> None:
        """Put counts back after a failed flush so they are sent with the next one."""
        with self._lock:
            for key, s in pending.items():
                target = self._pending[key]
                target.buckets = [a + b for a, b in zip(target.buckets, s.buckets, strict=True)]
                target.count += s.count
                target.total += s.total

    def reset(self) -> None:
        with self._lock:
            self._series.clear()
            self._pending.clear()


HISTOGRAM = RequestHistogram()
_redis_clients: dict[str, Any] = {}


def _redis() -> Any | None:
    """A client for REDIS_URL (one per URL and process), or None on the embedded default."""
    from django.conf import settings

    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    if url not in _redis_clients:
        import redis

        _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
    return _redis_clients[url]


def flush(*, force: bool = False) -> None:
    """Add this process's pending counts into the shared Redis hash (no-op without Redis)."""
    client = _redis()
    if client is None:
        return
    pending = HISTOGRAM.take_pending(force=force)
    if not pending:
        return
    try:
        pipe = client.pipeline(transaction=False)
        for (method, route, status), s in pending.items():
            base = SEP.join((method, route, status))
            for i, n in enumerate(s.buckets):
                if n:
                    pipe.hincrby(REDIS_KEY, f"{base}{SEP}b{i}", n)
            pipe.hincrby(REDIS_KEY, f"{base}{SEP}count", s.count)
            pipe.hincrbyfloat(REDIS_KEY, f"{base}{SEP}sum", s.total)
        pipe.execute()
    except Exception:  # metrics must never break a request; keep the counts for the next flush
        HISTOGRAM.restore_pending(pending)
        log.warning("metrics flush to Redis failed", exc_info=True)


def shared_snapshot() -> dict[tuple[str, str, str], _Series]:
    """The fleet-wide histogram from Redis, or this process's own without Redis."""
    client = _redis()
    if client is None:
        return HISTOGRAM.snapshot()
    flush(force=True)
    try:
        raw = client.hgetall(REDIS_KEY)
    except Exception:  # Redis down: show this process's own counts rather than nothing
        log.warning("metrics: Redis unreachable, showing this process only", exc_info=True)
        return HISTOGRAM.snapshot()
    series: dict[tuple[str, str, str], _Series] = defaultdict(_Series)
    for k, v in raw.items():
        parts = (k.decode() if isinstance(k, bytes) else k).split(SEP)
        if len(parts) != 4:
            continue
        method, route, status, what = parts
        s = series[(method, route, status)]
        value = v.decode() if isinstance(v, bytes) else v
        if what == "count":
            s.count = int(value)
        elif what == "sum":
            s.total = float(value)
        elif what.startswith("b") and what[1:].isdigit() and int(what[1:]) <= len(BUCKETS):
            s.buckets[int(what[1:])] = int(value)
    return dict(series)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items()) + "}"


def _num(value: float) -> str:
    if isinstance(value, float):
        if math.isinf(value):
            return "+Inf" if value > 0 else "-Inf"
        if math.isnan(value):
            return "NaN"
        return repr(value)
    return str(value)


@dataclass
class Gauge:
    name: str
    help: str
    value: float | None
    labels: dict[str, str] = field(default_factory=dict)
    kind: str = "gauge"


def render_histogram(series: dict[tuple[str, str, str], _Series]) -> list[str]:
    name = "herdesk_http_request_duration_seconds"
    lines = [
        f"# HELP {name} Time from the first middleware to the response, by route template.",
        f"# TYPE {name} histogram",
    ]
    for (method, route, status), s in sorted(series.items()):
        base = {"method": method, "route": route, "status": status}
        cumulative = 0
        for bound, n in zip((*BUCKETS, math.inf), s.buckets, strict=True):
            cumulative += n
            le = "+Inf" if math.isinf(bound) else repr(bound)
            lines.append(f"{name}_bucket{_labels({**base, 'le': le})} {cumulative}")
        lines.append(f"{name}_sum{_labels(base)} {_num(float(s.total))}")
        lines.append(f"{name}_count{_labels(base)} {s.count}")
    return lines


def render(gauges: Iterable[Gauge], series: dict[tuple[str, str, str], _Series]) -> str:
    """Prometheus text format 0.0.4. Gauges whose value is None are left out (unknown, not zero)."""
    lines: list[str] = []
    seen: set[str] = set()
    for g in gauges:
        if g.value is None:
            continue
        if g.name not in seen:
            lines.append(f"# HELP {g.name} {g.help}")
            lines.append(f"# TYPE {g.name} {g.kind}")
            seen.add(g.name)
        lines.append(f"{g.name}{_labels(g.labels)} {_num(g.value)}")
    lines.extend(render_histogram(series))
    return "\n".join(lines) + "\n"
