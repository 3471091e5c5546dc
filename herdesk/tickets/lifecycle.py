"""The ticket lifecycle as data (a transition table), enforced by tickets.services._transition.

new → triaged → assigned → acknowledged → in progress (options offered / option chosen)
→ waiting for customer → resolved → closed, with reopen, merge and cancel.
"""

from __future__ import annotations

from .choices import Status

S = Status
TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.TRIAGED, S.CANCELLED, S.MERGED}),
    # A common question is answered from a saved reply and resolved at triage (S1 §三(一)3).
    S.TRIAGED: frozenset({S.ASSIGNED, S.RESOLVED, S.CANCELLED, S.MERGED}),
    # assigned → assigned is a transfer before acknowledgement; it restarts the 15-minute clock.
    S.ASSIGNED: frozenset({S.ASSIGNED, S.ACKNOWLEDGED, S.CANCELLED, S.MERGED}),
    S.ACKNOWLEDGED: frozenset(
        {S.IN_PROGRESS, S.ASSIGNED, S.WAITING_CUSTOMER, S.RESOLVED, S.CANCELLED, S.MERGED}
    ),
    S.IN_PROGRESS: frozenset({S.ASSIGNED, S.WAITING_CUSTOMER, S.RESOLVED, S.CANCELLED, S.MERGED}),
    S.WAITING_CUSTOMER: frozenset({S.IN_PROGRESS, S.RESOLVED, S.CANCELLED, S.MERGED}),
    # A dispute or a customer reply reopens (CLS-1).
    S.RESOLVED: frozenset({S.CLOSED, S.IN_PROGRESS}),
    S.CLOSED: frozenset({S.IN_PROGRESS}),
    S.CANCELLED: frozenset(),
    S.MERGED: frozenset(),
}


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


def allowed_targets(from_status: str) -> frozenset[str]:
    return TRANSITIONS.get(from_status, frozenset())
