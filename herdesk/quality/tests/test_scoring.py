"""Grades and weighted scores against hand-computed score sheets (QA-3, S2 §6.2)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from herdesk.quality.choices import Grade, grade_of
from herdesk.quality.scoring import Line, score_sheet, weighted


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (100, Grade.EXCELLENT),
        (90, Grade.EXCELLENT),
        (Decimal("89.99"), Grade.GOOD),
        (89, Grade.GOOD),
        (70, Grade.GOOD),
        (Decimal("69.99"), Grade.FAIR),
        (69, Grade.FAIR),
        (60, Grade.FAIR),
        (Decimal("59.99"), Grade.POOR),
        (59, Grade.POOR),
        (0, Grade.POOR),
    ],
)
def test_grade_boundaries(score: Any, grade: str) -> None:
    assert grade_of(score) == grade


# Three criteria, weights 50 / 30 / 20 on a 0–10 scale: score = 5a + 3b + 2c.
@pytest.mark.parametrize(
    ("ratings", "score", "grade"),
    [
        ((7, 6, 3), "59.00", Grade.POOR),  # 35 + 18 + 6
        ((6, 10, 0), "60.00", Grade.FAIR),  # 30 + 30 + 0
        ((7, 8, 5), "69.00", Grade.FAIR),  # 35 + 24 + 10
        ((8, 10, 0), "70.00", Grade.GOOD),  # 40 + 30 + 0
        ((10, 9, 6), "89.00", Grade.GOOD),  # 50 + 27 + 12
        ((10, 10, 5), "90.00", Grade.EXCELLENT),  # 50 + 30 + 10
    ],
)
def test_boundary_sheets(ratings: tuple[int, int, int], score: str, grade: str) -> None:
    lines = [Line(w, 10, r) for w, r in zip((50, 30, 20), ratings, strict=True)]
    result = score_sheet(lines)
    assert result.score == Decimal(score)
    assert result.grade == grade


def test_seed_001_sheet_with_not_applicable() -> None:
    """The seed-001 template, satisfaction not applicable: 75.5 of 93 applicable points = 81.18."""
    lines = [
        Line(10, 4, 3),  # greeting 7.5
        Line(10, 4, 4),  # patience 10
        Line(5, 1, 1, red_line=True),  # no rudeness 5
        Line(15, 4, 2),  # accuracy 7.5
        Line(10, 4, 4),  # process 10
        Line(10, 2, 1),  # response 5
        Line(10, 2, 2),  # resolution 10
        Line(8, 2, 2),  # confirmed 8
        Line(7, 4, None),  # satisfaction: N/A
        Line(10, 4, 3),  # record 7.5
        Line(5, 1, 1, red_line=True),  # privacy 5
    ]
    r = score_sheet(lines)
    assert r.applicable_weight == 93
    assert r.score == Decimal("81.18")  # 7550 / 93 = 81.1827…
    assert r.grade == Grade.GOOD


def test_red_line_fails_the_whole_review() -> None:
    r = score_sheet([Line(95, 4, 4), Line(5, 1, 0, red_line=True)])
    assert r.red_line_failed and r.score == Decimal("0.00") and r.grade == Grade.POOR


def test_rounding_half_up_and_no_rounding_into_a_grade() -> None:
    # 2 of 3 on weight 100: 66.666… → 66.67; 8999/100 → 89.99 stays 良好.
    assert score_sheet([Line(100, 3, 2)]).score == Decimal("66.67")
    r = score_sheet([Line(100, 10000, 8999)])
    assert r.score == Decimal("89.99") and r.grade == Grade.GOOD


def test_rating_outside_the_scale_is_refused() -> None:
    with pytest.raises(ValueError):
        score_sheet([Line(100, 4, 5)])


def test_weighted_components_skip_missing() -> None:
    # 20 × 90 + 30 × 60 over 50 (the 50-weight component has no data) = 72.
    assert weighted([(20, 90.0), (30, 60.0), (50, None)]) == Decimal("72.00")
    assert weighted([(10, None)]) is None
