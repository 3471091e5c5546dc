"""`ticket_escalate_priority(to=…)` (issue #20): straight up to `to` in one step, never down; and a
save that does not write `problem_type` schedules no complaint check (complaints' post_save)."""

from __future__ import annotations

from typing import Any

import pytest

from herdesk.audit.models import AuditEntry
from herdesk.tickets.services import ticket_create, ticket_escalate_priority


@pytest.fixture
def make_ticket(staff: dict[str, Any], customer: Any) -> Any:
    def make(**kwargs: Any) -> Any:
        return ticket_create(
            actor=staff["agent1"],
            customer=customer,
            channel="email",
            subject="酸奶胀包",
            **{"problem_type": "product_inquiry", **kwargs},
        )

    return make


def test_to_goes_straight_up_in_one_step(make_ticket: Any) -> None:
    t = make_ticket(priority="low")
    t = ticket_escalate_priority(ticket=t, reason="test", to="urgent")
    assert t.priority == "urgent"
    rows = AuditEntry.objects.filter(action="ticket.escalate_priority", object_id=t.number)
    assert [(e.data["from"], e.data["to"]) for e in rows] == [("low", "urgent")]


def test_to_never_goes_down_nor_skips_the_usual_step(make_ticket: Any) -> None:
    t = make_ticket(priority="high")
    assert ticket_escalate_priority(ticket=t, reason="test", to="low").priority == "urgent"
    t2 = make_ticket(priority="low")
    assert ticket_escalate_priority(ticket=t2, reason="test").priority == "normal"
    assert ticket_escalate_priority(ticket=t2, reason="test", to="bogus").priority == "high"


def test_a_save_without_problem_type_schedules_no_complaint_check(
    make_ticket: Any, django_capture_on_commit_callbacks: Any
) -> None:
    t = make_ticket(problem_type="complaint", order_number="SO-9")
    with django_capture_on_commit_callbacks() as callbacks:
        t.priority = "high"
        t.save(update_fields=["priority", "updated_at"])
    assert callbacks == []
    with django_capture_on_commit_callbacks() as callbacks:
        t.save(update_fields=["problem_type"])
    assert len(callbacks) == 1
