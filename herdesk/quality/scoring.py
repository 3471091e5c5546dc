"""The arithmetic of a score sheet (QA-3), kept pure so that hand-computed sheets test it exactly.

A criterion of weight w rated r on a scale 0..m earns w × r / m points. Not-applicable criteria
(rating None, where allowed) leave the sheet, and the points are rescaled to the applicable
weights: score = 100 × Σ earned ÷ Σ applicable weights. A red-line criterion rated below the top
of its scale fails the whole review: score 0, grade 较差. The score is rounded half-up to two
decimals; the grade is read from the rounded score (no rounding into a grade: 89.99 is 良好).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from .choices import grade_of

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    weight: int
    scale_max: int
    rating: int | None
    red_line: bool = False


@dataclass(frozen=True)
class Result:
    score: Decimal | None
    grade: str
    red_line_failed: bool
    earned: Fraction
    applicable_weight: int


def to_decimal(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(CENT, rounding=ROUND_HALF_UP)


def score_sheet(lines: Iterable[Line]) -> Result:
    earned = Fraction(0)
    applicable = 0
    red = False
    for line in lines:
        if line.rating is None:
            continue
        if not 0 <= line.rating <= line.scale_max:
            raise ValueError(f"rating {line.rating} outside 0..{line.scale_max}")
        if line.red_line and line.rating < line.scale_max:
            red = True
        applicable += line.weight
        earned += Fraction(line.weight * line.rating, line.scale_max)
    if red:
        return Result(Decimal("0.00"), grade_of(0), True, earned, applicable)
    if applicable == 0:
        return Result(None, "", False, earned, 0)
    score = to_decimal(earned * 100 / applicable)
    return Result(score, grade_of(score), False, earned, applicable)


def weighted(components: Iterable[tuple[int, float | None]]) -> Decimal | None:
    """Σ wᵢ·sᵢ ÷ Σ wᵢ over the components that have a value (the agent scorecard, KPI-3)."""
    total_w = 0
    acc = Fraction(0)
    for w, s in components:
        if s is None or w <= 0:
            continue
        total_w += w
        acc += Fraction(w) * Fraction(str(round(s, 6)))
    if not total_w:
        return None
    return to_decimal(acc / total_w)
