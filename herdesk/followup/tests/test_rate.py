"""The follow-up rate matches hand-computed values on a fixture month exactly (CLS-2, S3 §6.1)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from herdesk.followup import selectors
from herdesk.followup import services as fs
from herdesk.followup.models import FollowUpRule

from .conftest import SH, new_customer, resolved, task_of

pytestmark = pytest.mark.django_db


def _at(day: int, month: int = 11, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


def _answer(task, staff, who: str, at: datetime) -> None:
    fs.call_record(task=task, actor=staff[who], outcome="answered", fully_solved=True, score=4, at=at)


@pytest.fixture
def november(staff):
    """November 2026, resolved by agent1 (customer service) and tech1 (technical support):

    A1 resolved Mon 2nd 12:00, answered the 3rd          → within 3 working days
    A2 resolved Wed 4th 12:00, answered the 20th         → late
    A3 resolved Thu 5th 12:00, three calls not answered  → unreachable
    A4 resolved Fri 6th 12:00, customer opted out        → excluded (not owed)
    A5 resolved Mon 9th 12:00, nobody called yet         → owed, not done
    B1 resolved Tue 10th 12:00 (tech1), answered the 11th → within
    B2 resolved Thu 12th 12:00 (tech1), survey answered the 13th → within
    and, outside the month: Sat Oct 31 22:30 and Tue Dec 1 00:10 (Asia/Shanghai), both answered.
    """
    from herdesk.notifications.customer_notices import notice_preference_set

    FollowUpRule.objects.create(policy=None, fatigue_days=0, max_attempts=3, survey_after_calls=3)
    a1 = task_of(resolved(staff, new_customer(), at=_at(2)))
    _answer(a1, staff, "agent1", _at(3))
    a2 = task_of(resolved(staff, new_customer(), at=_at(4)))
    _answer(a2, staff, "agent1", _at(20))
    a3 = task_of(resolved(staff, new_customer(), at=_at(5)))
    for h in (1, 3, 5):
        fs.call_record(task=a3, actor=staff["agent1"], outcome="no_answer", at=_at(6, hour=9 + h))
    opted = new_customer()
    notice_preference_set(customer=opted, actor=None, channel="", opt_out_non_essential=True)
    task_of(resolved(staff, opted, at=_at(6)))
    task_of(resolved(staff, new_customer(), at=_at(9)))
    tech = {"agent": "tech1", "team": "tech-support"}
    b1 = task_of(resolved(staff, new_customer(), at=_at(10), **tech))
    _answer(b1, staff, "tech1", _at(11))
    b2 = task_of(resolved(staff, new_customer(), at=_at(12), **tech))
    fs.survey_send(task=b2, actor=staff["tech1"], at=_at(12, hour=15))
    from .test_services import _link_token

    fs.survey_answer(token=_link_token(b2), score=5, fully_solved=True, now=_at(13))
    oct31 = task_of(resolved(staff, new_customer(), at=datetime(2026, 10, 31, 20, 30, tzinfo=SH)))
    _answer(oct31, staff, "agent1", _at(2))
    dec1 = task_of(resolved(staff, new_customer(), at=datetime(2026, 11, 30, 22, 10, tzinfo=SH)))
    assert dec1.resolved_at == datetime(2026, 12, 1, 0, 10, tzinfo=SH)
    _answer(dec1, staff, "agent1", dec1.resolved_at + timedelta(hours=10))


def test_follow_up_rate_of_the_fixture_month(staff, november) -> None:
    data = selectors.follow_up_rate(month="2026-11")
    t = data["total"]
    assert (t.resolved, t.excluded, t.in_time, t.late, t.owed) == (7, 1, 3, 1, 6)
    assert t.rate == 3 / 6 and t.percent == "50.0" and not t.meets_target
    agents = {r.label: r for r in data["agents"]}
    assert set(agents) == {"王晓燕", "赵工"}
    a, b = agents["王晓燕"], agents["赵工"]
    assert (a.resolved, a.excluded, a.in_time, a.late, a.owed, a.rate) == (5, 1, 1, 1, 4, 0.25)
    assert (b.resolved, b.excluded, b.in_time, b.late, b.owed, b.rate) == (2, 0, 2, 0, 2, 1.0)
    assert b.meets_target and b.percent == "100.0"
    teams = {r.key: (r.resolved, r.in_time, r.rate) for r in data["teams"]}
    assert sorted(teams.values()) == [(2, 2, 1.0), (5, 1, 0.25)]
    october = selectors.follow_up_rate(month="2026-10")["total"]
    december = selectors.follow_up_rate(month="2026-12")["total"]
    assert (october.resolved, october.in_time) == (1, 1) and (december.resolved, december.in_time) == (1, 1)


def test_rate_page_shows_the_target_line(client, staff, november) -> None:
    client.force_login(staff["cs_lead"])
    r = client.get("/followup/rate/?month=2026-11", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="rate-total" data-rate="0.5000"' in html and "50.0 %" in html and "25.0 %" in html
    assert "fu-bar" in html
    assert client.get("/followup/rate/?month=2026-13").status_code == 200  # a bad month: this month
    client.force_login(staff["agent1"])
    assert client.get("/followup/rate/").status_code == 403
