"""Reads of the knowledge base, filtered by who may read what (SEC-3).

Staff holding kb.view_article read every article (drafts included) in the workspace. Customers
signed in to the portal read published articles for customers or the public; anyone else reads
published public articles only. Internal articles never reach the portal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from herdesk.common.errors import DomainError
from herdesk.search.text import MAX_TERM_CHARS, MAX_TERMS, normalise

from .choices import OPEN_STATES, Audience, UsageKind, VersionState
from .models import Article, ArticleUsage, ArticleVersion, KbCategory
from .services import can_review
from .synonyms import Thesaurus, thesaurus

STALE_DAYS = 180  # KB-3: not reviewed for half a year
STALE_MIN_VOTES = 20
STALE_HELPFUL_RATIO = 0.5


def is_staff_reader(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and not getattr(user, "customer_id", None)
        and user.has_perm("kb.view_article")
    )


def audiences_for(user: Any) -> list[str]:
    if is_staff_reader(user):
        return list(Audience.values)
    if getattr(user, "is_authenticated", False) and getattr(user, "customer_id", None):
        return [Audience.CUSTOMERS, Audience.PUBLIC]
    return [Audience.PUBLIC]


def articles_visible_to(user: Any) -> QuerySet[Article]:
    qs = Article.objects.select_related("category", "published")
    if is_staff_reader(user):
        return qs
    return qs.filter(published__isnull=False, is_archived=False, audience__in=audiences_for(user))


def article_get(*, user: Any, number: str) -> Article:
    return articles_visible_to(user).get(number=number[:16].upper())


def category_for_problem_type(problem_type: str) -> KbCategory:
    """Where a proposal from a ticket of this problem type is filed (a category named after it,
    else the first top-level category)."""
    cat = KbCategory.objects.filter(code=problem_type.replace("_", "-")).first()
    cat = cat or KbCategory.objects.filter(parent__isnull=True).order_by("position", "code").first()
    if cat is None:
        raise DomainError(_("Create a knowledge category first."))
    return cat


def category_tree() -> list[tuple[KbCategory, int]]:
    """Every category with its depth, parents before children (for lists and select boxes)."""
    cats = list(KbCategory.objects.order_by("position", "code"))
    children: dict[int | None, list[KbCategory]] = {}
    for c in cats:
        children.setdefault(c.parent_id, []).append(c)
    out: list[tuple[KbCategory, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for c in children.get(parent, []):
            out.append((c, depth))
            if depth < 10:
                walk(c.pk, depth + 1)

    walk(None, 0)
    return out


def category_descendants(category: KbCategory) -> list[int]:
    ids, frontier = [category.pk], [category.pk]
    for _depth in range(10):
        frontier = list(KbCategory.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        if not frontier:
            break
        ids += frontier
    return ids


# ---------------------------------------------------------------- query parsing and matching


@dataclass(frozen=True)
class Query:
    """A parsed query: terms (whitespace-separated or "quoted phrases"), normalised; each term
    matches any of its synonyms."""

    terms: tuple[str, ...]
    variants: tuple[tuple[str, ...], ...]

    def __bool__(self) -> bool:
        return bool(self.terms)


_PHRASE = re.compile(r'"([^"]*)"|“([^”]*)”|(\S+)')


def parse(q: str, thes: Thesaurus | None = None) -> Query:
    """Terms of `q`: "quoted phrases" (spaces kept) and words; ValidationError (field q) when
    there are too many or one is too long (the same limits as ticket search)."""
    terms: list[str] = []
    for m in _PHRASE.finditer(q or ""):
        term = normalise(m.group(1) or m.group(2) or m.group(3) or "").strip('"“”')
        if term and term not in terms:
            terms.append(term)
    if len(terms) > MAX_TERMS:
        raise ValidationError({"q": _("Use at most %(n)d search words.") % {"n": MAX_TERMS}})
    if any(len(t) > MAX_TERM_CHARS for t in terms):
        raise ValidationError(
            {"q": _("A search word can have at most %(n)d characters.") % {"n": MAX_TERM_CHARS}}
        )
    thes = thes if thes is not None else thesaurus()
    return Query(tuple(terms), tuple(thes.variants(t) for t in terms))


def _text_filter(query: Query, field: str) -> Q:
    cond = Q()
    for variants in query.variants:
        any_of = Q()
        for v in variants:
            any_of |= Q(**{f"{field}__contains": v})
        cond &= any_of
    return cond


def highlight(text: str, query: Query, width: int = 80) -> SafeString:
    """An escaped snippet of `text` around the first match, every match (any synonym) in <mark>."""
    words = sorted({v for vs in query.variants for v in vs if v}, key=len, reverse=True)
    low = text
    at = min((i for i in (low.find(w) for w in words) if i >= 0), default=0)
    start = max(0, at - width // 3)
    piece = text[start : start + width]
    if words:
        pattern = re.compile("|".join(re.escape(w) for w in words))
        out: list[str] = []
        pos = 0
        for m in pattern.finditer(piece):
            out.append(escape(piece[pos : m.start()]))
            out.append(f"<mark>{escape(m.group(0))}</mark>")
            pos = m.end()
        out.append(escape(piece[pos:]))
        body = "".join(out)
    else:
        body = str(escape(piece))
    head = "…" if start else ""
    tail = "…" if start + width < len(text) else ""
    return mark_safe(head + body + tail)


@dataclass(frozen=True)
class ArticleHit:
    article: Article
    title: str
    snippet: SafeString
    state: str


def article_search(
    *,
    user: Any,
    q: str = "",
    category: KbCategory | None = None,
    state: str = "",
    limit: int = 50,
    include_drafts: bool | None = None,
    query: Query | None = None,
) -> list[ArticleHit]:
    """Articles `user` may read matching every term of `q` (each term or one of its synonyms,
    substring of the normalised text), newest change first. Staff search the newest version of each
    article (drafts too) unless include_drafts=False; readers of the portal the published text."""
    query = query if query is not None else parse(q)
    staff = is_staff_reader(user) if include_drafts is None else include_drafts and is_staff_reader(user)
    field = "latest_text" if staff else "published_text"
    qs = articles_visible_to(user)
    if not staff:
        qs = qs.filter(published__isnull=False, is_archived=False)
    if category is not None:
        qs = qs.filter(category_id__in=category_descendants(category))
    if state == "published":
        qs = qs.filter(published__isnull=False)
    elif state == "archived":
        qs = qs.filter(is_archived=True)
    elif state in ("draft", "in_review", "approved"):
        qs = qs.filter(versions__state=state)
    if query:
        qs = qs.filter(_text_filter(query, field))
    rows = list(qs.order_by("-updated_at", "-pk")[: max(1, min(limit, 200))])
    latest = _latest_versions([a.pk for a in rows]) if staff else {}
    hits = []
    for a in rows:
        version = latest.get(a.pk) or a.published
        text = (a.latest_text if staff else a.published_text) or ""
        title = version.title if version else a.number
        state_shown = version.state if version else ""
        hits.append(ArticleHit(a, title, highlight(text, query) if query else mark_safe(""), state_shown))
    return hits


def _latest_versions(ids: list[int]) -> dict[int, ArticleVersion]:
    out: dict[int, ArticleVersion] = {}
    for v in ArticleVersion.objects.filter(article_id__in=ids).order_by("article_id", "number"):
        out[v.article_id] = v
    return out


# ---------------------------------------------------------------- article page


@dataclass
class ArticlePage:
    article: Article
    shown: ArticleVersion | None  # the version displayed (the published one, or the newest)
    open_version: ArticleVersion | None
    versions: list[ArticleVersion]
    events: list[Any]
    stats: dict[str, int]
    attachments: list[Any]


def article_page(*, user: Any, number: str, version: int | None = None) -> ArticlePage:
    article = article_get(user=user, number=number)
    versions = list(article.versions.select_related("author", "reviewed_by").order_by("-number"))
    open_version = next((v for v in versions if v.state in OPEN_STATES), None)
    if version is not None:
        shown = next((v for v in versions if v.number == version), None)
        if shown is None:
            raise ArticleVersion.DoesNotExist
    else:
        shown = article.published or (versions[0] if versions else None)
    events = list(article.events.select_related("actor").order_by("-id")[:100])
    return ArticlePage(
        article,
        shown,
        open_version,
        versions,
        events,
        usage_counts([article.pk]).get(article.pk, {}),
        list(article.attachments.order_by("pk")),
    )


def usage_counts(ids: list[int]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {i: dict.fromkeys(UsageKind.values, 0) for i in ids}

    for row in (
        ArticleUsage.objects.filter(article_id__in=ids).values("article_id", "kind").annotate(n=Count("pk"))
    ):
        out[row["article_id"]][row["kind"]] = row["n"]
    return out


# ---------------------------------------------------------------- review queue


def review_queue(*, user: Any) -> list[ArticleVersion]:
    """Versions waiting for `user`: in review (not their own, in a category they review) and
    approved ones they may publish."""

    versions = (
        ArticleVersion.objects.filter(state__in=[VersionState.IN_REVIEW, VersionState.APPROVED])
        .select_related("article", "article__category", "author")
        .order_by("updated_at")
    )
    cats = {c.pk: c for c in KbCategory.objects.prefetch_related("reviewers")}
    out = []
    for v in versions:
        category = cats.get(v.meta.get("category") or v.article.category_id) or v.article.category
        if v.state == VersionState.IN_REVIEW and v.author_id == user.pk:
            continue
        if can_review(user, category) or (v.state == VersionState.APPROVED and v.author_id == user.pk):
            out.append(v)
    return out


def my_drafts(*, user: Any) -> list[ArticleVersion]:
    return list(
        ArticleVersion.objects.filter(author=user, state__in=[VersionState.DRAFT, VersionState.IN_REVIEW])
        .select_related("article")
        .order_by("-updated_at")[:50]
    )


# ---------------------------------------------------------------- usage and health (KB-3)


@dataclass
class HealthRow:
    article: Article
    title: str
    counts: dict[str, int]
    helpful_ratio: float | None
    reasons: list[str]


def health_report(*, now: datetime | None = None) -> tuple[list[HealthRow], list[HealthRow]]:
    """(every live article with its usage, the stale ones). Stale (KB-3): not reviewed for 180
    days, or a helpful ratio below 50 % over at least 20 votes."""
    now = now or timezone.now()
    articles = list(
        Article.objects.filter(published__isnull=False, is_archived=False).select_related(
            "published", "category"
        )
    )
    counts = usage_counts([a.pk for a in articles])
    rows, stale = [], []
    limit = now - timedelta(days=STALE_DAYS)
    for a in articles:
        c = counts[a.pk]
        votes = c[UsageKind.HELPFUL] + c[UsageKind.NOT_HELPFUL]
        ratio = c[UsageKind.HELPFUL] / votes if votes else None
        reasons = []
        if a.last_reviewed_at is None or a.last_reviewed_at < limit:
            reasons.append(_("not reviewed for %(d)d days") % {"d": STALE_DAYS})
        if ratio is not None and votes >= STALE_MIN_VOTES and ratio < STALE_HELPFUL_RATIO:
            reasons.append(_("helpful for %(p)d %% of %(n)d votes") % {"p": round(ratio * 100), "n": votes})
        row = HealthRow(a, a.published.title if a.published else a.number, c, ratio, reasons)
        rows.append(row)
        if reasons:
            stale.append(row)
    rows.sort(
        key=lambda r: (-r.counts[UsageKind.SOLVED], -r.counts[UsageKind.USED], -r.counts[UsageKind.VIEW])
    )
    return rows, stale


def solved_by_article(*, ticket: Any) -> set[int]:
    return set(
        ArticleUsage.objects.filter(ticket=ticket, kind=UsageKind.SOLVED).values_list("article_id", flat=True)
    )


def used_on_ticket(*, ticket: Any) -> list[Article]:
    ids = ArticleUsage.objects.filter(ticket=ticket, kind=UsageKind.USED).values_list("article_id", flat=True)
    return list(Article.objects.filter(pk__in=list(ids)).select_related("published"))


def proposed_from(*, ticket: Any) -> Article | None:
    return Article.objects.filter(source_ticket=ticket).first()


def articles_in_category_public(*, user: Any, category: KbCategory) -> QuerySet[Article]:
    return (
        articles_visible_to(user)
        .filter(Q(category_id__in=category_descendants(category)), published__isnull=False, is_archived=False)
        .order_by("-updated_at")
    )
