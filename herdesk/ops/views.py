"""GET /metrics: Prometheus text format; /healthz and /readyz: liveness and readiness (OPS-3).

/healthz answers as long as the process serves requests (liveness: restart me if this fails).
/readyz says whether this process should receive traffic: 503 only when the database or, with
REDIS_URL set, Redis is unreachable. The scheduler heartbeat (clocks.SweepRun), the outbox backlog
and the replica are reported as "degraded" without failing: the proxy must not drop every web
process because beat is late (see docs/operations.md).
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from . import metrics, selectors

CONTENT_TYPE = metrics.CONTENT_TYPE


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Open on the embedded default; with HERDESK_METRICS_TOKEN set, the scraper must send
    `Authorization: Bearer <token>` (the numbers reveal traffic and backlog, not personal data)."""
    token = getattr(settings, "HERDESK_METRICS_TOKEN", "")
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent.encode(), token.encode()):
            return HttpResponse("unauthorised\n", status=401, content_type=CONTENT_TYPE)
    body = metrics.exposition(selectors.metrics_gauges())
    return HttpResponse(body, content_type=CONTENT_TYPE)


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    ready, checks = selectors.readiness()
    degraded = any(c["status"] == "degraded" for c in checks.values())
    status = "fail" if not ready else ("degraded" if degraded else "ok")
    return JsonResponse({"status": status, "checks": checks}, status=200 if ready else 503)
