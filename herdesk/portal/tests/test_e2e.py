"""End to end in Debian's Chromium: a customer signs in by phone code, submits a request, follows
it, chooses an offered option, disputes the resolution once and confirms the second time.

Screenshots (1440×900) go to $HERDESK_SCREENSHOTS/portal-*.png when that variable names a directory.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .catalogue import compile_to

CHROMIUM = "/usr/bin/chromium"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Browser start, live server and a transactional database: ~30 s in all, hence "slow".
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="session")
def _close_server_connections(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """On PostgreSQL, end the idle sessions the live server's request threads leave behind, so the
    test database can be dropped at the end of the run (otherwise: "database is being accessed by
    other users"). Session-scoped: it runs once, after the last test, just before the test database
    is dropped — never between tests, where it would cut another test's connection."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle'"
                )


@pytest.fixture
def browser(_close_server_connections: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("HERDESK_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{CHROMIUM} is required (apt-get install -y chromium)")
        pytest.skip(f"needs Debian's Chromium at {CHROMIUM} (apt-get install -y chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test are safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(headless=True, executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def zh_catalogue(settings: Any, tmp_path: Path) -> None:
    """The project catalogue first; the portal's own list (locale_zh.md) fills any msgid not merged
    yet, so the pages look as customers will see them. Assertions below do not depend on wording."""
    compile_to(tmp_path)
    settings.LOCALE_PATHS = [*settings.LOCALE_PATHS, tmp_path]


class Shots:
    def __init__(self) -> None:
        target = os.environ.get("HERDESK_SCREENSHOTS", "")
        self.dir = Path(target) if target else None
        if self.dir:
            self.dir.mkdir(parents=True, exist_ok=True)

    def __call__(self, page: Any, name: str) -> None:
        if self.dir:
            page.screenshot(path=str(self.dir / f"portal-{name}.png"))


def _sms_code(caplog: Any) -> str:
    """The code from the console backend's 0600 file (the log masks it since issue #14)."""
    from django.conf import settings

    for line in reversed(Path(settings.HERDESK_SMS_CONSOLE_FILE).read_text().splitlines()):
        match = re.search(r"\b(\d{6})\b", line.split("]", 1)[-1])
        if match:
            return match.group(1)
    raise AssertionError("no sign-in code in the SMS console file")


def _earlier_requests(customer: Any, agent_flow: Any) -> None:
    """Two requests the organisation made by phone before, so the list looks lived-in."""
    from herdesk.customers.services import customer_create
    from herdesk.tickets import services as ts

    colleague = customer_create(name="王建军", organisation=customer.organisation, phone="13812340001")
    ts.ticket_create(
        actor=agent_flow.agent,
        customer=colleague,
        channel="phone",
        problem_type="order_inquiry",
        subject="饲料订单 SO-2026-0031 的发货时间",
    )
    older = ts.ticket_create(
        actor=agent_flow.agent,
        customer=customer,
        channel="phone",
        problem_type="product_inquiry",
        subject="酸奶开封后可以保存几天？",
    )
    ts.ticket_triage(ticket=older, actor=agent_flow.agent, complexity="simple")
    ts.ticket_resolve(
        ticket=older,
        actor=agent_flow.agent,
        verification_method="customer_confirmation",
        summary="开封后请冷藏并在 24 小时内饮用。",
    )


def test_customer_journey(live_server, browser, zh_catalogue, customer, agent_flow, caplog) -> None:
    from herdesk.tickets.models import Ticket

    _earlier_requests(customer, agent_flow)
    caplog.set_level(logging.INFO, logger="herdesk.sms")
    shots = Shots()
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    base = live_server.url

    # Sign in by phone code (console SMS backend: the code is in the log).
    page.goto(f"{base}/portal/")
    assert "/portal/login/" in page.url
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert CHINESE.search(page.locator(".brand-sub").inner_text())
    shots(page, "login")
    page.fill("input[name=phone]", "138 1234 8000")
    page.click("form[action$='/login/phone/'] button[type=submit]")
    page.wait_for_url("**/login/phone/verify/")
    page.fill("input[name=code]", "000000" if _sms_code(caplog) != "000000" else "111111")
    page.click("form[action$='/verify/'] button[type=submit]")
    assert "4" in page.locator(".invalid-feedback").inner_text()  # attempts left
    page.fill("input[name=code]", _sms_code(caplog))
    shots(page, "code")
    page.click("form[action$='/verify/'] button[type=submit]")
    page.wait_for_url(f"{base}/portal/")
    assert page.locator(".ticket-row").count() == 2  # the organisation's earlier requests

    # Submit a request.
    page.click("main a.btn-primary[href$='/tickets/new/']")
    page.wait_for_url("**/tickets/new/")
    page.click("label.type-card:has(input[value=technical_support])")
    page.select_option("select[name=product]", label="挤奶机 MK-300")
    page.fill("input[name=order_number]", "SO-2026-0042")
    page.fill(
        "textarea[name=description]",
        "挤奶机真空压力偏低，报警代码 ERR-123。\n今天早上 6 点开始，挤奶杯容易脱落。",
    )
    page.set_input_files(
        "input[name=attachments]",
        files=[{"name": "报警屏幕.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + bytes(64)}],
    )
    shots(page, "new-request")
    page.click("form button[type=submit].btn-lg")
    page.wait_for_url("**/submitted/")
    ticket = Ticket.objects.get(channel="portal")
    assert page.locator("#ticket-number").inner_text() == ticket.number
    assert (
        ticket.number in page.locator("#ack").inner_text()
        and "30" in page.locator(".promise").first.inner_text()
    )
    assert ticket.attachments.get().original_name == "报警屏幕.png"
    shots(page, "submitted")

    # It is listed; the agent offers two options; the customer chooses the second.
    page.click(f"a.btn-primary[href$='/tickets/{ticket.number}/']")
    page.wait_for_url(f"**/tickets/{ticket.number}/")
    agent_flow.reply(ticket, "您好，我是技术支持孙志强。已收到报警代码，正在分析，请稍候。")
    agent_flow.offer(ticket)
    page.goto(f"{base}/portal/")
    assert ticket.number in page.locator(".ticket-row").first.inner_text()
    shots(page, "my-requests")
    page.click(".ticket-row")
    page.locator("label.option:has(input[value='2'])").click()
    shots(page, "options")
    page.click("#choose-btn")
    page.wait_for_selector(".alert-success")
    ticket.refresh_from_db()
    assert ticket.solution_stage == "option_chosen" and ticket.options.get(position=2).chosen_at

    # Resolved → the customer disputes once …
    agent_flow.resolve(ticket, summary="已远程指导更换真空泵密封圈，压力恢复到 48 kPa。")
    page.reload()
    assert page.locator("#resolution").count() == 1 and CHINESE.search(page.locator("#status").inner_text())
    page.fill("#dispute-reason", "下午又开始掉压，挤奶杯还是会脱落。")
    shots(page, "resolved")
    page.click("#dispute-btn")
    page.wait_for_selector(".alert-success")
    assert page.locator("#resolution").count() == 0
    ticket.refresh_from_db()
    assert ticket.status == "in_progress" and ticket.reopen_count == 1
    assert "下午又开始掉压" in page.locator("#timeline").inner_text()

    # … and confirms the second resolution.
    agent_flow.resolve(ticket, summary="工程师上门更换真空泵，连续观察 2 小时压力稳定。")
    page.reload()
    page.click("#confirm-btn")
    page.wait_for_selector(".alert-success")
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert page.locator(".steps li.current").count() == 1 and page.locator(".steps li.done").count() == 3
    shots(page, "closed")
    page.locator("#timeline").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 260)")
    shots(page, "timeline")

    # The language switch.
    page.click("button[name=language][value=en]")
    page.wait_for_selector("html[lang=en]")
    assert page.locator("#status").inner_text() == "Closed"
    shots(page, "closed-en")
    context.close()
