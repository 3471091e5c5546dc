"""Drill reminders and the response deadline of each level (EMG-1, seed 001 §7: response levels I–IV,
each with its time to respond; regular drills). `emergency_sweep` is the periodic job
`emergency-sweep`:

- a drill scheduled within `HERDESK_DRILL_REMINDER_DAYS` (3) days: each responder of its level is
  reminded once (in-app notice, key `emg:<id>:drill-reminder`);
- an incident declared but whose plan is not activated within its level's `respond_within_minutes`:
  the responders and management are told once (key `emg:<id>:response-overdue`). The deadline runs
  from the declaration (接收事件); activating the plan (启动预案) meets it.

No state of its own: the deadlines are derived from the incident and its plan's level, and the notice
keys make a repeated sweep tell nobody twice."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.notifications.choices import NotificationKind
from herdesk.notifications.staff_notices import notify
from herdesk.staff.models import User

from .choices import ROMAN, IncidentStatus
from .models import Incident, PlanLevel
from .services import _responders

# Before the plan is activated the response is still owed.
AWAITING_RESPONSE = (IncidentStatus.DECLARED, IncidentStatus.ASSESSED)


def reminder_days() -> int:
    return int(getattr(settings, "HERDESK_DRILL_REMINDER_DAYS", 3))


def response_deadline(incident: Incident) -> datetime | None:
    """When the plan must be activated: the declaration + the level's respond-within minutes."""
    if incident.declared_at is None:
        return None
    minutes = (
        PlanLevel.objects.filter(plan_id=incident.plan_id, level=incident.level)
        .values_list("respond_within_minutes", flat=True)
        .first()
    )
    if minutes is None:
        return None
    return incident.declared_at + timedelta(minutes=minutes)


def response_state(incident: Incident, now: datetime | None = None) -> dict[str, Any] | None:
    """For the incident page: the deadline and met / running / overdue."""
    due = response_deadline(incident)
    if due is None:
        return None
    now = now or timezone.now()
    if incident.activated_at is not None:
        state = "met" if incident.activated_at <= due else "late"
    elif incident.status in AWAITING_RESPONSE:
        state = "overdue" if now >= due else "running"
    else:
        state = "ended"  # cancelled before activation
    return {"due": due, "state": state}


@transaction.atomic
def emergency_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic job: drill reminders and overdue responses (each notice sent once)."""
    now = now or timezone.now()
    reminded = overdue = 0
    horizon = now + timedelta(days=reminder_days())
    for drill in Incident.objects.filter(
        is_drill=True, status=IncidentStatus.SCHEDULED, scheduled_for__gt=now, scheduled_for__lte=horizon
    ).select_related("plan"):
        users = [u for u, _duty in _responders(drill)]
        when = f"{timezone.localtime(drill.scheduled_for):%Y-%m-%d %H:%M}"
        text = _("[DRILL] %(title)s (level %(level)s) is scheduled for %(when)s.") % {
            "title": drill.title,
            "level": ROMAN[drill.level],
            "when": when,
        }
        reminded += len(
            notify(
                users=users,
                kind=NotificationKind.OTHER,
                data={"text": text[:300], "incident": drill.number, "drill": True},
                key=f"emg:{drill.pk}:drill-reminder",
            )
        )
    managers = list(
        User.objects.filter(is_active=True, groups__name="management").values_list("pk", flat=True)
    )
    for inc in Incident.objects.filter(
        status__in=AWAITING_RESPONSE, declared_at__isnull=False
    ).select_related("plan"):
        due = response_deadline(inc)
        if due is None or due > now:
            continue
        mark = _("[DRILL] ") if inc.is_drill else ""
        text = _(
            "%(drill)s%(number)s %(title)s: level %(level)s response was due at %(due)s; "
            "the plan is not activated."
        ) % {
            "drill": mark,
            "number": inc.number,
            "title": inc.title,
            "level": ROMAN[inc.level],
            "due": f"{timezone.localtime(due):%Y-%m-%d %H:%M}",
        }
        overdue += len(
            notify(
                users=[u for u, _duty in _responders(inc)] + managers,
                kind=NotificationKind.OTHER,
                data={"text": text[:300], "incident": inc.number, "drill": inc.is_drill},
                key=f"emg:{inc.pk}:response-overdue",
            )
        )
    return {"reminded": reminded, "overdue": overdue}
