"""The seed-000 clocks at run time: exact due instants, pause, renegotiation, the sweep."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from herdesk.clocks.models import Clock, ClockIncident, ClockState
from herdesk.clocks.selectors import compliance_summary
from herdesk.clocks.services import clock_renegotiate, clock_sweep
from herdesk.notifications.models import Notification, OutboxMessage
from herdesk.notifications.services import outbox_dispatch
from herdesk.tickets import services as ts

SH = ZoneInfo("Asia/Shanghai")


def _clock(ticket, kind: str) -> Clock:
    return Clock.objects.exclude(state="cancelled").filter(ticket=ticket, kind=kind).latest("cycle")


def test_secondary_channel_first_response_over_national_day(customer, staff) -> None:
    t = ts.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="social",
        problem_type="product_inquiry",
        subject="微博上问酸奶保质期",
        received_at=datetime(2026, 9, 30, 17, 30, tzinfo=SH),
        now=datetime(2026, 11, 23, 9, 0, tzinfo=SH),
    )
    fr = _clock(t, "first_response")
    assert fr.target == "2h" and fr.calendar_code == "office"
    assert fr.due_at.astimezone(SH).isoformat() == "2026-10-08T10:30:00+08:00"


def test_api_secondary_channel_due(api, customer) -> None:
    import json

    r = api().post(
        "/api/v1/tickets",
        content_type="application/json",
        data=json.dumps(
            {
                "customer_id": customer.pk,
                "channel": "email_other",
                "problem_type": "product_inquiry",
                "subject": "非工作邮箱来信",
                "received_at": "2026-09-30T17:30:00+08:00",
            }
        ),
    )
    assert r.status_code == 201
    fr = next(c for c in r.json()["clocks"] if c["kind"] == "first_response")
    assert datetime.fromisoformat(fr["due_at"]) == datetime(2026, 10, 8, 10, 30, tzinfo=SH)


def test_major_complaint_solution_due(customer, staff) -> None:
    t = ts.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="complaint",
        complaint_severity="major",
        subject="酸奶批次异味，多名顾客投诉",
        received_at=datetime(2026, 9, 18, 15, 0, tzinfo=SH),
    )
    cs = _clock(t, "complaint_solution")
    assert cs.target == "5wd"
    # 09-20 (Sunday) is a make-up working day: 20, 21, 22, 23, 24 → close of business on the 24th.
    assert cs.due_at.astimezone(SH).isoformat() == "2026-09-24T18:00:00+08:00"
    assert _clock(t, "complaint_start").due_at.astimezone(SH).isoformat() == "2026-09-20T18:00:00+08:00"


def test_triage_swaps_resolution_by_complexity_from_received(customer, staff) -> None:
    received = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
    t = ts.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="product_inquiry",
        subject="酸奶保质期",
        received_at=received,
        now=received,
    )
    assert _clock(t, "resolution").target == "4h"
    ts.ticket_triage(ticket=t, actor=staff["agent1"], complexity="simple", at=received + timedelta(minutes=2))
    res = _clock(t, "resolution")
    assert res.target == "15m" and res.started_at == received
    assert res.due_at == received + timedelta(minutes=15)
    assert _clock(t, "triage").state == ClockState.MET


def test_acknowledge_restarts_on_transfer_and_pause_while_waiting(customer, staff) -> None:
    from herdesk.staff.models import Team

    t0 = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
    t = ts.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="technical_support",
        subject="冷藏罐温度异常",
        received_at=t0,
        now=t0,
    )
    ts.ticket_triage(ticket=t, actor=staff["agent1"], team=Team.objects.get(code="tech-support"), at=t0)
    ts.ticket_assign(ticket=t, actor=staff["agent1"], assignee=staff["tech1"], at=t0 + timedelta(minutes=1))
    ts.ticket_assign(
        ticket=t,
        actor=staff["tech1"],
        assignee=staff["tech2"],
        reason="转给孙工",
        at=t0 + timedelta(minutes=5),
    )
    ack = Clock.objects.filter(ticket=t, kind="acknowledge").order_by("cycle")
    assert [c.state for c in ack] == ["cancelled", "running"]
    assert ack[1].due_at == t0 + timedelta(minutes=20)
    ts.ticket_acknowledge(ticket=t, actor=staff["tech2"], at=t0 + timedelta(minutes=10))
    assert _clock(t, "acknowledge").state == ClockState.MET
    assert _clock(t, "solution_plan").due_at == t0 + timedelta(minutes=40)
    ts.ticket_start(ticket=t, actor=staff["tech2"], at=t0 + timedelta(minutes=10))
    res = _clock(t, "resolution")
    assert res.due_at == t0 + timedelta(hours=4)
    ts.ticket_wait_customer(ticket=t, actor=staff["tech2"], at=t0 + timedelta(hours=1))
    assert _clock(t, "resolution").state == ClockState.PAUSED
    ts.interaction_add(
        ticket=t,
        actor=None,
        body="温度记录已发",
        kind="email",
        direction="inbound",
        occurred_at=t0 + timedelta(hours=3),
    )
    res = _clock(t, "resolution")
    assert res.state == ClockState.RUNNING
    assert res.due_at == t0 + timedelta(hours=6)  # two hours of waiting do not count


def test_sweep_records_once_and_catches_up(customer, staff) -> None:
    t0 = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
    t = ts.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="product_inquiry",
        subject="酸奶保质期",
        received_at=t0,
        now=t0,
    )
    # The scheduler was down for an hour: one sweep afterwards records every missed breach, once.
    r1 = clock_sweep(now=t0 + timedelta(hours=1))
    assert r1.breaches == 2  # triage (3m) and first_response (30m); resolution (4h) only warns later
    r2 = clock_sweep(now=t0 + timedelta(hours=1, minutes=1))
    assert r2.breaches == 0
    assert ClockIncident.objects.filter(kind="breach").count() == 2
    assert _clock(t, "triage").state == ClockState.BREACHED
    r3 = clock_sweep(now=t0 + timedelta(hours=3, minutes=20))  # 80% of 4h
    assert r3.warnings == 1 and r3.breaches == 0
    outbox_dispatch()
    assert OutboxMessage.objects.filter(status="sent").count() == OutboxMessage.objects.count() > 0
    before = Notification.objects.count()
    outbox_dispatch()
    assert Notification.objects.count() == before  # nothing delivered twice
    # Stopping a breached clock keeps it breached.
    ts.ticket_triage(ticket=t, actor=staff["agent1"], at=t0 + timedelta(hours=3, minutes=30))
    assert _clock(t, "triage").state == ClockState.BREACHED


def test_late_stop_without_sweep_still_records_breach(customer, staff) -> None:
    t0 = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
    t = ts.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="product_inquiry",
        subject="奶粉冲调",
        received_at=t0,
        now=t0,
    )
    ts.ticket_triage(ticket=t, actor=staff["agent1"], at=t0 + timedelta(minutes=10))
    assert _clock(t, "triage").state == ClockState.BREACHED
    assert ClockIncident.objects.filter(clock__ticket=t, clock__kind="triage", kind="breach").count() == 1
    clock_sweep(now=t0 + timedelta(minutes=20))
    assert ClockIncident.objects.filter(clock__ticket=t, clock__kind="triage", kind="breach").count() == 1


def test_renegotiation_kept_and_reported(customer, staff) -> None:
    t0 = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
    t = ts.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="technical_support",
        subject="TMR 搅拌车故障",
        received_at=t0,
        now=t0,
    )
    res = _clock(t, "resolution")
    with pytest.raises(ValidationError):
        clock_renegotiate(
            clock=res,
            actor=staff["agent1"],
            new_due_at=t0 + timedelta(hours=1),
            reason="x",
            at=t0 + timedelta(minutes=30),
        )
    clock_renegotiate(
        clock=res,
        actor=staff["agent1"],
        new_due_at=t0 + timedelta(hours=8),
        reason="需要等待配件",
        at=t0 + timedelta(hours=1),
    )
    res.refresh_from_db()
    assert res.original_due_at == t0 + timedelta(hours=4) and res.due_at == t0 + timedelta(hours=8)
    assert t.interactions.filter(is_public=True, body__contains="需要等待配件").exists()
    assert OutboxMessage.objects.filter(template="renegotiation").count() == 1
    ts.ticket_triage(ticket=t, actor=staff["agent1"], at=t0 + timedelta(minutes=1))
    ts.ticket_assign(ticket=t, actor=staff["agent1"], assignee=staff["tech1"], at=t0 + timedelta(minutes=2))
    ts.ticket_acknowledge(ticket=t, actor=staff["tech1"], at=t0 + timedelta(minutes=3))
    ts.ticket_resolve(
        ticket=t, actor=staff["tech1"], verification_method="onsite_check", at=t0 + timedelta(hours=6)
    )
    res.refresh_from_db()
    assert res.state == ClockState.MET
    row = next(r for r in compliance_summary(month="2026-11") if r["kind"] == "resolution")
    assert row["met_after_renegotiation"] == 1 and row["met_on_time"] == 0
    assert row["met_original_rate"] == 0.0 and row["met_renegotiated_rate"] == 1.0


def test_ticket_keeps_its_policy_version(customer, staff) -> None:
    from herdesk.policies.models import PolicyVersion
    from herdesk.policies.services import version_approve, version_draft_create, version_submit
    from herdesk.policies.templates import SEED_000

    t0 = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
    old = ts.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="suggestion",
        subject="建议",
        received_at=t0,
        now=t0,
    )
    v1 = old.policy_version
    clocks = [dict(c) for c in SEED_000["clocks"]]
    clocks[0] = {**clocks[0], "target": "20m"}
    v2 = version_draft_create(policy=v1.policy, clocks=clocks, actor=staff["cs_lead"])
    version_submit(version=v2, actor=staff["cs_lead"])
    from herdesk.common.errors import DomainError

    with pytest.raises(DomainError):
        version_approve(version=v2, actor=staff["cs_lead"], effective_from=t0 + timedelta(hours=1))
    version_approve(version=v2, actor=staff["manager"], effective_from=t0 + timedelta(hours=1))
    new = ts.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="suggestion",
        subject="建议",
        received_at=t0 + timedelta(hours=2),
        now=t0 + timedelta(hours=2),
    )
    assert new.policy_version == v2 and old.policy_version == v1
    assert _clock(new, "first_response").target == "20m"
    assert _clock(old, "first_response").target == "30m"
    assert PolicyVersion.objects.get(pk=v1.pk).status == "approved"


def test_approved_version_cannot_be_edited(reference) -> None:
    from herdesk.common.errors import DomainError
    from herdesk.policies.models import ClockDefinition
    from herdesk.policies.services import clock_definition_update

    d = ClockDefinition.objects.filter(version__status="approved").first()
    with pytest.raises(DomainError):
        clock_definition_update(definition=d, actor=None, target="1h")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_never_double_record(reference) -> None:
    from herdesk.customers.services import customer_create
    from herdesk.demo.services import _staff

    users = _staff()
    c = customer_create(name="并发客户", phone="13700000000")
    t0 = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
    for i in range(300):
        ts.ticket_create(
            actor=users["agent1"],
            customer=c,
            channel="phone",
            problem_type="product_inquiry",
            subject=f"问题 {i}",
            received_at=t0,
            now=t0,
        )
    due = Clock.objects.filter(due_at__lte=t0 + timedelta(hours=1), state="running").count()
    results = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        try:
            results.append(clock_sweep(now=t0 + timedelta(hours=1), batch=50))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sum(r.breaches for r in results) == due == 600
    assert ClockIncident.objects.filter(kind="breach").count() == due
    assert OutboxMessage.objects.count() == len(
        set(OutboxMessage.objects.values_list("dedupe_key", flat=True))
    )


def test_scheduler_outage_catch_up_with_advanced_time(customer, staff) -> None:
    """The scheduler stops for an hour of (travelled) time; its next run records each missed
    breach exactly once, and a second run adds nothing."""
    import time_machine

    from herdesk.ops.scheduler import run_periodic_tasks

    t0 = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
    with time_machine.travel(t0, tick=False):
        ts.ticket_create(
            actor=staff["agent1"],
            customer=customer,
            channel="phone",
            problem_type="product_inquiry",
            subject="酸奶保质期",
        )
        run_periodic_tasks()
        assert ClockIncident.objects.count() == 0
    with time_machine.travel(t0 + timedelta(hours=1), tick=False):
        run_periodic_tasks()
        run_periodic_tasks()
    assert ClockIncident.objects.filter(kind="breach").count() == 2
    assert OutboxMessage.objects.exclude(status="sent").count() == 0


def test_sweep_queues_each_action_once_with_the_dispatchers_payload(customer, staff) -> None:
    """The set-based sweep writes incidents and outbox rows in SQL: pin what it writes (dedupe keys,
    payload with the due instant as Python's isoformat, with and without microseconds), that a
    re-claimed clock adds nothing, and that the actions are still applied on dispatch."""
    from herdesk.clocks.services import definitions_cache_clear
    from herdesk.policies.models import ClockDefinition

    t0 = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
    t = ts.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="product_inquiry",
        subject="酸奶胀袋",
        received_at=t0,
        now=t0,
    )
    actions = ["notify_assignee", "escalate_priority", "reassign"]
    ClockDefinition.objects.filter(version=t.policy_version, kind="triage").update(breach_actions=actions)
    definitions_cache_clear()
    triage, first = _clock(t, "triage"), _clock(t, "first_response")
    Clock.objects.filter(pk=triage.pk).update(due_at=t0 + timedelta(minutes=3, microseconds=123456))
    triage.refresh_from_db()
    assert first.due_at.microsecond == 0
    priority = t.priority

    r1 = clock_sweep(now=t0 + timedelta(hours=1))
    assert (r1.breaches, r1.warnings) == (2, 0)
    rows = OutboxMessage.objects.filter(ticket=t).order_by("dedupe_key")
    expected = {
        (f"clock:{c.pk}:breach:{a}", a, c.kind, c.due_at.astimezone(UTC).isoformat())
        for c, acts in ((triage, actions), (first, first.definition.breach_actions))
        for a in acts
    }
    assert {(m.dedupe_key, m.template, m.payload["clock"], m.payload["due_at"]) for m in rows} == expected
    assert "123456+00:00" in rows.get(dedupe_key=f"clock:{triage.pk}:breach:reassign").payload["due_at"]
    for m in rows:
        assert m.channel == "action" and m.status == "pending" and m.recipient == ""
        assert m.payload == {
            "clock": m.payload["clock"],
            "incident": "breach",
            "ticket": t.number,
            "due_at": m.payload["due_at"],
        }
    # A producer that claims the same clock again (a retry) records and queues nothing new.
    count = rows.count()
    Clock.objects.filter(pk=triage.pk).update(state=ClockState.RUNNING)
    assert clock_sweep(now=t0 + timedelta(hours=1, minutes=1)).breaches == 1
    assert ClockIncident.objects.filter(clock=triage, kind="breach").count() == 1
    assert OutboxMessage.objects.filter(ticket=t).count() == count

    assert outbox_dispatch()["failed"] == 0
    assert not OutboxMessage.objects.exclude(status="sent").exists()
    t.refresh_from_db()
    assert t.priority != priority  # escalate_priority applied once


def test_breach_after_warning_keeps_the_warning_time(customer, staff) -> None:
    t0 = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
    t = ts.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="product_inquiry",
        subject="奶粉结块",
        received_at=t0,
        now=t0,
    )
    warned = t0 + timedelta(hours=3, minutes=20)  # 80% of the 4h resolution clock
    assert clock_sweep(now=warned).warnings == 1
    assert clock_sweep(now=t0 + timedelta(hours=5)).breaches == 1
    res = _clock(t, "resolution")
    assert res.state == ClockState.BREACHED
    assert res.warned_at == warned and res.breached_at == t0 + timedelta(hours=5)
    assert ClockIncident.objects.filter(clock=res).count() == 2
    keys = set(OutboxMessage.objects.filter(ticket=t).values_list("dedupe_key", flat=True))
    assert {f"clock:{res.pk}:warning:{a}" for a in res.definition.warn_actions} <= keys
    assert {f"clock:{res.pk}:breach:{a}" for a in res.definition.breach_actions} <= keys


def test_closing_ends_the_obligations_whose_stop_event_never_happened(customer, staff) -> None:
    """A ticket resolved without solution options, closed: the options clock no longer applies
    (cancelled, not a breach months later); a breach already recorded stays one and stops counting;
    the follow-up and record clocks, which start at resolution and closure, run on."""
    agent = staff["agent1"]
    t0 = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
    t = ts.ticket_create(
        actor=agent,
        customer=customer,
        channel="phone",
        problem_type="product_inquiry",
        subject="奶粉冲调",
        received_at=t0,
        now=t0,
    )
    ts.ticket_triage(ticket=t, actor=agent, team=agent.team, at=t0 + timedelta(minutes=10))  # late
    ts.ticket_assign(ticket=t, actor=agent, assignee=agent, at=t0 + timedelta(minutes=11))
    ts.ticket_acknowledge(ticket=t, actor=agent, at=t0 + timedelta(minutes=12))
    ts.interaction_add(
        ticket=t, actor=agent, body="已电话说明冲调方法", kind="phone_call", direction="outbound",
        occurred_at=t0 + timedelta(minutes=13),
    )  # fmt: skip
    resolved_at = t0 + timedelta(minutes=20)
    ts.ticket_resolve(ticket=t, actor=agent, verification_method="customer_confirmation", at=resolved_at)
    # Ended at the resolution already (no options can come on a resolved ticket), not at the close.
    plan = Clock.objects.get(ticket=t, kind="solution_plan")
    assert plan.state == ClockState.CANCELLED and plan.stopped_at == resolved_at
    closed_at = t0 + timedelta(minutes=30)
    ts.ticket_close(ticket=t, actor=agent, evidence="客户电话确认", confirmed_at=closed_at, at=closed_at)
    assert _clock(t, "triage").state == ClockState.BREACHED  # the recorded breach is kept
    running = Clock.objects.filter(ticket=t, stopped_at__isnull=True).exclude(state="cancelled")
    assert {c.kind for c in running} <= {"follow_up", "record_finalize"}
    assert "record_finalize" in {c.kind for c in running}
    clock_sweep(now=closed_at + timedelta(days=30))  # nothing but post-close clocks can breach
    late = ClockIncident.objects.filter(clock__ticket=t, recorded_at__gt=closed_at)
    assert set(late.values_list("clock__kind", flat=True)) <= {"follow_up", "record_finalize"}
    kinds = {r["kind"]: r for r in compliance_summary(month="2026-11")}
    assert "solution_plan" not in kinds  # not applicable: neither met nor breached
    assert kinds["triage"]["breached"] == 1


def test_resolving_answers_the_customer_and_ends_what_can_no_longer_stop(customer, staff) -> None:
    """#13: a ticket resolved straight from the queue with a message: the message is the first human
    response (the first-response clock is met, not left running for the portal to promise), the
    clocks whose stop event can no longer come end as on closing (cancelled, or stopped as breached
    when already breached), and the follow-up starts. Without a message the first-response clock
    is cancelled, not promised any more."""
    from herdesk.portal.selectors import ticket_estimate

    agent = staff["agent1"]
    t0 = datetime(2026, 11, 23, 10, 0, tzinfo=SH)

    def new(subject: str) -> Any:
        return ts.ticket_create(
            actor=agent, customer=customer, channel="social", problem_type="product_inquiry",
            subject=subject, received_at=t0, now=t0,
        )  # fmt: skip

    t = new("酸奶保质期")
    ts.ticket_triage(ticket=t, actor=agent, team=agent.team, at=t0 + timedelta(minutes=1))
    ts.ticket_assign(ticket=t, actor=agent, assignee=agent, at=t0 + timedelta(minutes=2))
    ts.ticket_acknowledge(ticket=t, actor=agent, at=t0 + timedelta(minutes=3))
    at = t0 + timedelta(minutes=40)  # the 30-minute options clock is overdue, not yet swept
    ts.ticket_resolve(ticket=t, actor=agent, verification_method="customer_confirmation",
                      summary="保质期 21 天，冷藏保存。", at=at)  # fmt: skip
    t.refresh_from_db()
    assert t.first_response_at == at
    fr = _clock(t, "first_response")
    assert fr.state == ClockState.MET and fr.stopped_at == at
    plan = _clock(t, "solution_plan")
    assert plan.state == ClockState.BREACHED and plan.stopped_at == at
    running = Clock.objects.filter(ticket=t, stopped_at__isnull=True).exclude(state="cancelled")
    assert {c.kind for c in running} == {"follow_up"}
    assert ticket_estimate(ticket=t).response_due is None

    quiet = new("奶粉冲调")
    ts.ticket_triage(ticket=quiet, actor=agent, team=agent.team, at=t0 + timedelta(minutes=1))
    ts.ticket_resolve(ticket=quiet, actor=agent, verification_method="customer_confirmation",
                      at=t0 + timedelta(minutes=2))  # fmt: skip
    quiet.refresh_from_db()
    assert quiet.first_response_at is None
    fr = Clock.objects.get(ticket=quiet, kind="first_response")
    assert fr.state == ClockState.CANCELLED
    assert ticket_estimate(ticket=quiet).response_due is None
