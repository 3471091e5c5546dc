"""The bell in Debian's Chromium, against uvicorn serving config.asgi (WebSockets): tech1 has a
ticket page open; the clock sweep (run here, as the scheduler would) finds the acknowledgement clock
breached, the outbox delivers the notice, and the breach appears in tech1's bell without a reload;
then the list page shows it, filtered by kind, and "mark all read" empties the bell.

Screenshots go to $HERDESK_SCREENSHOTS/notifications-*.png when that variable names a directory.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from herdesk.chat.tests.test_realsocket import server_url  # noqa: F401 - fixture: uvicorn on a free port

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("HERDESK_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{CHROMIUM} is required (apt-get install -y chromium)")
        pytest.skip(f"needs Debian's Chromium at {CHROMIUM}")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(headless=True, executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def _shot(page: Any, name: str) -> None:
    target = os.environ.get("HERDESK_SCREENSHOTS", "")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"notifications-{name}.png"))


def test_a_breach_appears_in_the_assignees_bell_without_a_reload(server_url, browser, staff, customer):  # noqa: F811
    from django.test import Client
    from django.utils import timezone

    from herdesk.clocks.services import clock_sweep
    from herdesk.notifications.models import Notification
    from herdesk.notifications.services import outbox_dispatch
    from herdesk.staff.models import Team
    from herdesk.tickets import services as ts

    tech1 = staff["tech1"]
    at = timezone.now() - timedelta(minutes=40)  # the 15-minute acknowledgement is long overdue
    t = ts.ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="technical_support",
        subject="冷藏罐温度异常，制冷效果差",
        received_at=at,
    )
    team = Team.objects.get(code="tech-support")
    t = ts.ticket_triage(ticket=t, actor=staff["agent1"], team=team, at=at)
    ts.ticket_assign(
        ticket=t, actor=staff["agent1"], assignee=tech1, team=team, reason="按问题类型分派", at=at
    )
    assert Notification.objects.filter(user=tech1).count() == 1  # the assignment

    c = Client()
    c.force_login(tech1)
    base = f"http://{server_url}"
    ctx = browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    ctx.add_cookies([{"name": "sessionid", "value": c.cookies["sessionid"].value, "url": base}])
    page = ctx.new_page()
    page.set_default_timeout(20000)
    page.goto(f"{base}/tickets/{t.number}/")
    bell = page.locator("#hd-bell")
    page.wait_for_selector("#hd-bell[data-live='1']")
    assert page.inner_text("#hd-bell-count") == "1"
    page.evaluate("window.__notReloaded = true")

    # What the embedded scheduler thread does every interval, in a thread of its own as it does
    # (this one runs Playwright's event loop): the sweep, then the outbox.
    swept: list[Any] = []

    def scheduler_tick() -> None:
        from django.db import connection

        try:
            swept.append(clock_sweep())
            outbox_dispatch()
        finally:
            connection.close()

    tick = threading.Thread(target=scheduler_tick)
    tick.start()
    tick.join(60)
    assert swept and swept[0].breaches >= 1
    # A locator wait, not wait_for_function: the page's CSP forbids evaluating strings (issue #14).
    expect(page.locator("#hd-bell-count")).not_to_have_text("1")
    assert page.evaluate("window.__notReloaded") is True  # no reload: the socket brought it
    page.wait_for_timeout(500)  # every frame of the tick has arrived
    count = int(page.inner_text("#hd-bell-count"))
    assert count == Notification.objects.filter(user=tech1, read_at__isnull=True).count() >= 2
    # One notice per person and breach, even when the clock's actions name them twice (the
    # assignee who leads the team).
    breaches = list(
        Notification.objects.filter(user=tech1, kind="clock_breach").values_list("data__clock", flat=True)
    )
    assert len(breaches) == len(set(breaches))
    toast = page.locator(".hd-bell-item[data-kind='clock_breach']").first
    toast.wait_for()
    assert t.number in toast.inner_text() and "超时" in toast.inner_text()
    _shot(page, "bell")

    bell.click()
    page.wait_for_url(f"{base}/notifications/")
    rows = page.locator("tr.hd-notif")
    assert rows.count() == count
    assert page.locator("tr.hd-notif[data-kind='clock_breach']").count() >= 1
    _shot(page, "list")
    page.click("#hd-notif-kinds a:has-text('时钟超时')")
    page.wait_for_url("**kind=clock_breach")
    assert (
        page.locator("tr.hd-notif").count() == page.locator("tr.hd-notif[data-kind='clock_breach']").count()
    )
    # The row links to the ticket (and marks the notification read).
    page.locator("tr.hd-notif a").first.click()
    page.wait_for_url(f"{base}/tickets/{t.number}/")
    page.goto(f"{base}/notifications/")
    page.click("#hd-mark-all")
    page.wait_for_selector("#hd-bell-count.d-none", state="attached")
    assert not Notification.objects.filter(user=tech1, read_at__isnull=True).exists()
    ctx.close()
