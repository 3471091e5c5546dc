"""The complaint workflow and the CAPA status machine: every allowed and every refused transition
(parametrised from the tables), the guards, and the record's creation (CMP-1..4)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from herdesk.common.errors import DomainError, TransitionNotAllowed
from herdesk.complaints import services as cs
from herdesk.complaints.choices import CapaStatus, Stage
from herdesk.complaints.lifecycle import ACTIONS, CAPA_ACTIONS, TRANSITIONS
from herdesk.complaints.models import Capa, CauseCategory, Complaint, RootCause

pytestmark = pytest.mark.django_db

ALLOWED = [(s, a) for a, (frm, _to) in ACTIONS.items() for s in sorted(frm)]
REFUSED = [(s, a) for a, (frm, _to) in ACTIONS.items() for s in Stage.values if s not in frm]


def _fields(action: str, staff: dict[str, Any]) -> dict[str, Any]:
    return {
        "assess": {"impact": "high", "urgency": "high", "severity": "major", "lots": [{"batch": "B2611"}]},
        "assign": {"owner": staff["qa1"]},
        "contain": {"text": "停售批次 B2611"},
        "solve": {"solution": "退换货并补偿", "communication": "电话告知客户"},
    }.get(action, {"text": "已完成"})


def _prepared(complaint: Complaint, stage: str, staff: dict[str, Any]) -> Complaint:
    """The complaint in `stage` with what the later guards need (owner, sign-off, root cause)."""
    Complaint.objects.filter(pk=complaint.pk).update(
        stage=stage, owner=staff["qa1"], solution="退换货并补偿", am_signed_off_at=timezone.now()
    )
    RootCause.objects.create(
        complaint=complaint,
        category=CauseCategory.objects.get(code="material-packaging"),
        whys=["包装破损"],
        analysed_at=timezone.now(),
    )
    complaint.refresh_from_db()
    return complaint


def test_table_covers_every_stage() -> None:
    assert set(TRANSITIONS) == set(Stage.values)
    assert TRANSITIONS[Stage.CLOSED] == frozenset()


@pytest.mark.parametrize(("stage", "action"), ALLOWED)
def test_allowed(stage: str, action: str, make_complaint: Any, staff: dict[str, Any]) -> None:
    c = _prepared(make_complaint(), stage, staff)
    out = cs.complaint_transition(complaint=c, action=action, actor=staff["qa1"], **_fields(action, staff))
    assert out.stage == ACTIONS[action][1]
    assert out.ticket.interactions.filter(data__action=action).exists()


@pytest.mark.parametrize(("stage", "action"), REFUSED)
def test_refused(stage: str, action: str, make_complaint: Any, staff: dict[str, Any]) -> None:
    c = _prepared(make_complaint(), stage, staff)
    with pytest.raises(TransitionNotAllowed):
        cs.complaint_transition(complaint=c, action=action, actor=staff["qa1"], **_fields(action, staff))
    c.refresh_from_db()
    assert c.stage == stage


def test_unknown_action_refused(make_complaint: Any, staff: dict[str, Any]) -> None:
    with pytest.raises(DomainError):
        cs.complaint_transition(complaint=make_complaint(), action="teleport", actor=staff["qa1"])


def test_record_created_once_after_commit(
    make_ticket: Any, staff: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        t = make_ticket(problem_type="complaint", order_number="SO-1")
    c = Complaint.objects.get(ticket=t)
    assert c.stage == Stage.RECEIVED and c.is_key_account and c.account_manager == staff["am1"]
    assert cs.complaint_ensure(ticket=t) == c
    assert Complaint.objects.filter(ticket=t).count() == 1
    # the key account's manager is told at receipt (CMP-4), once
    from herdesk.notifications.models import Notification

    assert (
        Notification.objects.filter(user=staff["am1"], ticket=t, data__key="complaint-received").count() == 1
    )


def test_creation_hook_registered_explicitly() -> None:
    """ADR 0004: complaints registers on the tickets' hook list (no Django signal)."""
    from herdesk.tickets import hooks

    assert "herdesk.complaints.services.workflow.ticket_created_hook" in hooks.registered()["ticket_created"]
    hooks.on_ticket_created(cs.ticket_created_hook)  # a second registration keeps one entry
    assert (
        hooks.registered()["ticket_created"].count("herdesk.complaints.services.workflow.ticket_created_hook")
        == 1
    )


def test_failing_creation_hook_does_not_undo_the_ticket(
    make_ticket: Any, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from herdesk.tickets import hooks

    def boom(ticket: Any) -> None:
        raise RuntimeError("hook failed")

    monkeypatch.setattr(hooks, "_CREATED", [boom, *hooks._CREATED])
    with django_capture_on_commit_callbacks(execute=True):
        t = make_ticket(problem_type="complaint", order_number="SO-3")
    # the failing hook was logged; the ticket stands and the complaints hook after it still ran
    assert Complaint.objects.filter(ticket=t).count() == 1


def test_ticket_becoming_a_complaint_gets_a_record(
    make_ticket: Any, staff: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from herdesk.tickets.services import ticket_triage

    t = make_ticket(problem_type="after_sales")
    assert not Complaint.objects.filter(ticket=t).exists()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_triage(ticket=t, actor=staff["agent1"], problem_type="complaint")
    assert Complaint.objects.filter(ticket=t).count() == 1


def test_sweep_backstop_creates_missing_records(make_ticket: Any) -> None:
    t = make_ticket(problem_type="complaint", order_number="SO-2")  # no on-commit in this test
    assert not Complaint.objects.filter(ticket=t).exists()
    assert cs.complaints_sweep()["records"] == 1
    assert cs.complaints_sweep()["records"] == 0


def test_assessment_swaps_the_clocks(make_complaint: Any, staff: dict[str, Any]) -> None:
    from herdesk.clocks.models import Clock

    c = make_complaint()
    cs.complaint_transition(
        complaint=c,
        action="assess",
        actor=staff["qa1"],
        impact="high",
        urgency="medium",
        severity="major",
        lots=[{"product": c.ticket.product_id, "batch": "B2611", "production_date": "2026-11-02"}],
    )
    c.refresh_from_db()
    assert c.ticket.complaint_severity == "major"
    assert c.lots.get().production_date == dt.date(2026, 11, 2)
    running = Clock.objects.filter(ticket=c.ticket, kind="complaint_solution", state="running")
    assert [k.target for k in running] == ["5wd"]


def test_major_needs_designated_owner(make_complaint: Any, staff: dict[str, Any]) -> None:
    c = make_complaint()
    cs.complaint_transition(
        complaint=c, action="assess", actor=staff["qa1"], impact="high", urgency="high", severity="major"
    )
    with pytest.raises(DomainError, match="CMP-2"):
        cs.complaint_transition(complaint=c, action="assign", actor=staff["qa1"], owner=None)
    c = cs.complaint_transition(complaint=c, action="assign", actor=staff["qa1"], owner=staff["tech1"])
    assert c.owner == staff["tech1"]


@pytest.mark.parametrize("missing", ["impact", "urgency", "severity"])
def test_assessment_needs_its_fields(missing: str, make_complaint: Any, staff: dict[str, Any]) -> None:
    fields = {"impact": "low", "urgency": "low", "severity": "general"}
    fields[missing] = ""
    with pytest.raises(DomainError):
        cs.complaint_transition(complaint=make_complaint(), action="assess", actor=staff["qa1"], **fields)


def test_key_account_execution_needs_the_account_managers_sign_off(
    make_complaint: Any, staff: dict[str, Any]
) -> None:
    c = make_complaint()
    Complaint.objects.filter(pk=c.pk).update(stage=Stage.ASSIGNED, owner=staff["qa1"])
    c = cs.complaint_transition(
        complaint=c, action="solve", actor=staff["qa1"], solution="换货", communication="电话"
    )
    with pytest.raises(DomainError, match="CMP-4"):
        cs.complaint_transition(complaint=c, action="execute", actor=staff["qa1"], text="x")
    with pytest.raises(DomainError):
        cs.complaint_am_sign_off(complaint=c, actor=staff["qa1"])  # not the account manager
    cs.complaint_am_sign_off(complaint=c, actor=staff["am1"])
    c = cs.complaint_transition(complaint=c, action="execute", actor=staff["qa1"], text="已换货")
    assert c.stage == Stage.EXECUTED


def test_close_needs_root_cause_and_capa_for_systemic(make_complaint: Any, staff: dict[str, Any]) -> None:
    c = make_complaint()
    Complaint.objects.filter(pk=c.pk).update(stage=Stage.CONFIRMED)
    with pytest.raises(DomainError, match="CMP-3"):
        cs.complaint_transition(complaint=c, action="close", actor=staff["qa1"])
    cs.rca_record(
        complaint=c,
        actor=staff["qa1"],
        category=CauseCategory.objects.get(code="method-procedure"),
        whys=["为什么胀包", "灭菌温度不足", "规程未写明"],
        systemic=True,
    )
    with pytest.raises(DomainError, match="CMP-3"):
        cs.complaint_transition(complaint=c, action="close", actor=staff["qa1"])
    cs.capa_create(
        complaint=c,
        actor=staff["qa1"],
        kind="corrective",
        description="修订灭菌规程",
        owner=staff["tech1"],
        working_days=10,
    )
    assert cs.complaint_transition(complaint=c, action="close", actor=staff["qa1"]).stage == Stage.CLOSED


@pytest.mark.parametrize(
    ("whys", "category_code"),
    [([], "method-procedure"), (["a"] * 6, "method-procedure"), (["a"], None)],
)
def test_rca_refuses_bad_input(
    whys: list[str], category_code: str | None, make_complaint: Any, staff: dict[str, Any]
) -> None:
    cat = CauseCategory.objects.get(code=category_code) if category_code else None
    with pytest.raises(DomainError):
        cs.rca_record(complaint=make_complaint(), actor=staff["qa1"], category=cat, whys=whys)


def test_taxonomy_seeded_and_editable(staff: dict[str, Any]) -> None:
    tops = list(CauseCategory.objects.filter(parent=None).values_list("name", flat=True))
    assert tops == ["人", "机", "料", "法", "环", "测"]
    man = CauseCategory.objects.get(code="man")
    sub = cs.cause_save(actor=staff["cs_lead"], name="交接不清", code="man-handover", parent=man)
    assert sub.parent == man
    with pytest.raises(DomainError):
        cs.cause_save(actor=staff["cs_lead"], name="重复", code="man-handover", parent=man)
    cs.cause_save(actor=staff["cs_lead"], category=sub, name="交接不清", is_active=False)
    sub.refresh_from_db()
    assert not sub.is_active


# --- CAPA ------------------------------------------------------------------------------------------

CAPA_ALLOWED = [(s, a) for a, (frm, _to) in CAPA_ACTIONS.items() for s in sorted(frm)]
CAPA_REFUSED = [(s, a) for a, (frm, _to) in CAPA_ACTIONS.items() for s in CapaStatus.values if s not in frm]


@pytest.fixture
def capa(make_complaint: Any, staff: dict[str, Any]) -> Capa:
    return cs.capa_create(
        complaint=make_complaint(),
        actor=staff["qa1"],
        kind="corrective",
        description="更换包装供应商",
        owner=staff["tech1"],
        working_days=5,
    )


@pytest.mark.parametrize(("status", "action"), CAPA_ALLOWED)
def test_capa_allowed(status: str, action: str, capa: Capa, staff: dict[str, Any]) -> None:
    Capa.objects.filter(pk=capa.pk).update(status=status)
    out = cs.capa_transition(capa=capa, action=action, actor=staff["tech1"], evidence="新供应商合同")
    assert out.status == CAPA_ACTIONS[action][1]
    if action == "complete":
        assert sorted(out.checks.values_list("days", flat=True)) == [30, 90]


@pytest.mark.parametrize(("status", "action"), CAPA_REFUSED)
def test_capa_refused(status: str, action: str, capa: Capa, staff: dict[str, Any]) -> None:
    Capa.objects.filter(pk=capa.pk).update(status=status)
    with pytest.raises(TransitionNotAllowed):
        cs.capa_transition(capa=capa, action=action, actor=staff["tech1"], evidence="x")


def test_capa_complete_needs_evidence(capa: Capa, staff: dict[str, Any]) -> None:
    cs.capa_transition(capa=capa, action="start", actor=staff["tech1"])
    with pytest.raises(DomainError):
        cs.capa_transition(capa=capa, action="complete", actor=staff["tech1"], evidence="")


def test_capa_due_in_working_days(capa: Capa) -> None:
    from herdesk.calendars.selectors import working_calendar

    expected = working_calendar("office").add_working_days(capa.created_at, 5)
    assert capa.due_at == expected
    assert capa.created_at < capa.warn_at < capa.due_at


def test_demo_complaints(make_complaint: Any, staff: dict[str, Any]) -> None:
    from herdesk.complaints.demo import complaints_demo_ensure

    for _ in range(3):
        make_complaint()
    assert complaints_demo_ensure(staff) == 3
    stages = sorted(Complaint.objects.values_list("stage", flat=True))
    assert stages == sorted([Stage.CONTAINMENT, Stage.SOLUTION, Stage.CLOSED])
    assert complaints_demo_ensure(staff) == 0
