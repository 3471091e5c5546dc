"""Knowledge base (KB-1..3, CLS-4): articles with versions, a review workflow, usage and synonyms.

An `Article` is the stable identity (number KB-0001, category, audience, scope); its content lives in
`ArticleVersion` rows. At most one version is PUBLISHED (the live one, `Article.published`); editing
a published article creates a new DRAFT version while the published one stays live. Only
`herdesk.kb.services` writes any of these rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import Audience, EventKind, Kind, Season, UsageKind, VersionState
from .synonyms import split_terms


class KbCategory(models.Model):
    """A node of the category tree. Reviewers are chosen per category (inherited by children)."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewers"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("knowledge category")
        verbose_name_plural = _("knowledge categories")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    number = models.CharField(_("number"), max_length=16, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.FAQ)
    category = models.ForeignKey(
        KbCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="articles"
    )
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.INTERNAL
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="articles")
    # Scope: where the article applies. Blank = any; suggestions favour matching scope.
    problem_type = models.CharField(_("problem type"), max_length=30, blank=True)
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    equipment_model = models.CharField(_("equipment model"), max_length=40, blank=True)
    customer_tier = models.CharField(_("customer tier"), max_length=20, blank=True)
    season = models.CharField(_("season"), max_length=10, choices=Season.choices, blank=True)
    published = models.OneToOneField(
        "ArticleVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Normalised texts (herdesk.search.text.normalise) for matching: the live version's, and the
    # newest version's (drafts included; staff search only).
    published_text = models.TextField(blank=True, default="")
    latest_text = models.TextField(blank=True, default="")
    source_ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("source ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_archived = models.BooleanField(_("archived"), default=False)
    last_reviewed_at = models.DateTimeField(_("last reviewed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        permissions = [
            ("review_article", _("Can review, approve and publish knowledge articles")),
            ("view_kb_reports", _("Can see knowledge-base usage and health reports")),
        ]
        indexes = [models.Index(fields=["audience", "is_archived"], name="kb_article_audience")]

    def __str__(self) -> str:
        return self.number


class ArticleVersion(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    # The structured body, each part sanitised HTML (nh3) — see kb.richtext.
    symptom = models.TextField(_("symptom"), blank=True)
    cause = models.TextField(_("cause"), blank=True)
    solution = models.TextField(_("solution"), blank=True)
    steps = models.TextField(_("steps"), blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=VersionState.choices, default=VersionState.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    # The article's classification as this version proposes it (category, audience, tags, scope):
    # applied to the Article when the version is published, so reclassifying a live article (e.g.
    # internal → public) goes through review like its text.
    meta = models.JSONField(default=dict, blank=True)
    reverted_from = models.PositiveIntegerField(_("restored from version"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        ordering = ["article", "number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="kb_version_number"),
            # At most one live version, and at most one version being worked on, per article.
            models.UniqueConstraint(
                fields=["article"], condition=Q(state="published"), name="kb_one_published"
            ),
            models.UniqueConstraint(
                fields=["article"],
                condition=Q(state__in=["draft", "in_review", "approved"]),
                name="kb_one_open_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class ArticleEvent(models.Model):
    """The article's timeline (who did what to which version, and why)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="events")
    version_number = models.PositiveIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["article", "id"]


class ArticleUsage(models.Model):
    """KB-3: one view, use, credit, vote or deflection. Customers' rows carry the customer, staff rows
    the user; a use or credit carries the ticket."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="usage")
    kind = models.CharField(max_length=12, choices=UsageKind.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # An anonymous portal reader's session key hash (votes count once per reader).
    reader = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["article", "kind"], name="kb_usage_article_kind")]
        constraints = [
            # A ticket credits an article once; a reader votes once per article.
            models.UniqueConstraint(
                fields=["article", "ticket", "kind"],
                condition=Q(kind__in=["used", "solved"]),
                name="kb_usage_ticket_once",
            ),
            models.UniqueConstraint(
                fields=["article", "reader"],
                condition=Q(kind__in=["helpful", "not_helpful"]),
                name="kb_vote_once",
            ),
        ]


class ArticleAttachment(models.Model):
    """A file attached to an article; checked and stored like ticket attachments (SEC-5)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    original_name = models.CharField(_("file name"), max_length=200)
    extension = models.CharField(max_length=10)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_path = models.CharField(max_length=255, unique=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField()


class SynonymGroup(models.Model):
    """Words that mean the same thing in dairy service (乳房炎 = 乳腺炎). Search and suggestions treat
    a query word as any word of its group. Administrators edit them (kb.change_synonymgroup)."""

    terms = models.TextField(_("equivalent words"), help_text=_("Separate the words with “=” or new lines."))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonym groups")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.terms

    def words(self) -> list[str]:
        return split_terms(self.terms)


__all__ = ["EventKind", "UsageKind"]
