"""Tickets, their timeline (interactions), transfers and solution options."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Lookup, Q
from django.utils.translation import gettext_lazy as _

from .choices import (
    Channel,
    ComplaintSeverity,
    Complexity,
    Direction,
    InteractionKind,
    Priority,
    ProblemType,
    SolutionStage,
    Status,
)

# Literal list (not the frozenset) so the index condition is stable in migrations.
OPEN_LIST = ["new", "triaged", "assigned", "acknowledged", "in_progress", "waiting_customer"]


class IsOpen(Lookup):
    """`status__open=True` (also `ticket__status__open=True`): one of OPEN_LIST, written into the
    SQL as the literal list of the partial indexes' condition (tkt_open_*).

    Why: SQLite uses a partial index only when the query repeats the index's WHERE term exactly,
    literals and order included. `status__in=[...]` binds parameters (`IN (?, ?, …)`), which never
    match, so on SQLite every open-ticket queue sorted all open tickets of a status index instead of
    reading the newest 25 from tkt_open_id (issue 4). PostgreSQL proves the condition either way.
    """

    lookup_name = "open"
    prepare_rhs = False
    SQL = ", ".join(f"'{s}'" for s in OPEN_LIST)  # constants: nothing from outside is interpolated

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        if self.rhs is not True:
            raise ValueError("status__open accepts True only")
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} IN ({self.SQL})", tuple(params)


class Category(models.Model):
    """A configurable category tree below the six problem types (INT-4)."""

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    problem_type = models.CharField(_("problem type"), max_length=30, choices=ProblemType.choices)
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=80)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["problem_type", "code"]

    def __str__(self) -> str:
        return f"{self.parent} / {self.name}" if self.parent_id else self.name


class Ticket(models.Model):
    number = models.CharField(_("number"), max_length=32, unique=True)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    problem_type = models.CharField(_("problem type"), max_length=30, choices=ProblemType.choices)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    complexity = models.CharField(
        _("complexity"), max_length=10, choices=Complexity.choices, default=Complexity.GENERAL
    )
    complaint_severity = models.CharField(
        _("complaint severity"), max_length=10, choices=ComplaintSeverity.choices, blank=True
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="tickets"
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Denormalised from the customer so organisation-scoped queries need no join (SEC-3).
    organisation = models.ForeignKey(
        "customers.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT
    )
    order_number = models.CharField(_("order number"), max_length=40, blank=True)
    region = models.CharField(_("region"), max_length=60, blank=True)
    team = models.ForeignKey(
        "staff.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tickets",
    )
    # A customer's message on a ticket closed too long ago (or finalised) opens a new ticket that
    # links back to it (CLS-1; tickets.services.interactions).
    previous_ticket = models.ForeignKey(
        "self",
        verbose_name=_("follows on from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_on_tickets",
    )
    # 首问负责制 (HND-2): the first agent stays accountable and keeps seeing the ticket.
    first_contact_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first-contact owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="first_contact_tickets",
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    solution_stage = models.CharField(
        _("solution stage"), max_length=20, choices=SolutionStage.choices, blank=True, default=""
    )
    policy_version = models.ForeignKey(
        "policies.PolicyVersion",
        verbose_name=_("service policy version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )
    received_at = models.DateTimeField(_("received at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    # CLS-3: the service record is checked and finalised within 24 hours of closing.
    record_finalized_at = models.DateTimeField(_("record finalised at"), null=True, blank=True)
    record_finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        permissions = [
            ("view_all_tickets", "Can see every ticket of every team"),
            ("reassign_ticket", "Can reassign tickets across teams"),
            ("view_reports", "Can read service reports and dashboards"),
        ]
        indexes = [
            # Keyset pagination orders by -id inside each queue.
            models.Index(fields=["status", "-id"], name="tkt_status_id"),
            models.Index(fields=["team", "status", "-id"], name="tkt_team_status_id"),
            models.Index(fields=["assignee", "status", "-id"], name="tkt_assignee_status_id"),
            models.Index(fields=["organisation", "-id"], name="tkt_org_id"),
            models.Index(fields=["customer", "-id"], name="tkt_customer_id"),
            models.Index(fields=["first_contact_owner", "-id"], name="tkt_fco_id"),
            models.Index(fields=["received_at"], name="tkt_received"),
            # The nightly KPI rollup of one day reads the tickets resolved and closed on that day
            # (analytics.rollup, #18): without these it scanned all 1,000,000 tickets several times.
            # Partial: a new ticket has neither time, so creating one never touches them (#20).
            models.Index(fields=["resolved_at"], name="tkt_resolved", condition=Q(resolved_at__isnull=False)),
            models.Index(fields=["closed_at"], name="tkt_closed", condition=Q(closed_at__isnull=False)),
            # The rollup's repeat contacts: an earlier ticket of the same customer and problem type
            # within 7 days, one index probe per ticket received (tkt_customer_id read ~20 heap rows).
            models.Index(
                fields=["customer", "problem_type", "received_at"], name="tkt_customer_type_received"
            ),
            # Queues show open work only: partial indexes stay small as closed history grows.
            models.Index(fields=["team", "-id"], name="tkt_open_team_id", condition=Q(status__in=OPEN_LIST)),
            models.Index(
                fields=["assignee", "-id"], name="tkt_open_assignee_id", condition=Q(status__in=OPEN_LIST)
            ),
            # Carries the columns of the queue conditions and of visibility (SEC-3), so that the
            # badges' capped counts and the clock queues' per-clock ticket probe read only this
            # small index (index-only scans): a team lead's "waiting for customer" count went from
            # 14 to 3.6 ms at 1,000,000 tickets (PostgreSQL; SQLite creates it without INCLUDE).
            models.Index(
                fields=["-id"],
                name="tkt_open_id",
                condition=Q(status__in=OPEN_LIST),
                include=["status", "team", "assignee", "first_contact_owner", "organisation"],
            ),
            # The first-contact branch of a handler's visibility (首问负责制): an agent is first
            # contact of thousands of closed tickets; the queues only want the open ones.
            models.Index(
                fields=["first_contact_owner", "-id"],
                name="tkt_open_fco_id",
                condition=Q(status__in=OPEN_LIST),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"


Ticket._meta.get_field("status").register_lookup(IsOpen)


class TicketCounter(models.Model):
    """Per-day sequence for readable ticket numbers FW-YYYYMMDD-NNNN."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


class Interaction(models.Model):
    """One entry of the ticket timeline: a call, an email, a chat transcript, a visit, a note, an event."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(_("kind"), max_length=20, choices=InteractionKind.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("content"), blank=True)
    # Internal notes and system events are never shown to customers.
    is_public = models.BooleanField(_("visible to customer"), default=True)
    # Automatic acknowledgements do not stop the first-response clock (INT-2).
    is_automatic = models.BooleanField(default=False)
    occurred_at = models.DateTimeField(_("time"))
    created_at = models.DateTimeField(auto_now_add=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [models.Index(fields=["ticket", "occurred_at"], name="int_ticket_time")]
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.occurred_at:%Y-%m-%d %H:%M}"


class Transfer(models.Model):
    """A routing or transfer of a ticket with its reason and requirement (HND-2, INT-5)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="transfers")
    from_team = models.ForeignKey(
        "staff.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_team = models.ForeignKey(
        "staff.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    requirement = models.TextField(_("handling requirement"), blank=True)
    expected_response_minutes = models.PositiveIntegerField(
        _("expected response (minutes)"), null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)


class SolutionOption(models.Model):
    """One of the 1–3 solution options offered to the customer (HND-3, S1 §三(二)2)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField()
    summary = models.CharField(_("summary"), max_length=200)
    pros = models.TextField(_("pros"), blank=True)
    cons = models.TextField(_("cons"), blank=True)
    steps = models.TextField(_("steps"), blank=True)
    time_needed = models.CharField(_("time needed"), max_length=60, blank=True)
    extra_cost = models.CharField(_("extra cost"), max_length=60, blank=True)
    check_accuracy = models.BooleanField(_("accuracy checked"), default=False)
    check_feasibility = models.BooleanField(_("feasibility checked"), default=False)
    check_acceptance = models.BooleanField(_("customer acceptance checked"), default=False)
    check_safety = models.BooleanField(_("safety checked"), default=False)
    offered_at = models.DateTimeField(null=True, blank=True)
    chosen_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["ticket", "position"], name="option_ticket_position")]


class IdempotencyRecord(models.Model):
    """Same Idempotency-Key from the same user → same ticket; a different body → 422."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idem_user_key")]


class FollowUp(models.Model):
    """满意度回访 (CLS-2, S1 §三(三)2): within 3 working days of resolution, by phone, email or link."""

    METHODS = [("phone", _("Phone")), ("email", _("Email")), ("sms", _("SMS")), ("link", _("Survey link"))]
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="follow_ups")
    method = models.CharField(_("method"), max_length=10, choices=METHODS)
    fully_solved = models.BooleanField(_("fully solved"))
    score = models.PositiveSmallIntegerField(_("satisfaction (1–5)"))
    comments = models.TextField(_("other needs or suggestions"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("satisfaction follow-up")
        verbose_name_plural = _("satisfaction follow-ups")
        # The ratings recorded on a day (analytics.rollup's nightly pass, #18).
        indexes = [models.Index(fields=["recorded_at"], name="followup_recorded")]
