"""The work-order lifecycle as data (FLD-2), enforced by `services.work_order_transition`.

new ─schedule→ scheduled ─arrive→ in progress ─complete→ completed
scheduled ─reschedule→ scheduled; scheduled ─unschedule→ new; new/scheduled/in progress ─cancel→ cancelled
"""

from __future__ import annotations

from .choices import WorkOrderStatus

S = WorkOrderStatus
# (from status, action) → to status. Anything not listed is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.NEW, "schedule"): S.SCHEDULED,
    (S.NEW, "cancel"): S.CANCELLED,
    (S.SCHEDULED, "schedule"): S.SCHEDULED,  # a reschedule
    (S.SCHEDULED, "unschedule"): S.NEW,
    (S.SCHEDULED, "arrive"): S.IN_PROGRESS,
    (S.SCHEDULED, "cancel"): S.CANCELLED,
    (S.IN_PROGRESS, "complete"): S.COMPLETED,
    (S.IN_PROGRESS, "cancel"): S.CANCELLED,
}
ACTIONS = ("schedule", "unschedule", "arrive", "complete", "cancel")
OPEN = (S.NEW, S.SCHEDULED, S.IN_PROGRESS)


def next_status(status: str, action: str) -> str | None:
    return TRANSITIONS.get((status, action))
