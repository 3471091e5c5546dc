"""Sign-in by phone code (SEC-3): 6 digits hashed at rest, 5 minutes, 5 attempts, rate limits,
no account enumeration, audited."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from herdesk.audit.models import AuditEntry
from herdesk.portal import services as ps
from herdesk.portal.errors import RateLimited
from herdesk.portal.models import LoginCode
from herdesk.staff.models import User

PHONE = "138 1234 8000"  # the `customer` fixture's number, typed as people do
UNKNOWN = "13700009999"


def _code(sms: list[Any]) -> str:
    match = re.search(r"\b(\d{6})\b", sms[-1].text)
    assert match, sms[-1].text
    return match.group(1)


def _request(phone: str = PHONE, **kw: Any) -> LoginCode:
    return ps.login_code_request(phone=phone, **kw)


def test_code_is_texted_and_only_its_hash_is_stored(
    customer, sms, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        row = _request()
    assert len(sms) == 1 and sms[0].phone == "+8613812348000" and sms[0].purpose == "login_code"
    code = _code(sms)
    row.refresh_from_db()
    assert code not in (row.code_hash, row.salt) and len(row.code_hash) == 64
    assert row.contact == customer.contacts.get() and row.expires_at - row.created_at == timedelta(minutes=5)
    # The number is kept only as the contact's blind index, never in clear.
    assert "13812348000" not in str(LoginCode.objects.values_list().get(pk=row.pk))


def test_right_code_signs_in_once_and_creates_the_portal_user(
    customer,
    sms,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _request()
    assert not User.objects.filter(customer=customer).exists()
    result = ps.login_code_verify(phone="+86 13812348000", code=_code(sms))
    assert result.ok and result.user.customer == customer and result.user.groups.get().name == "customer"
    assert not result.user.has_usable_password()
    assert AuditEntry.objects.filter(action="portal.login", actor_id=result.user.pk).exists()
    again = ps.login_code_verify(phone=PHONE, code=_code(sms))
    assert not again.ok and "not valid" in again.error  # single use


def test_code_expires_after_five_minutes(customer, sms, django_capture_on_commit_callbacks) -> None:
    t0 = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        _request(now=t0)
    assert not ps.login_code_verify(phone=PHONE, code=_code(sms), now=t0 + timedelta(minutes=5)).ok
    assert ps.login_code_verify(phone=PHONE, code=_code(sms), now=t0 + timedelta(minutes=4, seconds=59)).ok


def test_five_wrong_attempts_kill_the_code(customer, sms, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _request()
    right = _code(sms)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    lefts = [ps.login_code_verify(phone=PHONE, code=wrong).attempts_left for _ in range(5)]
    assert lefts == [4, 3, 2, 1, 0]
    result = ps.login_code_verify(phone=PHONE, code=right)
    assert not result.ok and "Too many" in result.error
    assert AuditEntry.objects.filter(action="portal.login_failed").count() == 5


def test_only_the_newest_code_counts(customer, sms, django_capture_on_commit_callbacks) -> None:
    t0 = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        _request(now=t0 - timedelta(seconds=61))
    first = _code(sms)
    with django_capture_on_commit_callbacks(execute=True):
        _request(now=t0)
    second = _code(sms)
    if first != second:
        assert not ps.login_code_verify(phone=PHONE, code=first, now=t0).ok
    assert ps.login_code_verify(phone=PHONE, code=second, now=t0).ok


def test_rate_limits_per_number_per_day_and_per_client(customer) -> None:
    t0 = timezone.now()
    _request(now=t0)
    with pytest.raises(RateLimited) as exc:
        _request(now=t0 + timedelta(seconds=59))
    assert exc.value.status == 429 and exc.value.retry_after <= 2
    for i in range(1, 10):
        _request(now=t0 + timedelta(minutes=2 * i))
    with pytest.raises(RateLimited, match="today"):
        _request(now=t0 + timedelta(hours=1))
    _request(now=t0 + timedelta(days=1, seconds=1))  # the window rolls on
    # One client asking for many numbers is stopped too.
    for i in range(30):
        _request(phone=f"1390000{i:04d}", client_ip="203.0.113.7", now=t0)
    with pytest.raises(RateLimited, match="device"):
        _request(phone="13911112222", client_ip="203.0.113.7", now=t0)
    _request(phone="13911112222", client_ip="203.0.113.8", now=t0)


def test_unknown_number_behaves_the_same_but_nothing_is_sent(
    customer,
    sms,
    django_capture_on_commit_callbacks,
) -> None:
    t0 = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        row = _request(phone=UNKNOWN, now=t0)
    assert sms == [] and row.contact is None
    with pytest.raises(RateLimited):  # same limits as a known number
        _request(phone=UNKNOWN, now=t0 + timedelta(seconds=10))
    results = [ps.login_code_verify(phone=UNKNOWN, code=f"{n:06d}", now=t0) for n in range(5)]
    assert [r.attempts_left for r in results] == [4, 3, 2, 1, 0]
    assert not User.objects.filter(customer__isnull=False).exists()


def _post_phone(client: Client, phone: str) -> Any:
    return client.post(reverse("portal:login_phone"), {"phone": phone})


def test_pages_answer_the_same_for_known_and_unknown_numbers(
    customer,
    sms,
    django_capture_on_commit_callbacks,
) -> None:
    pages = []
    for phone in (PHONE, UNKNOWN):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        with django_capture_on_commit_callbacks(execute=True):
            r = _post_phone(client, phone)
        assert r.status_code == 302 and r["Location"] == reverse("portal:login_verify")
        page = client.get(r["Location"])
        assert page.status_code == 200
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page.content.decode())
        pages.append(html.replace("138****8000", "X").replace("137****9999", "X"))
        assert "If this number is registered with us" in pages[-1]
    assert pages[0] == pages[1]
    assert len(sms) == 1


def test_phone_sign_in_through_the_pages(customer, sms, django_capture_on_commit_callbacks) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.get(reverse("portal:home")).status_code == 302
    client.get(reverse("portal:login") + "?next=/portal/tickets/new/")
    with django_capture_on_commit_callbacks(execute=True):
        _post_phone(client, PHONE)
    wrong = client.post(reverse("portal:login_verify"), {"code": "12"})
    assert wrong.status_code == 400 and "The code has 6 digits." in wrong.content.decode()
    bad = f"{(int(_code(sms)) + 1) % 10**6:06d}"
    wrong = client.post(reverse("portal:login_verify"), {"code": bad})
    assert wrong.status_code == 400 and "4 attempts left" in wrong.content.decode()
    ok = client.post(reverse("portal:login_verify"), {"code": _code(sms)})
    assert ok.status_code == 302 and ok["Location"] == "/portal/tickets/new/"
    assert client.get(reverse("portal:home")).status_code == 200
    assert "portal_login_phone" not in client.session


def test_rate_limited_and_bad_numbers_are_4xx_in_the_users_language(customer, sms) -> None:
    en = Client(HTTP_ACCEPT_LANGUAGE="en")
    r = _post_phone(en, "12")
    assert r.status_code == 400 and "Enter a valid mobile number" in r.content.decode()
    _post_phone(en, PHONE)
    r = _post_phone(en, PHONE)
    assert r.status_code == 429 and "Please wait" in r.content.decode() and r["Retry-After"]
    r = en.post(reverse("portal:login_resend"))
    assert r.status_code == 429
    zh = Client()  # zh-hans by default
    r = zh.post(reverse("portal:login_phone"), {"phone": "12"})
    assert r.status_code == 400 and '<html lang="zh-CN">' in r.content.decode()


def test_verify_page_without_a_number_goes_back_to_sign_in(db) -> None:
    r = Client().post(reverse("portal:login_verify"), {"code": "123456"})
    assert r.status_code == 302 and r["Location"] == reverse("portal:login")


def test_a_failing_sms_provider_never_becomes_a_5xx(
    customer, settings, django_capture_on_commit_callbacks
) -> None:
    settings.HERDESK_SMS_BACKEND = "herdesk.sms.backends.FailingBackend"
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    with django_capture_on_commit_callbacks(execute=True):
        r = _post_phone(client, PHONE)
    assert r.status_code == 302
