"""The incident lifecycle as data (S2 §7.1), enforced by services.incident_transition.

declared → assessed → activated → executing → informed → reviewed → closed, back from informed to
executing when the situation changes, and cancelled before the plan is activated (a false alarm).
A post-incident review is required before closing (GUARDS).
"""

from __future__ import annotations

from .choices import IncidentStatus

S = IncidentStatus
TRANSITIONS: dict[str, frozenset[str]] = {
    # A scheduled drill starts (it is declared when the team recognises the scenario) or is called off.
    S.SCHEDULED: frozenset({S.DECLARED, S.CANCELLED}),
    S.DECLARED: frozenset({S.ASSESSED, S.CANCELLED}),
    S.ASSESSED: frozenset({S.ACTIVATED, S.CANCELLED}),
    S.ACTIVATED: frozenset({S.EXECUTING}),
    S.EXECUTING: frozenset({S.INFORMED}),
    S.INFORMED: frozenset({S.EXECUTING, S.REVIEWED}),
    S.REVIEWED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Target status → what the incident must have before it may enter it (checked by the service).
GUARDS: dict[str, str] = {
    S.ASSESSED: "risk_assessment",
    S.REVIEWED: "review_summary",
    S.CLOSED: "review_summary",
}

# Target status → the timestamp field set on entering it.
STAMPS: dict[str, str] = {
    S.ASSESSED: "assessed_at",
    S.ACTIVATED: "activated_at",
    S.INFORMED: "informed_at",
    S.REVIEWED: "reviewed_at",
    S.CLOSED: "closed_at",
    S.CANCELLED: "closed_at",
}


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


def allowed_targets(from_status: str) -> frozenset[str]:
    return TRANSITIONS.get(from_status, frozenset())
