"""Complaint end to end in Debian's Chromium (Playwright): a major key-account complaint from receipt
through containment, root cause and CAPA, the account manager's sign-off and the customer's
confirmation to closure; then, with time advanced, the +30-day check finds nothing, a new complaint
about the same batch arrives, and the +90-day check finds the recurrence and reopens the CAPA.

Screenshots (1440×900) go to docs/screenshots/ with
    HERDESK_SCREENSHOTS=docs/screenshots pytest -m e2e herdesk/complaints/tests
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from herdesk.workspace.tests.test_e2e import Session as WorkspaceSession
from herdesk.workspace.tests.test_e2e import browser  # noqa: F401  (the shared browser fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


class Session(WorkspaceSession):
    """The workspace's signed-in browser session, plus submitting a form and full-page shots."""

    def submit(self, form: str) -> None:
        self.page.click(f"{form} button[type=submit]")
        self.page.wait_for_load_state("load")

    def shot(self, name: str, full: bool = True) -> None:
        if self.shots:
            Path(self.shots).mkdir(parents=True, exist_ok=True)
            self.page.wait_for_timeout(300)
            self.page.screenshot(path=str(Path(self.shots) / f"{name}.png"), full_page=full)


def test_major_complaint_closed_loop_with_recurrence(
    browser: Any,  # noqa: F811
    live_server: Any,
    staff: dict[str, Any],
    customer: Any,
    other_customer: Any,
    screenshot_dir: str,
) -> None:
    from herdesk.catalog.models import Product
    from herdesk.complaints import services as cs
    from herdesk.complaints.models import Capa, Complaint
    from herdesk.customers.models import Organisation
    from herdesk.tickets import services as ts

    Organisation.objects.filter(pk=customer.organisation_id).update(account_manager=staff["am1"])
    product = Product.objects.order_by("pk").first()
    t = ts.ticket_create(
        actor=staff["agent1"], customer=customer, channel="phone", problem_type="complaint",
        subject="酸奶胀包，整箱有异味", product=product,
        description="11 月 2 日生产的批次 B2611 多盒胀包，客户要求退换并说明原因",
    )  # fmt: skip
    c = Complaint.objects.get(ticket=t)  # created after the ticket's commit (live server: real commits)
    assert c.is_key_account and c.account_manager == staff["am1"]

    qa = Session(browser, live_server.url, screenshot_dir)
    qa.login("qa1")
    qa.go("/complaints/")
    qa.page.wait_for_selector(f"#complaint-list >> text={t.number}")
    qa.shot("complaints-list", full=False)
    qa.page.click(f"#complaint-list >> text={t.number}")
    qa.page.wait_for_selector("#complaint-stage")

    # assessment: major, the batch and its production date
    qa.page.select_option("#form-assess select[name=impact]", "high")
    qa.page.select_option("#form-assess select[name=urgency]", "high")
    qa.page.select_option("#form-assess select[name=severity]", "major")
    qa.page.select_option("#form-assess select[name=lot0_product]", str(product.pk))
    qa.page.fill("#form-assess input[name=lot0_batch]", "B2611")
    qa.page.fill("#form-assess input[name=lot0_date]", "2026-11-02")
    qa.submit("#form-assess")
    assert "B2611" in qa.page.inner_text("#complaint-lots")
    # a major complaint needs a designated owner
    qa.page.select_option("#form-assign select[name=owner]", str(staff["qa1"].pk))
    qa.submit("#form-assign")
    # containment before the analysis
    qa.page.fill("#form-contain textarea[name=text]", "立即停售批次 B2611，召回在途产品")
    qa.submit("#form-contain")
    assert "停售" in qa.page.inner_text("#complaint-summary")
    # root cause: 料 / 包装破损, three whys, systemic
    qa.page.select_option("#form-rca select[name=category]", label="料 / 包装破损")
    qa.page.fill("#form-rca input[name=why1]", "为什么胀包？包装密封不良，微生物进入")
    qa.page.fill("#form-rca input[name=why2]", "为什么密封不良？封口温度偏低")
    qa.page.fill("#form-rca input[name=why3]", "为什么温度偏低？封口机温控未纳入点检")
    qa.page.check("#form-rca input[name=systemic]")
    qa.submit("#form-rca")
    # CAPA: corrective, owner tech1, 10 working days; started and completed with evidence
    qa.page.select_option("#form-capa select[name=owner]", str(staff["tech1"].pk))
    qa.page.fill("#form-capa textarea[name=description]", "封口机温控纳入每班点检，更换温控模块")
    qa.page.fill("#form-capa input[name=expected_effect]", "同批次类问题不再发生")
    qa.submit("#form-capa")
    capa = Capa.objects.get(complaint=c)
    qa.submit(f"#capa-{capa.pk}-start")
    qa.page.fill(
        f"#capa-{capa.pk}-complete input[name=evidence]", "点检表已更新，温控模块已更换（工单 M-1123）"
    )
    qa.submit(f"#capa-{capa.pk}-complete")
    assert "+30" in qa.page.inner_text(f"#capa-{capa.pk}")
    # solution and communication
    qa.page.fill("#form-solve textarea[name=solution]", "整批退换，补偿一箱新品")
    qa.page.fill("#form-solve textarea[name=communication]", "11 月 24 日电话告知客户张三，客户同意")
    qa.submit("#form-solve")
    qa.shot("complaint-solution-awaiting-sign-off")

    # the account manager signs off the key account's solution (CMP-4)
    am = Session(browser, live_server.url, screenshot_dir)
    am.login("am1")
    am.go(f"/complaints/{t.number}/")
    am.page.wait_for_selector("#form-sign_off")
    am.shot("complaint-am-sign-off", full=False)
    am.submit("#form-sign_off")
    assert "陈经理" in am.page.inner_text("#complaint-signoff")

    # execution, verification, the customer's confirmation, closure
    qa.go(f"/complaints/{t.number}/")
    qa.page.fill("#form-execute textarea[name=text]", "退换货已完成")
    qa.submit("#form-execute")
    qa.page.fill("#form-verify textarea[name=text]", "抽检同批库存，已全部下架")
    qa.submit("#form-verify")
    qa.page.fill("#form-confirm textarea[name=text]", "客户电话确认满意")
    qa.submit("#form-confirm")
    qa.submit("#form-close")
    assert qa.page.inner_text("#complaint-stage").strip() == "已关闭"
    qa.shot("complaint-closed")

    # +31 days: the first effectiveness check finds no recurrence
    start = timezone.now()
    with time_machine.travel(start + dt.timedelta(days=31), tick=False):
        cs.complaints_sweep()
    # +40 days: a new complaint about the same batch, from another customer
    with time_machine.travel(start + dt.timedelta(days=40), tick=False):
        t2 = ts.ticket_create(
            actor=staff["agent1"], customer=other_customer, channel="phone", problem_type="complaint",
            subject="酸奶胀包", product=product,
        )  # fmt: skip
        c2 = cs.complaint_ensure(ticket=t2)
        assert c2 is not None
        cs.complaint_transition(
            complaint=c2, action="assess", actor=staff["qa1"], impact="medium", urgency="medium",
            severity="general", lots=[{"batch": "B2611"}],
        )  # fmt: skip
    # +91 days: the second check finds it and reopens the CAPA
    with time_machine.travel(start + dt.timedelta(days=91), tick=False):
        counts = cs.complaints_sweep()
    assert counts["checks"] == 1
    capa.refresh_from_db()
    assert capa.status == "reopened" and capa.reopen_count == 1
    qa.go(f"/complaints/{t.number}/")
    text = qa.page.inner_text(f"#capa-{capa.pk}")
    assert t2.number in text and "复发" in text
    qa.page.locator(f"#capa-{capa.pk}").scroll_into_view_if_needed()
    qa.shot("complaint-capa-reopened")
    qa.go("/complaints/?view=board")
    qa.page.wait_for_selector("#complaint-board")
    qa.shot("complaints-board", full=False)
    # the monthly analysis of November: one complaint, 料 / 包装破损, batch B2611
    qa.go("/complaints/analysis/?month=2026-11")
    assert qa.page.inner_text("#an-complaints").strip() == "1"
    assert "B2611" in qa.page.inner_text("#an-batch")
    qa.shot("complaints-analysis", full=False)
    # the 8D report is a PDF with the Chinese font embedded
    pdf = qa.page.request.get(f"{live_server.url}/complaints/{t.number}/8d.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")


def test_ticket_page_and_complaint_page_link_each_other(
    browser: Any,  # noqa: F811
    live_server: Any,
    make_complaint: Any,
    screenshot_dir: str,
) -> None:
    c = make_complaint()
    qa = Session(browser, live_server.url, screenshot_dir)
    qa.login("qa1")
    qa.go(f"/tickets/{c.ticket.number}/")
    qa.page.locator("#ticket-complaint-link").wait_for()
    qa.shot("ticket-complaint-link", full=False)
    qa.page.click("#ticket-complaint-link")
    qa.page.wait_for_url(f"**/complaints/{c.ticket.number}/")
    qa.page.click("#complaint-ticket-link")
    qa.page.wait_for_url(f"**/tickets/{c.ticket.number}/")
