"""`complaint_ensure(ticket=…, new_ticket=True)`, the creation hook's way (issue #20): no look-up
first, so a record that exists already is met by the unique key (IntegrityError) and returned; the
customer, organisation and their account managers are read from the database, not taken from the
creator's (possibly stale) instances."""

from __future__ import annotations

from typing import Any

import pytest

from herdesk.complaints import services as cs
from herdesk.complaints.choices import Stage
from herdesk.complaints.models import Complaint
from herdesk.customers.models import Customer, Organisation
from herdesk.notifications.models import Notification
from herdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def am2(staff: dict[str, Any]) -> Any:
    from herdesk.staff.services import user_create

    return user_create(username="am2", password=None, role="account_manager", display_name="周经理")


def _told(user: Any, ticket: Ticket) -> int:
    return Notification.objects.filter(user=user, ticket=ticket, data__key="complaint-received").count()


def test_creates_the_record_once(make_ticket: Any, staff: dict[str, Any]) -> None:
    t = make_ticket(problem_type="complaint", order_number="SO-20")  # no on-commit hook in this test
    assert not Complaint.objects.filter(ticket=t).exists()
    c = cs.complaint_ensure(ticket=t, new_ticket=True)
    assert c is not None and c.pk is not None
    assert Complaint.objects.filter(ticket=t).count() == 1
    stored = Complaint.objects.get(ticket=t)
    assert stored.pk == c.pk and stored.stage == Stage.RECEIVED
    assert stored.is_key_account and stored.customer_tier == "key_account"
    assert stored.account_manager_id == staff["am1"].pk and stored.received_at == t.received_at
    assert _told(staff["am1"], t) == 1


def test_second_call_returns_the_existing_record(make_ticket: Any, staff: dict[str, Any]) -> None:
    t = make_ticket(problem_type="complaint", order_number="SO-21")
    first = cs.complaint_ensure(ticket=t, new_ticket=True)
    assert first is not None
    # the look-up is skipped: the unique key refuses the second row and the existing one comes back
    again = cs.complaint_ensure(ticket=t, new_ticket=True)
    assert again is not None and again.pk == first.pk and again.ticket_id == t.pk
    fresh = Ticket.objects.get(pk=t.pk)
    assert cs.complaint_ensure(ticket=fresh, new_ticket=True).pk == first.pk
    assert cs.complaint_ensure(ticket=fresh).pk == first.pk  # the look-up way agrees
    assert Complaint.objects.filter(ticket=t).count() == 1
    assert _told(staff["am1"], t) == 1  # the manager is told once, not on each attempt
    # the failed INSERT was undone on its own: the surrounding transaction goes on (PostgreSQL
    # would refuse every further statement after an error outside a savepoint)
    assert Complaint.objects.count() == 1


def test_not_a_complaint_is_none(make_ticket: Any) -> None:
    t = make_ticket(problem_type="technical_support")
    assert cs.complaint_ensure(ticket=t, new_ticket=True) is None
    assert not Complaint.objects.filter(ticket=t).exists()


def test_organisation_manager_read_afresh(make_ticket: Any, staff: dict[str, Any], am2: Any) -> None:
    made = make_ticket(problem_type="complaint", order_number="SO-22")
    # the ticket object with its customer and organisation in memory, as a creator holds them
    t = Ticket.objects.select_related("customer__organisation", "organisation").get(pk=made.pk)
    assert t.organisation.account_manager_id == staff["am1"].pk
    # the organisation changes hands through another instance after the ticket object was built
    org = Organisation.objects.get(pk=t.organisation_id)
    org.account_manager = am2
    org.save(update_fields=["account_manager"])
    # the ticket's instances are stale
    assert t.organisation.account_manager_id == staff["am1"].pk
    assert t.customer.organisation.account_manager_id == staff["am1"].pk
    c = cs.complaint_ensure(ticket=t, new_ticket=True)
    assert c is not None and c.account_manager_id == am2.pk and c.is_key_account
    assert _told(am2, t) == 1 and _told(staff["am1"], t) == 0


def test_customer_manager_read_afresh(make_ticket: Any, staff: dict[str, Any], am2: Any) -> None:
    t = make_ticket(problem_type="complaint", order_number="SO-23")
    assert t.customer.account_manager_id is None
    Customer.objects.filter(pk=t.customer_id).update(account_manager=am2)  # the customer's own wins
    c = cs.complaint_ensure(ticket=t, new_ticket=True)
    assert c is not None and c.account_manager_id == am2.pk
    assert _told(am2, t) == 1 and _told(staff["am1"], t) == 0


def test_creation_hook_reads_the_manager_afresh(
    make_ticket: Any, staff: dict[str, Any], am2: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The hook hands over the creator's ticket object; a change made before the commit counts."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        t = make_ticket(problem_type="complaint", order_number="SO-24")
        # the customer gets a manager of its own before the commit; the ticket's customer object
        # (the creator's) still has none
        Customer.objects.filter(pk=t.customer_id).update(account_manager=am2)
        assert t.customer.account_manager_id is None
        assert not Complaint.objects.filter(ticket=t).exists()
    assert callbacks
    c = Complaint.objects.get(ticket=t)
    assert c.account_manager_id == am2.pk and c.is_key_account
    assert _told(am2, t) == 1 and _told(staff["am1"], t) == 0
