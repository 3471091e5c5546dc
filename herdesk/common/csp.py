"""Content-Security-Policy (SEC-5, issue #14): scripts only from our origin or carrying this
response's nonce, no plugins, no framing, forms posting only to us.

Why nonce-based: two pages keep a tiny inline script (the dashboards' chart start-up); a nonce
admits exactly those and no script injected into a page. Styles allow 'unsafe-inline' because
templates, Bootstrap and htmx set style attributes; CSS cannot run script in current browsers.
A response that sets its own policy (the sandboxed downloads) keeps it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def policy(nonce: str, host: str) -> str:
    ws = f" ws://{host} wss://{host}" if host else ""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            f"connect-src 'self'{ws}",
            "frame-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        header = (
            "Content-Security-Policy-Report-Only"
            if getattr(settings, "HERDESK_CSP_REPORT_ONLY", False)
            else "Content-Security-Policy"
        )
        if "Content-Security-Policy" not in response:
            try:
                host = request.get_host()
            except Exception:  # a disallowed host: the response is the error page anyway
                host = ""
            response[header] = policy(nonce, host)
        return response


def nonce(request: HttpRequest) -> dict[str, Any]:
    """Template context processor: {{ csp_nonce }} for the few inline scripts."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
