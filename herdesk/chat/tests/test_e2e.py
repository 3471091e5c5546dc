"""The widget and the agent console in Debian's Chromium, against uvicorn serving config.asgi on a
free port: a visitor opens the chat from the one-tag embed, an agent accepts it in the console,
they talk, the visitor reloads the page (the conversation resumes with its history), the agent
creates a ticket and ends the chat.

Screenshots go to $HERDESK_SCREENSHOTS/chat-*.png when that variable names a directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from herdesk.chat.tests.test_realsocket import server_url  # noqa: F401 - fixture

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
        page.screenshot(path=str(Path(target) / f"chat-{name}.png"))


def test_visitor_and_agent_chat_in_the_browser(server_url, browser, staff):  # noqa: F811
    from django.test import Client

    from herdesk.chat.models import Conversation

    agent = staff["agent1"]
    c = Client()
    c.force_login(agent)
    session = c.cookies["sessionid"].value
    base = f"http://{server_url}"

    visitor = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = visitor.new_page()
    page.goto(f"{base}/chat/widget-demo/")
    root = page.locator("[data-herdesk-chat-root]")
    root.locator(".launch").click()
    root.locator(".name").fill("李奶农")
    root.locator(".phone").fill("13600001111")
    root.locator(".start .send").click()
    root.locator(".compose textarea").fill("挤奶机真空压力不够")
    root.locator(".compose .send").click()
    root.locator(".m.customer:not(.pending)").first.wait_for()
    _shot(page, "widget-waiting")

    staff_ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    staff_ctx.add_cookies([{"name": "sessionid", "value": session, "url": base}])
    console = staff_ctx.new_page()
    if os.environ.get("CHAT_E2E_DEBUG"):  # print every frame of both pages

        def watch(ws: Any, who: str) -> None:
            ws.on("framereceived", lambda f: print(who, "<", f))
            ws.on("framesent", lambda f: print(who, ">", f))

        console.on("websocket", lambda ws: watch(ws, "console"))
        page.on("websocket", lambda ws: watch(ws, "widget"))
    console.goto(f"{base}/chat/console/")
    console.locator("#queue-waiting button").first.click()
    console.locator("#pane-messages .chat-customer", has_text="挤奶机真空压力不够").wait_for()
    console.locator("#ctx-fields", has_text="李奶农").wait_for()
    console.locator("#pane-input").fill("请检查真空泵油位")
    console.locator("#pane-form button[type=submit]").click()
    root.locator(".m.agent", has_text="请检查真空泵油位").wait_for()
    _shot(console, "console")

    # The visitor reloads: the token in localStorage resumes the conversation with its history.
    page.reload()
    root = page.locator("[data-herdesk-chat-root]")
    root.locator(".launch").click()
    root.locator(".m.agent", has_text="请检查真空泵油位").wait_for()
    root.locator(".compose textarea").fill("油位正常")
    root.locator(".compose .send").click()
    console.locator("#pane-messages .chat-customer", has_text="油位正常").wait_for()

    console.locator("#form-convert button[type=submit]").click()
    console.locator("#ctx-ticket-number", has_text="FW-").wait_for()
    console.locator("#btn-close").click()
    root.locator(".note", has_text="FW-").wait_for()
    # QA-2: the agent ended the chat, so the widget offers the 1–5 rating.
    root.locator(".rate.on button[data-score='4']").wait_for()
    _shot(page, "widget-closed")
    root.locator(".rate button[data-score='4']").click()
    root.locator(".rate .rtext", has_text="感谢").wait_for()
    _shot(page, "widget-rated")

    conv = Conversation.objects.get()
    assert conv.status == "closed" and conv.ticket is not None
    assert conv.messages.count() == 3
    assert conv.ticket.interactions.filter(data__transcript=True).count() == 1
    assert conv.rating == 4 and conv.ticket.interactions.filter(data__chat_rating=4).count() == 1
