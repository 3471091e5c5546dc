"""The role dashboards in Chromium (#18, KPI-2): the agent's, the supervisor's and management's, the
reports page and the compliance page, on a year of generated tickets (the benchmark generator) rolled
up; the ECharts charts draw (SVG, no inline script under the CSP) and a chart's ticket list opens the
queue with its filters.

Screenshots (docs/screenshots/analytics-*.png):
    HERDESK_SCREENSHOTS=docs/screenshots pytest -m e2e herdesk/workspace/tests/test_e2e_dashboards.py
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from herdesk.analytics.rollup import rollup_range
from herdesk.workspace.tests.test_e2e import Session, browser  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def year_of_tickets(staff):
    root = str(settings.BASE_DIR)
    if root not in sys.path:
        sys.path.insert(0, root)
    from bench.dataset import bench_dataset_generate

    bench_dataset_generate(tickets=1500, seed=3, search_index=False)
    today = timezone.localdate()
    rollup_range(today - dt.timedelta(days=364), today)


def _charts_drawn(s: Session, *ids: str) -> None:
    for chart_id in ids:
        s.page.locator(f"#{chart_id} svg").first.wait_for()


def _full(s: Session, shots: str, name: str) -> None:
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        s.page.locator(".hd-count-pending").first.wait_for(state="detached")
        s.page.wait_for_timeout(300)
        s.page.screenshot(path=str(Path(shots) / f"{name}.png"), full_page=True)


def test_dashboards_draw_and_drill_down(browser, live_server, year_of_tickets, screenshot_dir) -> None:  # noqa: F811
    base = live_server.url
    agent = Session(browser, base, screenshot_dir)
    agent.login("agent1")
    agent.page.click("#nav-dashboard-agent")
    agent.page.wait_for_url("**/dashboard/me/")
    _charts_drawn(agent, "chart-my-resolved", "chart-my-rates")
    assert agent.page.locator("#kpi-month tr[data-kpi]").count() == 8
    _full(agent, screenshot_dir, "analytics-agent")

    lead = Session(browser, base, screenshot_dir)
    lead.login("cs_lead")
    lead.page.click("#nav-dashboard-supervisor")
    lead.page.wait_for_url("**/dashboard/team/")
    _charts_drawn(lead, "chart-live-queues", "chart-agent-load", "chart-team-types")
    _full(lead, screenshot_dir, "analytics-supervisor")
    # A chart's ticket list opens the queue that lists those tickets.
    card = lead.page.locator('[data-chart-card="chart-agent-load"]')
    card.locator("summary").click()
    card.locator(".hd-drill a").first.click()
    lead.page.wait_for_url("**/queues/all/?assignee=*")
    assert lead.page.locator(".hd-row").count() > 0

    manager = Session(browser, base, screenshot_dir)
    manager.login("manager")
    manager.page.click("#nav-dashboard-management")
    manager.page.wait_for_url("**/dashboard/centre/")
    _charts_drawn(
        manager,
        "chart-volume-trend",
        "chart-complaint-trend",
        "chart-quality-trend",
        "chart-top-problems",
        "chart-top-regions",
        "chart-bottlenecks",
    )
    assert manager.page.locator("#bottlenecks tr[data-stage]").count() == 6
    _full(manager, screenshot_dir, "analytics-management")
    card = manager.page.locator('[data-chart-card="chart-top-regions"]')
    card.locator("summary").click()
    card.locator(".hd-drill a").first.click()
    manager.page.wait_for_url("**/queues/all/?received_from=*")
    assert manager.page.locator(".hd-row").count() > 0

    manager.go("/reports/?region=%E5%86%85%E8%92%99%E5%8F%A4")
    _charts_drawn(manager, "chart-channel", "chart-region", "chart-tier")
    _full(manager, screenshot_dir, "analytics-reports")
    manager.go("/supervisor/compliance/")
    _full(manager, screenshot_dir, "analytics-compliance")
