"""Per-subject data keys and crypto-shredding (SEC-4, PIPL art. 47; issue #14).

Each customer's address, ID number and contact details are encrypted under a data key of their own;
erasure destroys it, so a copy of the rows taken before the erasure (a backup, an archive) no
longer decrypts, while every KPI and compliance figure stays the same.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from herdesk.audit.models import AuditEntry
from herdesk.audit.services import audit_verify
from herdesk.common import crypto
from herdesk.common.models import SubjectKey
from herdesk.customers.models import Contact, Customer
from herdesk.customers.selectors import customer_find_by_phone
from herdesk.customers.services import customer_create
from herdesk.privacy.services import dsr_erase, dsr_open

pytestmark = pytest.mark.django_db


def _raw(table: str, columns: str, where: str, pk: int) -> tuple:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {columns} FROM {table} WHERE {where} = %s", [pk])
        return cur.fetchone()


def test_each_customer_has_a_key_of_their_own(customer, other_customer) -> None:
    assert customer.data_key_id and other_customer.data_key_id
    assert customer.data_key_id != other_customer.data_key_id
    (phone_raw,) = _raw("customers_contact", "phone", "customer_id", customer.pk)
    assert crypto.subject_key_id(phone_raw) == customer.data_key_id
    wrapped = SubjectKey.objects.get(pk=customer.data_key_id).wrapped
    assert wrapped.startswith("k1:") and len(crypto.key_unwrap(wrapped)) == 32
    # A value moved to another customer's row does not decrypt there (field context + key).
    crypto.key_cache.clear()
    assert Contact.objects.get(customer=customer).phone == "+8613812348000"


def _figures() -> dict:
    from herdesk.analytics import periods
    from herdesk.analytics.rollup import rollup_range
    from herdesk.analytics.selectors import kpi_report
    from herdesk.clocks.selectors import compliance_summary

    today = timezone.localdate()
    rollup_range(today, today)
    month = f"{today:%Y-%m}"
    return {
        "kpis": kpi_report(periods.month(month)),
        "compliance": compliance_summary(month=month),
        "customers": Customer.objects.count(),
        "contacts": Contact.objects.count(),
    }


def test_erasure_shreds_every_copy_and_keeps_the_figures(customer, other_customer, staff) -> None:
    from herdesk.tickets.services import interaction_add, ticket_create

    for who in (customer, other_customer):
        t = ticket_create(
            actor=staff["agent1"],
            customer=who,
            channel="phone",
            problem_type="suggestion",
            subject=f"{who.name}的建议",
            description="请回电",
        )
        interaction_add(ticket=t, actor=staff["agent1"], kind="phone_call", direction="inbound", body="来电")
    customer.id_number = "150102199001011234"
    customer.save(update_fields=["id_number"])
    before = _figures()
    # "The backup": the stored rows as they are before the erasure.
    backup_contact = _raw("customers_contact", "phone, email", "customer_id", customer.pk)
    backup_customer = _raw("customers_customer", "address, id_number", "id", customer.pk)
    other_backup = _raw("customers_contact", "phone", "customer_id", other_customer.pk)
    assert crypto.decrypt(backup_contact[0], context="customers.contact.phone") == "+8613812348000"
    old_key = customer.data_key_id

    counts = dsr_erase(
        actor=staff["cs_lead"], request=dsr_open(actor=staff["cs_lead"], customer=customer, kind="erasure")
    )

    assert counts["keys_destroyed"] == 1
    key = SubjectKey.objects.get(pk=old_key)
    assert key.wrapped == "" and key.destroyed_at is not None
    # Every value of the copy taken before the erasure is unreadable now (in this process and in a
    # fresh one that has no cached key).
    for cached in (True, False):
        if not cached:
            crypto.key_cache.clear()
        assert crypto.decrypt(backup_contact[0], context="customers.contact.phone") == ""
        assert crypto.decrypt(backup_contact[1], context="customers.contact.email") == ""
        assert crypto.decrypt(backup_customer[0], context="customers.customer.address") == ""
        assert crypto.decrypt(backup_customer[1], context="customers.customer.id_number") == ""
    # The other customer is untouched.
    assert crypto.decrypt(other_backup[0], context="customers.contact.phone") == "+8613900001111"
    # The statistics are identical.
    after = _figures()
    assert after == before
    # The record keeps a fresh key (anything written later is shreddable too), audited by id only.
    customer.refresh_from_db()
    assert customer.data_key_id and customer.data_key_id != old_key
    entry = AuditEntry.objects.get(action="privacy.key_destroyed")
    assert entry.data["key"] == old_key and "138" not in str(entry.data)
    assert audit_verify().ok


def test_erasing_twice_is_harmless(customer, staff) -> None:
    dsr_erase(actor="cli", request=dsr_open(actor="cli", customer=customer, kind="erasure"))
    counts = dsr_erase(actor="cli", request=dsr_open(actor="cli", customer=customer, kind="erasure"))
    assert counts["contacts"] == 1  # the (blank) contact row is still there


def test_a_value_under_a_key_that_is_not_in_the_database_is_an_error(customer) -> None:
    (phone_raw,) = _raw("customers_contact", "phone", "customer_id", customer.pk)
    forged = phone_raw.replace(f"v2:{customer.data_key_id}:", "v2:987654321:")
    with pytest.raises(crypto.SubjectKeyMissing):
        crypto.decrypt(forged, context="customers.contact.phone")


def test_existing_master_key_rows_are_adopted_without_loss(reference) -> None:
    from herdesk.customers.models import Contact as C
    from herdesk.customers.subject_keys import subject_keys_adopt

    made = [customer_create(name=f"客户{i}", phone=f"1380000{i:04d}", address=f"地址 {i}") for i in range(5)]
    # Make them look like rows from before per-subject keys: master-key values ("v1:"), no key.
    for c in made:
        Customer.objects.filter(pk=c.pk).update(data_key=None, address=f"地址 {c.name}", id_number="ID-1")
        C.objects.filter(customer=c).update(phone=f"+86{c.contacts.get().phone[3:]}", email="a@b.cn")
    assert _raw("customers_customer", "address", "id", made[0].pk)[0].startswith("v1:")
    counts = subject_keys_adopt(Customer, C, batch=2)
    assert counts == {"customers": 5, "contacts": 5}
    for c in made:
        fresh = Customer.objects.get(pk=c.pk)
        contact = fresh.contacts.get()
        assert fresh.data_key_id and fresh.address == f"地址 {c.name}" and fresh.id_number == "ID-1"
        assert contact.email == "a@b.cn" and contact.phone.startswith("+861380000")
        raw = _raw("customers_contact", "phone", "customer_id", c.pk)[0]
        assert crypto.subject_key_id(raw) == fresh.data_key_id
        # Search by blind index still finds them.
        assert list(customer_find_by_phone(user=None, phone=contact.phone)) == [fresh]
    assert subject_keys_adopt(Customer, C) == {"customers": 0, "contacts": 0}  # idempotent


def test_list_reads_unwrap_keys_in_few_queries(reference, django_assert_max_num_queries) -> None:
    made = [customer_create(name=f"批量{i}", phone=f"1390000{i:04d}") for i in range(40)]
    crypto.key_cache.clear()
    # The contacts, then the keys: a miss loads the 2 × 32 neighbouring keys with it (40 rows here:
    # two window queries, not forty). Warm, the same read needs no key query at all.
    with django_assert_max_num_queries(3):
        phones = [c.phone for c in Contact.objects.filter(customer__in=made).order_by("-id")]
    assert len(phones) == 40 and all(p.startswith("+86139") for p in phones)
    assert crypto.key_cache.loads == 2
    with django_assert_max_num_queries(1):
        assert [c.phone for c in Contact.objects.filter(customer__in=made).order_by("-id")] == phones


def test_the_key_cache_is_bounded(reference, monkeypatch) -> None:
    monkeypatch.setattr(crypto, "KEY_CACHE_SIZE", 3)
    crypto.key_cache.clear()
    for _ in range(5):
        crypto.subject_key_create()
    assert len(crypto.key_cache) == 3
