"""Request latency middleware (OPS-3): feeds the histogram shown at /metrics."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import metrics

# Probes and the scrape itself are not user traffic; counting them would drown the percentiles.
SKIP_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def _route(request: HttpRequest) -> str:
    """The URL pattern, never the raw path, so the number of series stays bounded."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return "/" + (match.route or match.view_name or "unknown")


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path in SKIP_PATHS:
            return self.get_response(request)
        t0 = time.perf_counter()
        response = self.get_response(request)
        metrics.HISTOGRAM.observe(
            request.method or "GET", _route(request), response.status_code, time.perf_counter() - t0
        )
        metrics.flush()
        return response


class ReplicaRoutingMiddleware:
    """Reads of the report paths in HERDESK_REPLICA_PATHS go to the read replica (see
    herdesk.common.dbrouter). Removes itself when no replica is configured."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from django.conf import settings
        from django.core.exceptions import MiddlewareNotUsed

        from herdesk.common.dbrouter import replica_configured

        if not replica_configured():
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.prefixes = tuple(getattr(settings, "HERDESK_REPLICA_PATHS", ()))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from herdesk.common.dbrouter import analytics_reads

        if request.method in ("GET", "HEAD") and request.path.startswith(self.prefixes):
            with analytics_reads():
                return self.get_response(request)
        return self.get_response(request)
