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

from django.db.models import Q
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
    allowed = audiences if audiences is not None else audiences_for(user)
    live = Article.objects.filter(published__isnull=False, is_archived=False, audience__in=allowed)
    # Only articles containing at least one query word (or synonym) can score: the database picks
    # them (LIKE over the normalised text), Python ranks the few. df below is exact for each word,
    # since every article containing a word is among the candidates.
    any_word = Q()
    for w in words:
        for v in w:
            any_word |= Q(published_text__contains=v)
    n = live.count()
    rows = list(
        live.filter(any_word)
        .select_related("published")
        .only(
            "pk",
            "number",
            "published_text",
            "problem_type",
            "product_id",
            "equipment_model",
            "customer_tier",
            "season",
            "audience",
            "published__title",
            "published__number",
        )
    )
    if not rows:
        return []
    titles = {a.pk: normalise(a.published.title) for a in rows if a.published}
    df = {w: sum(1 for a in rows if any(v in a.published_text for v in w)) for w in words}
    season = scope.season or current_season()
    model = normalise(scope.equipment_model)
    out = []
    for a in rows:
        if exclude and a.pk in exclude:
            continue
        text_score = 0.0
        for w in words:
            if not df[w]:
                continue
            idf = math.log(1 + n / df[w])
            if any(v in titles.get(a.pk, "") for v in w):
                text_score += idf * TITLE_WEIGHT
            elif any(v in a.published_text for v in w):
                text_score += idf
        if text_score < MIN_TEXT_SCORE:
            continue
        score, reasons = text_score, []
        if scope.product_id and a.product_id == scope.product_id:
            score += 2.0
            reasons.append("product")
        if model and (normalise(a.equipment_model) == model):
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
        out.append(
            Suggestion(a, a.published.title if a.published else a.number, round(score, 3), tuple(reasons))
        )
    out.sort(key=lambda s: (-s.score, -s.article.pk))
    return out[:limit]


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
