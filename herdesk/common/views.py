"""Liveness and readiness endpoints (OPS-3).

/healthz answers as long as the process serves requests (liveness: restart me if this fails).
/readyz says whether this process should receive traffic: 503 only when the database or, with
REDIS_URL set, Redis is unreachable. The scheduler heartbeat (clocks.SweepRun), the outbox backlog
and the replica are reported as "degraded" without failing: the proxy must not drop every web
process because beat is late (see docs/operations.md).
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    from herdesk.ops.selectors import readiness

    ready, checks = readiness()
    degraded = any(c["status"] == "degraded" for c in checks.values())
    status = "fail" if not ready else ("degraded" if degraded else "ok")
    return JsonResponse({"status": status, "checks": checks}, status=200 if ready else 503)
