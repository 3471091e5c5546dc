"""ASGI entry: HTTP through Django's WSGI handler, WebSockets through Channels (served by uvicorn).

HTTP requests run Django's *WSGI* handler in a fixed pool of long-lived threads (a2wsgi), not
Django's ASGI handler (ADR 0005, issue #20). None of Herdesk's views are async, and Django's ASGI
handler (a) runs each request in a thread of its own that ends with it, so a database connection can
never be reused (every request opened and closed one: SQLite's PRAGMAs, PostgreSQL's log-in), and
(b) hops between the event loop and threads where the middleware changes mode. Measured on one
worker, SQLite, `POST /api/v1/tickets` one after another: 46.8/s through the ASGI handler, 86.5/s
through this pool (bench/RESULTS.md, seventh session). The threads keep their connections
(CONN_MAX_AGE), so a process holds at most HERDESK_HTTP_THREADS of them for HTTP (settings: why
the default is 2 on SQLite and 8 on PostgreSQL).
"""

import os
from typing import Any, cast

from a2wsgi import WSGIMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
from django.conf import settings

from config.wsgi import application as _wsgi  # sets Django up; /api/v1/ short stack (ADR 0006)

# cast: Django's stubs type the handler's return as HttpResponseBase, which is iterable bytes.
django_http_app = WSGIMiddleware(cast(Any, _wsgi), workers=settings.HERDESK_HTTP_THREADS)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_http_app,
        # Session auth for agents' sockets; the origin check stops cross-site WebSocket hijacking.
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
