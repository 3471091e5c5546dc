"""Every allowed and every refused status move of the training state machines."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from herdesk.common.errors import TransitionNotAllowed
from herdesk.training.choices import (
    ASSIGNMENT_TRANSITIONS,
    ATTEMPT_TRANSITIONS,
    PLAN_TRANSITIONS,
    SESSION_TRANSITIONS,
    AssignmentStatus,
    AttemptStatus,
    PlanStatus,
    SessionStatus,
)
from herdesk.training.services import _move

MACHINES = [
    (ASSIGNMENT_TRANSITIONS, AssignmentStatus),
    (ATTEMPT_TRANSITIONS, AttemptStatus),
    (PLAN_TRANSITIONS, PlanStatus),
    (SESSION_TRANSITIONS, SessionStatus),
]
CASES = [
    (table, a, b, b in table[a]) for table, states in MACHINES for a in states.values for b in states.values
]


@pytest.mark.parametrize(("table", "a", "b", "allowed"), CASES, ids=[f"{a}->{b}" for _t, a, b, _x in CASES])
def test_move(table, a, b, allowed) -> None:
    obj = SimpleNamespace(status=a)
    if allowed:
        _move(obj, b, table)
        assert obj.status == b
    else:
        with pytest.raises(TransitionNotAllowed):
            _move(obj, b, table)
        assert obj.status == a


def test_every_state_has_a_row() -> None:
    for table, states in MACHINES:
        assert set(table) == set(states.values)
