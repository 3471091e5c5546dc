"""Per-user saved queue views and the admin-maintained saved replies (HND-7 canned replies)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from herdesk.tickets.choices import ProblemType

from .choices import Queue


class SavedView(models.Model):
    """A queue with a set of filters, saved under a name by one user."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="saved_views",
    )
    name = models.CharField(_("name"), max_length=60)
    queue = models.CharField(_("queue"), max_length=20, choices=Queue.choices)
    # Only the filter fields the workspace filter form knows; unknown keys are dropped on save.
    params = models.JSONField(_("filters"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="savedview_owner_name")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        """The queue page with the view's filters (what the sidebar link opens)."""
        from urllib.parse import urlencode

        from django.urls import reverse

        url = reverse("workspace:queue", kwargs={"queue": self.queue})
        return f"{url}?{urlencode(self.params)}" if self.params else url


class SavedReply(models.Model):
    """A canned answer (常见问题答复) an agent inserts into a reply; maintained by administrators."""

    title = models.CharField(_("title"), max_length=80)
    body = models.TextField(_("text"))
    # Empty = offered for every problem type.
    problem_type = models.CharField(_("problem type"), max_length=30, choices=ProblemType.choices, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("saved reply")
        verbose_name_plural = _("saved replies")
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title
