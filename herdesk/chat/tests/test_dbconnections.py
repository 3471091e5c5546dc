"""Persistent database connections (CONN_MAX_AGE) for the consumers' database thread and for HTTP,
whose requests run Django's WSGI handler in a fixed pool of long-lived threads (config/asgi.py,
ADR 0005): connections are reused, and never more than one per HTTP thread."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async
from django.db import connections
from django.db.backends.signals import connection_created

pytestmark = pytest.mark.django_db(transaction=True)


def _scope(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 40000),
        "server": ("localhost", 80),
    }


def _served_gets(path: str, n: int) -> tuple[list[int], list[Any]]:
    """GET `path` n times through the served application (config.asgi, what uvicorn runs):
    (statuses, connections opened meanwhile)."""
    from config.asgi import application

    opened: list[Any] = []

    def on_created(sender: Any, connection: Any, **kwargs: Any) -> None:
        opened.append(connection)

    connection_created.connect(on_created)
    try:

        async def one() -> int:
            app = ApplicationCommunicator(application, _scope(path))
            await app.send_input({"type": "http.request", "body": b"", "more_body": False})
            start = await app.receive_output(10)
            while (await app.receive_output(10)).get("more_body"):
                pass
            await app.wait(10)
            return int(start["status"])

        statuses = [async_to_sync(one)() for _ in range(n)]
        return statuses, [c for c in opened if c.alias == "default"]
    finally:
        connection_created.disconnect(on_created)


def test_sqlite_connections_are_persistent_by_default(settings):
    db = settings.DATABASES["default"]
    assert db["CONN_MAX_AGE"] > 0, "HTTP threads and the sockets' executor reuse their connections"
    assert db["CONN_HEALTH_CHECKS"] is True


def test_consumer_database_calls_reuse_one_connection():
    """What the 1,000-socket benchmark needs: database_sync_to_async closes *old* connections only."""

    def raw_connection() -> int:
        conn = connections["default"]
        conn.ensure_connection()
        return id(conn.connection)

    call = database_sync_to_async(raw_connection)
    seen = {async_to_sync(call)() for _ in range(5)}
    assert len(seen) == 1


def test_http_requests_reuse_their_thread_connection():
    """Twenty requests one after another: one pool thread serves them, and it opens the database
    once (Django's ASGI handler opened and closed a connection for every request)."""
    statuses, opened = _served_gets("/readyz", 20)
    assert all(s in (200, 503) for s in statuses)
    assert 1 <= len(opened) <= 2, f"{len(opened)} connections opened for 20 requests"


def test_http_is_served_by_the_wsgi_handler_in_a_bounded_pool():
    from a2wsgi import WSGIMiddleware
    from django.core.handlers.wsgi import WSGIHandler

    from config.asgi import django_http_app
    from herdesk.ops.wsgi import HerdeskWSGI

    assert isinstance(django_http_app, WSGIMiddleware)
    # Django's WSGI handlers: the pages' full stack and the token API's short one (ADR 0006).
    assert isinstance(django_http_app.app, HerdeskWSGI)
    assert isinstance(django_http_app.app.site, WSGIHandler) and isinstance(
        django_http_app.app.api, WSGIHandler
    )
    assert django_http_app.executor._max_workers >= 1
