"""Queues: contents, filters, counts, keyset pagination, saved views, bulk reassign; query counts pinned."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from herdesk.clocks.services import clock_sweep
from herdesk.savedviews.models import SavedView
from herdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def numbers(html: str) -> list[str]:
    return re.findall(r'data-number="([^"]+)"', html)


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200, r.content[:500]
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("username", "url"),
    [
        ("tech2", "/queues/mine/"),
        ("tech2", "/queues/team/"),
        ("cs_lead", "/queues/all/"),
        ("cs_lead", "/queues/soon/"),
        ("cs_lead", "/queues/all/?channel=phone&tier=key_account&region=内蒙古"),
    ],
)
def test_query_count_does_not_grow_with_the_number_of_tickets(
    username, url, login, make_ticket, django_assert_max_num_queries
) -> None:
    old = timezone.now() - timedelta(minutes=20)  # clocks in their warning window: "soon" has rows
    for _ in range(2):
        make_ticket(team="tech-support", assignee="tech2", received_at=old)
    client = login(username)
    _count(client, url)  # warm: the choice lists are then kept between requests (common.reflists)
    few = _count(client, url)
    # session, user with team, permissions with role, the page's tickets (+ their live clocks for a
    # ticket queue), saved views; the filter choice lists are kept between requests.
    assert few <= 6, few
    for _ in range(12):
        make_ticket(team="tech-support", assignee="tech2", received_at=old)
    cache.clear()
    with django_assert_max_num_queries(16):
        r = client.get(url)
    if url.startswith("/queues/") and "soon" not in url:
        assert len(numbers(r.content.decode())) >= 14
    assert _count(client, url) == few


@pytest.mark.parametrize(
    ("username", "url", "rows"),
    [
        ("cs_lead", "/queues/breached/", True),
        ("tech2", "/queues/breached/", True),
        ("tech2", "/queues/to_ack/", True),
        ("tech2", "/queues/unassigned/", False),
        ("cs_lead", "/queues/waiting/", False),
        ("cs_lead", "/queues/all/?tier=key_account&complexity=general", True),
        ("tech2", "/queues-counts/", False),
    ],
)
def test_query_count_is_flat_on_every_queue(
    username, url, rows, login, make_ticket, django_assert_max_num_queries
) -> None:
    """Every queue row shows only loaded columns (selectors.ROW_FIELDS): a deferred one would be a
    query per row and the count would grow with the rows."""
    old = timezone.now() - timedelta(minutes=50)  # first response (30 min) breached by the sweep
    client = login(username)

    def add(n: int) -> None:
        for _ in range(n):
            make_ticket(team="tech-support", assignee="tech2", received_at=old)
            make_ticket(team="tech-support", assignee="", received_at=old)
        clock_sweep()
        cache.clear()

    add(1)
    few = _count(client, url)
    add(6)
    with django_assert_max_num_queries(16):
        r = client.get(url)
    if rows:
        assert len(numbers(r.content.decode())) >= 7
    cache.clear()
    assert _count(client, url) == few


def test_my_queue_team_queue_and_acknowledge_queue(login, make_ticket) -> None:
    mine = make_ticket(team="tech-support", assignee="tech2")
    colleague = make_ticket(team="tech-support", assignee="tech1")
    other_team = make_ticket(team="after-sales", assignee="field1")
    c = login("tech2")
    assert numbers(c.get("/queues/mine/").content.decode()) == [mine.number]
    assert numbers(c.get("/queues/to_ack/").content.decode()) == [mine.number]
    team = numbers(c.get("/queues/team/").content.decode())
    assert set(team) == {mine.number, colleague.number} and other_team.number not in team


def test_counts_per_queue_are_shown(login, make_ticket) -> None:
    make_ticket(team="tech-support", assignee="tech2")
    make_ticket(team="tech-support", assignee="tech2")
    make_ticket(team="tech-support", assignee="")  # team queue, nobody yet
    c = login("tech2")
    html = c.get("/queues/mine/").content.decode()
    assert 'hx-get="/queues-counts/?active=mine"' in html and "hd-count-pending" in html
    html = c.get("/queues-counts/?active=mine", HTTP_HX_REQUEST="true").content.decode()

    def count(queue: str) -> int:
        m = re.search(rf'data-queue="{queue}">.*?<span class="hd-count">(\d+)</span>', html, re.S)
        assert m, queue
        return int(m.group(1))

    assert (count("mine"), count("to_ack"), count("team"), count("unassigned")) == (2, 2, 3, 1)


def test_filters(login, make_ticket, other_customer) -> None:
    phone = make_ticket(team="tech-support", assignee="tech2")
    email = make_ticket(
        team="tech-support", assignee="tech2", channel="email", cust=other_customer, priority="urgent"
    )
    c = login("cs_lead")
    assert numbers(c.get("/queues/all/?channel=email").content.decode()) == [email.number]
    assert numbers(c.get("/queues/all/?tier=key_account").content.decode()) == [phone.number]
    assert numbers(c.get("/queues/all/?region=河北").content.decode()) == [email.number]
    assert numbers(c.get("/queues/all/?priority=urgent").content.decode()) == [email.number]
    assert numbers(c.get("/queues/all/?status=closed").content.decode()) == []


def test_bad_filter_values_are_reported_and_ignored(login, make_ticket) -> None:
    t = make_ticket(team="tech-support", assignee="tech2")
    r = login("cs_lead", lang="en").get("/queues/all/?priority=bogus&product=notanumber&cursor=x")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Some filters were not understood" in html and t.number in html


def test_keyset_pagination_with_htmx(login, make_ticket) -> None:
    made = [make_ticket(team="tech-support", assignee="tech2").number for _ in range(28)]
    c = login("tech2")
    html = c.get("/queues/mine/").content.decode()
    first = numbers(html)
    assert first == made[::-1][:25]
    cursor = re.search(r"cursor=(\d+)", html).group(1)
    r = c.get(f"/queues/mine/?cursor={cursor}", HTTP_HX_REQUEST="true")
    assert "<html" not in r.content.decode()  # a partial: just rows
    rest = numbers(r.content.decode())
    assert rest == made[::-1][25:]
    assert "Load more" not in r.content.decode() and "加载更多" not in r.content.decode()


def test_breaching_soon_and_breached_queues_follow_the_clocks(login, make_ticket) -> None:
    late = make_ticket(received_at=timezone.now() - timedelta(minutes=45))  # 30-minute first response passed
    fresh = make_ticket()
    c = login("agent1")
    soon = numbers(c.get("/queues/soon/").content.decode())
    assert late.number in soon
    clock_sweep()
    breached = c.get("/queues/breached/").content.decode()
    assert late.number in numbers(breached) and fresh.number not in numbers(breached)
    assert "hd-cd-over" in breached


def test_saved_views_are_per_user(login, staff) -> None:
    c = login("agent1")
    r = c.post(
        "/views/save/", {"name": "内蒙古紧急", "queue": "all", "f_region": "内蒙古", "f_priority": "urgent"}
    )
    assert r.status_code == 302 and "region=" in r["Location"]
    view = SavedView.objects.get(owner=staff["agent1"])
    assert view.params == {"region": "内蒙古", "priority": "urgent"}
    assert "内蒙古紧急" in c.get("/queues/mine/").content.decode()
    other = login("agent2")
    assert "内蒙古紧急" not in other.get("/queues/mine/").content.decode()
    other.post(f"/views/{view.pk}/delete/")
    assert SavedView.objects.filter(pk=view.pk).exists()
    c.post(f"/views/{view.pk}/delete/")
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_saved_view_without_name_is_refused_with_a_message(login) -> None:
    c = login("agent1", lang="en")
    r = c.post("/views/save/", {"name": "", "queue": "mine"}, follow=True)
    assert "This field is required." in r.content.decode()
    assert not SavedView.objects.exists()


def test_bulk_reassign(login, make_ticket, staff) -> None:
    from herdesk.staff.models import Team

    a = make_ticket(team="tech-support", assignee="tech2")
    b = make_ticket(team="tech-support", assignee="tech2")
    new = make_ticket()  # still "new": the lifecycle refuses to assign before triage
    c = login("cs_lead", lang="en")
    r = c.post(
        "/queues-bulk-reassign/",
        {
            "tickets": [a.number, b.number, new.number],
            "team": Team.objects.get(code="after-sales").pk,
            "assignee": staff["field2"].pk,
            "reason": "技术组人手不足",
            "back": "/queues/all/",
        },
        follow=True,
    )
    html = r.content.decode()
    assert "Reassigned 2 ticket(s)." in html and new.number in html
    assert set(Ticket.objects.filter(assignee=staff["field2"]).values_list("number", flat=True)) == {
        a.number,
        b.number,
    }
    # A mismatched team and assignee is a field error, not a 500.
    r = c.post(
        "/queues-bulk-reassign/",
        {
            "tickets": [a.number],
            "team": Team.objects.get(code="tech-support").pk,
            "assignee": staff["field2"].pk,
            "reason": "x",
        },
        follow=True,
    )
    assert "is not a member of" in r.content.decode()


def test_counts_are_cached_briefly_per_user(login, make_ticket) -> None:
    make_ticket(team="tech-support", assignee="tech2")
    c = login("tech2")
    first = _count(c, "/queues-counts/")
    with CaptureQueriesContext(connection) as ctx:
        assert c.get("/queues-counts/").status_code == 200
    assert len(ctx.captured_queries) < first
    assert not any("COUNT" in q["sql"] for q in ctx.captured_queries)


def test_counts_are_capped(login, make_ticket, staff, monkeypatch) -> None:
    """Badges count up to COUNT_CAP and then say "<cap>+" (an exact count of a large queue reads
    every row of it)."""
    from herdesk.workspace import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    for _ in range(3):
        make_ticket(team="tech-support", assignee="tech2")
    make_ticket(team="tech-support", assignee="tech1")
    counts = selectors.queue_counts(user=staff["tech2"])
    assert counts["mine"] == 3 and counts["team"] == 3  # at most COUNT_CAP + 1 rows read
    html = login("tech2").get("/queues-counts/?active=mine").content.decode()
    assert re.search(r'data-queue="mine">.*?<span class="hd-count">2\+</span>', html, re.S)
    assert re.search(r'data-queue="to_ack">.*?<span class="hd-count">2\+</span>', html, re.S)


def test_clock_queues_show_only_visible_open_tickets_in_due_order(make_ticket, staff) -> None:
    """Breached / breaching soon: a clock is listed and counted only while its ticket is open and
    visible to the reader (the per-clock ticket probe of `_clock_queue_qs`); pages walk due order."""
    from herdesk.clocks.models import Clock, ClockState
    from herdesk.savedviews.choices import Queue
    from herdesk.workspace import selectors

    late = timezone.now() - timedelta(minutes=45)  # triage (3 min) and first response (30 min) pass
    mine = [make_ticket(received_at=late - timedelta(minutes=i)) for i in range(3)]
    other = make_ticket(by="tech2", team="tech-support", assignee="tech2", received_at=late)
    closed = make_ticket(received_at=late)
    clock_sweep()
    # A ticket whose clocks still count after it left the open statuses (e.g. the 24-hour record
    # check of a closed ticket): not open work, so in no queue.
    Ticket.objects.filter(pk=closed.pk).update(status="closed")
    breached = Clock.objects.filter(state=ClockState.BREACHED, stopped_at__isnull=True)
    assert breached.filter(ticket=closed).exists() and breached.filter(ticket=other).exists()

    now = timezone.now()
    soon = Clock.objects.filter(state=ClockState.RUNNING, due_at__lte=now + selectors.SOON_HORIZON)
    Clock.objects.filter(ticket__in=[mine[0], other, closed], state=ClockState.RUNNING).update(
        due_at=now + timedelta(hours=1)
    )
    assert soon.filter(ticket=closed).exists() and soon.filter(ticket=mine[0]).exists()

    def walk(user, queue, **filters) -> list[int]:
        seen, after = [], None
        while True:
            page = selectors.queue_clocks(
                user=user, queue=queue, filters=filters, after=after, limit=2, now=now
            )
            seen += [c.pk for c in page.rows]
            if not page.next_cursor:
                return seen
            after = page.next_cursor

    for name, tickets in (("agent1", mine), ("cs_lead", [*mine, other])):
        counts = selectors.queue_counts(user=staff[name], now=now)
        for queue, clocks in ((Queue.BREACHED, breached), (Queue.SOON, soon)):
            expected = list(
                clocks.filter(ticket__in=tickets).order_by("due_at", "id").values_list("pk", flat=True)
            )
            assert walk(staff[name], queue) == expected
            assert counts[queue.value] == len(expected)
        assert len(walk(staff[name], Queue.BREACHED)) > len(tickets)  # several clocks per ticket
        assert walk(staff[name], Queue.SOON)
    assert walk(staff["cs_lead"], Queue.BREACHED, channel="email") == []


def test_counts_only_for_the_queues_the_sidebar_shows(staff, make_ticket) -> None:
    """A handler has no "all open" queue: its count is not computed (it walked ~1,000 tickets)."""
    from herdesk.workspace import views

    make_ticket(team="tech-support", assignee="tech2")
    cache.clear()
    counts = views._counts(staff["tech2"])
    assert "all" not in counts and counts["mine"] == 1
    cache.clear()
    assert "all" in views._counts(staff["cs_lead"])
