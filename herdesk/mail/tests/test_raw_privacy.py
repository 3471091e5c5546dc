"""Issue #14: the original of an email is a personal-data read. Roles that see masked data
elsewhere get a masked rendering; whoever may see it unmasked gets the bytes, audited as pii.read.
The raw payload is encrypted at rest."""

from __future__ import annotations

import base64

import pytest
from django.db import connection
from django.test import Client

from herdesk.audit.models import AuditEntry
from herdesk.mail.models import EmailMessage

pytestmark = pytest.mark.django_db

BODY = "请回电 13912345678 或写信给 li.si@farm.example.cn，身份证 110105199001011234。"


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


@pytest.fixture
def received(deliver, mail):  # type: ignore[no-untyped-def]
    # Base64 transfer encoding: masking must decode the body, not grep the bytes.
    raw = mail(body=BODY, headers={"Cc": "Zhao <zhao.liu@farm.example.cn>"})
    r = deliver(raw)
    em = EmailMessage.objects.select_related("ticket").get(payload_id=r.payload_id)
    return em, raw


def test_agent_gets_a_masked_copy_and_the_read_is_audited(received, staff) -> None:
    em, _raw = received
    from herdesk.tickets.selectors import tickets_visible_to

    agent = next(
        u
        for u in staff.values()
        if tickets_visible_to(u).filter(pk=em.ticket_id).exists()
        and not u.has_perm("customers.view_personal_data")
    )
    r = _client(agent).get(f"/channels/mail/{em.pk}/original")
    assert r.status_code == 200 and r["Content-Disposition"].endswith('-masked.txt"')
    text = r.content.decode()
    assert "wang@farm.example.cn" not in text and "w***@farm.example.cn" in text
    assert "zhao.liu@" not in text and "13912345678" not in text and "139****5678" in text
    assert "110105199001011234" not in text and "110105********1234" in text
    assert AuditEntry.objects.filter(
        action="mail.raw_download", object_id=str(em.pk), data__masked=True
    ).exists()


def test_supervisor_gets_the_original_audited_as_a_personal_data_read(received, staff) -> None:
    em, raw = received
    r = _client(staff["cs_lead"]).get(f"/channels/mail/{em.pk}/original")
    assert r.status_code == 200 and r.content == raw
    entry = AuditEntry.objects.get(action="pii.read", object_type="email", object_id=str(em.pk))
    assert entry.data["purpose"] == "raw_download" and entry.actor_name == "cs_lead"


def test_raw_payload_and_meta_are_encrypted_at_rest(received) -> None:
    em, raw = received
    with connection.cursor() as cur:
        cur.execute("SELECT raw, meta FROM inbound_inboundpayload WHERE id = %s", [em.payload_id])
        stored_raw, stored_meta = cur.fetchone()
    stored = bytes(stored_raw)
    assert stored.startswith(b"HDE1") and b"wang@farm.example.cn" not in stored
    assert base64.b64encode(b"13912345678") not in stored
    assert str(stored_meta).startswith("v1:")
    from herdesk.inbound.models import InboundPayload

    assert bytes(InboundPayload.objects.get(pk=em.payload_id).raw) == raw  # the code sees plaintext
