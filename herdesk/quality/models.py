"""Supervision (QA-1, QA-3, QA-4) and agent scorecards (KPI-3).

Scorecards are data: a `Scorecard` has numbered `ScorecardVersion`s (draft → in use → retired);
a version holds sections and criteria with integer weights that sum to 100. A review keeps the
version it was scored with. Inspection plans draw samples reproducibly from a stored seed; each
sample item may get one review. Calibration reviews (`is_calibration`) never count in an agent's
scores. Every write goes through `quality.services`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import (
    AppraisalKind,
    CallbackResult,
    Cycle,
    DisputeDecision,
    Grade,
    Pick,
    ReviewState,
    Scale,
    Source,
    VersionState,
)

USER = settings.AUTH_USER_MODEL


class Scorecard(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ScorecardVersion(models.Model):
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=10, choices=VersionState.choices, default=VersionState.DRAFT)
    note = models.CharField(_("change note"), max_length=200, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["scorecard", "-number"]
        constraints = [models.UniqueConstraint(fields=["scorecard", "number"], name="qa_version_number")]

    def __str__(self) -> str:
        return f"{self.scorecard} v{self.number}"


class ScoreSection(models.Model):
    version = models.ForeignKey(ScorecardVersion, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("section"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.name


class ScoreCriterion(models.Model):
    section = models.ForeignKey(ScoreSection, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField()
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("criterion"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    guidance = models.TextField(_("guidance"), blank=True)
    weight = models.PositiveSmallIntegerField(_("weight"))
    scale = models.CharField(_("rating scale"), max_length=5, choices=Scale.choices, default=Scale.FIVE)
    # A red line (e.g. leaking customer data, rudeness): failing it fails the whole review (score 0).
    is_red_line = models.BooleanField(_("red line"), default=False)
    na_allowed = models.BooleanField(_("may be not applicable"), default=False)
    # The training module (herdesk.training, by code) an agent is assigned on failing this criterion.
    training_module_code = models.CharField(_("training module code"), max_length=40, blank=True)

    class Meta:
        ordering = ["section__position", "position"]

    def __str__(self) -> str:
        return self.name


class InspectionPlan(models.Model):
    name = models.CharField(_("name"), max_length=120)
    cycle = models.CharField(_("cycle"), max_length=10, choices=Cycle.choices, default=Cycle.WEEKLY)
    sources = models.JSONField(_("population"), default=list)  # list of Source values
    team = models.ForeignKey(
        "staff.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    percentage = models.DecimalField(_("sample percentage"), max_digits=5, decimal_places=2, default=5)
    per_agent_minimum = models.PositiveSmallIntegerField(_("minimum per agent"), default=2)
    stratify_by_channel = models.BooleanField(_("stratified by channel"), default=True)
    recheck_count = models.PositiveSmallIntegerField(_("contacts re-checked after a failure"), default=5)
    scorecard = models.ForeignKey(Scorecard, verbose_name=_("scorecard"), on_delete=models.PROTECT)
    reviewers: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        USER, verbose_name=_("reviewers"), related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("inspection plan")
        verbose_name_plural = _("inspection plans")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SampleDraw(models.Model):
    """One cycle's sample. `params` is the plan (and the open re-checks) as they were at the draw:
    with `seed` it reproduces the sample exactly (`services.draw_compute`)."""

    plan = models.ForeignKey(InspectionPlan, on_delete=models.CASCADE, related_name="draws")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    seed = models.BigIntegerField()
    params = models.JSONField(default=dict)
    population_size = models.PositiveIntegerField(default=0)
    drawn_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    drawn_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "-id"]
        constraints = [models.UniqueConstraint(fields=["plan", "period_start"], name="qa_draw_once")]

    @property
    def period_last(self) -> Any:
        """The last instant of the period (for display: the end is exclusive)."""
        from datetime import timedelta

        return self.period_end - timedelta(seconds=1)


class SampleItem(models.Model):
    draw = models.ForeignKey(SampleDraw, on_delete=models.CASCADE, related_name="items")
    source = models.CharField(max_length=10, choices=Source.choices)
    object_id = models.BigIntegerField()
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=20, blank=True)
    pick = models.CharField(max_length=10, choices=Pick.choices, default=Pick.RANDOM)
    reviewer = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["reviewer", "draw"], name="qa_item_reviewer")]


class Recheck(models.Model):
    """After a failed criterion, the agent's next `count` contacts are sampled (the loop, QA-4)."""

    agent = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    count = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=300)
    review = models.ForeignKey("Review", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    since = models.DateTimeField()
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    draw = models.ForeignKey(SampleDraw, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]


class CalibrationSession(models.Model):
    title = models.CharField(_("title"), max_length=120)
    version = models.ForeignKey(ScorecardVersion, on_delete=models.PROTECT, related_name="+")
    reviewers: models.ManyToManyField[Any, Any] = models.ManyToManyField(USER, related_name="+")
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    alpha = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class CalibrationItem(models.Model):
    session = models.ForeignKey(CalibrationSession, on_delete=models.CASCADE, related_name="items")
    source = models.CharField(max_length=10, choices=Source.choices)
    object_id = models.BigIntegerField()
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["id"]


class Review(models.Model):
    version = models.ForeignKey(ScorecardVersion, on_delete=models.PROTECT, related_name="reviews")
    item = models.OneToOneField(
        SampleItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="review"
    )
    calibration_item = models.ForeignKey(
        CalibrationItem, null=True, blank=True, on_delete=models.CASCADE, related_name="reviews"
    )
    is_calibration = models.BooleanField(default=False)
    source = models.CharField(max_length=10, choices=Source.choices)
    object_id = models.BigIntegerField()
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=ReviewState.choices, default=ReviewState.DRAFT)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    grade = models.CharField(max_length=10, choices=Grade.choices, blank=True)
    red_line_failed = models.BooleanField(default=False)
    comment = models.TextField(_("overall comment"), blank=True)
    occurred_at = models.DateTimeField()  # when the reviewed contact happened (the scorecard period)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    dispute_deadline = models.DateTimeField(null=True, blank=True)
    finalised_at = models.DateTimeField(null=True, blank=True)
    # Call-back verification by the supervision group (回访): script read, result, notes.
    callback_script = models.TextField(_("call-back script"), blank=True)
    callback_result = models.CharField(
        _("call-back result"), max_length=12, choices=CallbackResult.choices, blank=True
    )
    callback_notes = models.TextField(_("call-back notes"), blank=True)
    callback_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("decide_dispute", "Can decide a disputed review as the second reviewer"),
            ("view_all_scorecards", "Can see every agent's scorecard"),
        ]
        indexes = [
            models.Index(fields=["agent", "occurred_at"], name="qa_review_agent_time"),
            models.Index(fields=["reviewer", "state"], name="qa_review_reviewer"),
        ]


class ReviewAnswer(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="answers")
    criterion = models.ForeignKey(ScoreCriterion, on_delete=models.PROTECT, related_name="+")
    rating = models.PositiveSmallIntegerField(null=True, blank=True)  # None: not applicable
    comment = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "criterion"], name="qa_answer_once")]


class Dispute(models.Model):
    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="dispute")
    raised_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    raised_at = models.DateTimeField()
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=10, choices=DisputeDecision.choices, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    original = models.JSONField(default=dict)  # the answers and score before an amendment


class AgentDailyStats(models.Model):
    """Per agent and local day (Asia/Shanghai): the system data of the agent scorecard, additive
    like analytics.DailyTicketStats so any month/quarter/year is a SUM (quality.rollup)."""

    day = models.DateField()
    agent_id = models.BigIntegerField()
    resolved = models.PositiveIntegerField(default=0)
    resolved_first_contact = models.PositiveIntegerField(default=0)
    handling_seconds = models.BigIntegerField(default=0)
    followed_up_in_time = models.PositiveIntegerField(default=0)
    clocks_finished = models.PositiveIntegerField(default=0)
    clocks_met = models.PositiveIntegerField(default=0)
    ratings = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    follow_ups_done = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agent_id", "day"], name="qa_agent_day")]


class RollupMark(models.Model):
    key = models.CharField(max_length=40, primary_key=True)
    last_day = models.DateField(null=True, blank=True)


class Appraisal(models.Model):
    """A supervisor's comment or a peer's review of an agent for a period (KPI-3)."""

    agent = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("period"), max_length=8)  # 2026-11 | 2026Q4 | 2026
    kind = models.CharField(max_length=10, choices=AppraisalKind.choices)
    score = models.PositiveSmallIntegerField(_("score (0–100)"))
    comment = models.TextField(_("comment"), blank=True)
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "period", "kind", "author"], name="qa_appraisal_once")
        ]


class ScoreWeights(models.Model):
    """The configurable weights of the agent scorecard (one row per change; the newest applies)."""

    weights = models.JSONField()  # component code → integer weight, summing to 100
    aht_target_minutes = models.PositiveIntegerField(default=240)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
