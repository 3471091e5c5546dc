"""ADR 0006: the WSGI application serves /api/v1/ through Django's handler without the browser-only
middleware, and every other path through the full stack. Requests go through the real application
object (`herdesk.ops.wsgi.HerdeskWSGI`, what `config.wsgi` and `config.asgi` serve), not the test
client (which always builds the full stack)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import signals
from django.db import close_old_connections
from django.test import RequestFactory

from herdesk.ops.wsgi import HerdeskWSGI
from herdesk.staff.models import User
from herdesk.staff.services import token_create


@pytest.fixture
def app() -> Iterator[HerdeskWSGI]:
    # As Django's test client does: a request starting or finishing must not close the test's
    # connection (on PostgreSQL it would end the test's transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield HerdeskWSGI()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _call(app: HerdeskWSGI, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    seen: list[Any] = []
    result = app(environ, lambda status, headers, *exc: seen.extend([status, headers]))
    try:
        body = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    return int(seen[0][:3]), seen[1], body


def _names(headers: list[tuple[str, str]]) -> set[str]:
    return {name.lower() for name, _v in headers}


def test_api_request_takes_the_short_stack(app: HerdeskWSGI, staff: Any, customer: Any) -> None:
    _t, secret = token_create(user=User.objects.get(username="agent1"))
    body = {
        "customer_id": customer.pk,
        "channel": "email",
        "problem_type": "product_inquiry",
        "subject": "酸奶保质期",
    }
    req = RequestFactory().post(
        "/api/v1/tickets",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    status, headers, content = _call(app, req.environ)
    assert status == 201, content
    assert json.loads(content)["subject"] == "酸奶保质期"
    names = _names(headers)
    # What runs for both stacks: request id, security headers, CSP, language.
    assert {"x-request-id", "x-content-type-options", "referrer-policy", "content-language"} <= names
    # What the API skips: no session or CSRF cookie, no framing header.
    assert "set-cookie" not in names
    assert "x-frame-options" not in names


def test_api_errors_stay_json_on_the_short_stack(app: HerdeskWSGI, staff: Any) -> None:
    req = RequestFactory().get("/api/v1/tickets", HTTP_AUTHORIZATION="Bearer hdk_not-a-token")
    status, _headers, content = _call(app, req.environ)
    assert status == 401
    assert "message" in json.loads(content)


def test_pages_keep_the_full_stack(app: HerdeskWSGI, staff: Any) -> None:
    status, headers, _content = _call(app, RequestFactory().get("/login/").environ)
    assert status == 200
    names = _names(headers)
    assert "x-frame-options" in names
    cookies = " ".join(v for n, v in headers if n.lower() == "set-cookie")
    assert "csrftoken=" in cookies


def test_view_hooks_of_each_stack(settings: Any) -> None:
    app = HerdeskWSGI()

    def hooks(handler: Any) -> set[str]:
        # Django keeps the process_view methods of the stack it built, in order.
        return {type(m.__self__).__name__ for m in handler._view_middleware}

    assert {"CsrfViewMiddleware", "RequestContextMiddleware"} <= hooks(app.site)
    assert "RequestContextMiddleware" in hooks(app.api)
    assert "CsrfViewMiddleware" not in hooks(app.api)
    assert settings.MIDDLEWARE[0] == "herdesk.ops.middleware.RequestMetricsMiddleware"  # restored
    assert "axes.middleware.AxesMiddleware" in settings.MIDDLEWARE
