"""The lifecycle table: every pair of states is tested, allowed and refused."""

from __future__ import annotations

import itertools

import pytest

from herdesk.common.errors import TransitionNotAllowed
from herdesk.tickets import services
from herdesk.tickets.choices import Status
from herdesk.tickets.lifecycle import TRANSITIONS, can_transition
from herdesk.tickets.models import Ticket

S = Status
# The expected table written out independently of lifecycle.py, so a change to one is caught.
EXPECTED = {
    (S.NEW, S.TRIAGED),
    (S.NEW, S.CANCELLED),
    (S.NEW, S.MERGED),
    (S.TRIAGED, S.ASSIGNED),
    (S.TRIAGED, S.RESOLVED),
    (S.TRIAGED, S.CANCELLED),
    (S.TRIAGED, S.MERGED),
    (S.ASSIGNED, S.ASSIGNED),
    (S.ASSIGNED, S.ACKNOWLEDGED),
    (S.ASSIGNED, S.CANCELLED),
    (S.ASSIGNED, S.MERGED),
    (S.ACKNOWLEDGED, S.IN_PROGRESS),
    (S.ACKNOWLEDGED, S.ASSIGNED),
    (S.ACKNOWLEDGED, S.WAITING_CUSTOMER),
    (S.ACKNOWLEDGED, S.RESOLVED),
    (S.ACKNOWLEDGED, S.CANCELLED),
    (S.ACKNOWLEDGED, S.MERGED),
    (S.IN_PROGRESS, S.ASSIGNED),
    (S.IN_PROGRESS, S.WAITING_CUSTOMER),
    (S.IN_PROGRESS, S.RESOLVED),
    (S.IN_PROGRESS, S.CANCELLED),
    (S.IN_PROGRESS, S.MERGED),
    (S.WAITING_CUSTOMER, S.IN_PROGRESS),
    (S.WAITING_CUSTOMER, S.RESOLVED),
    (S.WAITING_CUSTOMER, S.CANCELLED),
    (S.WAITING_CUSTOMER, S.MERGED),
    (S.RESOLVED, S.CLOSED),
    (S.RESOLVED, S.IN_PROGRESS),
    (S.CLOSED, S.IN_PROGRESS),
}
PAIRS = list(itertools.product(S.values, S.values))


def test_table_matches_expected_exactly() -> None:
    actual = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert actual == EXPECTED
    assert set(TRANSITIONS) == set(S.values)


@pytest.mark.parametrize(("from_status", "to_status"), PAIRS)
def test_every_pair_in_the_service(from_status: str, to_status: str, customer, staff) -> None:
    ticket = services.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="technical_support",
        subject="挤奶机压力异常",
    )
    Ticket.objects.filter(pk=ticket.pk).update(status=from_status)
    ticket.refresh_from_db()
    if (from_status, to_status) in EXPECTED:
        assert can_transition(from_status, to_status)
        services._transition(ticket, to_status, actor=staff["agent1"], at=ticket.received_at)
        assert ticket.status == to_status
        assert ticket.interactions.filter(kind="system_event", data__to_status=to_status).exists()
    else:
        assert not can_transition(from_status, to_status)
        with pytest.raises(TransitionNotAllowed):
            services._transition(ticket, to_status, actor=staff["agent1"], at=ticket.received_at)
