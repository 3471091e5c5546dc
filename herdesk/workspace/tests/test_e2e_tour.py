"""A day at the desk, page by page (issue 13): every role's key pages in Debian's Chromium, in
Chinese (and a few in English), as full-page screenshots into $HERDESK_SCREENSHOTS (docs/screenshots
with `make screenshots`), named tour-<role>-<page>.png.

Whether or not screenshots are taken, each Chinese page is checked for what a reader should never
see: raw choice keys (snake_case codes such as key_account), regulation clause numbers, a server
error, and each role's navigation offering its pages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from herdesk.chat.tests.test_realsocket import server_url  # noqa: F401 - fixture
from herdesk.workspace.tests.test_e2e import Session, browser  # noqa: F401 - fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RAW_KEY = re.compile(r"\b[a-z]+_[a-z_]+\b")
CLAUSE = re.compile(r"S[123] ?§|\((?:HND|INT|CLS|SEC)-\d\)")


class Tour(Session):
    def visit(self, role: str, name: str, path: str, *, chinese: bool = True) -> str:
        response = self.go(path)
        assert response is not None and response.status < 500, (path, response and response.status)
        self.page.wait_for_load_state("networkidle")
        text = self.page.inner_text("body")
        if chinese:
            leftovers = [k for k in RAW_KEY.findall(text) if k not in ALLOWED]
            assert not leftovers, (path, leftovers[:5])
            assert not CLAUSE.search(text), (path, CLAUSE.search(text))
        if self.shots:
            Path(self.shots).mkdir(parents=True, exist_ok=True)
            self.page.wait_for_timeout(300)
            self.page.screenshot(path=str(Path(self.shots) / f"tour-{role}-{name}.png"), full_page=True)
        return text

    def english(self) -> None:
        self.context.add_cookies([{"name": "django_language", "value": "en", "url": self.base}])


ALLOWED: set[str] = set()  # snake_case words a Chinese page may legitimately show (none so far)


def _data(staff: dict[str, Any]) -> dict[str, Any]:
    """The demo company (a small slice), one ticket per state the pages show."""
    from herdesk.demo.services import demo_load
    from herdesk.tickets.models import Ticket

    demo_load(customers=25, tickets=120)
    mine = Ticket.objects.filter(assignee=staff["agent1"]).order_by("-id").first()
    tech = Ticket.objects.filter(
        team__code="tech-support", status__in=["in_progress", "acknowledged"]
    ).first()
    any_ticket = mine or tech or Ticket.objects.order_by("-id").first()
    assert any_ticket is not None
    return {"mine": mine or any_ticket, "tech": tech or any_ticket, "customer": any_ticket.customer}


@pytest.mark.django_db(transaction=True)
def test_tour_of_every_role(browser, server_url, staff, screenshot_dir) -> None:  # noqa: F811
    # uvicorn (ASGI): the chat console and the screen pop connect their sockets as in production.
    d = _data(staff)
    base, shots = f"http://{server_url}", screenshot_dir
    cust = d["customer"].pk

    agent = Tour(browser, base, shots)
    agent.login("agent1")
    text = agent.visit("agent", "queue", "/queues/mine/")
    for label in ("在线客服工作台", "满意度回访", "客户", "接入渠道"):
        assert label in text, label
    agent.visit("agent", "intake", "/intake/")
    agent.visit("agent", "ticket", f"/tickets/{d['mine'].number}/")
    agent.visit("agent", "customer", f"/customers/{cust}/")
    agent.visit("agent", "customers", "/customers/?q=牧场")
    agent.visit("agent", "follow-up", "/follow-up/")
    agent.visit("agent", "chat-console", "/chat/console/")
    agent.visit("agent", "channels", "/channels/")
    agent.visit("agent", "403", "/supervisor/")
    agent.visit("agent", "404", "/tickets/FW-00000000-0000/")

    tech = Tour(browser, base, shots)
    tech.login("tech1")
    tech.visit("tech", "team-queue", "/queues/team/")
    tech.visit("tech", "ticket", f"/tickets/{d['tech'].number}/")
    # The assignee list follows the chosen team.
    tech.open_panel("transfer")
    tech.page.select_option("#id_transfer-team", label="售后服务")
    shown = tech.page.eval_on_selector_all(
        "#id_transfer-assignee option", "os => os.filter(o => !o.hidden && o.value).map(o => o.text)"
    )
    assert shown and all(t.endswith(" · 售后服务") for t in shown), shown

    lead = Tour(browser, base, shots)
    lead.login("cs_lead")
    text = lead.visit("supervisor", "board", "/supervisor/")
    assert "监督" in text or "超时" in text
    lead.visit("supervisor", "compliance", "/supervisor/compliance/")
    lead.visit("supervisor", "all-open", "/queues/all/")
    lead.visit("supervisor", "customer", f"/customers/{cust}/")

    am = Tour(browser, base, shots)
    am.login("am1")
    am.visit("account-manager", "queue", "/queues/mine/")

    qa = Tour(browser, base, shots)
    qa.login("qa1")
    qa.visit("qa", "all-open", "/queues/all/")
    qa.visit("qa", "ticket", f"/tickets/{d['tech'].number}/")

    # A few in English: the same pages speak English throughout.
    en = Tour(browser, base, shots)
    en.english()
    en.login("agent1")
    text = en.visit("agent-en", "ticket", f"/tickets/{d['mine'].number}/", chinese=False)
    assert "Service clocks" in text
    en.visit("agent-en", "queue", "/queues/mine/", chinese=False)
    en_lead = Tour(browser, base, shots)
    en_lead.english()
    en_lead.login("cs_lead")
    en_lead.visit("supervisor-en", "board", "/supervisor/", chinese=False)
