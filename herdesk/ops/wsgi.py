"""The WSGI application: requests to the token API take a shorter middleware stack (ADR 0006).

`/api/v1/` is authenticated by bearer tokens only (`herdesk.api.auth.TokenAuth`): no session, no
CSRF cookie, no sign-in form, no TOTP step, no flash messages, no page to frame, no sign-in lockout
(django-axes guards the sign-in form; the API has its own per-IP and per-token rate limits). The
middleware for those (settings.HERDESK_BROWSER_ONLY_MIDDLEWARE) did nothing for an API request but
cost CPU on every one, the ticket creation of a mass incident included (issue #20). Everything else
(metrics, request id and log context, security headers, CSP, language, common) runs for both.

Both stacks are Django's own handler, built by Django from a middleware list, so the order and the
hooks (process_view, process_exception, …) are exactly Django's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

API_PREFIX = "/api/v1/"


class _ShortStackHandler(WSGIHandler):
    """Django's WSGI handler without the browser-only middleware."""

    def load_middleware(self, is_async: bool = False) -> None:
        full = settings.MIDDLEWARE
        skip = set(settings.HERDESK_BROWSER_ONLY_MIDDLEWARE)
        # Built once, at start-up, before any request: Django reads the list only here.
        settings.MIDDLEWARE = [path for path in full if path not in skip]
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


class HerdeskWSGI:
    """Routes `/api/v1/…` to the short stack and every other path to the full one."""

    def __init__(self) -> None:
        self.site = WSGIHandler()
        self.api = _ShortStackHandler()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        handler = self.api if environ.get("PATH_INFO", "").startswith(API_PREFIX) else self.site
        return handler(environ, start_response)


def application() -> HerdeskWSGI:
    """Set Django up and return the application (what `get_wsgi_application` does)."""
    import django

    django.setup(set_prefix=False)
    return HerdeskWSGI()
