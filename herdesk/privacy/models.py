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


class RecordArchive(models.Model):
    """One month's finished service records, sealed into the archive store (CLS-3, SEC-4): a
    gzip JSON-lines file under HERDESK_ARCHIVE_DIR with its SHA-256. Each ticket's texts and its
    customer's details are encrypted under the customer's data key, so an erasure shreds them here too;
    the figures (dates, states, clocks) are kept in clear. Deleted after HERDESK_RETENTION
    ["archive_months"]."""

    month = models.CharField(_("month"), max_length=7, unique=True)  # YYYY-MM (closed in)
    created_at = models.DateTimeField(_("archived at"), auto_now_add=True)
    path = models.CharField(max_length=300, blank=True)  # relative to HERDESK_ARCHIVE_DIR
    sha256 = models.CharField(max_length=64, blank=True)
    tickets = models.PositiveIntegerField(default=0)
    size = models.PositiveBigIntegerField(default=0)
    purged_at = models.DateTimeField(_("purged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("record archive")
        verbose_name_plural = _("record archives")
        ordering = ["month"]

    def __str__(self) -> str:
        return f"archive {self.month}"


class ArchivedTicket(models.Model):
    """Where a ticket's archived record is (search by number) and the checksum of its line."""

    archive = models.ForeignKey(RecordArchive, on_delete=models.CASCADE, related_name="entries")
    ticket_id = models.BigIntegerField(db_index=True)  # not a foreign key: the archive outlives the row
    number = models.CharField(max_length=40, db_index=True)
    line = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["archive", "ticket_id"], name="archived_ticket_once")]


class RetentionRun(models.Model):
    """The report of one run of the monthly retention job (what was archived, purged, erased)."""

    ran_at = models.DateTimeField(_("ran at"))
    report = models.JSONField(default=dict)

    class Meta:
        ordering = ["-ran_at"]
