"""Files attached to tickets (HND-7). Bytes live under MEDIA_ROOT (outside the web root); rows
hold what a permission-checked download needs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Attachment(models.Model):
    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="attachments"
    )
    original_name = models.CharField(_("file name"), max_length=200)
    extension = models.CharField(_("extension"), max_length=10)
    content_type = models.CharField(_("content type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    # Relative to MEDIA_ROOT; a random name chosen by the service, never the uploader's.
    storage_path = models.CharField(max_length=255, unique=True)
    # Customers see only public attachments (SEC-3); staff uploads are internal unless marked.
    is_public = models.BooleanField(_("visible to customer"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [models.Index(fields=["ticket", "-id"], name="att_ticket_id")]

    def __str__(self) -> str:
        return self.original_name
