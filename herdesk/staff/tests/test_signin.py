"""Sign-in hardening (SEC-5, issue #14): lockout on /login/, /admin/login/ and the portal's code
sign-in (django-axes), TOTP two-factor for the privileged roles (django-otp)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp

from herdesk.audit.models import AuditEntry

PASSWORD = "herdesk-demo"


def _post_login(client: Client, path: str, username: str, password: str) -> Any:
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR="10.1.2.3")


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_five_failures_lock_the_username_at_that_address(staff, settings, path) -> None:
    settings.AXES_FAILURE_LIMIT = 5
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    username = "admin" if path.startswith("/admin") else "agent1"
    for _i in range(5):
        r = _post_login(client, path, username, "wrong-password")
    # The fifth failure locks; then even the right password is refused, with a bilingual 429 page.
    r = _post_login(client, path, username, PASSWORD)
    assert r.status_code == 429 and "_auth_user_id" not in client.session
    body = r.content.decode()
    assert "15 分钟" in body and "15 minutes" in body and r["Retry-After"] == "900"
    assert AuditEntry.objects.filter(action="signin.locked_out", object_id=username).exists()
    # Another address is not locked (an office behind one NAT is not locked out by one person).
    ok = Client().post(path, {"username": username, "password": PASSWORD}, REMOTE_ADDR="10.9.9.9")
    assert ok.status_code == 302


def test_a_success_before_the_limit_resets_the_count(staff, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _i in range(2):
        _post_login(client, "/login/", "agent1", "nope")
    assert _post_login(client, "/login/", "agent1", PASSWORD).status_code == 302
    client.logout()
    for _i in range(2):
        _post_login(client, "/login/", "agent1", "nope")
    assert _post_login(client, "/login/", "agent1", PASSWORD).status_code == 302


def test_portal_code_sign_in_is_locked_too(customer, settings, django_capture_on_commit_callbacks) -> None:
    from herdesk.sms import backends as sms_backends

    settings.HERDESK_SMS_BACKEND = "herdesk.sms.backends.LocmemBackend"
    settings.AXES_FAILURE_LIMIT = 3
    sms_backends.outbox.clear()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/portal/login/phone/", {"phone": "13812348000"}, REMOTE_ADDR="10.1.2.3")
    assert r.status_code == 302
    code = re.search(r"\b(\d{6})\b", sms_backends.outbox[-1].text).group(1)  # type: ignore[union-attr]
    wrong = "000000" if code != "000000" else "111111"
    statuses = [
        client.post("/portal/login/phone/verify/", {"code": wrong}, REMOTE_ADDR="10.1.2.3").status_code
        for _i in range(3)
    ]
    assert statuses == [400, 400, 429]  # the third failure locks
    # The code is still valid (the portal allows 5 attempts) but the address is locked out now.
    r = client.post("/portal/login/phone/verify/", {"code": code}, REMOTE_ADDR="10.1.2.3")
    assert r.status_code == 429 and "_auth_user_id" not in client.session
    # axes keeps a blind index of the number, never the number.
    from axes.models import AccessAttempt

    assert not AccessAttempt.objects.filter(username__contains="13812348000").exists()
    assert AccessAttempt.objects.filter(username__startswith="portal:").exists()
    sms_backends.outbox.clear()


# --- two-factor ----------------------------------------------------------------------------------


@pytest.fixture
def two_factor(settings) -> None:
    settings.HERDESK_2FA_REQUIRED_ROLES = ["admin", "management", "qa", "supervisor"]


def _unthrottle(device: Any) -> None:
    """django-otp delays the next try after a wrong code (its own brute-force guard); the tests
    that go on with the right code do not wait for it."""
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()


def _code(device: Any) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_privileged_role_enrols_on_first_sign_in_then_verifies(staff, two_factor) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    r = _post_login(client, "/login/", "cs_lead", PASSWORD)
    assert r.status_code == 302
    # Password only: nothing of the workspace answers, the set-up page does.
    r = client.get("/queues/all/")
    assert r.status_code == 302 and r["Location"].startswith("/login/2fa/setup/?next=")
    assert client.get("/admin/").status_code == 302
    assert client.get("/queues/all/", HTTP_HX_REQUEST="true").status_code == 401
    page = client.get("/login/2fa/setup/?next=/queues/all/")
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and "Set up two-factor sign-in" in html
    device = TOTPDevice.objects.get(user=staff["cs_lead"], confirmed=False)
    bad = client.post("/login/2fa/setup/", {"code": "12345", "next": "/queues/all/"})
    assert bad.status_code == 400
    wrong = "000000" if _code(device) != "000000" else "111111"
    assert client.post("/login/2fa/setup/", {"code": wrong, "next": "/queues/all/"}).status_code == 400
    _unthrottle(device)
    ok = client.post("/login/2fa/setup/", {"code": _code(device), "next": "/queues/all/"})
    assert ok.status_code == 302 and ok["Location"] == "/queues/all/"
    assert client.get("/queues/all/").status_code == 200
    assert AuditEntry.objects.filter(action="user.2fa_enrolled", object_id="cs_lead").exists()
    # The next sign-in asks for a code (verify step), not for a new enrolment.
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    _post_login(other, "/login/", "cs_lead", PASSWORD)
    r = other.get("/queues/all/")
    assert r["Location"].startswith("/login/2fa/?next=")
    assert other.get("/login/2fa/setup/").status_code == 302  # no second device without a reset
    device.refresh_from_db()
    device.last_t = -1  # the code was used for the enrolment: django-otp refuses a replay
    device.save()
    assert other.post("/login/2fa/", {"code": wrong, "next": "/queues/all/"}).status_code == 403
    _unthrottle(device)
    r = other.post("/login/2fa/", {"code": _code(device), "next": "https://evil.example/"})
    assert r.status_code == 302 and r["Location"] == "/"  # an outside "next" is ignored
    assert other.get("/queues/all/").status_code == 200


def test_other_roles_and_the_api_are_not_asked(staff, two_factor) -> None:
    client = Client()
    _post_login(client, "/login/", "agent1", PASSWORD)
    assert client.get("/queues/mine/").status_code in (200, 302)
    assert not client.get("/queues/mine/").get("Location", "").startswith("/login/2fa")


def test_demo_devices_cli_code_and_reset(staff, two_factor, capsys) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from herdesk.staff.twofactor import demo_two_factor_lines

    lines = demo_two_factor_lines()
    assert "cs_lead" in lines[0] and "agent1" not in lines[0]
    assert any(line.startswith("  admin: otpauth://totp/") for line in lines)
    keys = set(TOTPDevice.objects.filter(name="demo").values_list("key", flat=True))
    assert len(keys) == 4  # admin, manager, qa1, cs_lead: each its own random key
    demo_two_factor_lines()
    assert TOTPDevice.objects.filter(name="demo").count() == 4  # idempotent
    call_command("user", "otp-code", "manager")
    code = capsys.readouterr().out.strip()
    device = TOTPDevice.objects.get(user=staff["manager"])
    assert code == _code(device)
    client = Client()
    _post_login(client, "/login/", "manager", PASSWORD)
    assert client.post("/login/2fa/", {"code": code}).status_code == 302
    assert client.get("/supervisor/compliance/").status_code == 200
    call_command("user", "2fa-reset", "manager")
    assert not TOTPDevice.objects.filter(user=staff["manager"]).exists()
    assert AuditEntry.objects.filter(action="user.2fa_reset", object_id="manager").exists()
    # A person's own authenticator is not readable through the demo command.
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("user", "otp-code", "manager")


def test_a_voluntary_enrolment_is_asked_for_at_the_next_sign_in(staff) -> None:
    """2FA is optional for agents (HERDESK_2FA_REQUIRED_ROLES off here): once an agent enrolled,
    their sign-in asks for the code like a privileged role's."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    _post_login(client, "/login/", "agent1", PASSWORD)
    assert client.get("/queues/mine/").status_code == 200
    client.get("/login/2fa/setup/")
    device = TOTPDevice.objects.get(user=staff["agent1"])
    assert client.post("/login/2fa/setup/", {"code": _code(device)}).status_code == 302
    client.post("/logout/")
    again = Client()
    _post_login(again, "/login/", "agent1", PASSWORD)
    assert again.get("/queues/mine/")["Location"].startswith("/login/2fa/?next=")
