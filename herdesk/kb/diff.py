"""A readable diff between two article versions: per field, line by line, and within a changed line
character by character (Chinese has no spaces, so word diffs would mark whole sentences)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

from .richtext import to_text

FIELDS = ("title", "symptom", "cause", "solution", "steps")


@dataclass(frozen=True)
class FieldDiff:
    field: str
    changed: bool
    html: SafeString


def _inline(a: str, b: str) -> str:
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape(a[i1:i2]))
            continue
        if i2 > i1:
            out.append(f"<del>{escape(a[i1:i2])}</del>")
        if j2 > j1:
            out.append(f"<ins>{escape(b[j1:j2])}</ins>")
    return "".join(out)


def text_diff(old: str, new: str) -> str:
    """HTML (escaped text with <del>/<ins>) of the change from `old` to `new`, one <div> per line."""
    a, b = old.split("\n") if old else [], new.split("\n") if new else []
    lines: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            lines += [f"<div>{escape(x)}</div>" for x in a[i1:i2]]
        elif op == "replace" and i2 - i1 == j2 - j1:
            lines += [f"<div>{_inline(x, y)}</div>" for x, y in zip(a[i1:i2], b[j1:j2], strict=True)]
        else:
            lines += [f'<div class="kb-del"><del>{escape(x)}</del></div>' for x in a[i1:i2]]
            lines += [f'<div class="kb-ins"><ins>{escape(y)}</ins></div>' for y in b[j1:j2]]
    return "".join(lines)


def version_diff(old: object, new: object) -> list[FieldDiff]:
    """The field-by-field diff of two ArticleVersion rows (old → new)."""
    out = []
    for name in FIELDS:
        a, b = getattr(old, name) or "", getattr(new, name) or ""
        if name != "title":
            a, b = to_text(a), to_text(b)
        out.append(FieldDiff(name, a != b, mark_safe(text_diff(a, b))))
    return out
