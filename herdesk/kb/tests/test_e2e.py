"""Knowledge base end to end in Debian's Chromium (Playwright).

1. An agent finds a suggested article on the ticket page, inserts it into a reply and credits it.
2. A customer writing a request in the portal sees a suggested article, reads it and is helped
   without submitting (a deflection).
3. A reviewer approves a version written by someone else (the author cannot), then publishes it.
4. Restoring an old version brings its content back once reviewed and published.

Screenshots (1440×900; the portal at phone size) go to docs/screenshots/ with
    HERDESK_SCREENSHOTS=docs/screenshots pytest -m e2e herdesk/kb/tests
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from herdesk.kb.models import Article, ArticleUsage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
]
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def _close_server_connections(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """On PostgreSQL, end the idle sessions the live server's threads leave behind, once, after the
    last test, so the test database can be dropped (as in the portal's e2e tests)."""
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
    if not Path(CHROMIUM).exists():
        if os.environ.get("HERDESK_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{CHROMIUM} is required (apt-get install -y chromium)")
        pytest.skip(f"needs Debian's Chromium at {CHROMIUM} (apt-get install -y chromium)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()


class Session:
    def __init__(self, browser: Any, base: str, shots: str, viewport: dict[str, int] = DESKTOP) -> None:
        self.context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
        self.page = self.context.new_page()
        self.page.set_default_timeout(20000)
        self.base, self.shots = base, shots

    def go(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def login(self, username: str) -> None:
        self.go("/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", "herdesk-demo")
        self.page.click("button[type=submit].w-100")
        self.page.wait_for_url(re.compile(r"/queues/"))

    def as_customer(self, user: Any) -> None:
        """A signed-in portal session (the phone-code sign-in is covered by the portal's own e2e test)."""
        from django.conf import settings
        from django.test import Client

        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        self.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": self.base}]
        )

    def shot(self, name: str, full: bool = False) -> None:
        if self.shots:
            Path(self.shots).mkdir(parents=True, exist_ok=True)
            self.page.wait_for_timeout(300)
            self.page.screenshot(path=str(Path(self.shots) / f"{name}.png"), full_page=full)


def _article(title_start: str) -> Article:
    return Article.objects.get(published__title__startswith=title_start)


def test_agent_finds_inserts_and_credits_an_article(
    browser, live_server, staff, kb, customer, screenshot_dir
):
    from herdesk.staff.models import Team
    from herdesk.tickets import services as ts

    article = _article("挤奶机真空度不足")
    t = ts.ticket_create(
        actor=staff["agent1"], customer=customer, channel="phone", problem_type="technical_support",
        subject="挤奶机真空度不够，挤奶杯老是掉",
        description="MK-300 挤奶时真空表只有 38 kPa，挤奶杯频繁脱落",
        product=article.product,
    )  # fmt: skip
    team = Team.objects.get(code="tech-support")
    t = ts.ticket_triage(ticket=t, actor=staff["agent1"], team=team)
    t = ts.ticket_assign(
        ticket=t, actor=staff["agent1"], assignee=staff["tech1"], team=team, reason="技术问题"
    )
    ts.ticket_acknowledge(ticket=t, actor=staff["tech1"])

    s = Session(browser, live_server.url, screenshot_dir)
    s.login("tech1")
    # The header search box: tickets, articles and customers on one page (乳腺炎 = 乳房炎).
    s.page.fill(".hd-search input[name=q]", "真空 挤奶杯")
    s.page.press(".hd-search input[name=q]", "Enter")
    s.page.wait_for_selector("#search-articles .kb-hit")
    assert t.number in s.page.inner_text("#search-tickets")
    assert article.number in s.page.inner_text("#search-articles")
    s.shot("kb-search-page")
    s.go(f"/tickets/{t.number}/")
    panel = s.page.locator("#kb-suggestions")
    first = panel.locator(".kb-suggest-item").first
    assert article.number in first.inner_text()  # the best suggestion: same model, same symptom
    with s.page.expect_response(re.compile(r"/kb/ticket/.+/use/")) as used:
        first.locator("button.kb-insert").first.click()
    assert used.value.ok
    s.page.wait_for_selector("#panel-progress.show")
    assert "皮带" in s.page.input_value("#id_progress-body")  # the article's solution, inserted
    s.page.locator("#actions").evaluate(
        "e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 76)"
    )
    s.shot("kb-ticket-insert")
    s.page.click("#btn-progress")
    s.page.wait_for_load_state()
    s.page.locator("#kb-suggestions form button.btn-outline-success").first.click()
    s.page.wait_for_selector("#kb-suggestions .text-bg-success")
    s.page.locator("#kb-suggestions").scroll_into_view_if_needed()
    s.shot("kb-ticket-credited")
    assert set(ArticleUsage.objects.filter(ticket=t, article=article).values_list("kind", flat=True)) == {
        "used",
        "solved",
    }
    assert "知识文章" in s.page.inner_text("#timeline")


def test_customer_finds_an_answer_before_submitting(
    browser, live_server, staff, kb, customer, screenshot_dir
):
    from herdesk.portal.services import portal_user_for

    s = Session(browser, live_server.url, screenshot_dir, viewport=PHONE)
    s.as_customer(portal_user_for(customer=customer))
    s.go("/portal/help/")
    s.page.wait_for_selector("#help-categories a")
    s.shot("kb-portal-help", full=True)
    s.go("/portal/tickets/new/")
    s.page.fill("#id_description", "昨天买的酸奶胀袋了，盖子鼓起来，还能喝吗？")
    s.page.wait_for_selector("#help-suggestions a")
    s.page.locator("#help-suggestions").scroll_into_view_if_needed()
    s.shot("kb-portal-suggestions")
    with s.context.expect_page() as opened:
        s.page.locator("#help-suggestions a").first.click()
    article_page = opened.value
    article_page.wait_for_selector("#help-article")
    assert "胀包" in article_page.inner_text("h1")
    if s.shots:
        article_page.screenshot(path=str(Path(s.shots) / "kb-portal-article.png"), full_page=True)
    article_page.click("#vote-yes")
    article_page.wait_for_selector("#help-vote p")
    article_page.click("#help-answered")
    article_page.wait_for_url(re.compile(r"/portal/help/$"))
    a = _article("酸奶胀包")
    kinds = sorted(ArticleUsage.objects.filter(article=a).exclude(kind="view").values_list("kind", flat=True))
    assert kinds == ["deflection", "helpful"]


def test_reviewer_approves_a_version_written_by_someone_else(browser, live_server, staff, kb, screenshot_dir):
    author = Session(browser, live_server.url, screenshot_dir)
    author.login("tech2")
    author.go("/kb/new/")
    author.page.fill("#id_title", "冷藏罐压缩机频繁启停")
    author.page.select_option("#id_category", label="\u3000冷藏与冷链")
    author.page.select_option("#id_audience", "customers")
    author.page.fill("#id_symptom", "压缩机每隔几分钟启动一次，奶温波动。")
    author.page.fill("#id_solution", "检查温控探头位置与设定回差（建议 1.5 ℃）。")
    author.page.click("#kb-save")
    author.page.wait_for_selector("#kb-submit")
    number = author.page.url.rstrip("/").split("/")[-1]
    author.page.click("#kb-submit")
    author.page.wait_for_selector("#kb-workflow .kb-state-in_review")
    assert author.page.locator("#kb-approve").count() == 0  # two-person rule: no approve for the author

    reviewer = Session(browser, live_server.url, screenshot_dir)
    reviewer.login("tech1")
    reviewer.go("/kb/review/")
    reviewer.shot("kb-review-queue")
    reviewer.page.click(f"#kb-queue a[href='/kb/{number}/']")
    reviewer.page.fill("#kb-review-form textarea", "内容准确，同意。")
    reviewer.shot("kb-review-approve")
    reviewer.page.click("#kb-approve")
    reviewer.page.click("#kb-publish")
    reviewer.page.wait_for_selector("#kb-article .kb-state-published")
    reviewer.shot("kb-article-published")
    v = Article.objects.get(number=number).published
    assert v is not None and v.author == staff["tech2"] and v.reviewed_by == staff["tech1"]


def test_revert_restores_an_old_version(browser, live_server, staff, kb, screenshot_dir):
    from herdesk.kb import services as ks

    a = _article("鲜牛奶如何储存")
    first = a.published.solution
    meta = dict(a.published.meta)
    content = {f: getattr(a.published, f) for f in ("title", "symptom", "cause", "steps")}
    ks.article_edit(
        actor=staff["agent1"], article=a, content={**content, "solution": "开封后 3 天内喝完。"}, meta=meta
    )
    ks.article_submit(actor=staff["agent1"], article=a)
    ks.article_approve(actor=staff["cs_lead"], article=a)
    ks.article_publish(actor=staff["cs_lead"], article=a)

    agent = Session(browser, live_server.url, screenshot_dir)
    agent.login("agent1")
    agent.go(f"/kb/{a.number}/")
    agent.page.click("#kb-compare")
    agent.page.wait_for_selector("#kb-diff ins")
    agent.shot("kb-diff")
    agent.go(f"/kb/{a.number}/")
    agent.page.click("#kb-revert-v1")
    agent.page.wait_for_selector("#kb-submit")
    agent.page.click("#kb-submit")
    agent.page.wait_for_selector("#kb-workflow .kb-state-in_review")

    lead = Session(browser, live_server.url, screenshot_dir)
    lead.login("cs_lead")
    lead.go(f"/kb/{a.number}/")
    lead.page.click("#kb-approve")
    lead.page.click("#kb-publish")
    lead.page.wait_for_selector("#kb-article .kb-state-published")
    assert "24 小时内喝完" in lead.page.inner_text("#kb-solution")
    lead.page.locator("#kb-versions").scroll_into_view_if_needed()
    lead.shot("kb-reverted")
    a.refresh_from_db()
    assert a.published.number == 3 and a.published.reverted_from == 1 and a.published.solution == first
