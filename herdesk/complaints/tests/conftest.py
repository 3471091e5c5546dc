"""Complaint test helpers: the workspace's logged-in clients and tickets, plus complaint builders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from herdesk.workspace.tests.conftest import (  # noqa: F401 - fixtures shared with the workspace tests
    _compiled_messages,
    _service_hours,
    login,
    make_ticket,
    screenshot_dir,
)


@pytest.fixture
def make_complaint(make_ticket: Callable[..., Any], staff: dict[str, Any]) -> Callable[..., Any]:  # noqa: F811
    """A complaint ticket (of the key-account customer unless `cust` is given) and its record."""
    from herdesk.catalog.models import Product
    from herdesk.complaints.services import complaint_ensure

    def make(**kwargs: Any) -> Any:
        kwargs.setdefault("product", Product.objects.order_by("pk").first())
        kwargs.setdefault("subject", "酸奶胀包 批次 B2611")
        t = make_ticket(problem_type="complaint", **kwargs)
        return complaint_ensure(ticket=t)

    return make


@pytest.fixture(autouse=True)
def _account_manager(request: pytest.FixtureRequest) -> None:
    """The shared key-account customer (绿源牧场) is managed by am1 in these tests."""
    if "customer" not in request.fixturenames and "make_ticket" not in request.fixturenames:
        return
    from herdesk.customers.models import Organisation

    cust = request.getfixturevalue("customer")
    staff = request.getfixturevalue("staff")
    Organisation.objects.filter(pk=cust.organisation_id).update(account_manager=staff["am1"])
