"""Working screens in plain Chinese (issue 13): clock cards in words, no regulation clause on the
page, friendly length messages, the timeline without echoes, the intake note kept internal."""

from __future__ import annotations

import pytest

from herdesk.tickets import services as ts
from herdesk.workspace.templatetags.workspace_tags import duration_words

pytestmark = pytest.mark.django_db


def test_clock_card_says_the_target_in_words(login, make_ticket) -> None:
    t = make_ticket(team="customer-service", assignee="agent1")
    page = login("agent1").get(f"/tickets/{t.number}/").content.decode()
    assert "15 分钟 · 热线时间" in page
    assert "15m · hotline" not in page and "· hotline<" not in page
    en = login("agent1", lang="en").get(f"/tickets/{t.number}/").content.decode()
    assert "15 minutes · hotline hours" in en


def test_durations_in_words() -> None:
    from django.utils import translation

    with translation.override("zh-hans"):
        assert duration_words("3wd") == "3 个工作日"
        assert duration_words("24h") == "24 小时"
        assert duration_words("2h30m") == "2 小时 30 分钟"
    with translation.override("en"):
        assert duration_words("1wd") == "1 working day"


def test_no_regulation_clause_on_the_working_screens(login, make_ticket) -> None:
    t = make_ticket()
    agent = login("agent1")
    for url in (f"/tickets/{t.number}/", "/intake/", f"/tickets/{t.number}/route/"):
        html = agent.get(url).content.decode()
        for code in ("S1 §", "(HND-", "（HND-", "(INT-"):
            assert code not in html, (url, code)


def test_length_messages_are_friendly(login) -> None:
    r = login("agent1").get("/customers/", {"q": "牧" * 61})
    assert r.status_code == 400
    assert "最多可填 60 个字，当前 61 个字" in r.content.decode()


def test_resolution_text_once_on_the_ticket_page(login, make_ticket, staff) -> None:
    t = make_ticket(team="customer-service", assignee="agent1")
    t = ts.ticket_acknowledge(ticket=t, actor=staff["agent1"])
    ts.ticket_resolve(
        ticket=t,
        actor=staff["agent1"],
        verification_method="customer_confirmation",
        summary="已远程指导更换密封圈，压力恢复正常",
    )
    page = login("agent1").get(f"/tickets/{t.number}/").content.decode()
    timeline = page[page.index('id="timeline"') :]
    assert timeline.count("已远程指导更换密封圈，压力恢复正常") == 1


def test_intake_read_back_is_internal(login, customer, staff) -> None:
    from django.utils import timezone

    from herdesk.tickets.models import Interaction
    from herdesk.workspace.actions import intake_submit

    t = intake_submit(
        actor=staff["agent1"],
        customer=customer,
        new_name="",
        phone="",
        region="",
        channel="phone",
        call_started_at=timezone.now(),
        problem_type="technical_support",
        subject="挤奶机报警",
        description="报警灯常亮",
        product=None,
        order_number="",
        priority="normal",
        complexity="general",
        readback="好的，我理解您是关于挤奶机报警的问题",
    )
    note = Interaction.objects.get(ticket=t, body__contains="好的，我理解您是关于")
    assert note.is_public is False
    t.refresh_from_db()
    assert t.first_response_at is not None  # still the first response of the answered call


def test_system_events_follow_the_readers_language(login, make_ticket, staff) -> None:
    # Written by a Chinese-speaking agent (the notes are stored in Chinese) ...
    t = make_ticket(team="customer-service", assignee="agent1")
    ts.ticket_acknowledge(ticket=t, actor=staff["agent1"])
    en = login("agent1", lang="en").get(f"/tickets/{t.number}/").content.decode()
    timeline = en[en.index('id="timeline"') :]
    # ... and read in English.
    assert "Acknowledged (查收确认)" in timeline and "Triaged" in timeline
    assert "已分派" not in timeline and "已查收确认" not in timeline
    zh = login("agent1").get(f"/tickets/{t.number}/").content.decode()
    assert "Triaged" not in zh[zh.index('id="timeline"') :]
