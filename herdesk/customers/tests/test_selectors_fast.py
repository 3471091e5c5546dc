"""The API creation's customer reads (issue #20): `customer_visible_get` is exactly
`customers_visible_to(user).get(pk=pk)` (same customer, same fields, same visibility, the same
DoesNotExist), and `customer_has_contact` answers whether any contact exists."""

from __future__ import annotations

from typing import Any

import pytest

from herdesk.customers.models import Contact, Customer
from herdesk.customers.selectors import customer_has_contact, customer_visible_get, customers_visible_to

pytestmark = pytest.mark.django_db


def _values(obj: Any) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


@pytest.fixture
def people(customer: Customer, other_customer: Customer) -> dict[str, Customer]:
    """Two customers of 绿源牧场, one of another organisation, two without any organisation."""
    from herdesk.customers.services import customer_create

    return {
        "zhang": customer,
        "colleague": customer_create(name="张四", organisation=customer.organisation, phone="13812348001"),
        "other": other_customer,
        "loner": customer_create(name="王五", phone="13700001234", address="包头市昆都仑区 1 号"),
        "loner2": customer_create(name="赵六", phone="13700005678"),
    }


def _portal(username: str, customer: Customer) -> Any:
    from herdesk.staff.models import User
    from herdesk.staff.services import user_create

    user_create(username=username, password=None, role="customer", customer=customer)
    return User.objects.get(username=username)  # fresh, as the API's token authentication loads it


def _seen(user: Any, people: dict[str, Customer]) -> set[str]:
    """The names `customer_visible_get` lets `user` see, checked against the queryset one by one."""
    seen = set()
    for name, c in people.items():
        try:
            expected = customers_visible_to(user).get(pk=c.pk)
        except Customer.DoesNotExist:
            expected = None
        if expected is None:
            with pytest.raises(Customer.DoesNotExist):
                customer_visible_get(user, c.pk)
            continue
        got = customer_visible_get(user, c.pk)
        assert type(got) is Customer and got.pk == c.pk
        assert _values(got) == _values(expected)
        if expected.organisation_id:
            assert _values(got.organisation) == _values(expected.organisation)
        else:
            assert got.organisation is None
        seen.add(name)
    return seen


def test_staff_agent_sees_every_customer(people: dict[str, Customer], staff: dict[str, Any]) -> None:
    assert _seen(staff["agent1"], people) == {"zhang", "colleague", "other", "loner", "loner2"}


def test_portal_user_with_an_organisation_sees_its_organisation_only(people: dict[str, Customer]) -> None:
    user = _portal("portal-zhang", people["zhang"])
    assert _seen(user, people) == {"zhang", "colleague"}


def test_portal_user_without_an_organisation_sees_only_itself(people: dict[str, Customer]) -> None:
    user = _portal("portal-loner", people["loner"])
    assert _seen(user, people) == {"loner"}


def test_unknown_customer_does_not_exist(people: dict[str, Customer], staff: dict[str, Any]) -> None:
    missing = max(c.pk for c in people.values()) + 1000
    with pytest.raises(Customer.DoesNotExist):
        customer_visible_get(staff["agent1"], missing)
    with pytest.raises(Customer.DoesNotExist):
        customer_visible_get(_portal("portal-zhang", people["zhang"]), missing)


def test_the_organisation_comes_with_the_customer(
    people: dict[str, Customer], staff: dict[str, Any], django_assert_num_queries: Any
) -> None:
    customers_visible_to(staff["agent1"]).get(pk=people["zhang"].pk)  # warms the subject key cache
    with django_assert_num_queries(1):
        got = customer_visible_get(staff["agent1"], people["zhang"].pk)
        assert got.organisation.name == "绿源牧场"
        assert got.address == "呼和浩特市赛罕区草原路 88 号"


def test_customer_has_contact(people: dict[str, Customer], reference: None) -> None:
    from herdesk.customers.services import customer_create

    assert customer_has_contact(people["zhang"]) is True
    assert customer_has_contact(people["loner"]) is True
    silent = customer_create(name="无联系人")  # no phone, email or WeChat id: no contact
    assert not Contact.objects.filter(customer=silent).exists()
    assert customer_has_contact(silent) is False  # though every other customer has one
    Contact.objects.create(customer=silent, name="前台", phone="13600000000")
    assert customer_has_contact(silent) is True
    Contact.objects.filter(customer=people["loner"]).delete()
    assert customer_has_contact(people["loner"]) is False
