"""End to end in Debian's Chromium (Playwright), issue #19: an engineer on a phone-sized viewport
completes a repair work order with parts and the customer's signature, and the ticket becomes
finalisable (CLS-3); the dispatcher's booking of that engineer at another farm is refused while the
first farm is under a disease alert (FLD-4), and the board shows it.

    HERDESK_SCREENSHOTS=docs/screenshots pytest -m e2e herdesk/field/tests/test_e2e_field.py
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from herdesk.workspace.tests.conftest import screenshot_dir  # noqa: F401  (fixture)
from herdesk.workspace.tests.test_e2e import Session, browser  # noqa: F401  (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}


class PhoneSession(Session):
    def __init__(self, browser: Any, base: str, shots: str) -> None:  # noqa: F811
        self.context = browser.new_context(
            viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", is_mobile=True, has_touch=True
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(20000)
        self.base = base
        self.shots = shots

    def shot_offline(self, name: str) -> None:
        """A screenshot while offline: the sidebar's counts cannot arrive, so no waiting for them."""
        if self.shots:
            Path(self.shots).mkdir(parents=True, exist_ok=True)
            self.page.wait_for_timeout(300)
            self.page.screenshot(path=str(Path(self.shots) / f"{name}.png"))

    def settled(self) -> None:
        """The page's own requests (the sidebar's counts) are done: going offline now loses none."""
        self.page.locator(".hd-count-pending").first.wait_for(state="detached")


def test_engineer_completes_a_repair_on_the_phone(
    browser,  # noqa: F811
    live_server,
    staff,
    ticket,
    equipment,
    van,
    screenshot_dir,  # noqa: F811
) -> None:
    from herdesk.customers.services import customer_create, organisation_create
    from herdesk.field import services as fs
    from herdesk.field.models import Stock, WorkOrder
    from herdesk.tickets import services as ts

    lead, f1 = staff["cs_lead"], staff["field1"]
    store, part = van
    fs.ticket_equipment_link(actor=lead, ticket=ticket, equipment=equipment)
    wo = fs.work_order_create(
        actor=lead,
        kind="repair",
        ticket=ticket,
        content="挤奶机脉动异常，上门检修",
        checklist=["检查真空度", "更换奶杯内衬", "试机"],
    )
    start = timezone.now() - dt.timedelta(minutes=30)
    fs.work_order_schedule(
        actor=lead, work_order=wo, engineers=[f1], start=start, end=start + dt.timedelta(hours=2)
    )
    shots = screenshot_dir

    eng = PhoneSession(browser, live_server.url, shots)
    eng.login("field1")
    eng.go("/field/my/")
    eng.page.locator(f"#order-{wo.number}").wait_for()
    eng.shot("field-01-engineer-day-phone")
    eng.page.click(f"#order-{wo.number}")
    # No network in the barn: the arrival is kept on the phone and sent when the network returns.
    eng.settled()
    eng.context.set_offline(True)
    eng.page.locator("#arrive").click()
    eng.page.locator("#fld-queue-status").wait_for(state="visible")
    eng.shot_offline("field-02a-offline-queued-phone")
    assert WorkOrder.objects.get(pk=wo.pk).status == "scheduled"
    eng.context.set_offline(False)
    eng.page.locator("#add-part").wait_for(timeout=60000)  # resent, applied once, page reloaded
    assert WorkOrder.objects.get(pk=wo.pk).status == "in_progress"
    eng.page.select_option("#id_p-part", str(part.pk))
    eng.page.select_option("#id_p-store", str(store.pk))
    eng.page.fill("#id_p-quantity", "2")
    eng.page.click("#add-part")
    eng.page.locator("#parts li:has-text('奶杯内衬')").wait_for()
    eng.page.click("label[for=check-0]")
    eng.page.click("label[for=check-1]")
    eng.page.fill("#id_d-findings", "脉动器膜片破损、奶杯内衬老化，已更换，试机正常")
    eng.page.fill("#id_d-meter_hours", "1250")
    eng.page.fill("#id_d-signed_by", "张三")
    eng.page.fill("#id_d-confirmation", "设备运行正常")
    pad = eng.page.locator("#signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    eng.page.mouse.move(box["x"] + 20, box["y"] + 60)
    eng.page.mouse.down()
    for i in range(1, 12):
        eng.page.mouse.move(box["x"] + 20 + i * 25, box["y"] + 60 + (30 if i % 2 else -20))
    eng.page.mouse.up()
    eng.shot("field-02-signature-phone")
    eng.page.click("#complete", timeout=90000)  # the PDF is rendered in this request
    eng.page.locator("#completed").wait_for(timeout=90000)
    eng.shot("field-03-completed-phone")

    wo.refresh_from_db()
    assert wo.status == "completed" and wo.signature and wo.report
    assert Stock.objects.get(store=store, part=part).quantity == 3
    assert ts.record_completeness(ticket=ticket) == []
    ts.ticket_resolve(ticket=ticket, actor=f1, verification_method="onsite_check", summary="已修复")
    ts.ticket_close(ticket=ticket, actor=f1, reason="customer_confirmed")  # the signed sign-off
    ts.record_finalize(ticket=ticket, actor=f1)
    ticket.refresh_from_db()
    assert ticket.record_finalized_at is not None

    # The dispatcher: field1 was at a farm now under a disease alert; another farm within 48 h is refused.
    fs.disease_alert_declare(
        actor=lead,
        farm=ticket.customer.organisation,
        disease="口蹄疫",
        started_at=timezone.now() - dt.timedelta(days=1),
    )
    other = customer_create(
        name="王五", organisation=organisation_create(name="青山牧场"), phone="13700002222"
    )
    nxt = fs.work_order_create(actor=lead, kind="inspection", customer=other, content="年度巡检")
    desk = Session(browser, live_server.url, shots)
    desk.login("cs_lead")
    desk.go(f"/field/orders/{nxt.number}/")
    desk.page.select_option("#id_s-engineers", [str(f1.pk)])
    when = timezone.localtime(timezone.now() + dt.timedelta(hours=20))
    desk.page.fill("#id_s-start", when.strftime("%Y-%m-%dT%H:%M"))
    desk.page.click("#schedule-form button[type=submit]")
    desk.page.locator("#schedule-form .alert:has-text('口蹄疫')").wait_for()
    desk.shot("field-04-quarantine-refused")
    assert WorkOrder.objects.get(pk=nxt.pk).status == "new"
    desk.go("/field/board/")
    desk.page.locator("#board").wait_for()
    desk.shot("field-05-schedule-board")
    desk.go(f"/field/equipment/{equipment.pk}/")
    desk.page.locator("#service-history").wait_for()
    desk.shot("field-06-equipment-history")
    # The equipment edit page (FLD-1): from the equipment page's link, change the barn and status.
    desk.page.click("#equipment-edit")
    desk.page.locator("#equipment-edit-form").wait_for()
    desk.page.fill("#id_barn", "3 号牛舍")
    desk.page.select_option("#id_status", "under_repair")
    desk.shot("field-09-equipment-edit")
    desk.page.click("#equipment-edit-form button[type=submit]")
    desk.page.locator("#service-history").wait_for()
    equipment.refresh_from_db()
    assert (equipment.barn, equipment.status) == ("3 号牛舍", "under_repair")


def test_service_worker_keeps_the_shell_and_replays_the_queue(
    browser,  # noqa: F811
    live_server,
    staff,
    ticket,
    screenshot_dir,  # noqa: F811
) -> None:
    """FLD-2: the phone pages' service worker caches the page shell; with the browser context
    offline the page still opens and an arrival is queued on the phone with its idempotency key;
    back online the worker sends it, the server applies it once, and the page shows the new state."""
    from herdesk.field import services as fs
    from herdesk.field.models import Submission, WorkOrder

    lead, f1 = staff["cs_lead"], staff["field1"]
    wo = fs.work_order_create(actor=lead, kind="repair", ticket=ticket, content="真空泵异响")
    start = timezone.now() - dt.timedelta(minutes=10)
    fs.work_order_schedule(
        actor=lead, work_order=wo, engineers=[f1], start=start, end=start + dt.timedelta(hours=2)
    )

    eng = PhoneSession(browser, live_server.url, screenshot_dir)
    eng.login("field1")
    eng.go("/field/my/")
    eng.page.locator("html[data-field-sw=ready]").wait_for(state="attached")
    eng.go(f"/field/my/{wo.number}/")  # controlled now: the worker keeps this page
    eng.page.locator("html[data-field-sw=ready]").wait_for(state="attached")
    cached = eng.page.evaluate(
        "n => caches.open('herdesk-field-shell-v1').then(c => c.keys())"
        ".then(ks => ks.map(r => new URL(r.url).pathname))",
        wo.number,
    )
    assert "/field/my/" in cached and f"/field/my/{wo.number}/" in cached
    assert any(p.endswith("/field/field.js") for p in cached)

    eng.settled()
    eng.context.set_offline(True)
    eng.page.reload()  # no network: the shell comes from the worker's cache
    eng.page.locator("#arrive").wait_for()
    key = eng.page.locator("form.fld-queued input[name=idempotency_key]").first.input_value()
    assert len(key) >= 32
    eng.page.locator("#arrive").click()
    eng.page.locator("#fld-queue-status").wait_for(state="visible")
    queued = eng.page.evaluate("() => HerdeskFieldQueue.all().then(items => items.map(i => String(i.body)))")
    assert len(queued) == 1 and f"idempotency_key={key}" in queued[0]
    eng.shot_offline("field-07-offline-queued-service-worker")
    assert WorkOrder.objects.get(pk=wo.pk).status == "scheduled"

    eng.context.set_offline(False)
    eng.page.locator("#add-part").wait_for(timeout=60000)  # sent by the worker, page reloaded
    eng.shot("field-08-replayed-online")
    assert WorkOrder.objects.get(pk=wo.pk).status == "in_progress"
    assert list(Submission.objects.filter(work_order=wo).values_list("key", "action")) == [(key, "arrive")]
    assert eng.page.evaluate("() => HerdeskFieldQueue.count()") == 0


def test_a_plan_generates_the_next_orders_and_a_second_run_none(
    browser,  # noqa: F811
    live_server,
    staff,
    equipment,
    screenshot_dir,  # noqa: F811
) -> None:
    """FLD-3 through the pages: the dispatcher keeps a monthly plan for every piece of a model; the
    generator creates the orders due within the lead time, and running it again creates nothing."""
    from herdesk.field.models import MaintenancePlan, WorkOrder

    lead = Session(browser, live_server.url, screenshot_dir)
    lead.login("cs_lead")
    lead.go("/field/plans/")
    lead.page.fill("#id_name", "X9 月度保养")
    lead.page.fill("#id_product_code", "milker-x9")
    lead.page.select_option("#id_interval_kind", "calendar")
    lead.page.fill("#id_interval", "1")
    lead.page.select_option("#id_frequency", "MONTHLY")
    lead.page.fill("#id_lead_days", "31")
    lead.page.fill("#id_checklist", "检查真空泵\n更换滤芯")
    lead.page.click("#plan-form button[type=submit]")
    lead.page.locator("#plans-table td:has-text('X9 月度保养')").wait_for()
    plan = MaintenancePlan.objects.get(name="X9 月度保养")
    assert not WorkOrder.objects.filter(plan=plan).exists()

    lead.page.click("#run-generator")
    lead.page.locator(".hd-messages").wait_for()
    made = WorkOrder.objects.filter(plan=plan, equipment=equipment).count()
    assert made >= 1, lead.page.inner_text(".hd-messages")
    assert str(made) in lead.page.inner_text(".hd-messages")
    lead.shot("field-09-maintenance-generated")

    lead.page.click("#run-generator")  # the same moment again: idempotent
    lead.page.locator(".hd-messages").wait_for()
    assert WorkOrder.objects.filter(plan=plan).count() == made
    assert "0" in lead.page.inner_text(".hd-messages")
