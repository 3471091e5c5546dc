"""Choice lists of the knowledge base (KB-1): kinds, audiences, scopes, version states, events."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    FAQ = "faq", _("FAQ")
    CASE = "case", _("Case write-up")


class Audience(models.TextChoices):
    """Who may read the published article (SEC-3 for the portal: internal never leaves the workspace)."""

    INTERNAL = "internal", _("Internal (staff only)")
    CUSTOMERS = "customers", _("Customers (signed in to the portal)")
    PUBLIC = "public", _("Public (anyone)")


class Season(models.TextChoices):
    SPRING = "spring", _("Spring")
    SUMMER = "summer", _("Summer")
    AUTUMN = "autumn", _("Autumn")
    WINTER = "winter", _("Winter")


# Asia/Shanghai month → season (meteorological), used to favour seasonal articles in suggestions.
SEASON_OF_MONTH = {
    3: Season.SPRING, 4: Season.SPRING, 5: Season.SPRING,
    6: Season.SUMMER, 7: Season.SUMMER, 8: Season.SUMMER,
    9: Season.AUTUMN, 10: Season.AUTUMN, 11: Season.AUTUMN,
    12: Season.WINTER, 1: Season.WINTER, 2: Season.WINTER,
}  # fmt: skip


class VersionState(models.TextChoices):
    """S3 §5.2: knowledge is published only after review. The allowed moves are VERSION_TRANSITIONS."""

    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


# The review workflow as data: state → {action: next state}. `kb.services._version_move` is the only
# code that changes a version's state, and it refuses anything not listed here.
VERSION_TRANSITIONS: dict[str, dict[str, str]] = {
    VersionState.DRAFT: {"submit": VersionState.IN_REVIEW, "archive": VersionState.ARCHIVED},
    VersionState.IN_REVIEW: {
        "approve": VersionState.APPROVED,
        "reject": VersionState.DRAFT,
        "archive": VersionState.ARCHIVED,
    },
    VersionState.APPROVED: {"publish": VersionState.PUBLISHED, "archive": VersionState.ARCHIVED},
    VersionState.PUBLISHED: {"archive": VersionState.ARCHIVED},
    VersionState.ARCHIVED: {},
}

OPEN_STATES = frozenset({VersionState.DRAFT, VersionState.IN_REVIEW, VersionState.APPROVED})


class EventKind(models.TextChoices):
    """An entry of an article's timeline (workflow) — each one is also an audit entry."""

    CREATED = "created", _("Created")
    EDITED = "edited", _("Edited")
    SUBMITTED = "submitted", _("Submitted for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Sent back to the author")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")
    REVERTED = "reverted", _("Reverted to an earlier version")
    PROPOSED = "proposed", _("Proposed from a ticket")
    ATTACHED = "attached", _("Attachment added")


class UsageKind(models.TextChoices):
    """KB-3 usage feedback."""

    VIEW = "view", _("Viewed")
    USED = "used", _("Used in a reply")
    SOLVED = "solved", _("Solved a ticket")
    HELPFUL = "helpful", _("Helpful vote")
    NOT_HELPFUL = "not_helpful", _("Not helpful vote")
    DEFLECTION = "deflection", _("Deflection (customer read it and did not submit)")
