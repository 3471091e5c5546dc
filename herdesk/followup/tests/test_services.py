"""Follow-up tasks, attempts, survey links, anti-fatigue and reviews (CLS-2), through the services."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from herdesk.clocks.models import Clock
from herdesk.common.errors import DomainError, TransitionNotAllowed
from herdesk.followup import services as fs
from herdesk.followup.choices import (
    REVIEW_TRANSITIONS,
    TASK_TRANSITIONS,
    ReviewState,
    TaskState,
)
from herdesk.followup.models import FollowUpReview, FollowUpRule, FollowUpTask
from herdesk.notifications.models import Notification, OutboxMessage

from .conftest import SH, T0, new_customer, resolved, task_of

pytestmark = pytest.mark.django_db


def _link_token(task: FollowUpTask) -> str:
    msg = OutboxMessage.objects.filter(dedupe_key__startswith="survey:", ticket_id=task.ticket_id).latest(
        "id"
    )
    m = re.search(r"/followup/s/([^/\s]+)/", msg.payload["text"])
    assert m, msg.payload["text"]
    return m.group(1)


def test_a_resolved_ticket_gets_one_task_due_at_the_follow_up_clock(staff, customer) -> None:
    t = resolved(staff, customer)
    clock = Clock.objects.get(ticket=t, kind="follow_up")
    assert fs.tasks_sync(now=T0 + timedelta(hours=3))["created"] == 1
    assert fs.tasks_sync(now=T0 + timedelta(hours=4))["created"] == 0  # idempotent
    task = FollowUpTask.objects.get(ticket=t)
    assert task.due_at == clock.due_at == datetime(2026, 11, 25, 18, 0, tzinfo=SH)  # 3 working days
    assert task.state == TaskState.OPEN
    assert task.assignee == staff["agent1"] and task.team.code == "customer-service"
    assert fs.task_create_for_clock(clock=clock) is None


# --- the task state machine: every allowed and every refused transition ----------------------------

ALL_TASK_PAIRS = [(a, b) for a in TaskState.values for b in TaskState.values]


@pytest.mark.parametrize(("src", "dst"), ALL_TASK_PAIRS)
def test_task_transitions(staff, customer, src: str, dst: str) -> None:
    task = task_of(resolved(staff, customer))
    FollowUpTask.objects.filter(pk=task.pk).update(state=src)
    task.refresh_from_db()
    if dst in TASK_TRANSITIONS[src]:
        fs.task_move(task=task, to=dst, actor=staff["agent1"], at=T0 + timedelta(days=1))
        task.refresh_from_db()
        assert task.state == dst
    else:
        with pytest.raises(TransitionNotAllowed):
            fs.task_move(task=task, to=dst, actor=staff["agent1"], at=T0 + timedelta(days=1))
        task.refresh_from_db()
        assert task.state == src


ALL_REVIEW_PAIRS = [(a, b) for a in ReviewState.values for b in ReviewState.values]


@pytest.mark.parametrize(("src", "dst"), ALL_REVIEW_PAIRS)
def test_review_transitions(staff, customer, src: str, dst: str) -> None:
    task = task_of(resolved(staff, customer))
    fs.call_record(
        task=task,
        actor=staff["agent1"],
        outcome="answered",
        fully_solved=False,
        score=3,
        at=T0 + timedelta(days=1),
    )
    review = FollowUpReview.objects.get(task=task)
    FollowUpReview.objects.filter(pk=review.pk).update(state=src)
    review.refresh_from_db()
    if dst in REVIEW_TRANSITIONS[src]:
        fs.review_move(review=review, to=dst, actor=staff["cs_lead"], at=T0 + timedelta(days=1))
        assert FollowUpReview.objects.get(pk=review.pk).state == dst
    else:
        with pytest.raises(TransitionNotAllowed):
            fs.review_move(review=review, to=dst, actor=staff["cs_lead"], at=T0 + timedelta(days=1))
        assert FollowUpReview.objects.get(pk=review.pk).state == src


# --- attempts --------------------------------------------------------------------------------------


def test_a_call_answered_records_the_follow_up_and_stops_the_clock(staff, customer) -> None:
    t = resolved(staff, customer)
    task = task_of(t)
    at = T0 + timedelta(days=1)
    with pytest.raises(ValidationError) as e:
        fs.call_record(task=task, actor=staff["agent1"], outcome="answered", at=at)  # no score asked
    assert set(e.value.message_dict) == {"score", "fully_solved"}
    fs.call_record(
        task=task,
        actor=staff["agent1"],
        outcome="answered",
        fully_solved=True,
        score=5,
        other_needs="想了解新型号",
        suggestions="上门前先电话",
        at=at,
    )
    task.refresh_from_db()
    assert task.state == TaskState.COMPLETED and task.completed_at == at
    assert task.follow_up.score == 5 and task.follow_up.method == "phone"
    assert "想了解新型号" in task.follow_up.comments and "上门前先电话" in task.follow_up.comments
    assert Clock.objects.get(ticket=t, kind="follow_up").state == "met"
    assert [(a.method, a.outcome) for a in task.attempt_rows.all()] == [("phone", "answered")]
    assert not FollowUpReview.objects.exists()  # 5 and solved: no review
    assert t.interactions.filter(body__contains="5/5").exists()  # on the timeline
    with pytest.raises(TransitionNotAllowed):
        fs.call_record(task=task, actor=staff["agent1"], outcome="no_answer", at=at)


def test_unreached_call_sends_the_survey_link_and_max_attempts_make_it_unreachable(staff, customer) -> None:
    FollowUpRule.objects.create(policy=None, max_attempts=3, survey_after_calls=1)
    task = task_of(resolved(staff, customer))
    at = T0 + timedelta(days=1)
    fs.call_record(task=task, actor=staff["agent1"], outcome="no_answer", at=at)
    task.refresh_from_db()
    assert task.state == TaskState.SURVEY_SENT
    msg = OutboxMessage.objects.get(dedupe_key__startswith="survey:")
    assert msg.channel == "sms" and "/followup/s/" in msg.payload["text"]
    # the timeline shows that a link went out, never the link itself (a bearer secret)
    entry = task.ticket.interactions.get(pk=msg.payload["interaction"])
    assert "/followup/s/" not in entry.body
    assert [(a.method, a.outcome) for a in task.attempt_rows.all()] == [
        ("phone", "no_answer"),
        ("sms", "link_sent"),
    ]
    fs.call_record(task=task, actor=staff["agent1"], outcome="busy", at=at + timedelta(hours=2))
    task.refresh_from_db()
    assert task.state == TaskState.ATTEMPTING and task.links.count() == 1  # one link only
    fs.call_record(task=task, actor=staff["agent1"], outcome="no_answer", at=at + timedelta(hours=4))
    task.refresh_from_db()
    assert task.state == TaskState.UNREACHABLE and task.calls_not_reached == 3
    # the link still valid may yet be answered
    fs.survey_answer(
        token=_link_token(task), score=4, fully_solved=True, comment="", now=at + timedelta(days=1)
    )
    task.refresh_from_db()
    assert task.state == TaskState.COMPLETED and task.follow_up.method == "sms"


def test_survey_link_refuses_tamper_reuse_and_expiry(staff, customer) -> None:
    task = task_of(resolved(staff, customer))
    fs.survey_send(task=task, actor=staff["agent1"], at=T0 + timedelta(days=1))
    token = _link_token(task)
    with pytest.raises(fs.SurveyLinkError) as e:
        fs.survey_link_get(token=token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert e.value.status == 400
    with pytest.raises(fs.SurveyLinkError) as e:
        fs.survey_link_get(token=token, now=T0 + timedelta(days=8, minutes=1))
    assert e.value.status == 410 and e.value.code == "link_expired"
    with pytest.raises(ValidationError):  # a refused answer keeps the link usable
        fs.survey_answer(token=token, score=9, fully_solved=True, now=T0 + timedelta(days=2))
    fs.survey_answer(token=token, score=2, fully_solved=True, comment="等了很久", now=T0 + timedelta(days=2))
    with pytest.raises(fs.SurveyLinkError) as e:
        fs.survey_answer(token=token, score=5, fully_solved=True, now=T0 + timedelta(days=2))
    assert e.value.code == "link_used" and e.value.status == 410


def test_survey_answer_lands_on_the_record_and_a_low_score_opens_the_review(staff, customer) -> None:
    t = resolved(staff, customer)
    task = task_of(t)
    fs.survey_send(task=task, actor=staff["agent1"], at=T0 + timedelta(days=1))
    at = datetime(2026, 11, 23, 10, 0, tzinfo=SH)  # Monday
    fs.survey_answer(token=_link_token(task), score=2, fully_solved=False, comment="还是报警", now=at)
    task.refresh_from_db()
    fu = task.follow_up
    assert (fu.score, fu.fully_solved, fu.comments) == (2, False, "还是报警")
    review = FollowUpReview.objects.get(task=task)
    assert review.owner == staff["cs_lead"] and review.state == ReviewState.OPEN
    assert review.due_at == datetime(2026, 11, 24, 18, 0, tzinfo=SH)  # the end of the next working day
    assert Notification.objects.filter(user=staff["cs_lead"], kind="low_score", ticket=t).count() == 1
    from herdesk.notifications.services import outbox_dispatch

    outbox_dispatch()  # follow_up_record's own low-score notice: the lead was told already
    assert Notification.objects.filter(user=staff["cs_lead"], kind="low_score", ticket=t).count() == 1
    assert t.interactions.filter(body__contains="2/5").exists()


def test_review_decide_reopen_and_close(staff, customer) -> None:
    t = resolved(staff, customer)
    task = task_of(t)
    at = T0 + timedelta(days=1)
    fs.call_record(task=task, actor=staff["agent1"], outcome="answered", fully_solved=False, score=2, at=at)
    review = FollowUpReview.objects.get(task=task)
    with pytest.raises(DomainError):  # not the owner
        fs.review_decide(review=review, actor=staff["agent2"], findings="x", actions=[{"description": "y"}])
    with pytest.raises(ValidationError) as e:
        fs.review_decide(review=review, actor=staff["cs_lead"], findings="", actions=[])
    assert set(e.value.message_dict) == {"findings", "actions"}
    with pytest.raises(TransitionNotAllowed):  # open → closed is refused: decide first
        fs.review_close(review=review, actor=staff["cs_lead"], closure_note="done")
    fs.review_decide(
        review=review,
        actor=staff["cs_lead"],
        findings="未确认根因就结案",
        actions=[{"description": "结案前电话确认", "owner": staff["agent1"]}],
        reopen_ticket=True,
        at=at + timedelta(hours=1),
    )
    review.refresh_from_db()
    t.refresh_from_db()
    assert review.state == ReviewState.DECIDED and review.ticket_reopened and t.status == "in_progress"
    assert list(review.actions.values_list("description", flat=True)) == ["结案前电话确认"]
    fs.review_action_done(action=review.actions.get(), actor=staff["agent1"])
    fs.review_close(review=review, actor=staff["cs_lead"], closure_note="已培训", at=at + timedelta(hours=2))
    review.refresh_from_db()
    assert review.state == ReviewState.CLOSED and review.closed_at is not None


def test_review_warns_and_breaches_once(staff, customer) -> None:
    task = task_of(resolved(staff, customer))
    at = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
    fs.call_record(task=task, actor=staff["agent1"], outcome="answered", fully_solved=True, score=1, at=at)
    review = FollowUpReview.objects.get(task=task)
    assert fs.reviews_sweep(now=at + timedelta(hours=1)) == {"reviews_warned": 0, "reviews_breached": 0}
    assert fs.reviews_sweep(now=review.warn_at)["reviews_warned"] == 1
    assert fs.reviews_sweep(now=review.due_at + timedelta(minutes=1)) == {
        "reviews_warned": 0,
        "reviews_breached": 1,
    }
    assert fs.reviews_sweep(now=review.due_at + timedelta(hours=1)) == {
        "reviews_warned": 0,
        "reviews_breached": 0,
    }
    texts = list(
        Notification.objects.filter(user=staff["cs_lead"], kind="other").values_list("data__text", flat=True)
    )
    assert len(texts) == 2 and any("复盘" in x or "review" in x for x in texts)


# --- anti-fatigue ----------------------------------------------------------------------------------


def test_one_follow_up_per_customer_in_30_days(staff, customer) -> None:
    first = task_of(resolved(staff, customer))
    second_ticket = resolved(staff, customer, at=T0 + timedelta(days=3))
    second = task_of(second_ticket)
    assert first.state == TaskState.OPEN
    assert second.state == TaskState.EXCLUDED and second.exclusion == "recent"
    assert Clock.objects.get(ticket=second_ticket, kind="follow_up").state == "cancelled"  # owes nothing
    later = task_of(resolved(staff, customer, at=T0 + timedelta(days=31)))
    assert later.state == TaskState.OPEN


def test_fatigue_period_is_configurable(staff, customer) -> None:
    FollowUpRule.objects.create(policy=None, fatigue_days=2)
    task_of(resolved(staff, customer))
    assert task_of(resolved(staff, customer, at=T0 + timedelta(days=3))).state == TaskState.OPEN


def test_opted_out_and_open_complaint_are_excluded(staff, customer, other_customer) -> None:
    from herdesk.notifications.customer_notices import notice_preference_set
    from herdesk.tickets import services as ts

    notice_preference_set(customer=customer, actor=None, channel="", opt_out_non_essential=True)
    assert task_of(resolved(staff, customer)).exclusion == "opted_out"
    ts.ticket_create(
        actor=staff["agent1"],
        customer=other_customer,
        channel="phone",
        problem_type="complaint",
        subject="投诉",
        received_at=T0,
        now=T0,
    )
    assert task_of(resolved(staff, other_customer)).exclusion == "complaint_open"


def test_a_reopened_ticket_cancels_its_task(staff, customer) -> None:
    from herdesk.tickets import services as ts

    t = resolved(staff, customer)
    task = task_of(t)
    ts.ticket_reopen(ticket=t, actor=staff["agent1"], reason="客户说还没好", at=T0 + timedelta(hours=5))
    assert fs.tasks_sync(now=T0 + timedelta(hours=6))["cancelled"] == 1
    task.refresh_from_db()
    assert task.state == TaskState.CANCELLED


def test_survey_without_any_channel_is_refused(staff) -> None:
    from herdesk.customers.services import customer_create

    nobody = customer_create(name="无联系方式")
    task = task_of(resolved(staff, nobody, channel="portal"))
    with pytest.raises(DomainError):
        fs.survey_send(task=task, actor=staff["agent1"])
    assert new_customer  # the helper is shared with the other test files
