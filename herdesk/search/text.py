"""Pure text functions of the search module (no ORM): normalisation, query terms, grams.

The matching rule (KB-2) is defined here and nowhere else:

    a ticket matches a query when EVERY whitespace-separated term of the normalised query is a
    substring of the ticket's normalised document text.

`normalise` is applied to both sides, so "case-insensitive" means "equal after NFKC + casefold":
ERR-123 = err-123 = ＥＲＲ－１２３ (full-width forms fold to ASCII). jieba is deliberately not
part of the rule: its segmentation depends on context (灌装机故障 may be cut 灌装/机/故障 in one
sentence and 灌装机/故障 in another), so a word index built from it cannot answer "does this
substring occur" exactly. The database index works on character grams instead (see search.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from itertools import pairwise

# Per-ticket cap on indexed text (characters after normalisation); the tail beyond it is not searchable.
MAX_DOCUMENT_CHARS = 20_000
# A query is refused beyond these (each term costs one index probe and possibly one verification).
MAX_TERMS = 8
MAX_TERM_CHARS = 100

# Control characters become spaces (they never belong to a word); invisible formatting characters
# (zero-width space/joiners, bidi marks, BOM, soft hyphen) are removed, so 酸\u200b奶 pasted from a
# chat app still matches 酸奶. Surrogates cannot be stored as UTF-8 and become spaces too.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")


def normalise(text: str) -> str:
    """NFKC, casefold, controls → space, invisible format characters removed, whitespace runs → one
    space, stripped. Idempotent for the texts we store; both documents and queries go through it."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = _INVISIBLE.sub("", _CONTROL.sub(" ", text))
    return " ".join(text.split())


def query_terms(q: str) -> list[str]:
    """The distinct normalised terms of a query, in order. Terms never contain a space.

    A term that is a substring of another term is dropped: it adds no condition (酸奶 is implied by
    酸奶机), so the query costs one probe less.
    """
    terms: list[str] = []
    for term in normalise(q).split(" "):
        if term and term not in terms:
            terms.append(term)
    return [t for t in terms if not any(t != o and t in o for o in terms)]


def term_grams(term: str) -> tuple[list[str], bool]:
    """The grams every document containing `term` must have, and whether having them is already exact.

    1 character: the unigram (exact). 2 characters: the bigram (exact). Longer: all its bigrams, a
    superset (灌装机的电机故障 has 灌装, 装机, 机故 and 故障 but not 灌装机故障), verified afterwards.
    """
    if len(term) == 1:
        return [term], True
    grams = list(dict.fromkeys(term[i : i + 2] for i in range(len(term) - 1)))
    return grams, len(term) == 2


def document_grams(text: str) -> set[str]:
    """Unigrams and bigrams of a normalised text, except those with a space (no term has one)."""
    grams = set(text)
    grams.discard(" ")
    grams.update(a + b for a, b in pairwise(text) if a != " " and b != " ")
    return grams


def gram_token(gram: str) -> str:
    """A gram as an ASCII token for the SQLite FTS5 `ascii` tokenizer: hex code points joined by 'x'.

    '酸' → '9178', '酸奶' → '9178x5976', 'r-' → '72x2d'. Unambiguous, and no FTS5 query syntax
    (quotes, operators, column filters) can appear in it.
    """
    return "x".join(format(ord(c), "x") for c in gram)


def document_tokens(text: str) -> str:
    """The FTS5 column value for a normalised document text (sorted so it is reproducible):
    `gram_token` of every gram of `document_grams`, computed in one pass with each character's hex
    code converted once (4x faster; the index is written on every new ticket and reply)."""
    tokens: set[str] = set()
    prev = ""
    for ch in text:
        if ch == " ":
            prev = ""
            continue
        code = _HEX.get(ch)
        if code is None:
            code = _HEX[ch] = format(ord(ch), "x")
        tokens.add(code)
        if prev:
            tokens.add(prev + "x" + code)
        prev = code
    return " ".join(sorted(tokens))


# Hex code of each character seen (bounded by the characters of the texts: a few thousand).
_HEX: dict[str, str] = {}


def document_text(
    *,
    number: str,
    subject: str,
    customer_name: str = "",
    product_name: str = "",
    description: str = "",
    interaction_bodies: Iterable[str] = (),
) -> str:
    """The searchable text of one ticket: normalised parts joined by a space, capped.

    A space separates the parts, so no term can match across two of them. A part equal to an earlier
    one is skipped (the first interaction usually repeats the description).
    """
    parts: list[str] = []
    size = 0
    for raw in (number, subject, customer_name, product_name, description, *interaction_bodies):
        part = normalise(raw)
        if not part or part in parts:
            continue
        parts.append(part)
        size += len(part) + 1
        if size > MAX_DOCUMENT_CHARS:
            break
    return " ".join(parts)[:MAX_DOCUMENT_CHARS].rstrip(" ")


def tsquery_literal(grams: Iterable[str]) -> str:
    """A PostgreSQL tsquery that ANDs the given grams as literal lexemes ('a' & 'b').

    Inside a quoted tsquery lexeme a backslash escapes and a quote is doubled; nothing else is
    special, so any gram (quotes, colons, &, |, !, parentheses) stays one literal lexeme.
    """
    return " & ".join("'" + g.replace("\\", "\\\\").replace("'", "''") + "'" for g in grams)
