"""Choices and the review state machine of the supervision group (QA-1, QA-3, QA-4, KPI-3).

The review lifecycle is data: `REVIEW_TRANSITIONS` maps (state, action) to the next state, and
`services._review_move` is the one function that changes a review's state (it refuses every pair
not listed here)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class Cycle(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    BIWEEKLY = "biweekly", _("Every two weeks")
    MONTHLY = "monthly", _("Monthly")


class Source(models.TextChoices):
    """What the supervision group samples (S1 §五(一)1: calls, chats, service records)."""

    TICKET = "ticket", _("Closed ticket")
    CALL = "call", _("Call recording")
    CHAT = "chat", _("Chat transcript")
    EMAIL = "email", _("Email")


class Pick(models.TextChoices):
    """Why an item is in a sample."""

    RANDOM = "random", _("Random draw")
    MINIMUM = "minimum", _("Per-agent minimum")
    RECHECK = "recheck", _("Re-check after a failed criterion")


class VersionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("In use")
    RETIRED = "retired", _("Retired")


class Scale(models.TextChoices):
    """The rating scale of a criterion: a rating r of 0..max earns weight × r / max."""

    PASS_FAIL = "0-1", _("Pass / fail")
    THREE = "0-2", _("0–2 (no / partly / yes)")
    FIVE = "0-4", _("0–4 (five levels)")
    TEN = "0-10", _("0–10")


def scale_max(scale: str) -> int:
    return int(scale.split("-")[1])


class ReviewState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted (open to dispute)")
    DISPUTED = "disputed", _("Disputed")
    FINAL = "final", _("Final")


class ReviewAction(models.TextChoices):
    SUBMIT = "submit", _("Submit")
    DISPUTE = "dispute", _("Dispute")
    ACCEPT = "accept", _("Accept")
    FINALISE = "finalise", _("Finalise after the dispute window")
    UPHOLD = "uphold", _("Uphold the review")
    AMEND = "amend", _("Amend the review")


S, A = ReviewState, ReviewAction
REVIEW_TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, A.DISPUTE): S.DISPUTED,
    (S.SUBMITTED, A.ACCEPT): S.FINAL,
    (S.SUBMITTED, A.FINALISE): S.FINAL,
    (S.DISPUTED, A.UPHOLD): S.FINAL,
    (S.DISPUTED, A.AMEND): S.FINAL,
}


class DisputeDecision(models.TextChoices):
    UPHELD = "upheld", _("Review upheld")
    AMENDED = "amended", _("Review amended")


class CallbackResult(models.TextChoices):
    """The call-back of the supervision group (回访, S1 §五(一)1)."""

    CONFIRMED = "confirmed", _("Customer confirms the service")
    NOT_SOLVED = "not_solved", _("Problem not solved")
    COMPLAINT = "complaint", _("Customer complains about the service")
    UNREACHABLE = "unreachable", _("Customer unreachable")


CALLBACK_SCRIPT = _(
    "您好，我是牧服客户服务监督小组的工作人员。关于您近期反映的问题（工单 %(ticket)s），"
    "想占用您一分钟：1. 问题是否已经彻底解决？2. 服务人员的态度和专业程度您是否满意？"
    "3. 您还有其他需求或建议吗？感谢您的支持。"
)


class Grade(models.TextChoices):
    """S2 §6.2: 优秀 90–100, 良好 70–89, 一般 60–69, 较差 below 60."""

    EXCELLENT = "excellent", _("优秀 Excellent")
    GOOD = "good", _("良好 Good")
    FAIR = "fair", _("一般 Fair")
    POOR = "poor", _("较差 Poor")


GRADE_FLOORS: tuple[tuple[Decimal, str], ...] = (
    (Decimal(90), Grade.EXCELLENT),
    (Decimal(70), Grade.GOOD),
    (Decimal(60), Grade.FAIR),
)


def grade_of(score: Decimal | float | int | None) -> str:
    """The grade of a 100-point score. No rounding into a grade: 89.99 is 良好, 90 is 优秀."""
    if score is None:
        return ""
    value = Decimal(str(score))
    for floor, grade in GRADE_FLOORS:
        if value >= floor:
            return grade
    return Grade.POOR


class AppraisalKind(models.TextChoices):
    SUPERVISOR = "supervisor", _("Supervisor comment")
    PEER = "peer", _("Peer review")


# The components of an agent's scorecard (KPI-3) with their default weights (sum 100).
COMPONENTS: tuple[tuple[str, object, int], ...] = (
    ("on_time", _("On-time rate (all clocks)"), 20),
    ("fcr", _("First-contact resolution"), 15),
    ("aht", _("Average handling time"), 10),
    ("follow_up", _("Follow-ups within 3 working days"), 10),
    ("csat", _("Customer ratings"), 15),
    ("qa", _("QA review scores"), 20),
    ("supervisor", _("Supervisor comment"), 5),
    ("peer", _("Peer review"), 5),
)
COMPONENT_CODES = tuple(c for c, _label, _w in COMPONENTS)
