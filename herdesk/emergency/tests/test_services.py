"""Plans, the incident lifecycle (every allowed and refused transition), linking, updates to every
linked ticket, mass notification (dedupe), drills and the banner (EMG-1, EMG-2)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from herdesk.common.errors import DomainError
from herdesk.emergency import lifecycle, selectors, services
from herdesk.emergency.choices import IncidentStatus
from herdesk.emergency.models import Incident
from herdesk.notifications.models import Notification, OutboxMessage
from herdesk.tickets.choices import Status

pytestmark = pytest.mark.django_db
S = IncidentStatus


def _at(status: str, plan: Any, actor: Any) -> Incident:
    """An incident put straight into `status` (with what its guards need)."""
    inc = services.incident_declare(plan=plan, level=2, actor=actor, is_drill=status == S.SCHEDULED)
    Incident.objects.filter(pk=inc.pk).update(status=status, risk_assessment="x", review_summary="y")
    inc.refresh_from_db()
    return inc


ALL = list(S.values)
PAIRS = list(itertools.product(ALL, ALL))


@pytest.mark.parametrize(("src", "dst"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_every_transition(plans: Any, staff: Any, src: str, dst: str) -> None:
    inc = _at(src, plans["cold-chain"], staff["cs_lead"])
    if lifecycle.can_transition(src, dst):
        out = services.incident_transition(incident=inc, to=dst, actor=staff["cs_lead"])
        assert out.status == dst
        assert inc.transitions.filter(from_status=src, to_status=dst).exists()
    else:
        with pytest.raises(DomainError) as exc:
            services.incident_transition(incident=inc, to=dst, actor=staff["cs_lead"])
        assert exc.value.status == 409
        inc.refresh_from_db()
        assert inc.status == src


def test_seeded_plans(plans: Any) -> None:
    assert {p.event_type for p in plans.values()} == {
        "product_recall",
        "cold_chain",
        "disease_outbreak",
        "system_outage",
        "mass_complaint",
    }
    cold = plans["cold-chain"]
    assert sorted(cold.levels.values_list("level", flat=True)) == [1, 2, 3, 4]
    assert cold.steps.count() >= 6 and cold.responsibilities.count() >= 5
    assert set(cold.templates.values_list("audience", "channel")) >= {
        ("customers", "sms"),
        ("customers", "email"),
        ("customers", "wechat"),
        ("staff", "email"),
        ("management", "email"),
    }


def test_review_required_before_closing(plans: Any, staff: Any) -> None:
    boss = staff["cs_lead"]
    inc = services.incident_declare(plan=plans["cold-chain"], level=2, actor=boss)
    with pytest.raises(DomainError):  # no risk assessment yet
        services.incident_transition(incident=inc, to=S.ASSESSED, actor=boss)
    inc = services.incident_assess(incident=inc, actor=boss, risk_assessment="3 批次超温", level=1)
    assert inc.level == 1 and inc.status == S.ASSESSED
    for to in (S.ACTIVATED, S.EXECUTING, S.INFORMED):
        inc = services.incident_transition(incident=inc, to=to, actor=boss)
    Incident.objects.filter(pk=inc.pk).update(status=S.REVIEWED)  # skip the review: closing refuses
    inc.refresh_from_db()
    with pytest.raises(DomainError):  # no review yet
        services.incident_transition(incident=inc, to=S.CLOSED, actor=boss)
    Incident.objects.filter(pk=inc.pk).update(status=S.INFORMED)
    with pytest.raises(ValidationError):
        services.incident_review(incident=inc, actor=boss, summary=" ")
    inc = services.incident_review(incident=inc, actor=boss, summary="温控器故障", findings="备用机组缺失")
    inc = services.incident_transition(incident=inc, to=S.CLOSED, actor=boss)
    assert inc.closed_at is not None
    from herdesk.audit.models import AuditEntry

    assert (
        AuditEntry.objects.filter(object_id=inc.number, action="emergency.incident_transition").count() >= 5
    )


def test_activation_instantiates_checklist_and_notifies(plans: Any, staff: Any) -> None:
    boss = staff["cs_lead"]
    inc = services.incident_declare(plan=plans["cold-chain"], level=2, actor=boss)
    inc = services.incident_assess(incident=inc, actor=boss, risk_assessment="r")
    inc = services.incident_transition(incident=inc, to=S.ACTIVATED, actor=boss)
    assert inc.tasks.count() == plans["cold-chain"].steps.filter(max_level__gte=2).count()
    duties = set(inc.responders.values_list("duty", flat=True))
    assert {"应急指挥", "客服组", "管理层", "技术支持"} <= duties
    told = set(
        Notification.objects.filter(data__incident=inc.number).values_list("user__username", flat=True)
    )
    assert {"tech1", "agent1", "manager"} <= told
    # Level IV: management is not a responder (its duty starts at II), but it is still told.
    low = services.incident_declare(plan=plans["cold-chain"], level=4, actor=boss)
    low = services.incident_assess(incident=low, actor=boss, risk_assessment="r")
    low = services.incident_transition(incident=low, to=S.ACTIVATED, actor=boss)
    assert "管理层" not in set(low.responders.values_list("duty", flat=True))
    task = inc.tasks.first()
    services.task_set_done(task=task, actor=boss, done=True)
    task.refresh_from_db()
    assert task.done_by == boss


def _running(plans: Any, boss: Any, **kw: Any) -> Incident:
    inc = services.incident_declare(plan=plans["cold-chain"], level=2, actor=boss, **kw)
    inc = services.incident_assess(incident=inc, actor=boss, risk_assessment="r")
    inc = services.incident_transition(incident=inc, to=S.ACTIVATED, actor=boss)
    return services.incident_transition(incident=inc, to=S.EXECUTING, actor=boss)


def test_link_from_search_and_update_every_ticket(plans: Any, staff: Any, make_tickets: Any) -> None:
    from herdesk.catalog.models import Product

    boss = staff["cs_lead"]
    hit = make_tickets(6)
    make_tickets(3, text="批次号 B2026110001 正常", start=100)
    make_tickets(2, region="河北 石家庄", start=200)
    inc = _running(plans, boss)
    qs = selectors.tickets_for_scope(
        user=boss, product=Product.objects.get(code="yogurt"), batch="B2026120701", region="内蒙古"
    )
    assert set(qs.values_list("pk", flat=True)) == {t.pk for t in hit}
    assert (
        services.incident_link_tickets(incident=inc, actor=boss, ticket_ids=qs.values_list("pk", flat=True))
        == 6
    )
    assert services.incident_link_tickets(incident=inc, actor=boss, ticket_ids=[hit[0].pk]) == 0
    assert hit[0].interactions.filter(data__incident=inc.number).exists()

    up = services.incident_update_post(
        incident=inc, actor=boss, kind="reply", body="该批次已隔离，正在为您更换。"
    )
    assert (up.applied, up.skipped) == (6, 0)
    for t in hit:
        assert (
            t.interactions.filter(
                body__startswith="该批次已隔离", direction="outbound", is_public=True
            ).count()
            == 1
        )
    # phone tickets: the reply is texted (outbox row per ticket)
    assert OutboxMessage.objects.filter(channel="sms", ticket__in=hit).count() >= 6
    # re-applying the same update adds nothing
    again = services.incident_update_apply(update=up, actor=boss)
    assert again.applied == 6
    assert hit[1].interactions.filter(body__startswith="该批次已隔离").count() == 1

    res = services.incident_update_post(
        incident=inc, actor=boss, kind="resolution", body="已全部更换，请确认。"
    )
    assert res.applied == 6
    for t in hit:
        t.refresh_from_db()
        assert t.status == Status.RESOLVED


def test_mass_notification_dedupe_and_status(plans: Any, staff: Any, make_tickets: Any) -> None:
    boss = staff["cs_lead"]
    tickets = make_tickets(5)
    inc = _running(plans, boss)
    services.incident_link_tickets(incident=inc, actor=boss, ticket_ids=[t.pk for t in tickets])
    ids = selectors.customers_for_scope(user=boss, incident=inc).values_list("pk", flat=True)
    counts = services.incident_notify_customers(
        incident=inc, actor=boss, customer_ids=ids, channels=["sms", "wechat"]
    )
    assert counts == {"queued": 5, "no_address": 5, "drill": 0, "already": 0}
    inc.refresh_from_db()
    assert inc.status == S.INFORMED and inc.first_notice_at is not None
    again = services.incident_notify_customers(
        incident=inc, actor=boss, customer_ids=ids, channels=["sms", "wechat"]
    )
    assert again["already"] == 10 and again["queued"] == 0
    assert OutboxMessage.objects.filter(dedupe_key__startswith=f"emg:{inc.pk}:").count() == 5
    m = OutboxMessage.objects.filter(dedupe_key__startswith=f"emg:{inc.pk}:").first()
    assert "冷链" in m.payload["text"] and m.recipient.startswith("contact:")
    assert selectors.delivery_counts(inc) == {"pending": 5, "no_address": 5}
    from herdesk.notifications.services import outbox_dispatch

    outbox_dispatch()
    assert selectors.delivery_counts(inc)["sent"] == 5
    rows = selectors.recipients(inc, status="sent")
    assert len(rows) == 5 and all(r.delivery == "sent" for r in rows)


def test_notify_refused_before_activation_and_bad_channel(plans: Any, staff: Any) -> None:
    boss = staff["cs_lead"]
    inc = services.incident_declare(plan=plans["cold-chain"], level=3, actor=boss)
    with pytest.raises(DomainError):
        services.incident_notify_customers(incident=inc, actor=boss, customer_ids=[1], channels=["sms"])
    run = _running(plans, boss)
    with pytest.raises(ValidationError):
        services.incident_notify_customers(incident=run, actor=boss, customer_ids=[1], channels=["fax"])


def test_drill_sends_nothing_and_measures(plans: Any, staff: Any, make_tickets: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    boss = staff["cs_lead"]
    tickets = make_tickets(3)
    soon = timezone.now() + timedelta(hours=2)
    drill = services.incident_declare(
        plan=plans["system-outage"], level=3, actor=boss, is_drill=True, scheduled_for=soon
    )
    assert drill.status == S.SCHEDULED and drill.number.startswith("DRL-") and drill.declared_at is None
    drill = services.incident_transition(incident=drill, to=S.DECLARED, actor=boss)
    assert drill.declared_at is not None and drill.detected_at <= drill.declared_at
    drill = services.incident_assess(incident=drill, actor=boss, risk_assessment="演练")
    drill = services.incident_transition(incident=drill, to=S.ACTIVATED, actor=boss)
    assert Notification.objects.filter(data__incident=drill.number, data__drill=True).exists()
    drill = services.incident_transition(incident=drill, to=S.EXECUTING, actor=boss)
    services.incident_link_tickets(incident=drill, actor=boss, ticket_ids=[t.pk for t in tickets])
    ids = selectors.customers_for_scope(user=boss, incident=drill).values_list("pk", flat=True)
    counts = services.incident_notify_customers(
        incident=drill, actor=boss, customer_ids=ids, channels=["sms"]
    )
    assert counts["drill"] == 3 and counts["queued"] == 0
    assert not OutboxMessage.objects.filter(dedupe_key__startswith=f"emg:{drill.pk}:").exists()
    t = selectors.timing(Incident.objects.get(pk=drill.pk))
    assert t.to_declare is not None and t.to_first_notice is not None
    assert selectors.active_banners() == []


def test_banner_shows_active_statement_only(plans: Any, staff: Any) -> None:
    boss = staff["cs_lead"]
    inc = services.incident_declare(plan=plans["cold-chain"], level=2, actor=boss, region="内蒙古")
    assert selectors.active_banners() == []  # no statement yet
    services.incident_scope_update(
        incident=inc, actor=boss, region="内蒙古", public_statement="部分酸奶延迟配送"
    )
    assert [b["text"] for b in selectors.active_banners()] == ["部分酸奶延迟配送"]
    services.incident_transition(incident=inc, to=S.CANCELLED, actor=boss)
    assert selectors.active_banners() == []


def test_template_edit_checks_placeholders(plans: Any, staff: Any) -> None:
    tpl = plans["cold-chain"].templates.get(audience="customers", channel="sms")
    with pytest.raises(ValidationError):
        services.template_update(template=tpl, actor=staff["cs_lead"], subject="", body="{nonsense}")
    with pytest.raises(ValidationError):
        services.template_update(template=tpl, actor=staff["cs_lead"], subject="", body="{title")
    out = services.template_update(
        template=tpl, actor=staff["cs_lead"], subject="", body="【牧服】{title} {hotline}"
    )
    assert out.approved_by == staff["cs_lead"]


def test_plan_update(plans: Any, staff: Any) -> None:
    plan = plans["mass-complaint"]
    with pytest.raises(ValidationError):
        services.plan_update(
            plan=plan, actor=staff["cs_lead"], name="x", description="", is_active=True, steps=[]
        )
    out = services.plan_update(
        plan=plan,
        actor=staff["cs_lead"],
        name="群体投诉预案",
        description="d",
        is_active=True,
        steps=[("汇总投诉", "客服组", 4), ("通报管理层", "应急指挥", 2)],
    )
    assert out.version == 2 and out.steps.count() == 2
