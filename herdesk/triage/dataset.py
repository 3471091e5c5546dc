"""The shipped starter and held-out sets (data/README.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
CODES = {
    "P": "product_inquiry",
    "T": "technical_support",
    "O": "order_inquiry",
    "A": "after_sales",
    "C": "complaint",
    "S": "suggestion",
}


@dataclass(frozen=True)
class Example:
    text: str
    problem_type: str
    food_safety: bool


def load(name: str = "starter") -> list[Example]:
    examples = []
    for line in (DATA / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        code, _, text = line.partition("|")
        examples.append(Example(text.strip(), CODES[code[0]], code.endswith("!")))
    return examples
