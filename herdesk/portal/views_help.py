"""The portal help centre (KB-1 public/customer articles, KB-2 suggestions while writing a
request, KB-3 votes and deflections). Anyone may read public articles; a signed-in customer also
reads articles for customers. Internal articles never appear here (kb.selectors.articles_visible_to).

Deflection: a customer who opens a suggested article while writing a request and then leaves
without submitting was helped without a ticket. The article page (opened from a suggestion) tells
the server when the reader leaves (navigator.sendBeacon → help_deflect); submitting a request in
the same session afterwards withdraws that session's recent deflections (help_undeflect), so only
"read and left" counts.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from herdesk.kb import selectors as kb
from herdesk.kb.choices import UsageKind
from herdesk.kb.models import Article, ArticleUsage, KbCategory
from herdesk.kb.services import usage_record
from herdesk.kb.suggest import Scope, suggest

UNDEFLECT_WINDOW = timedelta(hours=2)


def _reader_key(request: HttpRequest) -> str:
    """A per-session key (hashed by the service before it is stored): votes count once per reader."""
    if not request.session.session_key:
        request.session.save()
    return f"portal:{request.session.session_key}"


def _article_or_404(request: HttpRequest, number: str) -> Article:
    try:
        return kb.article_get(user=request.user, number=number)
    except Article.DoesNotExist:
        raise Http404


def _categories(request: HttpRequest) -> list[dict[str, Any]]:
    visible = kb.articles_visible_to(request.user).filter(published__isnull=False, is_archived=False)
    counts: dict[int, int] = {}
    parents = dict(KbCategory.objects.values_list("pk", "parent_id"))
    for cat_id in visible.values_list("category_id", flat=True):
        node: int | None = cat_id
        while node is not None:  # count an article in its category and every ancestor
            counts[node] = counts.get(node, 0) + 1
            node = parents.get(node)
    return [
        {"category": c, "count": counts[c.pk]}
        for c in KbCategory.objects.filter(parent__isnull=True).order_by("position", "code")
        if counts.get(c.pk)
    ]


@require_GET
def help_home(request: HttpRequest) -> HttpResponse:
    q = (request.GET.get("q") or "").strip()[:200]
    status, hits, error = 200, [], ""
    if q:
        try:
            hits = kb.article_search(user=request.user, q=q, limit=30, include_drafts=False)
        except ValidationError as exc:
            status, error = 400, " ".join(exc.messages)
    popular = [] if q else kb.article_search(user=request.user, limit=8, include_drafts=False)
    ctx = {"q": q, "hits": hits, "error": error, "categories": _categories(request), "popular": popular}
    return render(request, "portal/help/home.html", ctx, status=status)


@require_GET
def help_category(request: HttpRequest, code: str) -> HttpResponse:
    category = KbCategory.objects.filter(code=code[:40]).first()
    if category is None:
        raise Http404
    articles = list(kb.articles_in_category_public(user=request.user, category=category)[:100])
    if not articles:
        raise Http404
    ctx = {"category": category, "articles": articles, "children": category.children.all()}
    return render(request, "portal/help/category.html", ctx)


@require_GET
def help_article(request: HttpRequest, number: str) -> HttpResponse:
    article = _article_or_404(request, number)
    usage_record(article=article, kind=UsageKind.VIEW, user=request.user)
    from_request = request.GET.get("from") == "request"
    reader = _reader_key(request)
    ctx = {
        "a": article,
        "v": article.published,
        "from_request": from_request,
        "voted": request.session.get(f"kb_vote_{article.pk}", ""),
        "reader": bool(reader),
    }
    return render(request, "portal/help/article.html", ctx)


@require_POST
def help_vote(request: HttpRequest, number: str) -> HttpResponse:
    article = _article_or_404(request, number)
    value = request.POST.get("helpful")
    if value not in ("yes", "no"):
        return render(request, "portal/help/_vote.html", {"a": article, "bad": True}, status=400)
    kind = UsageKind.HELPFUL if value == "yes" else UsageKind.NOT_HELPFUL
    usage_record(article=article, kind=kind, user=request.user, reader=_reader_key(request))
    request.session[f"kb_vote_{article.pk}"] = value
    if request.headers.get("HX-Request"):
        return render(request, "portal/help/_vote.html", {"a": article, "voted": value})
    return redirect("portal:help_article", number=article.number)


@require_POST
def help_deflect(request: HttpRequest, number: str) -> HttpResponse:
    """The reader of a suggested article left it (beacon) or said it answered their question."""
    article = _article_or_404(request, number)
    usage_record(article=article, kind=UsageKind.DEFLECTION, user=request.user, reader=_reader_key(request))
    if request.POST.get("answered") and not request.headers.get("HX-Request"):
        return redirect("portal:help_home")
    return HttpResponse(status=204)


@require_POST
def help_undeflect(request: HttpRequest) -> HttpResponse:
    """The customer submitted a request after all: this session's recent deflections did not happen."""
    import hashlib

    if request.session.session_key:
        key = hashlib.sha256(_reader_key(request).encode()).hexdigest()[:32]
        ArticleUsage.objects.filter(
            reader=key, kind=UsageKind.DEFLECTION, at__gte=timezone.now() - UNDEFLECT_WINDOW
        ).delete()
    return HttpResponse(status=204)


@require_GET
def help_suggest(request: HttpRequest) -> HttpResponse:
    """htmx: up to three articles for what the customer has typed so far (under the description)."""
    text = (request.GET.get("description") or "")[:2000]
    product = request.GET.get("product") or ""
    scope = Scope(
        problem_type=(request.GET.get("problem_type") or "")[:30],
        product_id=int(product) if product.isdigit() else None,
    )
    items = suggest(user=request.user, text=text, scope=scope, limit=3) if len(text.strip()) >= 2 else []
    return render(request, "portal/help/_suggest.html", {"items": items})
