"""Who wrote on social media: a platform account mapped to a customer, so the same author's
mentions and comments land on the same customer (and their open ticket, INT-8)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SocialIdentity(models.Model):
    platform = models.CharField(_("platform"), max_length=30)
    author_id = models.CharField(_("account id"), max_length=100)
    display_name = models.CharField(_("name shown"), max_length=120, blank=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("social media identity")
        verbose_name_plural = _("social media identities")
        constraints = [
            models.UniqueConstraint(fields=["platform", "author_id"], name="social_identity_once"),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.display_name or self.author_id}"
