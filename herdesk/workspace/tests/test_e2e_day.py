"""Issue 13's loop in Debian's Chromium: a full day's case, across the portal and the workspace.

A customer submits a complaint in the portal → it lands in the first-line team's 未指派 queue,
where agent1 (not a supervisor) opens it, sets the complaint severity to 重大 at triage (the 5-working-
day clock replaces the 3-day one) and takes it → agent1 resolves it without offering options (the
resolution is the first response: no clock keeps counting, and the portal no longer promises a
response) → the customer confirms, agent1 finalises the record → the customer writes again on the
finalised ticket: a new ticket, linked to the old one, which stays closed → agent1 calls the customer
back on the new ticket: the number is masked until revealed with a reason (audited).

Screenshots (1440×900): day-*.png in $HERDESK_SCREENSHOTS when set.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from herdesk.portal.tests.test_e2e import _sms_code

from .test_e2e import Session, browser  # noqa: F401 - fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _portal_sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/portal/")
    page.fill("input[name=phone]", "138 1234 8000")
    page.click("form[action$='/login/phone/'] button[type=submit]")
    page.wait_for_url("**/login/phone/verify/")
    page.fill("input[name=code]", _sms_code(None))
    page.click("form[action$='/verify/'] button[type=submit]")
    page.wait_for_url(f"{base}/portal/")


def test_a_day_at_the_desk(browser, live_server, staff, customer, screenshot_dir) -> None:  # noqa: F811
    from herdesk.audit.models import AuditEntry
    from herdesk.catalog.models import Product
    from herdesk.staff.models import Team
    from herdesk.tickets.models import Ticket

    base = live_server.url
    yogurt = Product.objects.get(code="yogurt")

    # ---- the customer files a complaint in the portal
    cust_ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    portal = cust_ctx.new_page()
    portal.set_default_timeout(20000)
    _portal_sign_in(portal, base)
    portal.goto(f"{base}/portal/tickets/new/")
    portal.click("label.type-card:has(input[value=complaint])")
    portal.select_option("select[name=product]", str(yogurt.pk))
    complaint = "昨天送到的一箱酸奶有明显异味，同一批次的还有二十箱，要求退换。"
    portal.fill("textarea[name=description]", complaint)
    portal.click("form button[type=submit].btn-lg")
    portal.wait_for_url("**/submitted/")
    ticket = Ticket.objects.get(channel="portal")
    assert ticket.team == Team.objects.get(code="customer-service") and ticket.assignee_id is None

    # ---- agent1 finds it in the first-line team's unassigned queue (not only the supervisor)
    agent = Session(browser, base, screenshot_dir)
    agent.login("agent1")
    agent.go("/queues/unassigned/")
    row = agent.page.locator(f"a:has-text('{ticket.number}')").first
    row.wait_for()
    agent.shot("day-01-unassigned-queue")
    row.click()
    agent.page.wait_for_url(re.compile(rf"/tickets/{ticket.number}/"))

    # Triage as a major complaint: the complaint clock becomes 5 working days, from receipt.
    agent.page.select_option("#id_triage-problem_type", "complaint")
    agent.page.select_option("#id_triage-complaint_severity", "major")
    agent.page.select_option("#id_triage-complexity", "general")
    agent.page.select_option("#id_triage-priority", "high")
    # The complaint stays with the first line (routing would suggest another team).
    cs = Team.objects.get(code="customer-service")
    agent.page.select_option("#id_triage-team", str(cs.pk))
    agent.page.click("#btn-triage")
    agent.page.wait_for_selector(".hd-messages")
    ticket.refresh_from_db()
    assert ticket.complaint_severity == "major"
    solution = ticket.clocks.exclude(state="cancelled").get(kind="complaint_solution")
    assert solution.target == "5wd" and solution.started_at == ticket.received_at

    agent.page.click("#btn-take")
    agent.page.wait_for_selector("#btn-acknowledge")
    ticket.refresh_from_db()
    assert ticket.assignee == staff["agent1"]
    agent.page.click("#btn-acknowledge")
    agent.page.wait_for_selector(".hd-messages")
    agent.shot("day-02-major-complaint")

    # ---- resolved without options: nothing keeps counting, the portal promises nothing more
    agent.open_panel("resolve")
    agent.page.select_option("#id_resolve-verification_method", "customer_confirmation")
    agent.page.fill("#id_resolve-summary", "已为您办理同批次酸奶退换，新货今天下午送达；异味批次已下架送检。")
    agent.page.click("#btn-resolve")
    agent.page.wait_for_selector(".hd-messages")
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    still = ticket.clocks.filter(state="running").values_list("kind", flat=True)
    assert not {"first_response", "solution", "complaint_solution", "acknowledge"} & set(still), list(still)

    portal.goto(f"{base}/portal/tickets/{ticket.number}/")
    portal.locator("#confirm-btn").wait_for()
    assert "我们将在此时间前响应" not in portal.inner_text("main")
    portal.click("#confirm-btn")
    portal.wait_for_selector(".alert-success")
    ticket.refresh_from_db()
    assert ticket.status == "closed"

    # ---- agent1 finalises the record
    agent.go(f"/tickets/{ticket.number}/")
    agent.page.click("#btn-finalize")
    agent.page.wait_for_selector(".hd-messages")
    ticket.refresh_from_db()
    assert ticket.record_finalized_at is not None, agent.page.inner_text(".hd-messages")

    # ---- the customer writes again on the finalised ticket: a new, linked ticket
    portal.goto(f"{base}/portal/tickets/{ticket.number}/")
    portal.fill("textarea[name=body]", "请问退换的那箱酸奶，发票怎么开？")
    portal.click("form[action$='/reply/'] button[type=submit]")
    portal.wait_for_load_state()
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.reopen_count == 0
    follow_on = Ticket.objects.get(previous_ticket=ticket)
    assert follow_on.status == "new" and follow_on.team == Team.objects.get(code="customer-service")
    cust_ctx.close()

    # ---- agent1 calls the customer back: masked, then revealed with a reason (audited)
    contact = customer.contacts.get()
    agent.go(f"/tickets/{follow_on.number}/")
    phone = agent.page.locator(f"#phone-{contact.pk}")
    assert "13812348000" not in phone.inner_text() and "****" in phone.inner_text()
    assert ticket.number in agent.page.inner_text("main")  # the link to the earlier ticket
    phone.locator("summary").click()
    agent.page.fill(f"#phone-{contact.pk} input[name=reason]", "回电确认发票抬头")
    agent.page.click(f"#btn-reveal-{contact.pk}")
    agent.page.locator(f"#phone-{contact.pk}:has-text('13812348000')").wait_for()
    agent.shot("day-03-call-back-revealed")
    entry = AuditEntry.objects.get(action="pii.reveal")
    assert entry.data["reason"] == "回电确认发票抬头" and entry.actor_id == staff["agent1"].pk
