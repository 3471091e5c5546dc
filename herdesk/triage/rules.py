"""Routing rules at triage (INT-5, S1 §三(一)3). Pure: no ORM, no request; easy to test and to
explain to an agent. The agent can always override the suggestion.

S1 §三(一)3 routes by what the problem is:
  common question        → answer from a saved reply and close (first line, 客户服务部)
  technical              → 技术支持 tech-support
  installation / repair  → 售后服务 after-sales
  sales policy / order   → 销售/订单 sales-orders
  key account or complex → 客户经理 account-managers
Complaints go to the account managers as well: S1 §四(一)3 makes them responsible for complaint
handling, and CMP-4 involves them for key accounts.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

TECH = "tech-support"
AFTER_SALES = "after-sales"
SALES = "sales-orders"
ACCOUNT_MANAGERS = "account-managers"
FIRST_LINE = "customer-service"

ROUTE = "route"
ANSWER_AND_CLOSE = "answer_and_close"

# S1 §三(二)1: the assignee confirms receipt within 15 minutes; that is what a transfer asks for.
ACKNOWLEDGE_MINUTES = 15

# The rules of S1 §三(一)3 and §四(一)1, §四(一)3 (see above); the reasons shown to agents name no clause.
BY_TYPE = {
    "technical_support": (TECH, _("Technical problem → technical support.")),
    "after_sales": (AFTER_SALES, _("Installation or repair → after-sales service team.")),
    "order_inquiry": (SALES, _("Sales policy or order question → sales / orders.")),
    "complaint": (ACCOUNT_MANAGERS, _("Complaint → account manager, who handles complaints.")),
    "product_inquiry": (FIRST_LINE, _("Product question → first line answers it.")),
    "suggestion": (FIRST_LINE, _("Suggestion → first line records and forwards it.")),
}


@dataclass(frozen=True)
class RouteSuggestion:
    action: str  # ROUTE or ANSWER_AND_CLOSE
    team_code: str
    reason: str | Promise
    expected_response_minutes: int = ACKNOWLEDGE_MINUTES


def suggest_route(
    *, problem_type: str, complexity: str = "general", tier: str = "regular", common_question: bool = False
) -> RouteSuggestion:
    """The team (or the answer-and-close path) the regulation suggests for a triaged contact.

    Order matters: a common question is answered at once whatever the customer's tier (the fastest
    service is the best one), except complaints, which are never "common"; then key accounts and
    complex cases go to the account managers; then the problem type decides.
    """
    if common_question and problem_type != "complaint":
        return RouteSuggestion(
            ANSWER_AND_CLOSE,
            FIRST_LINE,
            _("Common question → answer now from a saved reply and close."),
            0,
        )
    if tier == "key_account":
        return RouteSuggestion(ROUTE, ACCOUNT_MANAGERS, _("Key account → account manager."))
    if complexity == "complex":
        return RouteSuggestion(
            ROUTE, ACCOUNT_MANAGERS, _("Complex or cross-department case → account manager.")
        )
    team, reason = BY_TYPE.get(problem_type, (FIRST_LINE, _("No rule matched → first line decides.")))
    return RouteSuggestion(ROUTE, team, reason)
