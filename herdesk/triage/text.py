"""Text normalisation shared by the classifier and the food-safety detector.

Customers write in simplified and traditional characters, full-width and half-width forms, with
order numbers and model codes mixed in. Normalising first means one model (and one rule set)
covers all of them without a second vocabulary.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import zhconv

_ORDER = re.compile(r"\b(?:dd|wx)\d{6,}\b")
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """Simplified, NFKC (full-width → half-width), lower case, order numbers as one token."""
    text = unicodedata.normalize("NFKC", text or "")
    text = zhconv.convert(text, "zh-hans")
    text = text.lower()
    text = _ORDER.sub(" 订单号 ", text)
    return _SPACE.sub(" ", text).strip()


def for_model(text: str) -> str:
    """What the classifier sees: numbers folded to one digit so "ERR-123" and "ERR-201" share n-grams."""
    return _DIGITS.sub("0", normalise(text))
