"""Every write of the knowledge base (KB-1, KB-3, CLS-4).

The review workflow (S3 §5.2: knowledge is published after review) is the data in
`choices.VERSION_TRANSITIONS`, enforced by `_version_move` — the only code that changes a version's
state. Two-person rule: nobody approves a version they wrote. Reviewers are chosen per category
(`KbCategory.reviewers`, inherited from the parent); a category chain without reviewers is reviewed
by holders of kb.review_article. Every step is an ArticleEvent (the article's timeline) and an
audit entry, in the same transaction.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.attachments.services import file_store_checked, stored_file_path
from herdesk.audit.services import audit_record
from herdesk.catalog.models import Product
from herdesk.common.errors import DomainError, TransitionNotAllowed
from herdesk.customers.choices import Tier
from herdesk.search.text import normalise
from herdesk.tickets.choices import Direction, InteractionKind, ProblemType, Status, VerificationMethod
from herdesk.tickets.models import Interaction
from herdesk.tickets.services import interaction_add

from .choices import (
    OPEN_STATES,
    VERSION_TRANSITIONS,
    Audience,
    EventKind,
    Kind,
    Season,
    UsageKind,
    VersionState,
)
from .models import (
    Article,
    ArticleAttachment,
    ArticleEvent,
    ArticleUsage,
    ArticleVersion,
    KbCategory,
    SynonymGroup,
    Tag,
)
from .richtext import sanitise, to_text
from .synonyms import split_terms

CONTENT_FIELDS = ("title", "symptom", "cause", "solution", "steps")
META_FIELDS = (
    "kind", "category", "audience", "tags", "problem_type", "product", "equipment_model", "customer_tier",
    "season",
)  # fmt: skip


# ---------------------------------------------------------------- helpers


def _event(
    article: Article, kind: str, actor: Any, at: datetime, version: int | None = None, note: str = ""
) -> None:
    ArticleEvent.objects.create(
        article=article, kind=kind, actor=_real(actor), at=at, version_number=version, note=note[:2000]
    )
    audit_record(
        actor=actor,
        action=f"kb.{kind}",
        object_type="kb_article",
        object_id=article.number,
        data={"version": version, "note": note[:200]} if note else {"version": version},
    )


def _real(user: Any) -> Any:
    return user if getattr(user, "pk", None) else None


def can_review(user: Any, category: KbCategory) -> bool:
    """Whether `user` reviews articles of `category`: the nearest category (itself, then its
    ancestors) that names reviewers decides; without any, holders of kb.review_article do."""
    node: KbCategory | None = category
    seen = 0
    while node is not None and seen < 20:
        ids = set(node.reviewers.values_list("pk", flat=True))
        if ids:
            return bool(getattr(user, "pk", None) in ids)
        node, seen = node.parent, seen + 1
    return bool(user.has_perm("kb.review_article"))


def _clean_content(data: dict[str, Any]) -> dict[str, str]:
    title = " ".join(str(data.get("title") or "").split())[:200]
    if not title:
        raise ValidationError({"title": _("An article needs a title.")})
    out = {"title": title}
    for name in CONTENT_FIELDS[1:]:
        out[name] = sanitise(str(data.get(name) or ""))
    if not (out["solution"] or out["steps"]):
        raise ValidationError({"solution": _("Write the solution or the steps.")})
    return out


def _clean_meta(data: dict[str, Any]) -> dict[str, Any]:
    """Validated classification; ids and codes only (stored as JSON on the version)."""

    errors: dict[str, str] = {}
    category = data.get("category")
    category_id = getattr(category, "pk", category)
    if not category_id or not KbCategory.objects.filter(pk=category_id).exists():
        errors["category"] = _("Choose a category.")
    choices = {
        "kind": (Kind.values, False),
        "audience": (Audience.values, False),
        "problem_type": (ProblemType.values, True),
        "customer_tier": (Tier.values, True),
        "season": (Season.values, True),
    }
    meta: dict[str, Any] = {"category": category_id}
    for name, (allowed, blank_ok) in choices.items():
        value = str(data.get(name) or "")
        if not value and name == "kind":
            value = Kind.FAQ
        if not value and name == "audience":
            value = Audience.INTERNAL
        if (value or not blank_ok) and value not in allowed:
            errors[name] = _("Choose one of the listed values.")
        meta[name] = value
    product = data.get("product")
    product_id = getattr(product, "pk", product) or None
    if product_id and not Product.objects.filter(pk=product_id).exists():
        errors["product"] = _("Choose one of the listed values.")
    meta["product"] = int(product_id) if product_id else None
    meta["equipment_model"] = " ".join(str(data.get("equipment_model") or "").split())[:40]
    tags = data.get("tags") or []
    if isinstance(tags, str):
        tags = tags.replace("，", ",").split(",")
    meta["tags"] = sorted({" ".join(str(t).split())[:40] for t in tags if str(t).strip()})[:12]
    if errors:
        raise ValidationError(errors)
    return meta


def _apply_meta(article: Article, meta: dict[str, Any]) -> None:
    if not meta:
        return
    article.kind = meta.get("kind") or article.kind
    article.category_id = meta.get("category") or article.category_id
    article.audience = meta.get("audience") or article.audience
    for name in ("problem_type", "equipment_model", "customer_tier", "season"):
        setattr(article, name, meta.get(name) or "")
    article.product_id = meta.get("product")
    article.save()
    tags = [Tag.objects.get_or_create(name=name)[0] for name in meta.get("tags", [])]
    article.tags.set(tags)


def version_text(version: ArticleVersion, article: Article, tags: list[str] | None = None) -> str:
    """The normalised text search and suggestions match (title, body parts, tags, model)."""
    parts = [article.number, version.title]
    parts += [to_text(getattr(version, f)) for f in CONTENT_FIELDS[1:]]
    parts += tags if tags is not None else list(version.meta.get("tags", []))
    parts.append(version.meta.get("equipment_model", "") or article.equipment_model)
    return " ".join(normalise(p) for p in parts if p)


def _refresh_texts(article: Article) -> None:
    latest = article.versions.order_by("-number").first()
    live = article.published
    article.latest_text = version_text(latest, article) if latest else ""
    article.published_text = version_text(live, article) if live else ""
    article.save(update_fields=["latest_text", "published_text", "updated_at"])


def _lock(article: Article) -> Article:
    return Article.objects.select_for_update().get(pk=article.pk)


def _open_version(article: Article) -> ArticleVersion | None:
    return article.versions.filter(state__in=OPEN_STATES).first()


def _version_move(version: ArticleVersion, action: str, *, actor: Any, at: datetime) -> str:
    """The one place a version changes state; refuses moves VERSION_TRANSITIONS does not list."""
    allowed = VERSION_TRANSITIONS.get(version.state, {})
    if action not in allowed:
        raise TransitionNotAllowed(
            _("Version %(n)d is “%(state)s”; it cannot be %(action)s.")
            % {"n": version.number, "state": VersionState(version.state).label, "action": action}
        )
    version.state = allowed[action]
    version.updated_at = at
    version.save()
    return version.state


# ---------------------------------------------------------------- authoring


@transaction.atomic
def article_create(
    *,
    actor: Any,
    content: dict[str, Any],
    meta: dict[str, Any],
    source_ticket: Any = None,
    at: datetime | None = None,
    event: str = EventKind.CREATED,
) -> Article:
    """A new article with its first version (a draft). Its classification applies at once: nothing
    of it is live until a version is published."""
    at = at or timezone.now()
    clean = _clean_content(content)
    clean_meta = _clean_meta(meta)
    article = Article.objects.create(
        number=f"tmp-{uuid.uuid4().hex[:12]}",
        category_id=clean_meta["category"],
        created_by=_real(actor),
        created_at=at,
        updated_at=at,
        source_ticket=source_ticket,
    )
    article.number = f"KB-{article.pk:04d}"
    _apply_meta(article, clean_meta)
    ArticleVersion.objects.create(
        article=article, number=1, author=_real(actor), created_at=at, updated_at=at, meta=clean_meta, **clean
    )
    _refresh_texts(article)
    note = source_ticket.number if source_ticket is not None else ""
    _event(article, event, actor, at, 1, note)
    return article


@transaction.atomic
def article_edit(
    *, actor: Any, article: Article, content: dict[str, Any], meta: dict[str, Any], at: datetime | None = None
) -> ArticleVersion:
    """Save an edit. The open draft is updated; without one a new draft version is made (the
    published version stays live until the new one is approved and published). A version in
    review or approved is not edited: send it back first (reject) so the reviewer sees what they
    approve."""
    at = at or timezone.now()
    article = _lock(article)
    if article.is_archived:
        raise DomainError(_("The article is archived."))
    clean = _clean_content(content)
    clean_meta = _clean_meta(meta)
    version = _open_version(article)
    if version is not None and version.state != VersionState.DRAFT:
        raise DomainError(
            _("Version %(n)d is in review; it can be edited after the reviewer sends it back.")
            % {"n": version.number},
            field="title",
        )
    if version is None:
        number = (article.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        version = ArticleVersion(article=article, number=number, author=_real(actor), created_at=at)
    for name, value in clean.items():
        setattr(version, name, value)
    version.meta = clean_meta
    version.updated_at = at
    if version.author_id is None:
        version.author = _real(actor)
    version.save()
    if article.published_id is None:  # nothing live: the classification applies now
        _apply_meta(article, clean_meta)
    _refresh_texts(article)
    _event(article, EventKind.EDITED, actor, at, version.number)
    return version


@transaction.atomic
def article_revert(
    *, actor: Any, article: Article, to_number: int, at: datetime | None = None
) -> ArticleVersion:
    """Restore an earlier version's content as the open draft (a new version, reviewed like any)."""
    at = at or timezone.now()
    article = _lock(article)
    old = article.versions.filter(number=to_number).first()
    if old is None:
        raise ValidationError({"version": _("No such version.")})
    content = {f: getattr(old, f) for f in CONTENT_FIELDS}
    meta = dict(old.meta) or {}
    if not meta.get("category"):
        meta["category"] = article.category_id
    version = article_edit(actor=actor, article=article, content=content, meta=meta, at=at)
    version.reverted_from = to_number
    version.save(update_fields=["reverted_from"])
    _event(article, EventKind.REVERTED, actor, at, version.number, _("from version %(n)d") % {"n": to_number})
    return version


# ---------------------------------------------------------------- review workflow


def _version_for(article: Article, number: int | None) -> ArticleVersion:
    qs = article.versions.all()
    version = qs.filter(number=number).first() if number else _open_version(article)
    if version is None:
        raise DomainError(_("There is no version waiting for this step."))
    return version


@transaction.atomic
def article_submit(*, actor: Any, article: Article, at: datetime | None = None) -> ArticleVersion:
    at = at or timezone.now()
    article = _lock(article)
    version = _version_for(article, None)
    _version_move(version, "submit", actor=actor, at=at)
    _event(article, EventKind.SUBMITTED, actor, at, version.number)
    return version


def _review_check(actor: Any, article: Article, version: ArticleVersion) -> None:
    if version.author_id and version.author_id == getattr(actor, "pk", None):
        # Two-person rule (S3 §5.2): the author never approves their own version.
        raise DomainError(_("You wrote this version; another reviewer must approve it."), status=403)
    category = KbCategory.objects.get(pk=version.meta.get("category") or article.category_id)
    if not can_review(actor, category):
        raise DomainError(_("You do not review articles of “%(c)s”.") % {"c": category.name}, status=403)


@transaction.atomic
def article_approve(
    *, actor: Any, article: Article, comment: str = "", at: datetime | None = None
) -> ArticleVersion:
    at = at or timezone.now()
    article = _lock(article)
    version = _version_for(article, None)
    _review_check(actor, article, version)
    _version_move(version, "approve", actor=actor, at=at)
    version.reviewed_by, version.reviewed_at, version.review_comment = actor, at, comment.strip()[:2000]
    version.save()
    article.last_reviewed_at = at
    article.save(update_fields=["last_reviewed_at", "updated_at"])
    _event(article, EventKind.APPROVED, actor, at, version.number, comment)
    return version


@transaction.atomic
def article_reject(
    *, actor: Any, article: Article, comment: str, at: datetime | None = None
) -> ArticleVersion:
    at = at or timezone.now()
    if not comment.strip():
        raise ValidationError({"comment": _("Tell the author what to change.")})
    article = _lock(article)
    version = _version_for(article, None)
    _review_check(actor, article, version)
    _version_move(version, "reject", actor=actor, at=at)
    version.review_comment = comment.strip()[:2000]
    version.save()
    _event(article, EventKind.REJECTED, actor, at, version.number, comment)
    return version


@transaction.atomic
def article_publish(*, actor: Any, article: Article, at: datetime | None = None) -> ArticleVersion:
    """The approved version goes live; the previously published one is archived (kept in history)."""
    at = at or timezone.now()
    article = _lock(article)
    version = _version_for(article, None)
    if version.state == VersionState.APPROVED:
        category = KbCategory.objects.get(pk=version.meta.get("category") or article.category_id)
        if not (can_review(actor, category) or version.author_id == getattr(actor, "pk", None)):
            raise DomainError(_("Only the author or a reviewer publishes an approved version."), status=403)
    old = article.published
    if old is not None and version.state == VersionState.APPROVED:
        _version_move(old, "archive", actor=actor, at=at)
    _version_move(version, "publish", actor=actor, at=at)
    version.published_at = at
    version.save()
    article.published = version
    article.is_archived = False
    _apply_meta(article, version.meta)
    _refresh_texts(article)
    _event(article, EventKind.PUBLISHED, actor, at, version.number)
    return version


@transaction.atomic
def article_archive(*, actor: Any, article: Article, reason: str = "", at: datetime | None = None) -> Article:
    """Withdraw the article: the live version and any open one are archived."""
    at = at or timezone.now()
    article = _lock(article)
    if not can_review(actor, article.category):
        raise DomainError(
            _("You do not review articles of “%(c)s”.") % {"c": article.category.name}, status=403
        )
    for version in article.versions.exclude(state=VersionState.ARCHIVED):
        _version_move(version, "archive", actor=actor, at=at)
    article.published = None
    article.is_archived = True
    article.save()
    _refresh_texts(article)
    _event(article, EventKind.ARCHIVED, actor, at, None, reason)
    return article


@transaction.atomic
def article_confirm_current(*, actor: Any, article: Article, at: datetime | None = None) -> Article:
    """A reviewer checked the live version and it is still right (clears it from the stale report)."""
    at = at or timezone.now()
    article = _lock(article)
    if not can_review(actor, article.category):
        raise DomainError(
            _("You do not review articles of “%(c)s”.") % {"c": article.category.name}, status=403
        )
    if article.published_id is None:
        raise DomainError(_("The article has no published version."))
    article.last_reviewed_at = at
    article.save(update_fields=["last_reviewed_at", "updated_at"])
    number = article.published.number if article.published else None
    _event(article, EventKind.APPROVED, actor, at, number, _("Checked: still current"))
    return article


# ---------------------------------------------------------------- agents use it (KB-2, KB-3)


def _ticket_note(ticket: Any, actor: Any, body: str, **data: Any) -> None:
    interaction_add(
        ticket=ticket,
        actor=actor,
        body=body,
        kind=InteractionKind.SYSTEM_EVENT,
        direction=Direction.INTERNAL,
        is_public=False,
        data=data,
    )


@transaction.atomic
def article_use_in_ticket(*, actor: Any, ticket: Any, article: Article, at: datetime | None = None) -> bool:
    """An agent inserted the article into a reply on `ticket`: counted once per ticket, and noted on
    the ticket's (internal) timeline. Returns False when it was already recorded."""
    at = at or timezone.now()
    if article.published is None:
        raise DomainError(_("Only published articles can be used in replies."))
    if ArticleUsage.objects.filter(article=article, ticket=ticket, kind=UsageKind.USED).exists():
        return False
    ArticleUsage.objects.create(article=article, ticket=ticket, kind=UsageKind.USED, user=_real(actor), at=at)
    _ticket_note(
        ticket,
        actor,
        _("Knowledge article %(n)s used: %(t)s") % {"n": article.number, "t": article.published.title},
        kb_article=article.number,
        kb_usage="used",
    )
    audit_record(
        actor=actor,
        action="kb.used",
        object_type="ticket",
        object_id=ticket.number,
        data={"article": article.number},
    )
    return True


@transaction.atomic
def article_credit_solved(*, actor: Any, ticket: Any, article: Article, at: datetime | None = None) -> bool:
    """KB-3: "this article solved it" — once per ticket and article."""
    at = at or timezone.now()
    if ArticleUsage.objects.filter(article=article, ticket=ticket, kind=UsageKind.SOLVED).exists():
        return False
    ArticleUsage.objects.create(
        article=article, ticket=ticket, kind=UsageKind.SOLVED, user=_real(actor), at=at
    )
    title = article.published.title if article.published else article.number
    _ticket_note(
        ticket,
        actor,
        _("Solved with knowledge article %(n)s: %(t)s") % {"n": article.number, "t": title},
        kb_article=article.number,
        kb_usage="solved",
    )
    audit_record(
        actor=actor,
        action="kb.solved",
        object_type="ticket",
        object_id=ticket.number,
        data={"article": article.number},
    )
    return True


def _category_for_ticket(ticket: Any) -> KbCategory:
    # cycle: kb.selectors imports kb.services (can_review)
    from .selectors import category_for_problem_type

    return category_for_problem_type(ticket.problem_type)


@transaction.atomic
def article_propose_from_ticket(*, actor: Any, ticket: Any, at: datetime | None = None) -> Article:
    """CLS-4: a resolved ticket's problem and chosen solution become a draft case write-up (internal
    until reviewed), linked to the ticket. One proposal per ticket."""

    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise DomainError(_("Propose an article from a resolved ticket."))
    existing = Article.objects.filter(source_ticket=ticket).first()
    if existing is not None:
        raise DomainError(_("Article %(n)s was already proposed from this ticket.") % {"n": existing.number})
    chosen = ticket.options.filter(chosen_at__isnull=False).first()
    resolution = (
        Interaction.objects.filter(ticket=ticket, data__has_key="verification_method").order_by("-id").first()
    )
    verification = ""
    if resolution is not None:
        method = resolution.data.get("verification_method", "")
        label = VerificationMethod(method).label if method in VerificationMethod.values else method
        verification = _("Verified by: %(m)s") % {"m": label} + "\n" + resolution.body
    solution = chosen.summary if chosen else (resolution.body if resolution else "")
    content = {
        "title": ticket.subject,
        "symptom": ticket.description,
        "cause": "",
        "solution": solution or _("(describe the solution)"),
        "steps": "\n\n".join(p for p in [chosen.steps if chosen else "", verification] if p),
    }
    product = ticket.product
    meta = {
        "kind": Kind.CASE,
        "category": _category_for_ticket(ticket).pk,
        "audience": Audience.INTERNAL,
        "problem_type": ticket.problem_type,
        "product": product.pk if product else None,
        "equipment_model": product.model_number if product and product.kind == "equipment" else "",
        "customer_tier": "",
        "season": "",
        "tags": [],
    }
    article = article_create(
        actor=actor, content=content, meta=meta, source_ticket=ticket, at=at, event=EventKind.PROPOSED
    )
    _ticket_note(
        ticket,
        actor,
        _("Knowledge article %(n)s proposed from this ticket") % {"n": article.number},
        kb_article=article.number,
        kb_usage="proposed",
    )
    return article


# ---------------------------------------------------------------- readers (KB-3)


def usage_record(
    *,
    article: Article,
    kind: str,
    user: Any = None,
    reader: str = "",
    ticket: Any = None,
    at: datetime | None = None,
) -> bool:
    """A view, vote or deflection. A reader's vote counts once per article (a second vote changes
    it); a deflection once per reader and article. Returns whether a row was written."""
    at = at or timezone.now()
    reader = hashlib.sha256(reader.encode()).hexdigest()[:32] if reader else ""
    with transaction.atomic():
        if kind in (UsageKind.HELPFUL, UsageKind.NOT_HELPFUL) and not reader:
            return False
        if kind in (UsageKind.HELPFUL, UsageKind.NOT_HELPFUL):
            ArticleUsage.objects.filter(
                article=article, reader=reader, kind__in=[UsageKind.HELPFUL, UsageKind.NOT_HELPFUL]
            ).delete()
        elif (
            kind == UsageKind.DEFLECTION
            and reader
            and ArticleUsage.objects.filter(article=article, reader=reader, kind=kind).exists()
        ):
            return False
        try:
            with transaction.atomic():
                ArticleUsage.objects.create(
                    article=article,
                    kind=kind,
                    user=_real(user) if not getattr(user, "customer_id", None) else None,
                    reader=reader,
                    ticket=ticket,
                    at=at,
                )
        except IntegrityError:
            return False
    return True


# ---------------------------------------------------------------- attachments


@transaction.atomic
def article_attachment_add(
    *, actor: Any, article: Article, upload: Any, at: datetime | None = None
) -> ArticleAttachment:
    """A file for the article, checked like ticket attachments (SEC-5: listed type, size limit,
    content matches the extension) and stored outside the web root under a random name."""

    at = at or timezone.now()
    stored = file_store_checked(upload=upload, folder="kb", at=at)
    display = stored.name
    try:
        att = ArticleAttachment.objects.create(
            article=article,
            original_name=stored.name,
            extension=stored.extension,
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            storage_path=stored.rel,
            uploaded_by=_real(actor),
            uploaded_at=at,
        )
        _event(article, EventKind.ATTACHED, actor, at, None, display)
    except BaseException:
        stored.discard()
        raise
    return att


def article_attachment_path(att: ArticleAttachment) -> Path:
    return stored_file_path(att.storage_path)


# ---------------------------------------------------------------- synonyms (administrators)


@transaction.atomic
def synonym_group_save(
    *, actor: Any, terms: str, group: SynonymGroup | None = None, at: datetime | None = None
) -> SynonymGroup:
    at = at or timezone.now()
    words = split_terms(terms)
    if len(words) < 2:
        raise ValidationError({"terms": _("A synonym group needs at least two different words.")})
    if any(len(w) > 40 for w in words) or len(words) > 20:
        raise ValidationError({"terms": _("At most 20 words of at most 40 characters each.")})
    text = " = ".join(words)
    if group is None:
        group = SynonymGroup.objects.create(terms=text, updated_at=at)
    else:
        group.terms, group.updated_at = text, at
        group.save()
    audit_record(
        actor=actor,
        action="kb.synonyms.save",
        object_type="kb_synonyms",
        object_id=group.pk,
        data={"terms": text},
    )
    return group


@transaction.atomic
def synonym_group_delete(*, actor: Any, group: SynonymGroup) -> None:
    audit_record(
        actor=actor,
        action="kb.synonyms.delete",
        object_type="kb_synonyms",
        object_id=group.pk,
        data={"terms": group.terms},
    )
    group.delete()


def category_ensure(
    *, code: str, name: str, name_en: str = "", parent: KbCategory | None = None, position: int = 0
) -> KbCategory:
    cat, _created = KbCategory.objects.update_or_create(
        code=code, defaults={"name": name, "name_en": name_en, "parent": parent, "position": position}
    )
    return cat
