"""The email page names sender, recipients and date (issue 13); addresses are personal data:
masked for roles without customers.view_personal_data, audited when shown in full."""

from __future__ import annotations

import pytest
from django.test import Client

from herdesk.audit.models import AuditEntry
from herdesk.mail.models import EmailMessage

pytestmark = pytest.mark.django_db


def _page(username: str, pk: int) -> str:
    from herdesk.staff.models import User

    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(User.objects.get(username=username))
    r = c.get(f"/channels/mail/{pk}/")
    assert r.status_code == 200
    return r.content.decode()


def test_sender_recipients_and_date(deliver, mail, staff) -> None:
    r = deliver(mail())
    em = EmailMessage.objects.get(payload_id=r.payload_id)
    full = _page("cs_lead", em.pk)
    assert "wang@farm.example.cn" in full and "support@herdesk.example.cn" in full
    assert "发件人" in full and "收件人" in full and 'id="email-date"' in full
    assert AuditEntry.objects.filter(action="pii.read", object_type="email", object_id=str(em.pk)).exists()
    masked = _page("qa1", em.pk)
    assert "wang@farm.example.cn" not in masked and "w***@farm.example.cn" in masked
