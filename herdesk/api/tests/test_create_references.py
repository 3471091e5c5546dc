"""What a new ticket names (issue #20): `tickets.selectors.product_named` / `category_named`, and the
API's creation answering 404 with its JSON error body (never 500) for an unknown product code, an
unknown category or a customer the caller may not see."""

from __future__ import annotations

import json
from typing import Any

import pytest

from herdesk.catalog.models import Product
from herdesk.tickets.models import Category, Ticket
from herdesk.tickets.selectors import category_named, product_named

pytestmark = pytest.mark.django_db

NOT_FOUND = {"code": "not_found", "message": "Not found.", "errors": []}


def _values(obj: Any) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def _post(client: Any, data: dict[str, Any]) -> Any:
    return client.post("/api/v1/tickets", data=json.dumps(data), content_type="application/json")


def _ticket(customer: Any, **over: Any) -> dict[str, Any]:
    return {
        "customer_id": customer.pk,
        "channel": "email",
        "problem_type": "technical_support",
        "subject": "挤奶机真空压力低",
        "description": "ERR-123 报警",
        "product_code": "milking-machine",
        **over,
    }


# --- the selectors ----------------------------------------------------------------------------------


def test_product_named(reference: None) -> None:
    assert product_named(None) is None and product_named("") is None
    got = product_named("cooling-tank")
    assert type(got) is Product and _values(got) == _values(Product.objects.get(code="cooling-tank"))
    assert (got.name, got.model_number) == ("冷藏罐", "CT-5000")
    with pytest.raises(Product.DoesNotExist):
        product_named("no-such-product")


def test_category_named(reference: None) -> None:
    assert category_named(None) is None and category_named(0) is None
    repair = Category.objects.get(code="repair")
    got = category_named(repair.pk)
    assert type(got) is Category and _values(got) == _values(repair)
    assert (got.code, got.name, got.problem_type) == ("repair", "维修", "after_sales")
    missing = Category.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    with pytest.raises(Category.DoesNotExist):
        category_named(missing)


# --- through the API --------------------------------------------------------------------------------


def test_known_product_and_category_are_recorded(api: Any, customer: Any) -> None:
    """The control of the 404s below: the same request with names that exist creates the ticket."""
    fault = Category.objects.get(code="equipment-fault")
    r = _post(api(), _ticket(customer, category_id=fault.pk))
    assert r.status_code == 201, r.content
    t = Ticket.objects.get(number=r.json()["number"])
    assert (t.customer_id, t.product.code, t.category_id) == (customer.pk, "milking-machine", fault.pk)
    assert r.json()["category"] == "设备故障"


def _missing_category() -> int:
    return Category.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000


@pytest.mark.parametrize(
    "over",
    [
        {"product_code": "no-such-product"},
        {"category_id": "missing"},
        {"customer_id": "missing"},
        {"customer_id": -1},
        {"category_id": -5},
    ],
    ids=["product", "category", "customer", "customer-negative", "category-negative"],
)
def test_unknown_reference_is_404_json(api: Any, customer: Any, over: dict[str, Any]) -> None:
    if over.get("category_id") == "missing":
        over = {"category_id": _missing_category()}
    if over.get("customer_id") == "missing":
        over = {"customer_id": customer.pk + 1000}
    r = _post(api(), _ticket(customer, **over))
    assert r.status_code == 404, r.content
    assert r["Content-Type"].startswith("application/json")
    assert r.json() == NOT_FOUND
    assert Ticket.objects.count() == 0


# An id no 64-bit key can hold: SQLite's driver cannot even send it, so row_get answers "no row"
# as the ORM's `.get(pk=…)` did before #20 (404); PostgreSQL compares it and finds nothing (404).


@pytest.mark.parametrize("field", ["customer_id", "category_id"])
@pytest.mark.parametrize("value", [2**63, -(2**63) - 1], ids=["above", "below"])
def test_an_id_beyond_64_bits_is_404_json(api: Any, customer: Any, field: str, value: int) -> None:
    r = _post(api(), _ticket(customer, **{field: value}))
    # on either database: a JSON error, never 500, and nothing created
    assert r.status_code < 500, r.content
    assert set(r.json()) == {"code", "message", "errors"} and r.json()["code"]
    assert Ticket.objects.count() == 0
    assert r.status_code == 404, r.content
    assert r.json() == NOT_FOUND


def test_customer_the_caller_may_not_see_is_404_json(api: Any, customer: Any, other_customer: Any) -> None:
    from herdesk.customers.services import customer_create
    from herdesk.staff.services import user_create

    user_create(username="portal-a", password=None, role="customer", customer=customer)
    loner = customer_create(name="王五", phone="13700001234")
    user_create(username="portal-loner", password=None, role="customer", customer=loner)
    colleague = customer_create(name="张四", organisation=customer.organisation, phone="13812348001")
    mine = {"customer_id": customer.pk, "problem_type": "product_inquiry", "subject": "酸奶胀包"}

    a = api("portal-a")
    for hidden in (other_customer, loner):
        r = _post(a, {**mine, "customer_id": hidden.pk})
        assert r.status_code == 404, r.content
        assert r.json() == NOT_FOUND
    assert Ticket.objects.count() == 0
    # the same caller may create for its own organisation's customers (the control)
    assert _post(a, {**mine, "customer_id": colleague.pk}).status_code == 201
    assert _post(a, mine).status_code == 201

    b = api("portal-loner")
    for hidden in (customer, colleague, other_customer):
        r = _post(b, {**mine, "customer_id": hidden.pk})
        assert r.status_code == 404, r.content
        assert r.json() == NOT_FOUND
    assert _post(b, {**mine, "customer_id": loner.pk}).status_code == 201
    assert sorted(Ticket.objects.values_list("customer_id", flat=True)) == sorted(
        [colleague.pk, customer.pk, loner.pk]
    )
