"""Policy lifecycle (POL-1, POL-2, S1 §六): draft from the version in force, edit, diff, submit,
approve/reject with the two-person rule, every step in the audit chain, the manager notified."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from herdesk.audit.models import AuditEntry
from herdesk.audit.services import audit_verify
from herdesk.common.errors import DomainError
from herdesk.policies import selectors, services
from herdesk.policies.models import PolicyVersion

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def in_force(staff):
    return selectors.policy_version_in_force(at=datetime(2026, 11, 24, 10, tzinfo=SH))


def _clock(version, kind="first_response"):
    return version.clocks.filter(kind=kind).order_by("position").first()


def test_draft_copies_the_version_in_force(staff, in_force) -> None:
    draft = services.version_draft_from(source=in_force, actor=staff["cs_lead"], notes="2027 修订")
    assert draft.status == "draft" and draft.number == in_force.number + 1
    assert draft.created_by == staff["cs_lead"]
    assert [(c.kind, c.target, c.calendar_code) for c in draft.clocks.all()] == [
        (c.kind, c.target, c.calendar_code) for c in in_force.clocks.all()
    ]
    assert not [r for r in selectors.version_diff(in_force, draft) if r.status != "same"]
    # One unfinished version at a time.
    with pytest.raises(DomainError):
        services.version_draft_from(source=in_force, actor=staff["cs_lead"])


def test_only_drafters_may_draft(staff, in_force) -> None:
    for who in ("agent1", "manager", "qa1"):
        with pytest.raises(DomainError) as exc:
            services.version_draft_from(source=in_force, actor=staff[who])
        assert exc.value.status == 403


def test_clock_edit_is_validated_audited_and_diffed(staff, in_force) -> None:
    draft = services.version_draft_from(source=in_force, actor=staff["cs_lead"])
    clock = _clock(draft)
    for bad in ({"target": "0m"}, {"target": "3d"}, {"calendar_code": "nowhere"}, {"warn_at_percent": 120}):
        with pytest.raises(ValidationError):
            services.clock_definition_update(definition=clock, actor=staff["cs_lead"], **bad)
    with pytest.raises(ValidationError):
        services.clock_definition_update(definition=clock, actor=staff["cs_lead"], breach_actions=["explode"])
    with pytest.raises(ValidationError):  # start/stop events are not editable in a draft
        services.clock_definition_update(definition=clock, actor=staff["cs_lead"], start_event="closed")
    services.clock_definition_update(
        definition=clock,
        actor=staff["cs_lead"],
        target="20m",
        warn_at_percent=70,
        breach_actions=["notify_assignee", "escalate_priority"],
    )
    clock.refresh_from_db()
    assert (clock.target, clock.warn_at_percent) == ("20m", 70)
    entry = AuditEntry.objects.filter(action="policy.clock_update").last()
    assert entry.object_id == str(draft.pk) and entry.data["changes"]["target"] == ["30m", "20m"]
    changed = [r for r in selectors.version_diff(in_force, draft) if r.status == "changed"]
    assert len(changed) == 1
    assert ("target", "30m", "20m") in changed[0].changes
    assert {f for f, _o, _n in changed[0].changes} == {"target", "warn_at_percent", "breach_actions"}


def test_submit_notifies_management_and_freezes_the_draft(staff, in_force) -> None:
    from herdesk.notifications.models import Notification
    from herdesk.notifications.services import outbox_dispatch

    draft = services.version_draft_from(source=in_force, actor=staff["cs_lead"])
    services.version_submit(version=draft, actor=staff["cs_lead"])
    with pytest.raises(DomainError):
        services.clock_definition_update(definition=_clock(draft), actor=staff["cs_lead"], target="10m")
    outbox_dispatch()
    from django.utils import translation

    from herdesk.notifications.staff_notices import notification_text

    notes = list(Notification.objects.filter(user=staff["manager"]))
    assert len(notes) == 1 and notes[0].kind == "approval" and f"v{draft.number}" in notes[0].text
    with translation.override("zh-hans"):  # shown in the reader's language
        assert "待您审批" in notification_text(notes[0].kind, notes[0].data)
    assert not Notification.objects.filter(user=staff["cs_lead"]).exists()


def test_two_person_rule_and_approval(staff, in_force) -> None:
    from django.contrib.auth.models import Permission

    from herdesk.staff.services import user_create

    draft = services.version_draft_from(source=in_force, actor=staff["cs_lead"])
    services.version_submit(version=draft, actor=staff["cs_lead"])
    # The drafter may not approve (no permission anyway), nor may a manager who edited the draft.
    with pytest.raises(DomainError):
        services.version_approve(version=draft, actor=staff["cs_lead"], effective_from=datetime.now(SH))
    boss = user_create(username="boss2", password=None, role="management")
    # A manager who may also edit drafts (given directly, for the test).
    boss.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_policyversion", "add_policyversion"])
    )
    services.version_reject(version=draft, actor=staff["manager"], comment="预警阈值请再斟酌")
    draft.refresh_from_db()
    assert draft.status == "draft"
    boss = type(boss).objects.get(pk=boss.pk)
    services.clock_definition_update(definition=_clock(draft), actor=boss, target="25m")
    services.version_submit(version=draft, actor=staff["cs_lead"])
    with pytest.raises(DomainError) as exc:
        services.version_approve(version=draft, actor=boss, effective_from=datetime.now(SH))
    assert exc.value.code == "policy_two_person_rule"
    effective = datetime(2027, 1, 1, tzinfo=SH)
    services.version_approve(version=draft, actor=staff["manager"], effective_from=effective, comment="同意")
    draft.refresh_from_db()
    assert draft.status == "approved" and draft.approved_by == staff["manager"]
    # Approved = immutable.
    with pytest.raises(DomainError):
        services.clock_definition_update(definition=_clock(draft), actor=staff["cs_lead"], target="10m")
    assert selectors.policy_version_in_force(at=effective - timedelta(seconds=1)) == in_force
    assert selectors.policy_version_in_force(at=effective) == draft
    steps = [e.action for e in selectors.version_history(draft)]
    assert steps == [
        "policy.draft",
        "policy.copy",
        "policy.submit",
        "policy.reject",
        "policy.clock_update",
        "policy.submit",
        "policy.approve",
    ]
    approve = selectors.version_history(draft)[-1]
    assert approve.data["comment"] == "同意" and approve.actor_name == "manager"
    assert audit_verify().ok


def test_reject_needs_a_comment_and_management(staff, in_force) -> None:
    draft = services.version_draft_from(source=in_force, actor=staff["cs_lead"])
    services.version_submit(version=draft, actor=staff["cs_lead"])
    with pytest.raises(ValidationError):
        services.version_reject(version=draft, actor=staff["manager"], comment="  ")
    with pytest.raises(DomainError):
        services.version_reject(version=draft, actor=staff["cs_lead"], comment="no")
    assert PolicyVersion.objects.get(pk=draft.pk).status == "submitted"


def test_versions_take_effect_in_approval_order(staff, in_force) -> None:
    later = datetime(2027, 3, 1, tzinfo=SH)
    v2 = services.version_draft_from(source=in_force, actor=staff["cs_lead"])
    services.version_submit(version=v2, actor=staff["cs_lead"])
    services.version_approve(version=v2, actor=staff["manager"], effective_from=later)
    v3 = services.version_draft_from(source=v2, actor=staff["cs_lead"])
    services.version_submit(version=v3, actor=staff["cs_lead"])
    with pytest.raises(DomainError) as exc:
        services.version_approve(version=v3, actor=staff["manager"], effective_from=later - timedelta(days=1))
    assert exc.value.code == "policy_effective_order"
    services.version_approve(version=v3, actor=staff["manager"], effective_from=later + timedelta(days=1))
    assert selectors.policy_version_in_force(at=later) == v2
    assert selectors.policy_version_in_force(at=later + timedelta(days=1)) == v3
