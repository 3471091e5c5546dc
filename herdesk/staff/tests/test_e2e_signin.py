"""Two-factor sign-in in Debian's Chromium: a supervisor enrols on first sign-in (QR code page),
reaches the workspace, and the next sign-in asks for a code. Screenshots with HERDESK_SCREENSHOTS."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django_otp.oath import totp

from herdesk.workspace.tests.test_e2e import Session, browser  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _code(device) -> str:  # type: ignore[no-untyped-def]
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.mark.django_db(transaction=True)
def test_supervisor_enrols_then_verifies(browser, live_server, staff, settings) -> None:  # noqa: F811
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.HERDESK_2FA_REQUIRED_ROLES = ["admin", "management", "qa", "supervisor"]
    shots = os.environ.get("HERDESK_SCREENSHOTS", "")
    s = Session(browser, live_server.url, shots)
    s.go("/login/")
    s.page.fill("#id_username", "cs_lead")
    s.page.fill("#id_password", "herdesk-demo")
    s.page.click("button[type=submit].w-100")
    s.page.wait_for_url(re.compile(r"/login/2fa/setup/"))
    assert s.page.locator(".hd-2fa-qr svg").count() == 1
    assert "设置双因素登录" in s.page.inner_text("h1")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        s.page.screenshot(path=str(Path(shots) / "2fa-setup.png"))
    device = TOTPDevice.objects.get(user=staff["cs_lead"], confirmed=False)
    s.page.fill("#id_code", _code(device))
    s.page.click("button[type=submit].w-100")
    s.page.wait_for_url(re.compile(r"/queues/"))
    s.context.close()

    again = Session(browser, live_server.url, shots)
    again.go("/login/")
    again.page.fill("#id_username", "cs_lead")
    again.page.fill("#id_password", "herdesk-demo")
    again.page.click("button[type=submit].w-100")
    again.page.wait_for_url(re.compile(r"/login/2fa/\?next="))
    device.refresh_from_db()
    device.last_t = -1  # the enrolment used this time step's code
    device.save()
    again.page.fill("#id_code", _code(device))
    again.page.click("button[type=submit].w-100")
    again.page.wait_for_url(re.compile(r"/queues/"))
    again.context.close()
