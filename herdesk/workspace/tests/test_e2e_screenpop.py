"""Screen pop end to end (issue 12) in Debian's Chromium against uvicorn (WebSockets): the agent has
a queue page open, the CTI says their extension rings, the caller's profile pops up on that page,
"new intake" opens the intake with the caller pre-selected and the call linked, and the ticket
created there is the call's ticket."""

from __future__ import annotations

import json
import os
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from herdesk.chat.tests.test_realsocket import server_url  # noqa: F401 - fixture
from herdesk.workspace.tests.test_e2e import ARGS, CHROMIUM, VIEWPORT

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Any:
    if not Path(CHROMIUM).exists():
        if os.environ.get("HERDESK_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{CHROMIUM} is required (apt-get install -y chromium)")
        pytest.skip(f"needs Debian's Chromium at {CHROMIUM}")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def _ring(base: str, call_id: str, extension: str) -> int:
    """The CTI's webhook, over HTTP to the server (the test thread runs Playwright's event loop, so
    the publish to the socket must happen in the server's threads)."""
    import urllib.request

    from django.conf import settings
    from django.utils import timezone

    from herdesk.phone.tests.test_cti import _sign

    body = json.dumps(
        {
            "event": "ringing",
            "call_id": call_id,
            "caller": "13812348000",
            "callee": "4008001234",
            "extension": extension,
            "timestamp": timezone.now().isoformat(),
        }
    ).encode()
    ts = int(time.time())
    req = urllib.request.Request(
        f"{base}/phone/cti/events",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Herdesk-Timestamp": str(ts),
            "X-Herdesk-Signature": _sign(body, ts, settings.HERDESK_CTI_HMAC_SECRET),
        },
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return int(r.status)


def test_a_ringing_call_pops_up_and_opens_the_intake(server_url, browser, staff, customer) -> None:  # noqa: F811
    from django.test import Client

    from herdesk.phone.models import CallRecord
    from herdesk.tickets.models import Ticket

    agent = staff["agent1"]
    agent.extension = "8001"
    agent.save()
    c = Client()
    c.force_login(agent)
    base = f"http://{server_url}"
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    ctx.add_cookies([{"name": "sessionid", "value": c.cookies["sessionid"].value, "url": base}])
    page = ctx.new_page()
    page.set_default_timeout(20000)
    # Frames are collected from the socket's creation on: the "ready" frame can arrive before a
    # wait started after goto() would be listening (a race that showed under load).
    frames: list[str] = []
    page.on(
        "websocket",
        lambda ws: (
            ws.on("framereceived", lambda f: frames.append(str(f))) if ws.url.endswith("/ws/phone/") else None
        ),
    )
    page.goto(f"{base}/queues/mine/")
    deadline = time.monotonic() + 20
    while not any("ready" in f for f in frames):
        assert time.monotonic() < deadline, "the phone socket never said ready"
        page.wait_for_timeout(100)

    assert _ring(base, "e2e-call-1", "8001") == 200
    pop = page.locator("#screenpop")
    pop.wait_for(state="visible")
    text = pop.inner_text()
    assert "来电" in text and "张三" in text and "大客户" in text
    assert "13812348000" not in text and "138****8000" in text  # masked for an agent
    shots = os.environ.get("HERDESK_SCREENSHOTS", "")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(shots) / "agent-screenpop.png"))

    page.click("#screenpop-intake")
    page.wait_for_url(re.compile(r"/intake/\?call=e2e-call-1"))
    assert "已与此次来电关联" in page.inner_text("#intake-call")
    assert page.locator(f".hd-caller input[name=customer_id][value='{customer.pk}']").is_checked()
    page.select_option("#id_problem_type", "technical_support")
    page.select_option("#id_product", label="挤奶机 MK-300")
    page.fill("#id_subject", "挤奶机真空压力异常")
    page.fill("#id_description", "真空压力偏低，报警灯常亮。")
    page.check("#id_confirmed")
    page.click("#intake-submit")
    page.wait_for_url(re.compile(r"/tickets/FW-"))
    number = page.url.split("/tickets/")[1].split("/")[0]
    ticket = Ticket.objects.get(number=number)
    call = CallRecord.objects.get(call_id="e2e-call-1")
    assert call.ticket_id == ticket.pk and ticket.customer_id == customer.pk
    # The call's start is the receipt time (INT-2), to the second.
    assert abs(ticket.received_at - call.ringing_at) < timedelta(seconds=1)
