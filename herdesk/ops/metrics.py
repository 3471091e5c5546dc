"""Metrics through prometheus_client (OPS-3): the request-latency histogram, and the database gauges
of herdesk.ops.selectors computed at scrape time.

One scrape target per instance (host). `herdesk serve --workers N` runs N processes: they write
their histogram into files under PROMETHEUS_MULTIPROC_DIR (the serve command sets it up, fresh, for
N > 1), and a scrape of any of them reads all the files — prometheus_client's multiprocess mode. With
one process the histogram lives in memory. Prometheus adds the instances up (sum by route); no
process talks to another, and Redis plays no part (it used to hold a shared hash).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

# Seconds. Chosen around the targets (p95 < 50 ms for pages, < 300 ms for the dashboard).
BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Not in prometheus_client's default registry: a scrape builds its own (see `exposition`).
REQUEST_SECONDS = Histogram(
    "herdesk_http_request_duration_seconds",
    "Time from the first middleware to the response, by route template.",
    ["method", "route", "status"],
    buckets=BUCKETS,
    registry=None,
)


def observe(method: str, route: str, status: int, seconds: float) -> None:
    """One request: the route template (never the raw path: the number of series stays bounded)
    and the status class."""
    REQUEST_SECONDS.labels(method, route, f"{status // 100}xx").observe(seconds)


def reset() -> None:
    """Forget this process's in-memory observations (tests)."""
    REQUEST_SECONDS.clear()


@dataclass
class Gauge:
    name: str
    help: str
    value: float | None
    labels: dict[str, str] = field(default_factory=dict)


class GaugeCollector:
    """The database gauges as metric families; a gauge whose value is None is left out (unknown,
    not zero)."""

    def __init__(self, gauges: Iterable[Gauge]) -> None:
        self.gauges = [g for g in gauges if g.value is not None]

    def collect(self) -> Iterator[Metric]:
        families: dict[str, GaugeMetricFamily] = {}
        for g in self.gauges:
            family = families.get(g.name)
            if family is None:
                family = families[g.name] = GaugeMetricFamily(g.name, g.help, labels=sorted(g.labels))
            family.add_metric([str(g.labels[k]) for k in sorted(g.labels)], float(g.value or 0))
        yield from families.values()


def multiprocess_dir() -> str:
    return os.environ.get(MULTIPROC_ENV, "")


def exposition(gauges: Iterable[Gauge], *, multiproc_dir: str | None = None) -> bytes:
    """The text a scrape gets: this instance's histogram (all its processes' files in multiprocess
    mode) and the gauges."""
    registry = CollectorRegistry()
    path = multiprocess_dir() if multiproc_dir is None else multiproc_dir
    if path:
        MultiProcessCollector(registry, path=path)
    else:
        registry.register(REQUEST_SECONDS)
    registry.register(GaugeCollector(gauges))  # type: ignore[arg-type]
    return generate_latest(registry)


def multiprocess_prepare(path: str) -> None:
    """An empty directory for this instance's worker files (stale files of a previous run would be
    added to the new counts)."""
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name.endswith(".db"):
            os.unlink(os.path.join(path, name))


__all__ = ["BUCKETS", "CONTENT_TYPE", "Gauge", "exposition", "observe", "reset"]
