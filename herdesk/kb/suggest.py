"""Suggested articles (KB-2) for a ticket an agent handles, or a request a customer is writing.

Ranking, not matching: jieba cuts the text into words (a wrong cut only costs a little score, see
search.md "Why not jieba for matching"), the synonym dictionary folds 乳房炎/乳腺炎 and SCC/体细胞数
together, and each query word found in an article adds its rarity (idf), more when it is in the
title. Scope adds to the text score but never suggests an article on its own: same product or
equipment model, same problem type, the customer's tier, the current season.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Max
from django.utils import timezone

from herdesk.search.text import normalise

from .choices import SEASON_OF_MONTH
from .models import Article
from .selectors import audiences_for
from .synonyms import Thesaurus, thesaurus

# Words too common in service requests to say anything about the problem.
_STOP = """我们 你们 他们 这个 那个 一个 没有 可以 怎么 什么 问题 情况 出现 现在 今天 昨天 已经 还是 就是 但是
因为 所以 如果 需要 请问 麻烦 谢谢 您好 你好 一下 这样 时候 有点 不是 客户 反映 反馈 处理 the and for with"""
STOPWORDS = frozenset(_STOP.split())
_WORD = re.compile(r"[\w\-]+")
TITLE_WEIGHT = 2.0
MIN_TEXT_SCORE = 1.0


@dataclass(frozen=True)
class Scope:
    problem_type: str = ""
    product_id: int | None = None
    equipment_model: str = ""
    customer_tier: str = ""
    season: str = ""


@dataclass(frozen=True)
class Suggestion:
    article: Article
    title: str
    score: float
    reasons: tuple[str, ...]


def _tokenise(text: str, thes: Thesaurus) -> list[tuple[str, ...]]:
    """The query's distinct words, each as its tuple of synonyms."""
    import jieba

    text = normalise(text)
    seen: dict[tuple[str, ...], None] = {}
    for group in thes.groups_in(text):
        seen[group] = None
    for word in jieba.cut_for_search(text):
        word = word.strip()
        if len(word) < 2 or word in STOPWORDS or not _WORD.fullmatch(word):
            continue
        if word.isdigit():
            continue
        seen.setdefault(thes.variants(word), None)
    # A synonym group already counted covers its words.
    groups = [g for g in seen if len(g) > 1]
    return [v for v in seen if len(v) > 1 or not any(v[0] in g for g in groups)]


def current_season() -> str:
    return SEASON_OF_MONTH[timezone.now().astimezone(ZoneInfo("Asia/Shanghai")).month]


@dataclass(frozen=True)
class _Row:
    """What ranking needs of one live article (no body, no version row)."""

    pk: int
    text: str  # published_text, normalised when published
    title: str  # the published title, normalised
    audience: str
    problem_type: str
    product_id: int | None
    equipment_model: str  # normalised
    customer_tier: str
    season: str


@dataclass(frozen=True)
class _Corpus:
    """The live articles of this process, and a character-pair index over their text.

    Why: scoring read every candidate's whole text from the database on each keystroke of the
    portal form (a LIKE scan, then the rows): 168 ms p95 at 2,000 articles. The pair index turns
    "which articles contain 乳房炎" into intersecting the posting lists of 乳房 and 房炎, then checking
    only those texts; df stays exact (every article containing a word contains its pairs)."""

    stamp: tuple[Any, ...]
    rows: dict[int, _Row]
    pairs: dict[str, frozenset[int]]

    def containing(self, word: str) -> set[int]:
        if len(word) < 2:
            return {pk for pk, r in self.rows.items() if word in r.text}
        lists = sorted((self.pairs.get(word[i : i + 2], frozenset()) for i in range(len(word) - 1)), key=len)
        if not lists[0]:
            return set()
        found = set(lists[0])
        for other in lists[1:3]:  # the two rarest pairs narrow enough; the text check is exact
            found &= other
        return {pk for pk in found if word in self.rows[pk].text}


_corpus: _Corpus | None = None


def _live() -> Any:
    return Article.objects.filter(published__isnull=False, is_archived=False)


def _stamp() -> tuple[Any, ...]:
    """Changes whenever an article is published, edited, archived or removed (services set
    updated_at on each): one aggregate query instead of reloading the texts."""
    agg = _live().aggregate(n=Count("pk"), changed=Max("updated_at"), version=Max("published_id"))
    return (agg["n"], agg["changed"], agg["version"])


def _corpus_now() -> _Corpus:
    global _corpus
    stamp = _stamp()
    if _corpus is not None and _corpus.stamp == stamp:
        return _corpus
    rows: dict[int, _Row] = {}
    pairs: dict[str, set[int]] = {}
    fields = (
        "pk",
        "published_text",
        "published__title",
        "audience",
        "problem_type",
        "product_id",
        "equipment_model",
        "customer_tier",
        "season",
    )
    for pk, text, title, audience, ptype, product_id, model, tier, season in _live().values_list(*fields):
        rows[pk] = _Row(
            pk, text, normalise(title or ""), audience, ptype, product_id, normalise(model), tier, season
        )
        for pair in {text[i : i + 2] for i in range(len(text) - 1)}:
            pairs.setdefault(pair, set()).add(pk)
    _corpus = _Corpus(stamp, rows, {k: frozenset(v) for k, v in pairs.items()})
    return _corpus


def corpus_clear() -> None:
    global _corpus
    _corpus = None


def suggest(
    *,
    user: Any,
    text: str,
    scope: Scope | None = None,
    limit: int = 3,
    exclude: set[int] | None = None,
    audiences: list[str] | None = None,
) -> list[Suggestion]:
    """The best `limit` published articles for `text` that `user` may read (see module docstring)."""
    scope = scope or Scope()
    thes = thesaurus()
    words = _tokenise(text, thes)
    if not words:
        return []
    allowed = set(audiences if audiences is not None else audiences_for(user))
    corpus = _corpus_now()
    visible = {pk for pk, r in corpus.rows.items() if r.audience in allowed}
    n = len(visible)
    # Per word (a tuple of synonyms): the visible articles containing any of its variants. df is
    # exact: every article containing a word is found by the pair index.
    holders = {w: set().union(*(corpus.containing(v) for v in w)) & visible for w in words}
    candidates = set().union(*holders.values())
    if not candidates:
        return []
    season = scope.season or current_season()
    model = normalise(scope.equipment_model)
    scored: list[tuple[float, int, tuple[str, ...]]] = []
    for pk in candidates:
        if exclude and pk in exclude:
            continue
        a = corpus.rows[pk]
        text_score = 0.0
        for w in words:
            if pk not in holders[w]:
                continue
            idf = math.log(1 + n / len(holders[w]))
            text_score += idf * TITLE_WEIGHT if any(v in a.title for v in w) else idf
        if text_score < MIN_TEXT_SCORE:
            continue
        score, reasons = text_score, []
        if scope.product_id and a.product_id == scope.product_id:
            score += 2.0
            reasons.append("product")
        if model and a.equipment_model == model:
            score += 2.0
            reasons.append("model")
        if scope.problem_type and a.problem_type == scope.problem_type:
            score += 1.0
            reasons.append("problem_type")
        if scope.customer_tier and a.customer_tier == scope.customer_tier:
            score += 0.5
            reasons.append("tier")
        if a.season and a.season == season:
            score += 0.5
            reasons.append("season")
        scored.append((round(score, 3), pk, tuple(reasons)))
    scored.sort(key=lambda s: (-s[0], -s[1]))
    top = scored[:limit]
    articles = Article.objects.select_related("published").in_bulk([pk for _, pk, _ in top])
    return [
        Suggestion(art, art.published.title if art.published else art.number, score, reasons)
        for score, pk, reasons in top
        if (art := articles.get(pk)) is not None
    ]


def suggest_for_ticket(*, user: Any, ticket: Any, limit: int = 3) -> list[Suggestion]:
    product = ticket.product
    scope = Scope(
        problem_type=ticket.problem_type,
        product_id=ticket.product_id,
        equipment_model=(product.model_number if product and product.kind == "equipment" else ""),
        customer_tier=getattr(ticket.customer, "tier", "") or "",
    )
    text = " ".join([ticket.subject, ticket.description, str(product or "")])
    return suggest(user=user, text=text, scope=scope, limit=limit)
