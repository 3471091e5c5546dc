"""Data-subject requests (SEC-4, SEC-6; PIPL arts. 44–47): the register of access/export,
correction and erasure requests, each with its statutory deadline on the working calendar."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RequestKind(models.TextChoices):
    ACCESS = "access", _("Access / export")
    CORRECTION = "correction", _("Correction")
    ERASURE = "erasure", _("Erasure")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    REJECTED = "rejected", _("Rejected")


class DataSubjectRequest(models.Model):
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=RequestKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices, default="open")
    received_at = models.DateTimeField(_("received at"))
    # received_at + HERDESK_DSR_DEADLINE_WORKING_DAYS working days on HERDESK_DSR_CALENDAR.
    due_at = models.DateTimeField(_("due"), db_index=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    # What was done (counts of redacted rows, exported sections): no personal data.
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        ordering = ["due_at"]

    def __str__(self) -> str:
        return f"DSR-{self.pk} {self.kind} ({self.status})"
