"""GET /metrics: Prometheus text format (OPS-3)."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from . import metrics, selectors

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Open on the embedded default; with HERDESK_METRICS_TOKEN set, the scraper must send
    `Authorization: Bearer <token>` (the numbers reveal traffic and backlog, not personal data)."""
    token = getattr(settings, "HERDESK_METRICS_TOKEN", "")
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent.encode(), token.encode()):
            return HttpResponse("unauthorised\n", status=401, content_type=CONTENT_TYPE)
    body = metrics.render(selectors.metrics_gauges(), metrics.shared_snapshot())
    return HttpResponse(body, content_type=CONTENT_TYPE)
