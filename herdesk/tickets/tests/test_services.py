"""The ticket services end to end: the seed-000 loop, numbering, first-contact visibility."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from herdesk.common.errors import DomainError
from herdesk.tickets import selectors
from herdesk.tickets import services as s
from herdesk.tickets.models import Ticket

SH = ZoneInfo("Asia/Shanghai")


def test_numbers_are_readable_and_per_day(customer, staff) -> None:
    at = datetime(2026, 11, 23, 9, 0, tzinfo=SH)
    a = s.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="product_inquiry",
        subject="酸奶保质期",
        received_at=at,
    )
    b = s.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="product_inquiry",
        subject="酸奶保质期",
        received_at=at,
    )
    assert (a.number, b.number) == ("FW-20261123-0001", "FW-20261123-0002")


def test_full_loop_and_first_contact_owner_keeps_seeing(customer, staff) -> None:
    agent, tech = staff["agent1"], staff["tech2"]
    t = s.ticket_create(
        actor=agent,
        customer=customer,
        channel="phone",
        problem_type="technical_support",
        subject="挤奶机压力异常 ERR-123",
        description="真空压力低",
    )
    from herdesk.staff.models import Team

    s.ticket_triage(ticket=t, actor=agent, complexity="general", team=Team.objects.get(code="tech-support"))
    s.ticket_assign(
        ticket=t,
        actor=agent,
        assignee=tech,
        reason="技术问题",
        requirement="远程指导",
        expected_response_minutes=15,
    )
    with pytest.raises(DomainError):
        s.ticket_acknowledge(ticket=t, actor=agent)  # only the assignee confirms receipt
    s.ticket_acknowledge(ticket=t, actor=tech)
    opts = [
        {
            "summary": f"方案{i}",
            "check_accuracy": True,
            "check_feasibility": True,
            "check_acceptance": True,
            "check_safety": True,
        }
        for i in (1, 2, 3)
    ]
    with pytest.raises(ValidationError):
        s.solution_options_offer(ticket=t, actor=tech, options=[{"summary": "未勾选检查"}])
    with pytest.raises(ValidationError):
        s.solution_options_offer(ticket=t, actor=tech, options=opts + opts[:1])
    s.solution_options_offer(ticket=t, actor=tech, options=opts)
    s.solution_option_choose(ticket=t, actor=tech, position=2)
    s.ticket_wait_customer(ticket=t, actor=tech, reason="等待客户提供照片")
    s.interaction_add(ticket=t, actor=None, body="照片已发", kind="email", direction="inbound")
    t.refresh_from_db()
    assert t.status == "in_progress"
    s.ticket_resolve(ticket=t, actor=tech, verification_method="remote_demo", summary="已远程处理")
    s.interaction_add(ticket=t, actor=None, body="还是不行", kind="email", direction="inbound")
    t.refresh_from_db()
    assert t.status == "in_progress" and t.reopen_count == 1  # CLS-1: a reply reopens
    s.ticket_resolve(ticket=t, actor=tech, verification_method="onsite_check")
    with pytest.raises(ValidationError):
        s.ticket_close(ticket=t, actor=tech, reason="handler_confirmed")  # evidence required
    with pytest.raises(DomainError) as exc:  # #12: no confirmation on record
        s.ticket_close(ticket=t, actor=tech, reason="customer_confirmed")
    assert exc.value.code == "confirmation_missing"
    confirmed = timezone.now() - timedelta(minutes=1)
    s.ticket_close(
        ticket=t, actor=tech, reason="customer_confirmed", evidence="客户电话确认", confirmed_at=confirmed
    )
    t.refresh_from_db()
    assert t.status == "closed" and t.first_contact_owner == agent
    # 首问负责制: the first agent (customer-service team) still sees the tech team's ticket.
    assert selectors.tickets_visible_to(agent).filter(pk=t.pk).exists()
    assert t.transfers.count() == 1


def test_customer_sees_only_public_timeline_and_own_org(customer, other_customer, staff) -> None:
    from herdesk.staff.services import user_create

    t = s.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="complaint",
        subject="酸奶有异味",
    )
    s.interaction_add(ticket=t, actor=staff["agent1"], body="内部：疑似冷链问题")
    other = s.ticket_create(
        actor=staff["agent1"],
        customer=other_customer,
        channel="phone",
        problem_type="complaint",
        subject="包装破损",
    )
    portal_user = user_create(username="c1", password="x" * 12, role="customer", customer=customer)
    visible = selectors.tickets_visible_to(portal_user)
    assert list(visible.values_list("number", flat=True)) == [t.number]
    assert not visible.filter(pk=other.pk).exists()
    bodies = [i.body for i in selectors.interactions_for(user=portal_user, ticket=t)]
    assert "内部：疑似冷链问题" not in bodies and all(b for b in bodies)


def test_merge_keeps_history(customer, staff) -> None:
    a = s.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="email",
        problem_type="order_inquiry",
        subject="订单 DD123456 配送进度",
    )
    b = s.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="order_inquiry",
        subject="订单 DD123456 配送进度（重复）",
    )
    s.ticket_merge(ticket=b, into=a, actor=staff["agent1"])
    b.refresh_from_db()
    assert b.status == "merged" and b.merged_into == a
    assert a.interactions.filter(body__contains=b.number).exists()
    assert Ticket.objects.filter(pk=b.pk).exists()


def test_follow_up_and_record_finalize_stop_their_clocks(customer, staff) -> None:
    from datetime import timedelta

    from herdesk.clocks.models import Clock
    from herdesk.notifications.models import OutboxMessage
    from herdesk.staff.models import Team

    t0 = datetime(2026, 11, 20, 10, 0, tzinfo=SH)  # a Friday
    agent, tech = staff["agent1"], staff["tech1"]
    t = s.ticket_create(
        actor=agent,
        customer=customer,
        channel="phone",
        problem_type="technical_support",
        subject="冷藏罐不制冷",
        received_at=t0,
        now=t0,
    )
    s.ticket_triage(ticket=t, actor=agent, team=Team.objects.get(code="tech-support"), at=t0)
    s.ticket_assign(ticket=t, actor=agent, assignee=tech, at=t0)
    s.ticket_acknowledge(ticket=t, actor=tech, at=t0)
    s.ticket_resolve(ticket=t, actor=tech, verification_method="onsite_check", at=t0 + timedelta(hours=2))
    fu_clock = Clock.objects.get(ticket=t, kind="follow_up")
    # 3 working days after Friday: Mon, Tue, Wed → Wednesday 18:00.
    assert fu_clock.due_at == datetime(2026, 11, 25, 18, 0, tzinfo=SH)
    with pytest.raises(ValidationError):
        s.follow_up_record(ticket=t, actor=agent, method="phone", fully_solved=True, score=9)
    s.follow_up_record(
        ticket=t, actor=agent, method="phone", fully_solved=False, score=2, at=t0 + timedelta(days=1)
    )
    fu_clock.refresh_from_db()
    assert fu_clock.state == "met"
    assert OutboxMessage.objects.filter(dedupe_key__startswith="review:").count() == 1  # low score → review
    day = t0 + timedelta(days=1)
    s.ticket_close(ticket=t, actor=tech, evidence="客户电话确认", confirmed_at=day, at=day)
    # An on-site visit without place or customer confirmation makes the record incomplete.
    s.interaction_add(
        ticket=t,
        actor=tech,
        body="上门检查压缩机",
        kind="onsite_visit",
        direction="outbound",
        occurred_at=t0 + timedelta(hours=1),
    )
    with pytest.raises(ValidationError) as exc:
        s.record_finalize(ticket=t, actor=tech, at=t0 + timedelta(days=1, hours=1))
    assert any("place" in m for m in exc.value.message_dict["record"])
    visit = t.interactions.get(kind="onsite_visit")
    visit.data = {"place": "呼和浩特 绿源牧场 2 号牛舍", "customer_confirmation": "张三签字"}
    visit.save()
    s.record_finalize(ticket=t, actor=tech, at=t0 + timedelta(days=1, hours=2))
    assert Clock.objects.get(ticket=t, kind="record_finalize").state == "met"


def test_batch_policy_version_matches_policy_version_in_force(reference) -> None:
    """ticket_create_batch picks the version in force from one read of the candidates; it must
    agree with policy_version_in_force for every instant (before, between and after versions,
    and with a version that has no effective date)."""
    from herdesk.policies.models import PolicyVersion, ServicePolicy
    from herdesk.policies.selectors import policy_version_in_force

    current = policy_version_in_force(at=datetime(2026, 11, 23, 9, 0, tzinfo=SH))
    assert current is not None
    policy = ServicePolicy.objects.get(pk=current.policy_id)
    base = current.number
    PolicyVersion.objects.create(
        policy=policy, number=base + 1, status="approved", effective_from=datetime(2027, 1, 1, tzinfo=SH)
    )
    PolicyVersion.objects.create(policy=policy, number=base + 2, status="draft")
    PolicyVersion.objects.create(policy=policy, number=base + 3, status="approved", effective_from=None)
    instants = [
        datetime(2020, 1, 1, tzinfo=SH),
        datetime(2026, 11, 23, 9, 0, tzinfo=SH),
        datetime(2026, 12, 31, 23, 59, tzinfo=SH),
        datetime(2027, 1, 1, tzinfo=SH),
        datetime(2030, 6, 1, tzinfo=SH),
    ]
    with s.ticket_create_batch():
        picked = [s._policy_version(at) for at in instants]
    assert picked == [policy_version_in_force(at=at) for at in instants]
    # The plain SQL of policy_version_in_force is its ORM spelling, on this database's NULL order,
    # and it brings the policy along (its code names the version).
    from herdesk.policies.selectors import _in_force_queryset

    assert [policy_version_in_force(at=at) for at in instants] == [
        _in_force_queryset(at).first() for at in instants
    ]
    got = policy_version_in_force(at=instants[1])
    assert got is not None and str(got) == str(_in_force_queryset(instants[1]).first())
    assert got.effective_from == _in_force_queryset(instants[1]).first().effective_from


def test_assign_refuses_an_assignee_outside_the_target_team(customer, staff) -> None:
    """HND-2: the handler belongs to the team the ticket goes to (the rule holds for every caller,
    not only the transfer form); the team's lead counts as one of them."""
    from herdesk.staff.models import Team

    agent, tech = staff["agent1"], staff["tech2"]
    t = s.ticket_create(
        actor=agent, customer=customer, channel="phone", problem_type="technical_support", subject="压力低"
    )
    tech_team = Team.objects.get(code="tech-support")
    s.ticket_triage(ticket=t, actor=agent, complexity="general", team=tech_team)
    with pytest.raises(DomainError) as exc:
        s.ticket_assign(ticket=t, actor=agent, assignee=agent, team=tech_team, reason="转技术")
    assert exc.value.code == "assignee_not_in_team" and exc.value.field == "assignee"
    t.refresh_from_db()
    assert t.assignee_id is None and t.transfers.count() == 0
    s.ticket_assign(ticket=t, actor=agent, assignee=tech, team=tech_team, reason="转技术")
    t.refresh_from_db()
    assert (t.assignee, t.team) == (tech, tech_team)
    if tech_team.lead_id:
        s.ticket_assign(ticket=t, actor=agent, assignee=tech_team.lead, team=tech_team, reason="组长")
