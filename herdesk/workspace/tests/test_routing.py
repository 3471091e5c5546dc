"""The routing suggestion (INT-5, S1 §三(一)3) as a pure function: one test per rule and the order."""

from __future__ import annotations

import pytest

from herdesk.workspace.routing import ANSWER_AND_CLOSE, ROUTE, suggest_route


@pytest.mark.parametrize(
    ("problem_type", "team"),
    [
        ("technical_support", "tech-support"),
        ("after_sales", "after-sales"),
        ("order_inquiry", "sales-orders"),
        ("complaint", "account-managers"),
        ("product_inquiry", "customer-service"),
        ("suggestion", "customer-service"),
    ],
)
def test_route_by_problem_type(problem_type: str, team: str) -> None:
    s = suggest_route(problem_type=problem_type, complexity="general", tier="regular")
    assert (s.action, s.team_code) == (ROUTE, team)
    assert s.expected_response_minutes == 15  # S1 §三(二)1: acknowledge within 15 minutes
    # The reason says where and why in words; working screens name no regulation clause (issue 13).
    assert "→" in str(s.reason) and "S1" not in str(s.reason)


def test_key_account_goes_to_account_manager_even_for_technical_problems() -> None:
    s = suggest_route(problem_type="technical_support", complexity="simple", tier="key_account")
    assert s.team_code == "account-managers"


def test_complex_case_goes_to_account_manager() -> None:
    s = suggest_route(problem_type="after_sales", complexity="complex", tier="regular")
    assert s.team_code == "account-managers"


def test_common_question_is_answered_and_closed_whatever_the_tier() -> None:
    for tier in ("regular", "key_account"):
        s = suggest_route(problem_type="product_inquiry", tier=tier, common_question=True)
        assert (s.action, s.team_code, s.expected_response_minutes) == (
            ANSWER_AND_CLOSE,
            "customer-service",
            0,
        )


def test_a_complaint_is_never_a_common_question() -> None:
    s = suggest_route(problem_type="complaint", common_question=True)
    assert (s.action, s.team_code) == (ROUTE, "account-managers")


def test_unknown_type_falls_back_to_first_line() -> None:
    s = suggest_route(problem_type="something-else")
    assert (s.action, s.team_code) == (ROUTE, "customer-service")
