"""Sign-in by email link (SEC-3): single use, 15 minutes, signed, no enumeration, address never in clear."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from herdesk.audit.models import AuditEntry
from herdesk.notifications.models import OutboxMessage
from herdesk.portal import services as ps
from herdesk.portal.errors import LinkError
from herdesk.portal.models import PortalToken

EMAIL = "Zhang@Example.cn "  # the `customer` fixture's address, as typed


def _link_path(message: OutboxMessage) -> str:
    return re.sub(r"^https?://[^/]+", "", message.payload["url"])


def _token(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def test_known_address_gets_a_link_through_the_outbox(customer) -> None:
    ps.login_link_request(email=EMAIL, base_url="https://portal.example.cn")
    msg = OutboxMessage.objects.get(template="portal_login_link")
    contact = customer.contacts.get()
    assert msg.channel == "email" and msg.recipient == f"contact:{contact.pk}"
    assert msg.payload["url"].startswith("https://portal.example.cn/portal/login/link/")
    assert msg.payload["url"] in msg.payload["text"] and "15 minutes" in msg.payload["text"]
    row = PortalToken.objects.get()
    assert row.purpose == "login" and row.expires_at - row.created_at == timedelta(minutes=15)
    assert _token(_link_path(msg)) not in row.token_hash  # only a hash of the secret is kept
    assert "zhang@example.cn" not in str(OutboxMessage.objects.values_list().get(pk=msg.pk))
    entry = AuditEntry.objects.get(action="portal.login_link_request")
    assert entry.data == {"email": "z***@example.cn", "known": True, "sent": True}


def test_unknown_address_gets_nothing_and_the_same_page(customer) -> None:
    pages = []
    for email in (EMAIL, "nobody@example.cn"):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        r = client.post(reverse("portal:login_email"), {"email": email})
        assert r.status_code == 302 and r["Location"] == reverse("portal:login_email_sent")
        page = client.get(r["Location"]).content.decode()
        assert "If the address is known to us, a sign-in link was sent to it." in page
        pages.append(re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page))
    assert pages[0] == pages[1]
    assert OutboxMessage.objects.filter(template="portal_login_link").count() == 1


def test_a_second_link_within_a_minute_is_silently_not_sent(customer) -> None:
    t0 = timezone.now()
    ps.login_link_request(email=EMAIL, now=t0)
    ps.login_link_request(email=EMAIL, now=t0 + timedelta(seconds=30))
    assert PortalToken.objects.count() == 1
    for i in range(1, 12):
        ps.login_link_request(email=EMAIL, now=t0 + timedelta(minutes=2 * i))
    assert PortalToken.objects.count() == 10  # ten per address per day


def test_opening_the_link_signs_in_once(customer) -> None:
    ps.login_link_request(email=EMAIL)
    path = _link_path(OutboxMessage.objects.get(template="portal_login_link"))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(path)  # a mail scanner opening the link uses nothing up
    assert page.status_code == 200 and "张三" in page.content.decode()
    assert client.get(path).status_code == 200
    r = client.post(path)
    assert r.status_code == 302 and r["Location"] == reverse("portal:home")
    home = client.get(reverse("portal:home"))
    assert home.status_code == 200 and "My requests" in home.content.decode()
    assert client.session["portal_contact_id"] == customer.contacts.get().pk
    again = Client(HTTP_ACCEPT_LANGUAGE="en")
    for r in (again.get(path), again.post(path)):
        assert r.status_code == 410 and "already been used" in r.content.decode()
    assert AuditEntry.objects.filter(action="portal.login", data__method="email").count() == 1


def test_expired_link_is_refused(customer) -> None:
    ps.login_link_request(email=EMAIL)
    path = _link_path(OutboxMessage.objects.get(template="portal_login_link"))
    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=1)):
        r = Client(HTTP_ACCEPT_LANGUAGE="en").post(path)
    assert r.status_code == 410 and "expired" in r.content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=14)):
        assert Client().post(path).status_code == 302


def test_tampered_link_is_refused(customer) -> None:
    ps.login_link_request(email=EMAIL)
    token = _token(_link_path(OutboxMessage.objects.get(template="portal_login_link")))
    secret, sig = token.split(":", 1)
    forged = [
        f"{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}:{sig}",
        f"{secret}:{sig[:-2]}xx",
        secret,
        "x",
    ]
    for bad in forged:
        r = Client(HTTP_ACCEPT_LANGUAGE="en").post(reverse("portal:login_link", args=[bad]))
        assert r.status_code == 400 and "not valid" in r.content.decode()
    # A sign-in link is not an action link: the purpose is part of the signature.
    assert Client().get(reverse("portal:link_confirm", args=[token])).status_code == 400
    with pytest.raises(LinkError):
        ps.login_link_consume(token=forged[0])
    assert PortalToken.objects.get().used_at is None


def test_bad_address_is_a_400_with_a_message(db) -> None:
    r = Client(HTTP_ACCEPT_LANGUAGE="en").post(reverse("portal:login_email"), {"email": "not-an-address"})
    assert r.status_code == 400 and "Enter a valid email address." in r.content.decode()


def test_disabled_portal_account_cannot_sign_in(customer) -> None:
    user = ps.portal_user_for(customer=customer)
    user.is_active = False
    user.save()
    ps.login_link_request(email=EMAIL)
    path = _link_path(OutboxMessage.objects.get(template="portal_login_link"))
    r = Client(HTTP_ACCEPT_LANGUAGE="en").post(path)
    assert r.status_code == 403 and "disabled" in r.content.decode()
    assert PortalToken.objects.get().used_at is None


def test_staff_are_not_portal_users(staff) -> None:
    client = Client()
    client.force_login(staff["agent1"])
    r = client.get(reverse("portal:home"))
    assert r.status_code == 302 and r["Location"].startswith(reverse("portal:login"))
