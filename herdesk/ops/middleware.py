"""Request middleware of operations (OPS-3): the latency histogram shown at /metrics, and the
log context (request id, user id, ticket number) of every record logged while handling a request."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from herdesk.common import dbrouter  # the module: tests replace its functions
from herdesk.common.logs import request_id_var, ticket_var, user_var

from . import metrics

# A request id supplied by the proxy is kept only if it is short and plain (it ends up in logs).
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    """Sets the log context for the request: X-Request-ID (the proxy's, or a fresh one, echoed in
    the response), the signed-in user's id (never a name) and the ticket number of a ticket URL."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        sent = request.headers.get("X-Request-ID", "")
        rid = sent if _REQUEST_ID.match(sent) else uuid.uuid4().hex
        tokens = [(request_id_var, request_id_var.set(rid))]
        try:
            response = self.get_response(request)
        finally:
            for var, token in tokens:
                var.reset(token)
            user_var.set("")
            ticket_var.set("")
        response["X-Request-ID"] = rid
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: dict[str, Any]
    ) -> None:
        # Runs after the authentication middleware: the user is known here.
        user = getattr(request, "user", None)
        user_var.set(str(user.pk) if user is not None and user.is_authenticated else "")
        number = view_kwargs.get("number")
        ticket_var.set(str(number)[:40] if isinstance(number, str) else "")


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
        metrics.observe(
            request.method or "GET", _route(request), response.status_code, time.perf_counter() - t0
        )
        return response


class ReplicaRoutingMiddleware:
    """Reads of the report paths in HERDESK_REPLICA_PATHS go to the read replica (see
    herdesk.common.dbrouter). Removes itself when no replica is configured."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from django.conf import settings
        from django.core.exceptions import MiddlewareNotUsed

        if not dbrouter.replica_configured():
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.prefixes = tuple(getattr(settings, "HERDESK_REPLICA_PATHS", ()))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("GET", "HEAD") and request.path.startswith(self.prefixes):
            with dbrouter.analytics_reads():
                return self.get_response(request)
        return self.get_response(request)
