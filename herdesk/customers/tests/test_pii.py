"""SEC-1: personal data encrypted at rest, exact look-up by blind index, masked unless permitted,
unmasked reads audited."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.db import connection

from herdesk.audit.models import AuditEntry
from herdesk.common.pii import mask_email, mask_phone, normalise_phone
from herdesk.customers.models import Contact
from herdesk.customers.selectors import contact_view, customer_find_by_phone


def test_normalise_and_mask() -> None:
    assert normalise_phone("138 1234 8000") == "+8613812348000"
    assert normalise_phone("+86-138-1234-8000") == "+8613812348000"
    assert mask_phone("+8613812348000") == "138****8000"
    assert mask_email("zhang@example.cn") == "z***@example.cn"


def test_bad_phone_is_a_validation_error(reference) -> None:
    from django.core.exceptions import ValidationError

    from herdesk.customers.services import customer_create

    with pytest.raises(ValidationError) as exc:
        customer_create(name="王五", phone="not-a-number")
    assert "phone" in exc.value.message_dict


def test_ciphertext_in_the_database_and_lookup(customer, staff) -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT phone, email FROM customers_contact WHERE customer_id = %s", [customer.pk])
        phone_raw, email_raw = cur.fetchone()
        cur.execute("SELECT address FROM customers_customer WHERE id = %s", [customer.pk])
        (address_raw,) = cur.fetchone()
    # Under the customer's own data key (v2:<key id>:…), crypto-shredding (SEC-4).
    prefix = f"v2:{customer.data_key_id}:"
    assert phone_raw.startswith(prefix) and "13812348000" not in phone_raw
    assert email_raw.startswith(prefix) and "zhang" not in email_raw
    assert address_raw.startswith(prefix) and "草原路" not in address_raw
    assert Contact.objects.get(customer=customer).phone == "+8613812348000"
    agent = staff["agent1"]
    assert list(customer_find_by_phone(user=agent, phone="138-1234-8000")) == [customer]
    assert list(customer_find_by_phone(user=agent, phone="13812348001")) == []


def test_masked_for_agents_unmasked_and_audited_for_permitted(customer, staff) -> None:
    contact = Contact.objects.get(customer=customer)
    before = AuditEntry.objects.filter(action="pii.read").count()
    masked = contact_view(user=staff["agent1"], contact=contact)
    assert masked.masked and masked.phone == "138****8000"
    assert AuditEntry.objects.filter(action="pii.read").count() == before
    full = contact_view(user=staff["cs_lead"], contact=contact)  # supervisor holds view_personal_data
    assert not full.masked and full.phone == "+8613812348000"
    assert AuditEntry.objects.filter(action="pii.read", actor_name="cs_lead").count() == before + 1


def test_api_masks_for_agent(api, customer) -> None:
    r = api().get("/api/v1/customers?phone=13812348000")
    assert r.status_code == 200
    assert r.json()[0]["phone"] == "138****8000" and r.json()[0]["masked"] is True


@pytest.mark.slow
def test_no_plaintext_personal_data_in_the_sqlite_file(tmp_path) -> None:
    """Load the demo company into a real SQLite file and grep every byte of it (and its WAL)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    for args in (["migrate", "-v0"], ["demo", "load", "--customers", "30", "--tickets", "20", "--quiet"]):
        r = subprocess.run(
            [sys.executable, "manage.py", *args], env=env, capture_output=True, text=True, timeout=300
        )
        assert r.returncode == 0, r.stderr
    dump = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from herdesk.customers.models import Contact, Customer\n"
            "for c in Contact.objects.all(): print('CONTACT', c.phone, c.email)\n"
            "for c in Customer.objects.all(): print('ADDR', c.address)",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout.split("\n")
    secrets = set()
    for line in dump:
        if line.startswith("ADDR "):
            if line[5:]:
                secrets.add(line[5:].encode())
        elif line.startswith("CONTACT "):
            phone, *email = line[8:].split(" ")
            secrets.add(phone.encode())
            secrets.add(phone[3:].encode())  # national number without +86
            if email and email[0]:
                secrets.add(email[0].encode())
    assert b"+8613812348000" in secrets  # the documented demo caller is among them
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("db.sqlite3"))
    found = [s for s in secrets if s and s in blob]
    assert not found, f"plaintext personal data in the database file: {found[:5]}"
