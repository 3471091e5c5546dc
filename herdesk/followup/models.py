"""回访 follow-up work (CLS-2): a task per resolution, its attempts, survey links and the review (复盘).

The answer itself stays the ticket's `tickets.FollowUp` record (written by
`tickets.services.follow_up_record`, which stops the follow-up clock); a task points at it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import ACTIVE_TASK_STATES, AttemptMethod, AttemptOutcome, Exclusion, ReviewState, TaskState

__all__ = ["FollowUpAttempt", "FollowUpReview", "FollowUpRule", "FollowUpTask", "ReviewAction", "SurveyLink"]


class FollowUpRule(models.Model):
    """How follow-ups are worked, per service policy (a row without a policy is the default; without
    any row the settings HERDESK_FOLLOWUP_* apply)."""

    policy = models.OneToOneField(
        "policies.ServicePolicy",
        verbose_name=_("service policy"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    max_attempts = models.PositiveSmallIntegerField(_("calls not reached before “unreachable”"), default=3)
    survey_after_calls = models.PositiveSmallIntegerField(
        _("calls not reached before the survey link is sent"), default=1
    )
    survey_channels = models.CharField(
        _("survey link channels, in order"), max_length=60, default="sms,wechat,email"
    )
    fatigue_days = models.PositiveSmallIntegerField(
        _("at most one follow-up per customer in (days)"), default=30
    )
    survey_ttl_days = models.PositiveSmallIntegerField(_("survey link valid for (days)"), default=7)

    class Meta:
        verbose_name = _("follow-up rule")
        verbose_name_plural = _("follow-up rules")
        constraints = [
            models.UniqueConstraint(
                fields=["policy"], condition=Q(policy__isnull=True), name="followup_rule_default"
            )
        ]


class FollowUpTask(models.Model):
    """One satisfaction follow-up to do: made for each follow-up clock (one per resolution)."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="follow_up_tasks")
    # One task per clock cycle: the job that creates tasks is idempotent through this constraint.
    clock = models.OneToOneField("clocks.Clock", on_delete=models.CASCADE, related_name="follow_up_task")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    team = models.ForeignKey(
        "staff.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    state = models.CharField(_("state"), max_length=12, choices=TaskState.choices, default=TaskState.OPEN)
    exclusion = models.CharField(_("excluded because"), max_length=20, choices=Exclusion.choices, blank=True)
    resolved_at = models.DateTimeField(_("resolved"))
    due_at = models.DateTimeField(_("due"))
    created_at = models.DateTimeField(_("created"))
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    calls_not_reached = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    follow_up = models.ForeignKey(
        "tickets.FollowUp", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        indexes = [
            # The worklists: mine / my team's, by state, soonest due first.
            models.Index(fields=["assignee", "state", "due_at"], name="fu_task_assignee"),
            models.Index(fields=["team", "state", "due_at"], name="fu_task_team"),
            models.Index(fields=["state", "due_at"], name="fu_task_state_due"),
            # The active worklists at 1,000,000 tickets (issue 16: p95 < 50 ms): an ordered walk of
            # the open tasks of the scope, soonest due first, stopping at the page (the IN above
            # made PostgreSQL sort a team's every open task); the state is included so the counts
            # above the list are an index-only scan.
            models.Index(
                fields=["team", "due_at", "id"],
                include=["state"],
                condition=Q(state__in=ACTIVE_TASK_STATES),
                name="fu_task_team_active",
            ),
            models.Index(
                fields=["assignee", "due_at", "id"],
                include=["state"],
                condition=Q(state__in=ACTIVE_TASK_STATES),
                name="fu_task_assignee_active",
            ),
            models.Index(
                fields=["due_at", "id"],
                include=["state"],
                condition=Q(state__in=ACTIVE_TASK_STATES),
                name="fu_task_active_due",
            ),
            # Anti-fatigue (the customer's recent follow-ups) and the monthly rate.
            models.Index(fields=["customer", "created_at"], name="fu_task_customer"),
            models.Index(fields=["resolved_at"], name="fu_task_resolved"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}:{self.state}"


class FollowUpAttempt(models.Model):
    """One try to reach the customer: time, method, outcome (each recorded, none edited)."""

    task = models.ForeignKey(FollowUpTask, on_delete=models.CASCADE, related_name="attempt_rows")
    at = models.DateTimeField(_("time"))
    method = models.CharField(_("method"), max_length=10, choices=AttemptMethod.choices)
    outcome = models.CharField(_("outcome"), max_length=16, choices=AttemptOutcome.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("follow-up attempt")
        verbose_name_plural = _("follow-up attempts")


class SurveyLink(models.Model):
    """A signed, single-use survey link sent to the customer (only the secret's SHA-256 is kept)."""

    task = models.ForeignKey(FollowUpTask, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=10)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)


class FollowUpReview(models.Model):
    """The mandatory review (复盘) of a low score or an unsolved answer: owned by the team lead, due
    in one working day, with the improvement actions decided and a closure."""

    task = models.OneToOneField(FollowUpTask, on_delete=models.CASCADE, related_name="review")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    follow_up = models.ForeignKey("tickets.FollowUp", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey("staff.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=ReviewState.choices, default=ReviewState.OPEN)
    opened_at = models.DateTimeField(_("opened"))
    due_at = models.DateTimeField(_("due"))
    warn_at = models.DateTimeField()
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    findings = models.TextField(_("findings (what went wrong)"), blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    closure_note = models.TextField(_("closure"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    ticket_reopened = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("follow-up review (复盘)")
        verbose_name_plural = _("follow-up reviews (复盘)")
        indexes = [
            models.Index(fields=["state", "due_at"], name="fu_review_state_due"),
            models.Index(fields=["owner", "state"], name="fu_review_owner"),
        ]


class ReviewAction(models.Model):
    """An improvement action decided in a review."""

    review = models.ForeignKey(FollowUpReview, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(_("action"), max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
