"""The plain-SQL row helpers of the inbound hot path (`herdesk.common.rowsql.rows_insert`,
`row_update`, `row_columns`/`row_instance`): they must write and read exactly what the ORM does —
encrypted personal data, JSON, binary, aware datetimes, auto_now_add, foreign keys, choices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from herdesk.common.rowsql import row_columns, row_instance, row_update, rows_insert
from herdesk.customers.models import Contact, Customer
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
