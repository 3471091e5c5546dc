"""Helpers shared by the training services: the working calendar of due dates and onboarding days,
the one place a status changes (`_move`), staff notices."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from herdesk.calendars.selectors import working_calendar
from herdesk.common.errors import TransitionNotAllowed
from herdesk.notifications.choices import NotificationKind
from herdesk.notifications.staff_notices import notify
from herdesk.staff.models import User

# The working calendar for due dates and onboarding days (the office's, with 调休 make-up days).
CALENDAR_SETTING = "HERDESK_TRAINING_CALENDAR"


def calendar_code() -> str:
    return str(getattr(settings, CALENDAR_SETTING, "office"))


def _local_today(at: datetime | None = None) -> date:
    return timezone.localtime(at or timezone.now()).date()


def _person(actor: Any) -> Any:
    return actor if isinstance(actor, User) else None


def _move(obj: Any, to: str, table: Mapping[str, frozenset[str]]) -> None:
    """The one place a training status changes: refuses a move the table does not allow."""
    if to not in table.get(obj.status, frozenset()):
        raise TransitionNotAllowed(
            _("Cannot change the status from “%(a)s” to “%(b)s”.") % {"a": obj.status, "b": to}
        )
    obj.status = to


def _tell(users: Iterable[Any], *, key: str, text: str, url: str = "") -> None:
    """A staff notice (the bell) in Chinese first, the installation's language."""
    with translation.override(settings.LANGUAGE_CODE):
        notify(users=users, kind=NotificationKind.OTHER, data={"text": str(text)[:280], "url": url}, key=key)


def _require_staff(user: Any, field: str) -> None:
    if (
        user is None
        or not getattr(user, "pk", None)
        or getattr(user, "customer_id", None)
        or not user.is_active
    ):
        raise ValidationError({field: _("Choose an active staff member.")})


def working_days_after(start: date, n: int, *, code: str | None = None) -> date:
    """The n-th working day after `start` (start's own day not counted) under the calendar."""
    cal = working_calendar(code or calendar_code())
    noon = timezone.make_aware(datetime.combine(start, time(12)), cal.zone)
    return timezone.localtime(cal.add_working_days(noon, n), cal.zone).date()
