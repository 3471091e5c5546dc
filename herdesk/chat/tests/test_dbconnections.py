"""Persistent connections (SQLite CONN_MAX_AGE) for the consumers' database thread, none left
behind by ASGI HTTP requests (herdesk.chat.dbconnections)."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async
from django.core.asgi import get_asgi_application
from django.core.signals import request_finished
from django.db import connections
from django.db.backends.signals import connection_created

from herdesk.chat.dbconnections import close_request_thread_connections

pytestmark = pytest.mark.django_db(transaction=True)


def _asgi_get(path: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[Any], list[Any]]:
    """GET `path` through Django's real ASGI handler: (status, connections opened meanwhile,
    connections whose close() was called meanwhile). The closes are counted, not observed: SQLite's
    in-memory test database ignores close() (it would destroy the database)."""
    opened: list[Any] = []
    closed: list[Any] = []

    def on_created(sender: Any, connection: Any, **kwargs: Any) -> None:
        opened.append(connection)

    wrapper_class = type(connections["default"])
    original_close = wrapper_class.close

    def spy_close(self: Any) -> None:
        closed.append(self)
        original_close(self)

    monkeypatch.setattr(wrapper_class, "close", spy_close)
    connection_created.connect(on_created)
    try:

        async def run() -> int:
            scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": "GET",
                "scheme": "http",
                "path": path,
                "raw_path": path.encode(),
                "query_string": b"",
                "headers": [(b"host", b"localhost")],
                "client": ("127.0.0.1", 40000),
                "server": ("localhost", 80),
            }
            app = ApplicationCommunicator(get_asgi_application(), scope)
            await app.send_input({"type": "http.request", "body": b"", "more_body": False})
            start = await app.receive_output(10)
            while (await app.receive_output(10)).get("more_body"):
                pass
            await app.wait(10)
            return int(start["status"])

        return async_to_sync(run)(), opened, closed
    finally:
        connection_created.disconnect(on_created)
        monkeypatch.undo()


def test_sqlite_connections_are_persistent_by_default(settings):
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip(
            "the SQLite default; PostgreSQL is configured by HERDESK_DB_CONN_MAX_AGE / HERDESK_DB_POOL"
        )
    assert db["CONN_MAX_AGE"] > 0
    assert db["CONN_HEALTH_CHECKS"] is True


def test_consumer_database_calls_reuse_one_connection():
    """What the benchmark needs: database_sync_to_async closes *old* connections only."""

    def raw_connection() -> int:
        conn = connections["default"]
        conn.ensure_connection()
        return id(conn.connection)

    call = database_sync_to_async(raw_connection)
    seen = {async_to_sync(call)() for _ in range(5)}
    if connections["default"].settings_dict["CONN_MAX_AGE"] == 0:
        assert len(seen) == 5  # the old behaviour: reopened every call
    else:
        assert len(seen) == 1


def test_an_asgi_request_closes_the_connection_of_its_thread(monkeypatch):
    status, opened, closed = _asgi_get("/readyz", monkeypatch)
    assert status in (200, 503)
    request_conns = [c for c in opened if c.alias == "default"]
    assert request_conns, "the request used the database"
    assert all(any(c is d for d in closed) for c in request_conns)
    in_memory = getattr(connections["default"], "is_in_memory_db", lambda: False)()
    if not in_memory:  # PostgreSQL, or an SQLite file: really closed
        assert all(c.connection is None for c in request_conns)


def test_without_the_receiver_the_request_thread_connection_would_linger(monkeypatch):
    """The counter-proof: with persistent connections Django itself leaves it open."""
    if connections["default"].settings_dict["CONN_MAX_AGE"] == 0:
        pytest.skip("only persistent connections linger")
    assert request_finished.disconnect(dispatch_uid="herdesk.chat.close_request_thread_connections")
    try:
        _status, opened, closed = _asgi_get("/readyz", monkeypatch)
        request_conns = [c for c in opened if c.alias == "default"]
        assert request_conns
        assert not any(c is d for c in request_conns for d in closed)
        for c in request_conns:  # tidy up
            c.inc_thread_sharing()
            c.close()
    finally:
        from herdesk.chat.dbconnections import connect

        connect()


def test_other_handlers_keep_their_connection():
    """WSGI workers (and the test client) reuse their thread: their connection stays open."""
    from django.core.handlers.wsgi import WSGIHandler

    conn = connections["default"]
    conn.ensure_connection()
    close_request_thread_connections(sender=WSGIHandler)
    assert conn.connection is not None
