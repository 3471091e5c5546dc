"""Choices of the complaint workflow (CMP-1), the root-cause analysis (CMP-3) and CAPA (CMP-3, CMP-5)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    """CMP-1: receive → assess → assign → (contain) → solution and communication → execute → verify →
    customer confirmation → close."""

    RECEIVED = "received", _("Received")
    ASSESSED = "assessed", _("Assessed")
    ASSIGNED = "assigned", _("Assigned")
    CONTAINMENT = "containment", _("Containment")
    SOLUTION = "solution", _("Solution communicated")
    EXECUTED = "executed", _("Executed")
    VERIFIED = "verified", _("Verified")
    CONFIRMED = "confirmed", _("Customer confirmed")
    CLOSED = "closed", _("Closed")


class Level(models.TextChoices):
    """Impact and urgency of a complaint (the assessment)."""

    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class Regulator(models.TextChoices):
    NONE = "", _("Not forwarded")
    HOTLINE_12315 = "12315", _("12315 hotline")
    SAMR = "samr", _("Market regulation bureau (市场监管)")
    OTHER = "other", _("Other authority")


class CapaKind(models.TextChoices):
    CORRECTIVE = "corrective", _("Corrective")
    PREVENTIVE = "preventive", _("Preventive")


class CapaStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done, effectiveness being checked")
    EFFECTIVE = "effective", _("Effective")
    REOPENED = "reopened", _("Reopened (recurrence)")
    CANCELLED = "cancelled", _("Cancelled")


class CheckResult(models.TextChoices):
    NO_RECURRENCE = "no_recurrence", _("No recurrence")
    RECURRED = "recurred", _("Recurred")
