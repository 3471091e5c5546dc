"""Contingency plans, incidents (and drills), linked tickets, updates and mass-notification
recipients (EMG-1, EMG-2). Writes live in services.py, reads in selectors.py."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import (
    ROMAN,
    Audience,
    EventType,
    IncidentStatus,
    Level,
    MessageChannel,
    RecipientStatus,
    UpdateKind,
)


class ContingencyPlan(models.Model):
    """应急预案: one per event type (S2 §7.1: 事件类型、响应级别、处置流程、责任分工)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    event_type = models.CharField(_("event type"), max_length=30, choices=EventType.choices)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("contingency plan")
        verbose_name_plural = _("contingency plans")
        ordering = ["event_type", "code"]

    def __str__(self) -> str:
        return self.name


class PlanLevel(models.Model):
    """What a response level means for this plan: when it applies and how fast to respond."""

    plan = models.ForeignKey(ContingencyPlan, on_delete=models.CASCADE, related_name="levels")
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    criteria = models.TextField(_("criteria"))
    respond_within_minutes = models.PositiveIntegerField(_("respond within (minutes)"), default=60)

    class Meta:
        ordering = ["plan", "level"]
        constraints = [models.UniqueConstraint(fields=["plan", "level"], name="emg_plan_level_once")]


class PlanResponsibility(models.Model):
    """责任分工: who does what; applies at levels up to `max_level` (I = 1 is the most severe)."""

    plan = models.ForeignKey(ContingencyPlan, on_delete=models.CASCADE, related_name="responsibilities")
    title = models.CharField(_("title"), max_length=80)
    duty = models.TextField(_("duty"))
    role = models.CharField(_("role"), max_length=40, blank=True)  # a staff role (group name)
    team_code = models.CharField(_("team"), max_length=40, blank=True)  # staff.Team.code
    max_level = models.PositiveSmallIntegerField(_("from level"), choices=Level.choices, default=Level.IV)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["plan", "order", "id"]


class PlanStep(models.Model):
    """处置流程: one checklist item; instantiated as an IncidentTask when the plan is activated."""

    plan = models.ForeignKey(ContingencyPlan, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("step"), max_length=300)
    owner = models.CharField(_("owner"), max_length=80, blank=True)  # a responsibility title
    max_level = models.PositiveSmallIntegerField(_("from level"), choices=Level.choices, default=Level.IV)

    class Meta:
        ordering = ["plan", "order", "id"]


class MessageTemplate(models.Model):
    """A pre-approved message per audience and channel. Placeholders: {incident}, {title},
    {product}, {region}, {hotline}, {level}."""

    plan = models.ForeignKey(ContingencyPlan, on_delete=models.CASCADE, related_name="templates")
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["plan", "audience", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "audience", "channel"], name="emg_template_once")
        ]


class Incident(models.Model):
    """An emergency (or a drill: `is_drill`, never a customer message) run through the plan."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    plan = models.ForeignKey(ContingencyPlan, verbose_name=_("plan"), on_delete=models.PROTECT)
    event_type = models.CharField(_("event type"), max_length=30, choices=EventType.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=12, choices=IncidentStatus.choices, default=IncidentStatus.DECLARED
    )
    is_drill = models.BooleanField(_("drill"), default=False)
    scheduled_for = models.DateTimeField(_("scheduled for"), null=True, blank=True)  # drills
    detected_at = models.DateTimeField(_("detected at"))  # the event was received (接收事件)
    declared_at = models.DateTimeField(_("declared at"), null=True, blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assessed_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    first_notice_at = models.DateTimeField(_("first customer notice at"), null=True, blank=True)
    informed_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Affected scope: product, batch, region (the search that links tickets and picks customers).
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT
    )
    batch = models.CharField(_("batch"), max_length=60, blank=True)
    region = models.CharField(_("region"), max_length=60, blank=True)
    risk_assessment = models.TextField(_("risk assessment"), blank=True)
    public_statement = models.TextField(_("public statement (portal banner)"), blank=True)
    review_summary = models.TextField(_("post-incident review"), blank=True)
    findings = models.TextField(_("findings"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [models.Index(fields=["status", "-id"], name="emg_incident_status")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def level_roman(self) -> str:
        return ROMAN.get(self.level, str(self.level))


class IncidentTransition(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]


class IncidentTask(models.Model):
    """The plan's checklist, instantiated for this incident."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tasks")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=300)
    owner = models.CharField(max_length=80, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["incident", "order", "id"]


class IncidentResponder(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="responders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    duty = models.CharField(max_length=80)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["incident", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "user", "duty"], name="emg_responder_once")
        ]


class IncidentTicket(models.Model):
    """A ticket linked to an incident. `updates_applied`: the last IncidentUpdate.seq posted to
    this ticket (an update interrupted half-way resumes where it stopped, never posts twice)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="incident_links")
    linked_at = models.DateTimeField()
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updates_applied = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["incident", "id"]
        constraints = [models.UniqueConstraint(fields=["incident", "ticket"], name="emg_ticket_once")]


class IncidentUpdate(models.Model):
    """A reply or resolution posted on the incident, to go to every linked ticket."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=UpdateKind.choices)
    body = models.TextField()
    posted_at = models.DateTimeField()
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["incident", "seq"]
        constraints = [models.UniqueConstraint(fields=["incident", "seq"], name="emg_update_seq_once")]


class IncidentRecipient(models.Model):
    """One affected customer on one channel. `dedupe_key` is the outbox row's key
    (emg:<incident>:<customer>:<channel>): a second click or a crashed run never sends twice; the
    delivery status is the outbox row's."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="recipients")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, choices=MessageChannel.choices)
    status = models.CharField(max_length=12, choices=RecipientStatus.choices)
    dedupe_key = models.CharField(max_length=80)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["incident", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "customer", "channel"], name="emg_recipient_once")
        ]
        indexes = [models.Index(fields=["dedupe_key"], name="emg_recipient_key")]
