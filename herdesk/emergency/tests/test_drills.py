"""EMG-1: a scheduled drill reminds its responders N days before (once); each level's response
deadline (the plan's respond-within minutes from the declaration) is shown and, when the plan is not
activated in time, the responders and management are told once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from herdesk.emergency import drills, services
from herdesk.emergency.choices import IncidentStatus as S
from herdesk.emergency.models import PlanLevel
from herdesk.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _notes(key: str) -> int:
    return Notification.objects.filter(data__key=key).count()


def test_drill_reminder_once_within_the_days(plans: Any, staff: Any, settings: Any) -> None:
    settings.HERDESK_DRILL_REMINDER_DAYS = 3
    boss, now = staff["cs_lead"], timezone.now()
    soon = services.incident_declare(
        plan=plans["cold-chain"], level=2, actor=boss, is_drill=True, scheduled_for=now + timedelta(days=2)
    )
    later = services.incident_declare(
        plan=plans["cold-chain"], level=2, actor=boss, is_drill=True, scheduled_for=now + timedelta(days=10)
    )
    assert soon.status == later.status == S.SCHEDULED
    first = drills.emergency_sweep(now=now)
    assert first["reminded"] > 0 and _notes(f"emg:{soon.pk}:drill-reminder") == first["reminded"]
    assert _notes(f"emg:{later.pk}:drill-reminder") == 0
    assert drills.emergency_sweep(now=now)["reminded"] == 0  # nobody told twice
    text = Notification.objects.filter(data__key=f"emg:{soon.pk}:drill-reminder").first().data["text"]
    assert soon.title in text


@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_level_response_deadline_and_overdue_notice(plans: Any, staff: Any, level: int) -> None:
    boss = staff["cs_lead"]
    inc = services.incident_declare(plan=plans["cold-chain"], level=level, actor=boss)
    minutes = PlanLevel.objects.get(plan=plans["cold-chain"], level=level).respond_within_minutes
    due = drills.response_deadline(inc)
    assert due == inc.declared_at + timedelta(minutes=minutes)
    assert drills.response_state(inc, due - timedelta(seconds=1))["state"] == "running"
    assert drills.emergency_sweep(now=due - timedelta(seconds=1))["overdue"] == 0
    told = drills.emergency_sweep(now=due)["overdue"]
    assert told > 0 and drills.emergency_sweep(now=due + timedelta(hours=1))["overdue"] == 0
    assert Notification.objects.filter(
        user=staff["manager"], data__key=f"emg:{inc.pk}:response-overdue"
    ).exists()
    assert drills.response_state(inc, due)["state"] == "overdue"


def test_levels_have_shorter_deadlines_when_more_severe(plans: Any) -> None:
    minutes = dict(
        PlanLevel.objects.filter(plan=plans["cold-chain"]).values_list("level", "respond_within_minutes")
    )
    assert minutes[1] <= minutes[2] <= minutes[3] <= minutes[4]


def test_activation_meets_the_deadline_and_the_page_shows_it(plans: Any, staff: Any, client: Any) -> None:
    boss = staff["cs_lead"]
    inc = services.incident_declare(plan=plans["cold-chain"], level=2, actor=boss)
    inc = services.incident_assess(incident=inc, actor=boss, risk_assessment="冷链车温控失效")
    inc = services.incident_transition(incident=inc, to=S.ACTIVATED, actor=boss)
    assert drills.response_state(inc)["state"] == "met"
    assert drills.emergency_sweep(now=timezone.now() + timedelta(days=1))["overdue"] == 0
    client.force_login(boss)
    page = client.get(f"/emergency/{inc.number}/").content.decode()
    assert 'id="response-due" data-state="met"' in page
