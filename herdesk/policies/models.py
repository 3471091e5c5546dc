"""Service policies (服务规定) as versioned sets of clock definitions (POL-1..4).

A version goes draft → submitted → approved (by management) and is effective from a date. An
approved version is never edited; a change is a new version (S1 §六). Every ticket keeps the
version in force when it was received.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import ClockKind, Event, VersionStatus


class ServicePolicy(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    # The company's regulation in force; exactly one policy is active at a time.
    is_active = models.BooleanField(_("in force"), default=False)

    class Meta:
        verbose_name = _("service policy")
        verbose_name_plural = _("service policies")
        permissions = [("approve_policy", "Can approve service policy versions")]

    def __str__(self) -> str:
        return self.name


class PolicyVersion(models.Model):
    policy = models.ForeignKey(ServicePolicy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    effective_from = models.DateTimeField(_("effective from"), null=True, blank=True)
    notes = models.TextField(_("change notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        constraints = [models.UniqueConstraint(fields=["policy", "number"], name="policy_version_number")]
        indexes = [models.Index(fields=["status", "effective_from"], name="polver_effective")]

    def __str__(self) -> str:
        return f"{self.policy.code} v{self.number}"


class ClockDefinition(models.Model):
    """One timed promise: when it starts, stops, pauses, its target and calendar, what happens on breach."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="clocks")
    kind = models.CharField(_("clock"), max_length=30, choices=ClockKind.choices)
    label = models.CharField(_("label"), max_length=120, blank=True)
    # Empty list = any. Keys: channel_groups, channels, problem_types, complexities, priorities,
    # tiers, severities, statuses (e.g. resolved tickets only).
    applies_to = models.JSONField(_("applies to"), default=dict, blank=True)
    start_event = models.CharField(_("starts on"), max_length=30, choices=Event.choices)
    stop_event = models.CharField(_("stops on"), max_length=30, choices=Event.choices)
    # Ticket statuses during which the clock does not run (e.g. waiting for the customer).
    pause_statuses = models.JSONField(_("paused while"), default=list, blank=True)
    # A duration in the calendar module's syntax: 30m, 4h, 2h30m, 3wd.
    target = models.CharField(_("target"), max_length=20)
    calendar_code = models.CharField(_("calendar"), max_length=40)
    warn_at_percent = models.PositiveSmallIntegerField(_("warn at % of target"), default=80)
    warn_actions = models.JSONField(_("warning actions"), default=list, blank=True)
    breach_actions = models.JSONField(_("breach actions"), default=list, blank=True)
    # A restarting clock (acknowledge) is cancelled and started again on each start event.
    restarts = models.BooleanField(_("restarts on each start event"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("clock definition")
        verbose_name_plural = _("clock definitions")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.target} ({self.calendar_code})"

    @property
    def start(self) -> Event:
        return Event(self.start_event)
