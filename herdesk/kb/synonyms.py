"""The dairy synonym dictionary (KB-2): 乳房炎 = 乳腺炎, 体细胞数 = SCC, 胀包 = 胀袋 = 胀杯 …

Pure functions plus one read. A query word that belongs to a group matches any word of the group,
in search (articles and the workspace search page) and in suggestions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from herdesk.search.text import normalise

_SPLIT = re.compile(r"\s*(?:=|＝|\n|,|，|;|；)\s*")


def split_terms(raw: str) -> list[str]:
    """The distinct normalised words of one group ("乳房炎 = 乳腺炎", one per line also works)."""
    words: list[str] = []
    for part in _SPLIT.split(raw or ""):
        word = normalise(part)
        if word and word not in words:
            words.append(word)
    return words


@dataclass(frozen=True)
class Thesaurus:
    groups: tuple[tuple[str, ...], ...]

    def variants(self, term: str) -> tuple[str, ...]:
        """The term and every word equal to it (normalised); the term itself first."""
        out = [term]
        for group in self.groups:
            if term in group:
                out.extend(w for w in group if w not in out)
        return tuple(out)

    def groups_in(self, text: str) -> list[tuple[str, ...]]:
        """The groups one of whose words occurs in `text` (normalised)."""
        return [g for g in self.groups if any(w in text for w in g)]


def thesaurus() -> Thesaurus:
    """The current dictionary (one small query: it is edited rarely and read per search)."""
    # cycle: kb.models imports kb.synonyms (split_terms)
    from .models import SynonymGroup

    groups = []
    for raw in SynonymGroup.objects.order_by("id").values_list("terms", flat=True):
        words = split_terms(raw)
        if len(words) > 1:
            groups.append(tuple(words))
    return Thesaurus(tuple(groups))
