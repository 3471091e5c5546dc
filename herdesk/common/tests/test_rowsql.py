"""The plain-SQL row helpers of the inbound hot path (`herdesk.common.rowsql.rows_insert`,
`row_update`, `row_columns`/`row_instance`, `row_get`): they must write and read exactly what the
ORM does — encrypted personal data, JSON, binary, aware datetimes, auto_now_add, foreign keys,
choices, select_related."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from herdesk.catalog.models import Product
from herdesk.common.rowsql import row_columns, row_get, row_instance, row_update, rows_insert
from herdesk.customers.models import Contact, Customer, Organisation
from herdesk.inbound.models import InboundPayload, SenderClaim

pytestmark = pytest.mark.django_db


def _values(obj):
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_rows_insert_writes_what_the_orm_writes(customer):
    contact = Contact(customer=customer, name="李四", email="li@example.cn", email_bidx="bidx-li")
    assert rows_insert([contact]) == [contact]
    assert contact.pk is not None and not contact._state.adding
    stored = Contact.objects.get(pk=contact.pk)
    assert stored.email == "li@example.cn" and stored.is_primary is True  # decrypted; the default
    with connection.cursor() as cur:  # encrypted at rest (SEC-1), as the ORM stores it
        cur.execute("SELECT email FROM customers_contact WHERE id = %s", [contact.pk])
        assert "li@example.cn" not in cur.fetchone()[0]
    claim = SenderClaim(kind="email", key="k1", customer=customer)
    rows_insert([claim])
    assert claim.created_at is not None  # auto_now_add, as save() sets it
    assert SenderClaim.objects.get(pk=claim.pk).created_at == claim.created_at


def test_rows_insert_binary_json_datetimes_and_several_rows():
    now = timezone.now()
    rows = [
        InboundPayload(
            channel="t",
            source="s",
            dedupe_key=f"id:{i}",
            content_key="c",
            sha256="x",
            size=3,
            raw=b"\x00\xffz",
            meta={"n": i, "名": "值"},
            received_at=now - timedelta(minutes=i),
        )
        for i in range(3)
    ]
    rows_insert(rows)
    assert [r.pk for r in rows] == sorted(r.pk for r in rows)  # ids in the order given
    for r in rows:
        stored = InboundPayload.objects.get(pk=r.pk)
        assert bytes(stored.raw) == b"\x00\xffz" and stored.meta == r.meta
        assert stored.received_at == r.received_at and stored.state == "pending"


def test_rows_insert_raises_as_the_orm_does(customer):
    rows_insert([SenderClaim(kind="email", key="dup", customer=customer)])
    with pytest.raises(IntegrityError), transaction.atomic():
        rows_insert([SenderClaim(kind="email", key="dup", customer=customer)])
    unsaved = Customer(name="未保存")
    with pytest.raises(ValueError):
        rows_insert([Contact(customer=unsaved, name="x")])


def test_row_instance_reads_what_the_orm_reads(customer):
    contact = customer.contacts.get()
    qn = connection.ops.quote_name
    sql = (
        f"SELECT {row_columns(Contact, 'c')}, {row_columns(Customer, 'u')} FROM customers_contact c "
        f"JOIN customers_customer u ON u.{qn('id')} = c.{qn('customer_id')} WHERE c.{qn('id')} = %s"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [contact.pk])
        row = cur.fetchone()
    read = row_instance(Contact, row)
    owner = row_instance(Customer, row, len(Contact._meta.concrete_fields))
    assert _values(read) == _values(contact) and _values(owner) == _values(
        Customer.objects.get(pk=customer.pk)
    )
    assert read.email == "zhang@example.cn" and read.is_primary is True
    assert not read._state.adding and owner.created_at.tzinfo is not None


def test_row_update_is_save_with_update_fields(customer):
    p = InboundPayload.objects.create(
        channel="t",
        source="s",
        dedupe_key="id:u",
        content_key="c",
        sha256="x",
        size=1,
        raw=b"x",
        received_at=timezone.now(),
    )
    p.state, p.attempts, p.result, p.processed_at = "processed", 1, {"outcome": "好"}, timezone.now()
    row_update(p, ["state", "attempts", "result", "processed_at"])
    stored = InboundPayload.objects.get(pk=p.pk)
    assert (stored.state, stored.attempts, stored.result) == ("processed", 1, {"outcome": "好"})
    assert stored.processed_at == p.processed_at


# --- row_get: the ORM's select_related(...).filter(...).first() in one statement built once (#20) ---


def _orm_get(model, field, value, related=()):
    return model.objects.select_related(*related).filter(**{field: value}).first()


def test_row_get_equals_the_orm_with_the_organisation(customer, django_assert_num_queries):
    customer.id_number = "150102199001011234"
    customer.save(update_fields=["id_number"])
    orm = _orm_get(Customer, "pk", customer.pk, ("organisation",))  # also warms the subject key cache
    with django_assert_num_queries(1):
        got = row_get(Customer, "pk", customer.pk, related=("organisation",))
    assert type(got) is Customer and got.pk == customer.pk
    assert _values(got) == _values(orm)
    # the encrypted personal data come back decrypted, as the ORM reads them
    assert got.address == "呼和浩特市赛罕区草原路 88 号" and got.id_number == "150102199001011234"
    assert got.data_key_id is not None and got.data_key_id == orm.data_key_id
    assert not got._state.adding and got._state.db == orm._state.db
    with django_assert_num_queries(0):  # joined, not read lazily
        org = got.organisation
    assert type(org) is Organisation and org.pk == customer.organisation_id
    assert _values(org) == _values(orm.organisation)
    assert org.name == "绿源牧场" and org.tier == "key_account" and not org._state.adding


def test_row_get_without_the_related_row(reference, django_assert_num_queries):
    from herdesk.customers.services import customer_create

    alone = customer_create(name="王五", phone="13700001234", address="包头市昆都仑区 1 号")
    assert alone.organisation_id is None
    orm = _orm_get(Customer, "pk", alone.pk, ("organisation",))
    with django_assert_num_queries(1):
        got = row_get(Customer, "pk", alone.pk, related=("organisation",))
    assert _values(got) == _values(orm) and got.address == "包头市昆都仑区 1 号"
    with django_assert_num_queries(0):  # known to be None: no query on access
        assert got.organisation is None


def test_row_get_unknown_key_is_none(customer, django_assert_num_queries):
    missing = Customer.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    assert _orm_get(Customer, "pk", missing, ("organisation",)) is None
    with django_assert_num_queries(1):
        assert row_get(Customer, "pk", missing, related=("organisation",)) is None
    assert row_get(Product, "code", "no-such-product") is None


def test_row_get_by_a_unique_field_other_than_the_key(reference, django_assert_num_queries):
    orm = _orm_get(Product, "code", "milking-machine")
    assert orm is not None
    with django_assert_num_queries(1):
        got = row_get(Product, "code", "milking-machine")
    assert type(got) is Product and _values(got) == _values(orm)
    assert (got.code, got.name, got.model_number, got.is_active) == (
        "milking-machine",
        "挤奶机",
        "MK-300",
        True,
    )
    other = row_get(Product, "code", "yogurt")  # the cached statement, another value
    assert other.code == "yogurt" and other.pk != got.pk
    assert _values(other) == _values(Product.objects.get(code="yogurt"))


def test_row_get_an_id_beyond_64_bits_is_none(customer):
    """The ORM knows no row can have such a key and returns None (Django's out-of-range lookup);
    SQLite's driver cannot even send the value, and row_get answers None as the ORM does."""
    assert _orm_get(Customer, "pk", 2**63, ("organisation",)) is None
    assert row_get(Customer, "pk", 2**63, related=("organisation",)) is None
    assert row_get(Customer, "pk", -(2**63) - 1, related=("organisation",)) is None
