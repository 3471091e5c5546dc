"""Drafting a scorecard in Debian's Chromium (Playwright), QA-3: qa1 creates a scorecard, adds a
section and criteria (one refused, the message in the page's language), edits a criterion's weight
so the total is 100, and publishes it.

Screenshots (1440×900) go to docs/screenshots/ with
    HERDESK_SCREENSHOTS=docs/screenshots pytest -m e2e herdesk/quality/tests/test_e2e_drafting.py
"""

from __future__ import annotations

import re

import pytest

from herdesk.training.tests.test_e2e import _close_server_connections  # noqa: F401 - fixture
from herdesk.workspace.tests.test_e2e import Session, browser  # noqa: F401 - the Chromium fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.usefixtures("_close_server_connections")]


def _criterion(
    s: Session, code: str, name: str, weight: int, training: str = "", red_line: bool = False
) -> None:
    s.page.fill("#id_code", code)
    s.page.fill("#id_name", name)
    s.page.fill("#id_weight", str(weight))
    s.page.select_option("#id_scale", "0-4" if not red_line else "0-1")
    if training:
        s.page.select_option("#id_training", training)
    if red_line:
        s.page.check("#id_red_line")


def test_new_scorecard_sections_criteria_publish(
    browser,  # noqa: F811 - the imported fixture
    live_server,
    qa,
    screenshot_dir,
) -> None:
    from herdesk.quality.models import Scorecard, ScoreCriterion
    from herdesk.training import services as tr

    tr.module_create(actor=qa["cs_lead"], code="phone-etiquette", title="电话礼仪")
    qa1 = Session(browser, live_server.url, screenshot_dir)
    qa1.login("qa1")
    qa1.go("/quality/scorecards/")
    qa1.page.click("#qa-card-new")
    qa1.page.fill("#id_code", "hotline-2027")
    qa1.page.fill("#id_name", "热线服务质检表（2027）")
    qa1.page.fill("#id_name_en", "Hotline QA sheet (2027)")
    qa1.page.fill("#id_description", "按 S2 §6.2 百分制评分；红线项一票否决。")
    qa1.page.fill("#id_section", "服务态度")
    qa1.shot("qa-draft-01-scorecard-new")
    qa1.page.click("#qa-card-create")
    qa1.page.wait_for_url(re.compile(r"/quality/versions/\d+/$"))
    card = Scorecard.objects.get(code="hotline-2027")
    version = card.versions.get()
    attitude = version.sections.get()

    # A second section.
    qa1.page.click("#qa-section-new")
    qa1.page.fill("#id_name", "问题解决")
    qa1.page.fill("#id_name_en", "Problem solving")
    qa1.page.click("#qa-section-save")
    qa1.page.wait_for_url(re.compile(r"/quality/versions/\d+/$"))
    solving = version.sections.get(name="问题解决")

    # Criteria: greeting (linked to training), a red line, then one with a weight over 100 (refused).
    qa1.page.click(f"#qa-criterion-new-{attitude.pk}")
    _criterion(qa1, "greeting", "主动问候，使用礼貌用语", 40, training="phone-etiquette")
    qa1.page.click("#qa-criterion-save")
    qa1.page.wait_for_url(re.compile(r"/quality/versions/\d+/$"))
    qa1.page.click(f"#qa-criterion-new-{attitude.pk}")
    _criterion(qa1, "no-rudeness", "无推诿、顶撞客户（红线）", 0, red_line=True)
    qa1.page.click("#qa-criterion-save")
    qa1.page.wait_for_url(re.compile(r"/quality/versions/\d+/$"))
    qa1.page.click(f"#qa-criterion-new-{solving.pk}")
    _criterion(qa1, "resolved", "一次解决客户问题", 160)
    qa1.page.click("#qa-criterion-save")
    qa1.page.locator(".hd-messages", has_text="权重应在 0 到 100 之间").wait_for()
    assert "is-invalid" in (qa1.page.get_attribute("#id_weight", "class") or "")
    qa1.shot("qa-draft-02-criterion-refused")
    qa1.page.fill("#id_weight", "50")
    qa1.page.click("#qa-criterion-save")
    qa1.page.wait_for_url(re.compile(r"/quality/versions/\d+/$"))
    # 40 + 0 + 50 = 90: the page says why it cannot be published yet.
    assert qa1.page.inner_text("#weight-total").strip() == "90"
    qa1.shot("qa-draft-03-total-90")

    # Edit the greeting: weight 50, reviewers' guidance; then publish.
    greeting = ScoreCriterion.objects.get(section__version=version, code="greeting")
    qa1.page.click("#qa-criterion-greeting")
    qa1.page.fill("#id_weight", "50")
    qa1.page.fill("#id_guidance", "开场 10 秒内使用标准问候语")
    qa1.shot("qa-draft-04-criterion-edit")
    qa1.page.click("#qa-criterion-save")
    qa1.page.wait_for_url(re.compile(r"/quality/versions/\d+/$"))
    assert qa1.page.inner_text("#weight-total").strip() == "100"
    qa1.page.click("#publish")
    qa1.page.locator(".hd-messages", has_text="1").wait_for()
    version.refresh_from_db()
    greeting.refresh_from_db()
    assert version.state == "published" and greeting.weight == 50
    assert greeting.training_module_code == "phone-etiquette"
    qa1.shot("qa-draft-05-published")
