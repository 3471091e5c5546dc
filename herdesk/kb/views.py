"""Knowledge-base pages of the staff workspace (KB-1, KB-3) and the ticket-page hooks (KB-2, CLS-4).

Thin: parse a form, call a selector or a service, show the result. Service refusals become form
errors or messages with a 4xx status, never a 500.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from herdesk.common.errors import DomainError
from herdesk.tickets.models import Ticket
from herdesk.tickets.selectors import ticket_get
from herdesk.workspace.views import _apply_errors, _page, staff_required

from . import selectors, services
from .choices import VersionState
from .diff import version_diff
from .forms import ArticleForm, AttachmentForm, CommentForm, SynonymForm, initial_from
from .models import Article, ArticleAttachment, ArticleVersion, KbCategory, SynonymGroup
from .richtext import to_text


def _reader(request: HttpRequest) -> None:
    if not request.user.has_perm("kb.view_article"):  # type: ignore[union-attr]
        raise PermissionDenied


def _writer(request: HttpRequest) -> None:
    if not request.user.has_perm("kb.change_article"):  # type: ignore[union-attr]
        raise PermissionDenied


def _article_or_404(request: HttpRequest, number: str) -> Article:
    try:
        return selectors.article_get(user=request.user, number=number)
    except Article.DoesNotExist:
        raise Http404


def _kb_nav(request: HttpRequest) -> dict[str, Any]:
    user: Any = request.user
    return {
        "kb_can_write": user.has_perm("kb.change_article"),
        "kb_can_review": user.has_perm("kb.review_article")
        or KbCategory.reviewers.through.objects.filter(user_id=user.pk).exists(),
        "kb_can_report": user.has_perm("kb.view_kb_reports"),
        "kb_can_synonyms": user.has_perm("kb.change_synonymgroup"),
    }


@staff_required
@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    _reader(request)
    q = (request.GET.get("q") or "").strip()[:200]
    state = (request.GET.get("state") or "")[:12]
    category = None
    if request.GET.get("category", "").isdigit():
        category = KbCategory.objects.filter(pk=int(request.GET["category"])).first()
    status = 200
    try:
        hits = selectors.article_search(user=request.user, q=q, category=category, state=state, limit=100)
    except ValidationError as exc:
        hits, status = [], 400
        messages.error(request, " ".join(exc.messages))
    ctx = {
        "active": "kb",
        "q": q,
        "state": state,
        "category": category,
        "tree": selectors.category_tree(),
        "hits": hits,
        "states": VersionState.choices,
        "my_drafts": selectors.my_drafts(user=request.user),
        **_kb_nav(request),
    }
    return _page(request, "kb/list.html", ctx, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def article_new(request: HttpRequest) -> HttpResponse:
    _writer(request)
    form = ArticleForm(request.POST or None, initial={"kind": "faq", "audience": "internal"})
    if request.method == "POST" and form.is_valid():
        try:
            article = services.article_create(actor=request.user, content=form.content(), meta=form.meta())
        except (ValidationError, DomainError) as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Draft %(n)s saved.") % {"n": article.number})
            return redirect("kb:article", number=article.number)
    status = 400 if request.method == "POST" else 200
    return _page(
        request, "kb/edit.html", {"form": form, "article": None, "active": "kb", **_kb_nav(request)}, status
    )


@staff_required
@require_http_methods(["GET", "POST"])
def article_edit(request: HttpRequest, number: str) -> HttpResponse:
    _writer(request)
    article = _article_or_404(request, number)
    page = selectors.article_page(user=request.user, number=article.number)
    base = page.open_version or page.shown
    form = ArticleForm(request.POST or None, initial=initial_from(article, base))
    if request.method == "POST" and form.is_valid():
        try:
            version = services.article_edit(
                actor=request.user, article=article, content=form.content(), meta=form.meta()
            )
        except (ValidationError, DomainError) as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Version %(v)d saved as a draft.") % {"v": version.number})
            return redirect("kb:article", number=article.number)
    status = 400 if request.method == "POST" else 200
    ctx = {"form": form, "article": article, "page": page, "active": "kb", **_kb_nav(request)}
    return _page(request, "kb/edit.html", ctx, status)


@staff_required
@require_GET
def article_detail(request: HttpRequest, number: str, version: int | None = None) -> HttpResponse:
    _reader(request)
    return _render_article(request, number, version)


def _render_article(
    request: HttpRequest, number: str, version: int | None = None, status: int = 200
) -> HttpResponse:
    try:
        page = selectors.article_page(user=request.user, number=number, version=version)
    except (Article.DoesNotExist, ArticleVersion.DoesNotExist):
        raise Http404
    if version is None and status == 200:
        services.usage_record(article=page.article, kind="view", user=request.user)
    user: Any = request.user
    open_v = page.open_version
    category = KbCategory.objects.get(
        pk=(open_v.meta.get("category") if open_v else None) or page.article.category_id
    )
    can_review = services.can_review(user, category)
    ctx = {
        "active": "kb",
        "page": page,
        "a": page.article,
        "v": page.shown,
        "can_review": can_review,
        "is_author": bool(open_v and open_v.author_id == user.pk),
        "comment_form": CommentForm(),
        "attach_form": AttachmentForm(),
        **_kb_nav(request),
    }
    return _page(request, "kb/article.html", ctx, status)


ACTIONS = {
    "submit": services.article_submit,
    "approve": services.article_approve,
    "reject": services.article_reject,
    "publish": services.article_publish,
    "archive": services.article_archive,
    "confirm": services.article_confirm_current,
}


@staff_required
@require_POST
def article_action(request: HttpRequest, number: str, action: str) -> HttpResponseBase:
    _writer(request)
    article = _article_or_404(request, number)
    comment = (request.POST.get("comment") or "").strip()[:2000]
    try:
        if action == "revert":
            to = int(request.POST.get("version") or 0)
            v = services.article_revert(actor=request.user, article=article, to_number=to)
            messages.success(request, _("Version %(v)d restored as draft %(n)d.") % {"v": to, "n": v.number})
        elif action in ACTIONS:
            fn: Any = ACTIONS[action]
            kwargs: dict[str, Any] = {"actor": request.user, "article": article}
            if action in ("approve", "reject"):
                kwargs["comment"] = comment
            if action == "archive":
                kwargs["reason"] = comment
            fn(**kwargs)
            messages.success(request, _("Done."))
        else:
            raise Http404
    except (ValidationError, DomainError, ValueError) as exc:
        text = exc.message if isinstance(exc, DomainError) else " ".join(getattr(exc, "messages", [str(exc)]))
        messages.error(request, text)
        status = exc.status if isinstance(exc, DomainError) else 400
        return _render_article(request, article.number, status=status)
    return redirect("kb:article", number=article.number)


@staff_required
@require_GET
def article_diff(request: HttpRequest, number: str) -> HttpResponse:
    _reader(request)
    article = _article_or_404(request, number)
    versions = {v.number: v for v in article.versions.all()}
    try:
        a, b = int(request.GET.get("a", 0)), int(request.GET.get("b", 0))
    except ValueError:
        a = b = 0
    if a not in versions or b not in versions:
        messages.error(request, _("Choose two versions to compare."))
        return _page(
            request,
            "kb/diff.html",
            {
                "a_article": article,
                "diff": [],
                "versions": sorted(versions),
                "active": "kb",
                **_kb_nav(request),
            },
            400,
        )
    ctx = {
        "a_article": article,
        "old": versions[a],
        "new": versions[b],
        "diff": version_diff(versions[a], versions[b]),
        "versions": sorted(versions),
        "active": "kb",
        **_kb_nav(request),
    }
    return _page(request, "kb/diff.html", ctx)


@staff_required
@require_POST
def article_attach(request: HttpRequest, number: str) -> HttpResponseBase:
    _writer(request)
    article = _article_or_404(request, number)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.article_attachment_add(
                actor=request.user, article=article, upload=form.cleaned_data["file"]
            )
            messages.success(request, _("Attachment added."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Choose a file."))
    return redirect("kb:article", number=article.number)


@staff_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    _reader(request)
    att = ArticleAttachment.objects.select_related("article").filter(pk=pk).first()
    if att is None or not selectors.articles_visible_to(request.user).filter(pk=att.article_id).exists():
        raise Http404
    try:
        path = services.article_attachment_path(att)
        return FileResponse(open(path, "rb"), as_attachment=True, filename=att.original_name)
    except FileNotFoundError:
        raise Http404


@staff_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    _reader(request)
    ctx = {"active": "kb_review", "versions": selectors.review_queue(user=request.user), **_kb_nav(request)}
    return _page(request, "kb/review.html", ctx)


@staff_required
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("kb.view_kb_reports"):  # type: ignore[union-attr]
        raise PermissionDenied
    rows, stale = selectors.health_report()
    ctx = {
        "active": "kb_health",
        "rows": rows,
        "stale": stale,
        "stale_days": selectors.STALE_DAYS,
        "min_votes": selectors.STALE_MIN_VOTES,
        **_kb_nav(request),
    }
    return _page(request, "kb/health.html", ctx)


@staff_required
@require_http_methods(["GET", "POST"])
def synonyms(request: HttpRequest) -> HttpResponse:
    """The dairy synonym dictionary; administrators edit it (kb.change_synonymgroup)."""
    user: Any = request.user
    if not user.has_perm("kb.view_synonymgroup"):
        raise PermissionDenied
    form = SynonymForm()
    status = 200
    if request.method == "POST":
        if not user.has_perm("kb.change_synonymgroup"):
            raise PermissionDenied
        pk = request.POST.get("pk", "")
        group = SynonymGroup.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
        if request.POST.get("delete") and group is not None:
            services.synonym_group_delete(actor=user, group=group)
            messages.success(request, _("Synonym group deleted."))
            return redirect("kb:synonyms")
        form = SynonymForm(request.POST)
        if form.is_valid():
            try:
                services.synonym_group_save(actor=user, terms=form.cleaned_data["terms"], group=group)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Synonym group saved."))
                return redirect("kb:synonyms")
        status = 400
    ctx = {"active": "kb_synonyms", "groups": SynonymGroup.objects.all(), "form": form, **_kb_nav(request)}
    return _page(request, "kb/synonyms.html", ctx, status)


# ---------------------------------------------------------------- ticket-page hooks (KB-2, CLS-4)


def _ticket_or_404(request: HttpRequest, number: str) -> Ticket:
    try:
        return ticket_get(user=request.user, number=number[:32])
    except Ticket.DoesNotExist:
        raise Http404


def _ticket_article(request: HttpRequest, number: str, article_number: str) -> tuple[Ticket, Article]:
    if not request.user.has_perm("tickets.add_interaction"):  # type: ignore[union-attr]
        raise PermissionDenied
    return _ticket_or_404(request, number), _article_or_404(request, article_number)


@staff_required
@require_POST
def ticket_use(request: HttpRequest, number: str, article: str) -> HttpResponseBase:
    """The agent inserted the article into a reply (the page's script calls this, then fills the
    reply box): recorded once per ticket, noted on the ticket's internal timeline."""
    ticket, art = _ticket_article(request, number, article)
    try:
        recorded = services.article_use_in_ticket(actor=request.user, ticket=ticket, article=art)
    except DomainError as exc:
        return JsonResponse({"code": exc.code, "message": exc.message}, status=exc.status)
    return JsonResponse({"recorded": recorded, "article": art.number})


@staff_required
@require_POST
def ticket_solved(request: HttpRequest, number: str, article: str) -> HttpResponseBase:
    ticket, art = _ticket_article(request, number, article)
    if services.article_credit_solved(actor=request.user, ticket=ticket, article=art):
        messages.success(request, _("Recorded: %(n)s solved this ticket.") % {"n": art.number})
    return redirect(reverse("workspace:ticket", args=[ticket.number]) + "#kb-suggestions")


@staff_required
@require_POST
def ticket_propose(request: HttpRequest, number: str) -> HttpResponseBase:
    _writer(request)
    ticket = _ticket_or_404(request, number)
    try:
        article = services.article_propose_from_ticket(actor=request.user, ticket=ticket)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("workspace:ticket", args=[ticket.number]) + "#kb-suggestions")
    messages.success(
        request,
        _("Draft %(n)s proposed from this ticket; complete it and submit it for review.")
        % {"n": article.number},
    )
    return redirect("kb:edit", number=article.number)


def insert_text(article: Article) -> str:
    """What "insert" puts into a reply: the live version's solution and steps as plain text, and the
    article's number (customers can look public articles up in the help centre)."""
    v = article.published
    if v is None:
        return ""
    parts = [v.title, to_text(v.solution), to_text(v.steps)]
    return "\n".join(p for p in parts if p) + f"\n（{article.number}）"
