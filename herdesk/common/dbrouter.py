"""Read replica routing for analytics (OPS-2; settings: DATABASE_REPLICA_URL).

Reports and dashboards read a lot and can live with a replica that is a few seconds behind; ticket
handling cannot (an agent must see the row they just wrote). So only reads that ask for it go to
the replica:

- a queryset built with the hint: ``Model.objects.db_manager(hints={"analytics": True})``;
- any read inside ``with analytics_reads():`` (also usable as a decorator);
- any read while serving a path listed in HERDESK_REPLICA_PATHS (default: the compliance summary
  API), set by ``herdesk.ops.middleware.ReplicaRoutingMiddleware``.

Writes, ``select_for_update`` and ``get_or_create`` always use the primary (Django routes them with
``db_for_write``), so a service called from a report still writes to the primary. Migrations run on
the primary only: the replica is a physical (streaming) copy.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings

REPLICA = "replica"
_analytics: contextvars.ContextVar[bool] = contextvars.ContextVar("herdesk_analytics_reads", default=False)


@contextmanager
def analytics_reads() -> Iterator[None]:
    """Route the reads of this block to the replica (when one is configured)."""
    token = _analytics.set(True)
    try:
        yield
    finally:
        _analytics.reset(token)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class AnalyticsReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if (hints.get("analytics") or _analytics.get()) and replica_configured():
            return REPLICA
        return None  # the default database

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # Both aliases hold the same data (the replica is a copy of the primary).
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db != REPLICA
