"""What the feature layers above the ticket services plug into ticket creation (ADR 0004).

The ticket services may not import the apps above them (complaints, …), so those apps register a
function here in their `AppConfig.ready()`, in the style of `notifications.registry`:

    tickets.hooks.on_ticket_created(complaints.services.workflow.ticket_created_hook)

`ticket_create` calls `ticket_created_run(ticket)` inside its transaction; that only schedules each
hook with `transaction.on_commit`, so a hook sees the committed ticket, cannot add statements to the
creating transaction (the pinned query counts stay), and cannot undo the ticket when it fails (the
failure is logged; the registering app keeps a sweep as the backstop).

Unlike a Django signal, what is registered is a plain list that can be read (`registered()`, shown in
the architecture docs and asserted in tests), and a registration is never silently lost to a
garbage-collected receiver or a wrong `sender`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

TicketHook = Callable[[Any], None]  # (ticket) -> None, run after the creating transaction commits

_CREATED: list[TicketHook | str] = []


def _name(entry: TicketHook | str) -> str:
    if isinstance(entry, str):
        return entry.replace(":", ".")
    return f"{entry.__module__}.{entry.__qualname__}"


def on_ticket_created(fn: TicketHook | str) -> TicketHook | str:
    """Register `fn(ticket)` to run after a new ticket's transaction commits (an app's ready()).
    Idempotent: registering the same function twice keeps one entry. Returns `fn` (a decorator)."""
    if _name(fn) not in {_name(e) for e in _CREATED}:
        _CREATED.append(fn)
    return fn


def _run(entry: TicketHook | str, ticket: Any) -> None:
    try:
        fn = import_string(entry.replace(":", ".")) if isinstance(entry, str) else entry
        fn(ticket)
    except Exception:  # a hook never undoes or blocks a ticket; its app's sweep is the backstop
        log.exception("ticket-created hook %s failed for ticket %s", _name(entry), ticket.pk)


def ticket_created_run(ticket: Any) -> None:
    """Called by `ticket_create` in its transaction: each hook runs once that transaction commits."""
    for entry in list(_CREATED):
        transaction.on_commit(functools.partial(_run, entry, ticket))


def registered() -> dict[str, list[str]]:
    """What is registered (for the checks and the docs)."""
    return {"ticket_created": [_name(e) for e in _CREATED]}
