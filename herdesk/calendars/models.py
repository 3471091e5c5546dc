"""Working calendars (CAL-1, CAL-3): weekly hours, the national holiday schedule, company closures.

The arithmetic lives in engine.py (pure Python); selectors.working_calendar() turns these rows into an
engine WorkingCalendar and caches it per process, invalidated through CalendarVersion.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

DAY_SECONDS = 86_400
MAKEUP_WEEKDAY = 7  # CalendarInterval.weekday value for the hours of make-up working days (调休上班)


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("Unknown time zone: %(tz)s"), params={"tz": value})


class Calendar(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_timezone]
    )
    always_open = models.BooleanField(
        _("always open"),
        default=False,
        help_text=_("Open around the clock (7×24); weekly hours are ignored."),
    )
    observes_holidays = models.BooleanField(
        _("observes public holidays"),
        default=True,
        help_text=_("Closed on public holidays and open on make-up working days."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class CalendarInterval(models.Model):
    """One opening of a calendar on a weekday.

    ``end_seconds`` is the closing time in seconds after local midnight (1..86400) rather than a
    TimeField, because a TimeField cannot say 24:00 and a day open until midnight needs it.
    ``weekday`` 0..6 is Monday..Sunday; 7 holds the hours used on make-up working days (when a
    calendar has none, Monday's hours apply).
    """

    WEEKDAY_CHOICES = [
        (0, _("Monday")),
        (1, _("Tuesday")),
        (2, _("Wednesday")),
        (3, _("Thursday")),
        (4, _("Friday")),
        (5, _("Saturday")),
        (6, _("Sunday")),
        (MAKEUP_WEEKDAY, _("Make-up working day")),
    ]

    calendar = models.ForeignKey(
        Calendar, on_delete=models.CASCADE, related_name="intervals", verbose_name=_("calendar")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=WEEKDAY_CHOICES)
    start = models.TimeField(_("opens at"))
    end_seconds = models.PositiveIntegerField(
        _("closes at (seconds after midnight)"),
        validators=[MinValueValidator(1), MaxValueValidator(DAY_SECONDS)],
        help_text=_("86400 means 24:00."),
    )

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["calendar", "weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=MAKEUP_WEEKDAY),
                name="calendars_interval_weekday",
            ),
            models.CheckConstraint(
                condition=models.Q(end_seconds__gte=1, end_seconds__lte=DAY_SECONDS),
                name="calendars_interval_end_seconds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.calendar_id}:{self.weekday} {self.start:%H:%M}-{self.end_label}"

    @property
    def start_seconds(self) -> int:
        return self.start.hour * 3600 + self.start.minute * 60 + self.start.second

    @property
    def end_label(self) -> str:
        hours, rest = divmod(self.end_seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")

    def clean(self) -> None:
        if (
            isinstance(self.start, dt.time)
            and self.end_seconds is not None
            and (self.end_seconds <= self.start_seconds)
        ):
            raise ValidationError(_("The closing time must be after the opening time."))


class Holiday(models.Model):
    """The national schedule (国务院办公厅节假日安排), shared by every calendar that observes it."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("public holiday")
        WORKDAY = "workday", _("make-up working day")

    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["date", "kind"], name="calendars_holiday_date_kind")]

    def __str__(self) -> str:
        return f"{self.date} {self.kind}"


class CalendarClosure(models.Model):
    """A company-specific closed day (CAL-1); beats weekly hours and make-up working days."""

    calendar = models.ForeignKey(
        Calendar, on_delete=models.CASCADE, related_name="closures", verbose_name=_("calendar")
    )
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="calendars_closure_calendar_date")
        ]

    def __str__(self) -> str:
        return f"{self.calendar_id} closed {self.date}"


class CalendarVersion(models.Model):
    """Single row whose token changes on every write to the tables above.

    selectors.working_calendar() compares it with the token its process cache was built under: one
    primary-key lookup per call instead of reloading calendars and holidays. The token is random,
    not a counter, so a rolled-back write can never make an old cache look current again.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    token = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("calendar version")
        verbose_name_plural = _("calendar versions")

    def __str__(self) -> str:
        return self.token
