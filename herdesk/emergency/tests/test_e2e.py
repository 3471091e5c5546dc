"""Emergencies end to end in Debian's Chromium (Playwright).

1. The incident commander (cs_lead) declares a cold-chain incident at level II in two clicks
   (the plan's "Level II" button on the Emergencies page), assesses the risk, activates the plan
   (checklist and responders appear), links the 200 tickets of the affected batch from a search,
   publishes a statement, notifies the customers of the linked tickets by SMS (200 messages queued,
   each with its delivery status) and the portal and help centre show the banner.
2. A drill is scheduled, run through the same steps (nothing is sent to customers) and recorded
   with its time to declare, time to first notice and findings.

Screenshots (1440×900; the portal at phone size) go to docs/screenshots/ with
    HERDESK_SCREENSHOTS=docs/screenshots pytest -m e2e herdesk/emergency/tests
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from herdesk.emergency.models import Incident
from herdesk.notifications.models import OutboxMessage
from herdesk.workspace.tests.conftest import screenshot_dir  # noqa: F401  (fixture)
from herdesk.workspace.tests.test_e2e import Session as BaseSession
from herdesk.workspace.tests.test_e2e import browser  # noqa: F401  (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.usefixtures("_close_server_connections")]

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
BATCH = "B2026120701"


@pytest.fixture(scope="session")
def _close_server_connections(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """On PostgreSQL, end the idle sessions the live server's threads leave behind (as kb's e2e)."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle'"
                )


class Session(BaseSession):
    """The workspace's browser session (imported, not copied) with the incident page's step."""

    def __init__(self, b: Any, base: str, shots: str, viewport: dict[str, int] = DESKTOP) -> None:
        super().__init__(b, base, shots)
        if viewport != DESKTOP:
            self.page.set_viewport_size(viewport)
        self.page.set_default_timeout(30000)

    def step(self, to: str) -> None:
        self.page.click(f'#transition-form button[data-to="{to}"]')
        self.page.wait_for_selector(f'#incident-status[data-status="{to}"]')

    def shot(self, name: str, full: bool = False) -> None:
        if not full:
            return super().shot(name)
        if self.shots:
            Path(self.shots).mkdir(parents=True, exist_ok=True)
            self.page.wait_for_timeout(300)
            self.page.screenshot(path=str(Path(self.shots) / f"{name}.png"), full_page=True)
        return None


def _affected(n: int) -> None:
    """n complaints about yogurt of one batch in Inner Mongolia, each from its own customer; and a
    few that must not match (another batch, another region)."""
    from herdesk.catalog.models import Product
    from herdesk.customers.services import customer_create
    from herdesk.tickets.services import ticket_create

    yogurt = Product.objects.get(code="yogurt")
    rows = [(i, BATCH, "内蒙古 呼和浩特") for i in range(n)]
    rows += [(n + 1, "B2026110001", "内蒙古 呼和浩特"), (n + 2, BATCH, "河北 石家庄")]
    for i, batch, region in rows:
        c = customer_create(name=f"牧场客户{i:03d}", region=region, phone=f"1390000{i:04d}")
        ticket_create(
            actor=None,
            customer=c,
            channel="phone",
            problem_type="complaint",
            subject="收到的酸奶胀包",
            description=f"批次号 {batch}，冷链车到货时温度偏高",
            product=yogurt,
            region=region,
        )


def test_cold_chain_incident_links_200_tickets_notifies_and_shows_the_banner(
    browser: Any,  # noqa: F811
    live_server: Any,
    staff: Any,
    plans: Any,
    screenshot_dir: str,  # noqa: F811
) -> None:
    _affected(200)
    s = Session(browser, live_server.url, screenshot_dir)
    s.login("cs_lead")
    s.page.click("#nav-emergency")  # click 1: the Emergencies page
    s.page.wait_for_selector('.emg-plan[data-plan="cold-chain"]')
    s.shot("emergency-plans")
    s.page.click('.emg-plan[data-plan="cold-chain"] button[data-level="2"]')  # click 2: declared
    s.page.wait_for_selector('#incident-status[data-status="declared"]')
    incident = Incident.objects.get(is_drill=False)
    assert incident.level == 2 and incident.event_type == "cold_chain"

    s.page.fill(
        "#id_risk_assessment",
        "冷链车 CC-8T 制冷机组故障，批次 B2026120701 到货温度 9℃，涉及内蒙古地区 200 家客户。",
    )
    s.page.click("#assess-card button[type=submit]")
    s.page.wait_for_selector('#incident-status[data-status="assessed"]')
    s.step("activated")
    assert s.page.locator("#checklist form").count() >= 6
    assert "技术支持" in s.page.inner_text("#responders")
    s.step("executing")

    # Link tickets from a search: product, batch, region.
    from herdesk.catalog.models import Product

    s.page.select_option("#scope-form select[name=product]", str(Product.objects.get(code="yogurt").pk))
    s.page.fill("#scope-form input[name=batch]", BATCH)
    s.page.fill("#scope-form input[name=region]", "内蒙古")
    s.page.click("#scope-search")
    s.page.wait_for_selector("#scope-count")
    assert s.page.inner_text("#scope-count") == "200"
    s.shot("emergency-search")
    s.page.click("#link-button")
    s.page.wait_for_selector("#n-links")
    assert s.page.inner_text("#n-links") == "200"
    assert incident.links.count() == 200

    s.page.fill(
        "#id_st-public_statement",
        "因冷链运输故障，内蒙古地区部分酸奶（批次 B2026120701）将延迟配送，"
        "已收到的请勿食用，我们将免费更换。",
    )
    s.page.click("#statement-card button[type=submit]")
    s.page.wait_for_selector(".hd-messages")

    # Notify the customers of the linked tickets by SMS (the approved message).
    s.page.click("#notify-button")
    s.page.wait_for_selector('#incident-status[data-status="informed"]')
    assert s.page.inner_text('#delivery-counts [data-state="pending"] .emg-count') == "200"
    assert (
        OutboxMessage.objects.filter(dedupe_key__startswith=f"emg:{incident.pk}:", channel="sms").count()
        == 200
    )
    s.shot("emergency-incident")
    s.page.locator("#notify-card").scroll_into_view_if_needed()
    s.shot("emergency-notified")
    # A second click queues nothing more (dedupe per incident, customer and channel).
    s.page.click("#notify-button")
    s.page.wait_for_selector(".hd-messages")
    assert OutboxMessage.objects.filter(dedupe_key__startswith=f"emg:{incident.pk}:").count() == 200

    # The portal and the help centre show the banner while the incident is active.
    c = Session(browser, live_server.url, screenshot_dir, viewport=PHONE)
    c.go("/portal/help/")
    c.page.wait_for_selector(f'.emg-banner[data-incident="{incident.number}"]')
    assert "延迟配送" in c.page.inner_text(".emg-banner")
    c.shot("emergency-portal-banner")


def test_a_drill_is_recorded(
    browser: Any,  # noqa: F811
    live_server: Any,
    staff: Any,
    plans: Any,
    screenshot_dir: str,  # noqa: F811
) -> None:
    _affected(5)
    s = Session(browser, live_server.url, screenshot_dir)
    s.login("cs_lead")
    s.go("/emergency/")
    s.page.select_option("#drill-plan", "system-outage")
    s.page.select_option("#drill-form select[name=level]", "3")
    s.page.fill("#drill-form input[name=scheduled_for]", "2099-06-01T09:30")
    s.page.fill("#drill-form input[name=title]", "热线系统故障演练")
    s.page.click("#drill-form button[type=submit]")
    s.page.wait_for_selector('#incident-status[data-status="scheduled"]')
    drill = Incident.objects.get(is_drill=True)
    assert drill.number.startswith("DRL-")
    s.step("declared")
    s.page.fill("#id_risk_assessment", "演练：热线系统中断 30 分钟")
    s.page.click("#assess-card button[type=submit]")
    s.page.wait_for_selector('#incident-status[data-status="assessed"]')
    s.step("activated")
    s.step("executing")
    s.page.fill("#scope-form input[name=batch]", BATCH)
    s.page.click("#scope-search")
    s.page.wait_for_selector("#link-button")
    s.page.click("#link-button")
    s.page.wait_for_selector("#n-links")
    s.page.click("#notify-button")
    s.page.wait_for_selector('#incident-status[data-status="informed"]')
    assert not OutboxMessage.objects.filter(dedupe_key__startswith=f"emg:{drill.pk}:").exists()
    assert s.page.locator('#delivery-counts [data-state="drill"]').count() == 1
    s.page.fill("#id_review_summary", "备用热线 4 分钟内切换完成。")
    s.page.fill("#id_findings", "短信模板需补充恢复时间；值班表缺少夜班技术支持。")
    s.page.click("#review-button")
    s.page.wait_for_selector('#incident-status[data-status="reviewed"]')
    s.step("closed")
    drill.refresh_from_db()
    assert drill.closed_at and drill.first_notice_at and drill.findings.startswith("短信模板")
    assert s.page.inner_text("#time-first-notice") != "—"
    s.shot("emergency-drill")
