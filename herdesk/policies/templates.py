"""The three shipped policy templates (POL-3) as data.

Each clock: (kind, applies_to, start, stop, target, calendar, extra). Targets use the calendar
module's syntax. Regulation clauses are cited so a reader can check each number.
"""

from __future__ import annotations

from typing import Any

from .choices import Action, ClockKind, Event

K, E, A = ClockKind, Event, Action
NOTIFY = [A.NOTIFY_ASSIGNEE, A.NOTIFY_TEAM_LEAD]
ESCALATE = [A.NOTIFY_ASSIGNEE, A.NOTIFY_TEAM_LEAD, A.NOTIFY_SUPERVISOR]
WAITING = ["waiting_customer"]


def _c(
    kind: str, applies: dict[str, list[str]], start: str, stop: str, target: str, cal: str, **extra: Any
) -> dict[str, Any]:
    return {
        "kind": kind,
        "applies_to": applies,
        "start_event": start,
        "stop_event": stop,
        "target": target,
        "calendar_code": cal,
        "warn_actions": extra.pop("warn", NOTIFY),
        "breach_actions": extra.pop("breach", ESCALATE),
        **extra,
    }


SEED_000: dict[str, Any] = {
    "code": "seed-000",
    "name": "牧业公司客户服务规定（默认）",
    "description": "S1: the company's own regulation; numbers from §二(二) and §三.",
    "clocks": [
        # §二(二)1: primary channels respond within 30 minutes; secondary within 2 working hours.
        _c(K.FIRST_RESPONSE, {"channel_groups": ["primary"]}, E.RECEIVED, E.FIRST_RESPONSE, "30m", "hotline"),
        _c(K.FIRST_RESPONSE, {"channel_groups": ["secondary"]}, E.RECEIVED, E.FIRST_RESPONSE, "2h", "office"),
        # §三(一)3: type identified and routed within 1–3 minutes.
        _c(K.TRIAGE, {}, E.RECEIVED, E.TRIAGED, "3m", "hotline"),
        # §三(二)1: the assignee confirms receipt within 15 minutes; a transfer restarts it.
        _c(K.ACKNOWLEDGE, {}, E.ASSIGNED, E.ACKNOWLEDGED, "15m", "hotline", restarts=True),
        # §三(二)2: 1–3 solution options within 30–60 minutes by complexity.
        _c(
            K.SOLUTION_PLAN,
            {"complexities": ["general"]},
            E.ACKNOWLEDGED,
            E.OPTIONS_OFFERED,
            "30m",
            "hotline",
        ),
        _c(
            K.SOLUTION_PLAN,
            {"complexities": ["complex"]},
            E.ACKNOWLEDGED,
            E.OPTIONS_OFFERED,
            "60m",
            "hotline",
        ),
        # §二(二)2: simple 15 min, general 4 h, complex 24 h; paused while waiting for the customer.
        _c(
            K.RESOLUTION,
            {"complexities": ["simple"]},
            E.RECEIVED,
            E.RESOLVED,
            "15m",
            "hotline",
            pause_statuses=WAITING,
        ),
        _c(
            K.RESOLUTION,
            {"complexities": ["general"]},
            E.RECEIVED,
            E.RESOLVED,
            "4h",
            "hotline",
            pause_statuses=WAITING,
        ),
        _c(
            K.RESOLUTION,
            {"complexities": ["complex"]},
            E.RECEIVED,
            E.RESOLVED,
            "24h",
            "24x7",
            pause_statuses=WAITING,
        ),
        # §三(三)2: satisfaction follow-up within 3 working days of resolution.
        _c(K.FOLLOW_UP, {}, E.RESOLVED, E.FOLLOW_UP_RECORDED, "3wd", "office"),
        # §二(二)3: records finalised within 24 hours after the service ends.
        _c(K.RECORD_FINALIZE, {}, E.CLOSED, E.RECORD_FINALIZED, "24h", "24x7"),
        # §五(二)1 and CMP-2: complaints start within 1 working day; solution in 3 / 5 working days.
        _c(
            K.COMPLAINT_START,
            {"problem_types": ["complaint"]},
            E.RECEIVED,
            E.HANDLING_STARTED,
            "1wd",
            "office",
        ),
        _c(
            K.COMPLAINT_SOLUTION,
            {"problem_types": ["complaint"], "severities": ["general"]},
            E.RECEIVED,
            E.PROGRESS_GIVEN,
            "3wd",
            "office",
        ),
        _c(
            K.COMPLAINT_SOLUTION,
            {"problem_types": ["complaint"], "severities": ["major"]},
            E.RECEIVED,
            E.PROGRESS_GIVEN,
            "5wd",
            "office",
        ),
    ],
}

SEED_001: dict[str, Any] = {
    "code": "seed-001",
    "name": "客户服务人员行为准则（模板）",
    "description": "S2: live channels answered within 30 s; complaint first reply 24 h, closed loop 72 h; "
    "basic problems 24 h, complex 48 h.",
    "clocks": [
        _c(K.FIRST_RESPONSE, {"channels": ["phone", "chat"]}, E.RECEIVED, E.FIRST_RESPONSE, "30s", "24x7"),
        _c(K.FIRST_RESPONSE, {"problem_types": ["complaint"]}, E.RECEIVED, E.FIRST_RESPONSE, "24h", "24x7"),
        _c(K.COMPLAINT_SOLUTION, {"problem_types": ["complaint"]}, E.RECEIVED, E.RESOLVED, "72h", "24x7"),
        _c(
            K.RESOLUTION,
            {"complexities": ["simple", "general"]},
            E.RECEIVED,
            E.RESOLVED,
            "24h",
            "24x7",
            pause_statuses=WAITING,
        ),
        _c(
            K.RESOLUTION,
            {"complexities": ["complex"]},
            E.RECEIVED,
            E.RESOLVED,
            "48h",
            "24x7",
            pause_statuses=WAITING,
        ),
    ],
}

SEED_002: dict[str, Any] = {
    "code": "seed-002",
    "name": "产品售后服务管理指南（模板）",
    "description": (
        "S3: response 24 h, handling 48 h; technical support 7×24, average response 2 h, major 4 h."
    ),
    "clocks": [
        _c(
            K.FIRST_RESPONSE,
            {"problem_types": ["technical_support"], "priorities": ["low", "normal", "high"]},
            E.RECEIVED,
            E.FIRST_RESPONSE,
            "2h",
            "24x7",
        ),
        _c(
            K.FIRST_RESPONSE,
            {"problem_types": ["technical_support"], "priorities": ["urgent"]},
            E.RECEIVED,
            E.FIRST_RESPONSE,
            "4h",
            "24x7",
        ),
        _c(
            K.FIRST_RESPONSE,
            {"problem_types": ["product_inquiry", "order_inquiry", "after_sales", "complaint", "suggestion"]},
            E.RECEIVED,
            E.FIRST_RESPONSE,
            "24h",
            "24x7",
        ),
        _c(K.RESOLUTION, {}, E.RECEIVED, E.RESOLVED, "48h", "24x7", pause_statuses=WAITING),
    ],
}


def onsite_clocks(key_account: str, regular: str) -> list[dict[str, Any]]:
    """FLD-2 / S1 §四(一)3 (上门服务): the engineer is on site within N working hours (office calendar,
    so nights, weekends and holidays do not count and a 调休 make-up day does) of the work order's
    dispatch; key accounts get the shorter promise. Stopped by the recorded arrival; warned at 80 %,
    the breach escalates to the supervisors like every other clock."""
    return [
        _c(
            K.ONSITE_ARRIVAL,
            {"tiers": ["key_account"]},
            E.DISPATCHED,
            E.ARRIVED_ON_SITE,
            key_account,
            "office",
            label="上门到场（重点客户）",
        ),
        _c(
            K.ONSITE_ARRIVAL,
            {"tiers": ["regular"]},
            E.DISPATCHED,
            E.ARRIVED_ON_SITE,
            regular,
            "office",
            label="上门到场",
        ),
    ]


# The on-site targets: the company's regulation (seed-000) and the after-sales guide (seed-002).
SEED_000["clocks"] += onsite_clocks("4h", "8h")
SEED_002["clocks"] += onsite_clocks("4h", "8h")

TEMPLATES: dict[str, dict[str, Any]] = {t["code"]: t for t in (SEED_000, SEED_001, SEED_002)}
