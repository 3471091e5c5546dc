"""The service worker of the engineer's phone pages (FLD-2), served from /field/my/sw.js so that its
scope is /field/my/ (a worker controls only pages under its own path). The body is the offline
queue (static field/queue.js) followed by the worker (static field/sw.js): one script, from 'self',
no inline code (CSP). Public like any static file: it holds no data; the pages it caches and the
submissions it replays carry the engineer's own session cookie."""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

PARTS = ("field/queue.js", "field/sw.js")


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    paths = [finders.find(p) for p in PARTS]
    if not all(paths):
        raise Http404
    body = "\n".join(Path(str(p)).read_text(encoding="utf-8") for p in paths)
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    # A new version of the worker is picked up on the next visit, not after an HTTP cache expiry.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/field/my/"
    return response
