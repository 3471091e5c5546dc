"""Per-ticket clocks: persisted deadlines swept from the database (no in-memory timers)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import ClockState

__all__ = ["Clock", "ClockIncident", "ClockState", "Renegotiation", "SweepRun"]


class Clock(models.Model):
    # No index of its own: clock_ticket_kind_cycle and clock_ticket_state both lead with the ticket,
    # and every index costs each sweep UPDATE (a state change is never a HOT update).
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="clocks", db_index=False
    )
    definition = models.ForeignKey("policies.ClockDefinition", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("clock"), max_length=30)
    # A clock that starts again (transfer, reopen) gets the next cycle; history is kept.
    cycle = models.PositiveSmallIntegerField(default=1)
    target = models.CharField(_("target"), max_length=20)
    calendar_code = models.CharField(_("calendar"), max_length=40)
    state = models.CharField(
        _("state"), max_length=10, choices=ClockState.choices, default=ClockState.RUNNING
    )
    started_at = models.DateTimeField(_("started"))
    due_at = models.DateTimeField(_("due"))
    warn_at = models.DateTimeField(_("warn at"))
    original_due_at = models.DateTimeField(_("original due"))
    paused_at = models.DateTimeField(null=True, blank=True)
    # Working seconds left when paused; on resume the due instant is recomputed from it.
    remaining_seconds = models.BigIntegerField(null=True, blank=True)
    remaining_warn_seconds = models.BigIntegerField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    renegotiated = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("clock")
        verbose_name_plural = _("clocks")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind", "cycle"], name="clock_ticket_kind_cycle"),
        ]
        indexes = [
            # The sweep's two queries: partial indexes hold only what can still warn or breach.
            models.Index(fields=["due_at"], name="clock_due_running", condition=Q(state="running")),
            models.Index(
                fields=["warn_at"],
                name="clock_warn_running",
                condition=Q(state="running", warned_at__isnull=True),
            ),
            # The "breached" queue and breach board: breached clocks still counting (not stopped).
            models.Index(
                fields=["due_at"],
                name="clock_due_breached_open",
                condition=Q(state="breached", stopped_at__isnull=True),
            ),
            models.Index(fields=["ticket", "state"], name="clock_ticket_state"),
            models.Index(fields=["started_at"], name="clock_started"),  # compliance summary by month
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}:{self.kind}#{self.cycle} {self.state}"


class ClockIncident(models.Model):
    """A warning or a breach, recorded exactly once per clock (unique constraint)."""

    WARNING = "warning"
    BREACH = "breach"
    # No index of its own: clock_incident_once (clock, kind) serves look-ups by clock.
    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="incidents", db_index=False)
    kind = models.CharField(max_length=10, choices=[(WARNING, _("Warning")), (BREACH, _("Breach"))])
    due_at = models.DateTimeField()
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clock", "kind"], name="clock_incident_once")]


class Renegotiation(models.Model):
    """A new expected time agreed with the customer before the due time (HND-5)."""

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="renegotiations")
    previous_due_at = models.DateTimeField()
    new_due_at = models.DateTimeField()
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()


class SweepRun(models.Model):
    """Heartbeat of the sweep (readiness, metrics)."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    warnings = models.PositiveIntegerField(default=0)
    breaches = models.PositiveIntegerField(default=0)
    duration_ms = models.FloatField(default=0)
