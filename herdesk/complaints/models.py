"""Complaint records (one per complaint ticket), their root-cause analysis, the cause taxonomy and
corrective/preventive actions with measured effectiveness (CMP-1..5)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from herdesk.customers.choices import Tier

from .choices import CapaKind, CapaStatus, CheckResult, Level, Regulator, Stage


class CauseCategory(models.Model):
    """The controlled cause taxonomy: 人、机、料、法、环、测 (top level, `parent` empty) and their
    sub-causes. Editable by supervisors; seeded by a data migration."""

    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("cause category")
        verbose_name_plural = _("cause categories")

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id and self.parent else self.name

    @property
    def top(self) -> CauseCategory:
        return self.parent if self.parent_id and self.parent else self


class Complaint(models.Model):
    """The complaint record of one complaint ticket (created when a ticket is, or becomes, a
    complaint). Its severity is the ticket's `complaint_severity` (the clocks follow it)."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="complaint")
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.RECEIVED)
    received_at = models.DateTimeField(_("received at"))
    impact = models.CharField(_("impact"), max_length=10, choices=Level.choices, blank=True)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Level.choices, blank=True)
    customer_tier = models.CharField(_("customer tier"), max_length=20, blank=True)
    is_key_account = models.BooleanField(_("key account"), default=False)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account manager"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("designated owner"),
    )
    assessment_note = models.TextField(_("assessment note"), blank=True)
    containment_action = models.TextField(_("immediate action"), blank=True)
    containment_at = models.DateTimeField(null=True, blank=True)
    solution = models.TextField(_("solution"), blank=True)
    communication = models.TextField(_("communication with the customer"), blank=True)
    execution_note = models.TextField(_("execution"), blank=True)
    verification_note = models.TextField(_("verification"), blank=True)
    am_signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    am_signed_off_at = models.DateTimeField(_("signed off by the account manager"), null=True, blank=True)
    confirmation_note = models.TextField(_("customer confirmation"), blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Regulator-forwarded complaints (12315 / 市场监管) and their own deadline (CMP-5).
    regulator = models.CharField(
        _("forwarded by"), max_length=10, choices=Regulator.choices, blank=True, default=""
    )
    regulator_reference = models.CharField(_("regulator reference"), max_length=60, blank=True)
    regulator_due_at = models.DateTimeField(_("regulator deadline"), null=True, blank=True)
    regulator_warn_at = models.DateTimeField(null=True, blank=True)
    regulator_warned_at = models.DateTimeField(null=True, blank=True)
    regulator_breached_at = models.DateTimeField(null=True, blank=True)
    regulator_replied_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["received_at"]), models.Index(fields=["stage"])]
        permissions = [
            ("view_all_complaints", "Can see every complaint"),
            ("work_complaint", "Can work complaints (workflow, root cause, CAPA)"),
            ("view_complaint_reports", "Can see the complaint analysis"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.number}"

    @property
    def customer_tier_label(self) -> str:

        try:
            return str(Tier(self.customer_tier).label)
        except ValueError:
            return self.customer_tier or "—"


class ComplaintLot(models.Model):
    """An affected product batch (production date) named at the assessment (CMP-5)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="lots")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, null=True, blank=True)
    batch = models.CharField(_("batch"), max_length=40, blank=True, db_index=True)
    production_date = models.DateField(_("production date"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]


class RootCause(models.Model):
    """CMP-3: the root-cause analysis (required before a complaint closes)."""

    complaint = models.OneToOneField(Complaint, on_delete=models.CASCADE, related_name="root_cause")
    category = models.ForeignKey(CauseCategory, on_delete=models.PROTECT, related_name="+")
    whys = models.JSONField(_("5 whys"), default=list)
    statement = models.TextField(_("root cause"), blank=True)
    systemic = models.BooleanField(_("systemic"), default=False)
    evidence = models.ManyToManyField("attachments.Attachment", blank=True, related_name="+")
    analysed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    analysed_at = models.DateTimeField()


class Capa(models.Model):
    """A corrective or preventive action with a working-day due date and measured effectiveness."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="capas")
    kind = models.CharField(_("type"), max_length=12, choices=CapaKind.choices)
    description = models.TextField(_("action"))
    expected_effect = models.TextField(_("expected effect"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    status = models.CharField(_("status"), max_length=12, choices=CapaStatus.choices, default=CapaStatus.OPEN)
    working_days = models.PositiveSmallIntegerField(_("working days"))
    due_at = models.DateTimeField(_("due"))
    warn_at = models.DateTimeField()
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    evidence = models.TextField(_("evidence of completion"), blank=True)
    evidence_files = models.ManyToManyField("attachments.Attachment", blank=True, related_name="+")
    completed_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["status", "due_at"])]


class CapaCheck(models.Model):
    """An effectiveness check of a done CAPA at +30 or +90 days: did the cause, product or batch
    recur in a new complaint since the CAPA was completed?"""

    capa = models.ForeignKey(Capa, on_delete=models.CASCADE, related_name="checks")
    days = models.PositiveSmallIntegerField()
    due_at = models.DateTimeField(db_index=True)
    performed_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=16, choices=CheckResult.choices, blank=True)
    recurrences = models.JSONField(default=list)

    class Meta:
        ordering = ["due_at"]
