"""Persistent database connections for the sockets, none left behind by HTTP requests.

The settings keep database connections open (SQLite: CONN_MAX_AGE 600 s) because the chat
consumers' database work runs in one executor thread per process and Channels'
database_sync_to_async calls close_old_connections() around every call: with CONN_MAX_AGE = 0
each chat message reopened the connection (and re-ran SQLite's PRAGMAs), which saturated the
server in the 1,000-socket benchmark.

Django's ASGI handler, however, runs every HTTP request in a thread of its own
(ThreadSensitiveContext) that ends with the request; a connection kept open there is never used
again and lingers until the garbage collector finds it (measured: +45 SQLite file handles after 400
requests). Django's documentation says persistent connections should be disabled under ASGI for
exactly this reason. So an HTTP request served by the ASGI handler closes its thread's connections
when it finishes, as with CONN_MAX_AGE = 0, and only the long-lived threads (the consumers'
executor, the scheduler thread, WSGI workers) keep theirs.
"""

from __future__ import annotations

from typing import Any

from django.core.handlers.asgi import ASGIHandler
from django.db import connections


def close_request_thread_connections(sender: Any, **kwargs: Any) -> None:
    """`request_finished` receiver: close the finishing ASGI request's own connections.

    Runs in the request's thread (Django sends the signal from it). Other handlers (WSGI, the
    test client's) are left alone; a connection inside a transaction is never closed."""
    if not (isinstance(sender, type) and issubclass(sender, ASGIHandler)):
        return
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close()


def connect() -> None:
    from django.core.signals import request_finished

    request_finished.connect(
        close_request_thread_connections, dispatch_uid="herdesk.chat.close_request_thread_connections"
    )
