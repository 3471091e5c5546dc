"""Training (STF-2): curriculum (modules, attachments, exams, question banks), assignments and exam
attempts, onboarding plans, monthly training / case-sharing sessions with attendance, mentors."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import (
    AssignmentStatus,
    AttemptStatus,
    AttendanceStatus,
    ExamKind,
    PlanStatus,
    QuestionKind,
    SessionKind,
    SessionStatus,
)

USER = settings.AUTH_USER_MODEL


class Module(models.Model):
    """A unit of the curriculum: materials to study and the exams that check them."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    materials = models.TextField(_("materials"), blank=True)
    required_for_onboarding = models.BooleanField(_("required in onboarding"), default=False)
    due_working_days = models.PositiveSmallIntegerField(_("due within (working days)"), default=5)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("training module")
        verbose_name_plural = _("training modules")
        ordering = ["code"]
        permissions = [
            ("manage_training", "Can manage the curriculum, sessions, onboarding and mentors"),
            ("grade_exam", "Can grade free-text exam answers"),
            ("override_onboarding", "Can let a new agent take tickets before onboarding is complete"),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.title}"


class ModuleAttachment(models.Model):
    """A file of the module's materials; checked and stored like ticket attachments (SEC-5)."""

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="attachments")
    original_name = models.CharField(_("file name"), max_length=200)
    extension = models.CharField(max_length=10)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_path = models.CharField(max_length=255, unique=True)
    uploaded_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField()


class Exam(models.Model):
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="exams")
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=ExamKind.choices, default=ExamKind.THEORY)
    pass_mark = models.PositiveSmallIntegerField(_("pass mark (%)"), default=80)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("exam")
        verbose_name_plural = _("exams")
        ordering = ["module_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pass_mark__gte=1, pass_mark__lte=100), name="training_exam_pass_mark_1_100"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=QuestionKind.choices)
    prompt = models.TextField(_("question"))
    points = models.PositiveSmallIntegerField(_("points"), default=1)
    guidance = models.TextField(_("grading guidance"), blank=True)
    # A retired question is no longer asked; past attempts keep their answers to it (an edit of an
    # answered question retires it and adds the edited copy, so a sitting's record never changes).
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["exam_id", "position", "id"]


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("choice"), max_length=300)
    correct = models.BooleanField(_("correct"), default=False)

    class Meta:
        ordering = ["question_id", "position", "id"]


class Assignment(models.Model):
    """A module (and its exams) given to a staff member with a due date. One per (agent, module,
    source): the same reason given twice (a QA review, an onboarding plan) assigns once."""

    agent = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="training_assignments")
    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="assignments")
    reason = models.CharField(_("reason"), max_length=300)
    source_ref = models.CharField(_("source"), max_length=120, blank=True)
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=12, choices=AssignmentStatus.choices, default=AssignmentStatus.ASSIGNED
    )
    assigned_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("training assignment")
        verbose_name_plural = _("training assignments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "module", "source_ref"], name="training_assignment_once")
        ]
        indexes = [models.Index(fields=["agent", "status"], name="training_asg_agent_status")]


class Attempt(models.Model):
    """One sitting of an exam: choice answers are graded on submission, free text by a grader."""

    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="attempts")
    agent = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="exam_attempts")
    assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.SET_NULL, related_name="attempts"
    )
    status = models.CharField(_("status"), max_length=10, choices=AttemptStatus.choices)
    score = models.PositiveIntegerField(_("score"), default=0)
    max_score = models.PositiveIntegerField(_("maximum score"), default=0)
    pass_mark = models.PositiveSmallIntegerField(_("pass mark (%)"))
    submitted_at = models.DateTimeField()
    graded_at = models.DateTimeField(null=True, blank=True)
    graded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["status", "submitted_at"], name="training_attempt_status")]

    @property
    def percent(self) -> float:
        return round(100 * self.score / self.max_score, 1) if self.max_score else 0.0


class Answer(models.Model):
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    choice_ids = models.JSONField(default=list, blank=True)
    text = models.TextField(blank=True)
    # None: a free-text answer not graded yet.
    points = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        ordering = ["attempt_id", "question__position", "question_id"]


class OnboardingPlan(models.Model):
    """入职培训: at least 5 working days with the required modules. While it is active the agent is on
    hold for tickets (staff.User.ticket_hold), unless a supervisor overrides it with a reason."""

    agent = models.OneToOneField(USER, on_delete=models.CASCADE, related_name="onboarding_plan")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on (last training day)"))
    working_days = models.PositiveSmallIntegerField(_("working days"))
    calendar_code = models.CharField(_("calendar"), max_length=40)
    status = models.CharField(
        _("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.ACTIVE
    )
    override_reason = models.CharField(_("override reason"), max_length=300, blank=True)
    overridden_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    overridden_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("onboarding plan")
        verbose_name_plural = _("onboarding plans")
        ordering = ["-starts_on", "-id"]

    @property
    def source_ref(self) -> str:
        return f"onboarding:{self.pk}"


class TrainingSession(models.Model):
    """A scheduled training, case-sharing or ad-hoc session with its roster and materials."""

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=14, choices=SessionKind.choices, default=SessionKind.TRAINING
    )
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=60)
    location = models.CharField(_("location"), max_length=120, blank=True)
    materials = models.TextField(_("materials"), blank=True)
    module = models.ForeignKey(
        Module,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
        verbose_name=_("module"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["status", "starts_at"], name="training_session_when")]


class Attendance(models.Model):
    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="attendance")
    agent = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="training_attendance")
    status = models.CharField(
        _("status"), max_length=10, choices=AttendanceStatus.choices, default=AttendanceStatus.INVITED
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "agent"], name="training_attendance_once")]


class Mentorship(models.Model):
    """导师制度: a mentor for a new (or improving) agent; one current mentor per agent."""

    agent = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="mentorships")
    mentor = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="mentees")
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    goal = models.CharField(_("goal"), max_length=300, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agent"],
                condition=models.Q(ended_on__isnull=True),
                name="training_one_current_mentor",
            )
        ]


class MentorNote(models.Model):
    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(_("note"))
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
