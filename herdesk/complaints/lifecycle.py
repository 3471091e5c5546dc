"""The complaint workflow and the CAPA status machine as data, enforced by
`services.complaint_transition` and `services.capa_transition` (the only writers of a stage/status).

Complaint (CMP-1): received → assessed → assigned → containment (optional: an immediate action such as
stopping the sale of a batch, recorded before the analysis) → solution and communication → executed →
verified → customer confirmation → closed. A failed verification or a customer who does not accept
the solution sends the complaint back to the solution stage.

CAPA (CMP-3, CMP-5): open → in progress → done → effective (the +90-day check found no recurrence), or
reopened by a check that finds a recurrence → in progress again.
"""

from __future__ import annotations

from .choices import CapaStatus, Stage

S = Stage
# action → (from stages, to stage)
ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    "assess": (frozenset({S.RECEIVED, S.ASSESSED}), S.ASSESSED),
    "assign": (frozenset({S.ASSESSED, S.ASSIGNED}), S.ASSIGNED),
    "contain": (frozenset({S.ASSIGNED, S.CONTAINMENT}), S.CONTAINMENT),
    "solve": (frozenset({S.ASSIGNED, S.CONTAINMENT, S.SOLUTION}), S.SOLUTION),
    "execute": (frozenset({S.SOLUTION}), S.EXECUTED),
    "verify": (frozenset({S.EXECUTED}), S.VERIFIED),
    "reject_verification": (frozenset({S.EXECUTED}), S.SOLUTION),
    "confirm": (frozenset({S.VERIFIED}), S.CONFIRMED),
    "customer_rejects": (frozenset({S.VERIFIED}), S.SOLUTION),
    "close": (frozenset({S.CONFIRMED}), S.CLOSED),
}

TRANSITIONS: dict[str, frozenset[str]] = {
    s: frozenset(to for frm, to in ACTIONS.values() if s in frm) for s in Stage.values
}


def can_transition(from_stage: str, to_stage: str) -> bool:
    return to_stage in TRANSITIONS.get(from_stage, frozenset())


def actions_from(stage: str) -> list[str]:
    """The workflow actions offered on a complaint in this stage (in table order)."""
    return [a for a, (frm, _to) in ACTIONS.items() if stage in frm]


C = CapaStatus
CAPA_ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    "start": (frozenset({C.OPEN, C.REOPENED}), C.IN_PROGRESS),
    "complete": (frozenset({C.IN_PROGRESS}), C.DONE),
    "confirm_effective": (frozenset({C.DONE}), C.EFFECTIVE),
    "reopen": (frozenset({C.DONE, C.EFFECTIVE}), C.REOPENED),
    "cancel": (frozenset({C.OPEN, C.IN_PROGRESS, C.REOPENED}), C.CANCELLED),
}
CAPA_TRANSITIONS: dict[str, frozenset[str]] = {
    s: frozenset(to for frm, to in CAPA_ACTIONS.values() if s in frm) for s in CapaStatus.values
}
# Actions a person takes on the page; the others are the effectiveness checks' (the sweep's).
CAPA_USER_ACTIONS = ("start", "complete", "cancel")


def capa_actions_from(status: str) -> list[str]:
    return [a for a, (frm, _to) in CAPA_ACTIONS.items() if status in frm and a in CAPA_USER_ACTIONS]
