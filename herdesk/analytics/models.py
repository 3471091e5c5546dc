"""Daily rollups (KPI-1): every indicator is a sum of these rows, so no dashboard or report scans the
ticket table at request time. One row per local day (Asia/Shanghai) and dimension combination;
every column is additive, so any period and any filter is a SUM over rows.
"""

from __future__ import annotations

from django.db import models


class TicketFigures(models.Model):
    """The additive columns of a ticket rollup row — the same in the wide and the narrow table."""

    received = models.PositiveIntegerField(default=0)
    repeat_contacts = models.PositiveIntegerField(default=0)  # same customer and problem within 7 days
    resolved = models.PositiveIntegerField(default=0)
    resolved_first_contact = models.PositiveIntegerField(default=0)  # no transfer, no reopen
    resolved_reopened = models.PositiveIntegerField(default=0)
    handling_seconds = models.BigIntegerField(default=0)  # working seconds, office calendar
    # Counts of resolved tickets per handling-time bucket (analytics.kpis.BUCKETS), for percentiles.
    handling_histogram = models.JSONField(default=list)
    followed_up_in_time = models.PositiveIntegerField(default=0)  # of the resolved: CLS-2 within 3 wd
    ratings = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    ratings_satisfied = models.PositiveIntegerField(default=0)  # score 4 or 5
    ratings_fully_solved = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    closed_finalised = models.PositiveIntegerField(default=0)  # record complete (CLS-3)
    closed_compliant = models.PositiveIntegerField(default=0)  # every required step present
    backlog_end_of_day = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class ClockFigures(models.Model):
    """The additive columns of a clock rollup row — the same in the wide and the narrow table."""

    total = models.PositiveIntegerField(default=0)
    met_on_time = models.PositiveIntegerField(default=0)
    met_after_renegotiation = models.PositiveIntegerField(default=0)
    breached = models.PositiveIntegerField(default=0)
    running = models.PositiveIntegerField(default=0)
    renegotiated = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class DailyTicketStats(TicketFigures):
    day = models.DateField()
    team_id = models.BigIntegerField(default=0)  # 0: no team yet
    channel = models.CharField(max_length=20)
    problem_type = models.CharField(max_length=30)
    # Dimensions of #18's filters: the ticket's region (as entered, e.g. "内蒙古 呼和浩特"; filtered by
    # prefix like the queues), its product (model) and the customer's tier. 0 / "": none.
    region = models.CharField(max_length=60, default="")
    product_id = models.BigIntegerField(default=0)
    tier = models.CharField(max_length=20, default="")

    class Meta:
        indexes = [
            models.Index(fields=["day"], name="an_ticket_day"),
            # The breakdowns by region, product and tier and the region suggestions (the wide table's
            # only reads without such a filter, #18) count contacts received: most wide rows are
            # backlog or resolution rows with none, so this covering partial index holds a fraction
            # of the rows and answers them by an index-only scan on PostgreSQL.
            models.Index(
                fields=["day"],
                name="an_ticket_day_received",
                include=["region", "product_id", "tier", "received"],
                condition=models.Q(received__gt=0),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "team_id", "channel", "problem_type", "region", "product_id", "tier"],
                name="an_ticket_day_dims2",
            )
        ]


class DailyClockStats(ClockFigures):
    """Clocks by the local day they started (as the compliance summary counts them)."""

    day = models.DateField()
    kind = models.CharField(max_length=30)
    team_id = models.BigIntegerField(default=0)  # 0: no team yet
    channel = models.CharField(max_length=20)
    problem_type = models.CharField(max_length=30)
    # Dimensions of #18's filters: the ticket's region (as entered, e.g. "内蒙古 呼和浩特"; filtered by
    # prefix like the queues), its product (model) and the customer's tier. 0 / "": none.
    region = models.CharField(max_length=60, default="")
    product_id = models.BigIntegerField(default=0)
    tier = models.CharField(max_length=20, default="")
    complexity = models.CharField(max_length=20)

    class Meta:
        indexes = [models.Index(fields=["day", "kind"], name="an_clock_day_kind")]


class DailyTicketStatsNarrow(TicketFigures):
    """The narrow ticket rollup (#18): day × team × channel × problem type only. The wide table's
    region, product and tier make about one row per ticket at 1,000,000 tickets a year, so every read
    without one of those filters sums this one (analytics.sources decides). Written in the same
    transaction as the wide rows, as their sums: both give the same figures."""

    day = models.DateField()
    team_id = models.BigIntegerField(default=0)  # 0: no team yet
    channel = models.CharField(max_length=20)
    problem_type = models.CharField(max_length=30)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "team_id", "channel", "problem_type"], name="an_ticket_narrow_day_dims"
            )
        ]


class DailyClockStatsNarrow(ClockFigures):
    """The narrow clock rollup (#18): DailyClockStats without region, product and tier."""

    day = models.DateField()
    kind = models.CharField(max_length=30)
    team_id = models.BigIntegerField(default=0)  # 0: no team yet
    channel = models.CharField(max_length=20)
    problem_type = models.CharField(max_length=30)
    complexity = models.CharField(max_length=20)

    class Meta:
        indexes = [models.Index(fields=["day", "kind"], name="an_clock_narrow_day_kind")]


class HourlyContactStats(models.Model):
    """Contacts received per local day, hour and channel: the peak analysis (KPI-4, S2 §4.4)."""

    day = models.DateField()
    hour = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=20)
    received = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="an_hour_day")]


class RollupState(models.Model):
    """The last local day whose rollup is complete; the nightly job catches up from here."""

    key = models.CharField(max_length=40, primary_key=True)
    last_day = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)


class ReportArchive(models.Model):
    """A generated report pack file (KPI-2): kept, listed on the reports page, sent to management."""

    kind = models.CharField(max_length=10)  # monthly | quarterly
    label = models.CharField(max_length=10)  # 2026-11 | 2026Q4
    fmt = models.CharField(max_length=5)  # pdf | xlsx
    file = models.FileField(upload_to="reports/")
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    generated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-label", "kind", "fmt"]
        constraints = [models.UniqueConstraint(fields=["kind", "label", "fmt"], name="an_report_once")]


class DailyAgentStats(models.Model):
    """One agent's figures per local day (the agent dashboard, KPI-2), by the ticket's current
    assignee: resolved / closed / rated on the day, and the first-response and resolution clocks
    that started on the day. Additive like the other rollups."""

    day = models.DateField()
    assignee_id = models.BigIntegerField()
    team_id = models.BigIntegerField(default=0)

    resolved = models.PositiveIntegerField(default=0)
    resolved_first_contact = models.PositiveIntegerField(default=0)
    handling_seconds = models.BigIntegerField(default=0)
    followed_up_in_time = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    closed_finalised = models.PositiveIntegerField(default=0)
    ratings = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    ratings_satisfied = models.PositiveIntegerField(default=0)
    first_response_finished = models.PositiveIntegerField(default=0)
    first_response_met = models.PositiveIntegerField(default=0)
    resolution_finished = models.PositiveIntegerField(default=0)
    resolution_met = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["assignee_id", "day"], name="an_agent_day")]
        constraints = [models.UniqueConstraint(fields=["day", "assignee_id"], name="an_agent_day_once")]


class DailyStageStats(models.Model):
    """Where the working time goes (bottleneck analysis, #18): per local day a ticket was resolved,
    its team, category and lifecycle stage — the working seconds spent in that stage and whether the
    stage's clock breached. analytics.stages defines the stages; additive like the other rollups."""

    day = models.DateField()
    team_id = models.BigIntegerField(default=0)
    category_id = models.BigIntegerField(default=0)
    stage = models.CharField(max_length=20)

    tickets = models.PositiveIntegerField(default=0)  # resolved tickets that went through the stage
    seconds = models.BigIntegerField(default=0)  # working seconds, office calendar
    clocks = models.PositiveIntegerField(default=0)  # of them with the stage's clock
    breached = models.PositiveIntegerField(default=0)  # … whose clock breached (missed its original due)

    class Meta:
        indexes = [models.Index(fields=["day"], name="an_stage_day")]
