"""Styled bilingual error pages (issue 13): an agent who opens a ticket they may not see, a page
outside the role, a broken link in the portal; no traceback in the log for an ordinary 403/404."""

from __future__ import annotations

import logging

import pytest
from django.template.loader import render_to_string
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_ticket_the_agent_may_not_see_is_the_styled_404(login, make_ticket, caplog) -> None:
    t = make_ticket(by="tech1", team="after-sales", assignee="field1")
    with caplog.at_level(logging.WARNING, logger="django.request"):
        r = login("agent2").get(f"/tickets/{t.number}/")
    assert r.status_code == 404
    page = r.content.decode()
    assert "页面不存在或您无权查看" in page and "Not found, or not yours to see" in page
    assert 'href="/"' in page and t.subject not in page
    assert all(rec.exc_info is None for rec in caplog.records)


def test_a_page_outside_the_role_is_the_styled_403_without_a_traceback(login, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="django.request"):
        r = login("agent1").get("/supervisor/")
    assert r.status_code == 403
    assert "您无权查看此页面" in r.content.decode()
    forbidden = [rec for rec in caplog.records if rec.name == "django.request"]
    assert forbidden and all(rec.exc_info is None for rec in forbidden)


def test_the_portal_404_leads_back_to_the_portal() -> None:
    r = Client().get("/portal/no-such-page/")
    assert r.status_code == 404
    assert 'href="/portal/"' in r.content.decode()


def test_the_500_page_renders_without_a_request() -> None:
    html = render_to_string("500.html")
    assert "系统出错了" in html and "Something went wrong" in html


def test_favicon_is_served(client) -> None:
    r = client.get("/favicon.ico")
    assert r.status_code == 301 and r["Location"].endswith("img/favicon.svg")
