"""The header box's ticket search (issue #15, herdesk.search.box): the walk and the exact plan give
the same tickets in the same order, both equal to a brute-force scan of what the user may see; the
count is exact up to the cap and labelled "more than …" beyond it. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from herdesk.search import box
from herdesk.search.box import box_ticket_search, matches_upper_bound
from herdesk.search.selectors import parse_query, ticket_search_any
from herdesk.search.unified import everything_search
from herdesk.staff.models import User
from herdesk.tickets.models import Ticket
from herdesk.tickets.selectors import tickets_visible_to

from .conftest import brute_force
from .test_search import QUERIES

# Alternatives as the unified box builds them from synonyms; the last ones overlap (a ticket with
# both 酸奶 and 胀袋 matches two alternatives and must be counted once).
ALTERNATIVES = [
    *([q] for q in QUERIES),
    ["冷链车 温度异常", "冷藏车 温度异常"],
    ["酸奶", "胀袋"],
    ["err-123", "灌装机故障", "fl-80"],
]


def _alts(qs: list[str]) -> list[list[str]]:
    return [parse_query(q) for q in qs]


def _expected(user: Any, qs: list[str]) -> list[int]:
    visible = tickets_visible_to(user)
    found: set[int] = set()
    for q in qs:
        if parse_query(q):
            found |= brute_force(visible, q)
    return sorted(found, reverse=True)


def _portal_user(customer: Any) -> User:
    name = f"portal-{customer.pk}"
    return User.objects.create_user(username=name, password="x-portal-pass", customer=customer)


@pytest.mark.parametrize("who", ["manager", "agent1", "tech1", "customer", "loner"])
def test_walk_and_exact_plans_agree_with_brute_force(corpus, staff, who) -> None:
    """Same ids, same order, for a supervisor, team members and portal customers (one with an
    organisation, one without); every ticket shown is a true match the user may see."""
    if who == "customer":
        user = _portal_user(corpus["customers"][0])
    elif who == "loner":
        user = _portal_user(corpus["loner"])
    else:
        user = staff[who]
    visible_ids = set(tickets_visible_to(user).values_list("pk", flat=True))
    for qs in ALTERNATIVES:
        expected = _expected(user, qs)
        alts = _alts(qs)
        walk = box_ticket_search(user=user, alternatives=alts, limit=10, plan="walk")
        exact = box_ticket_search(user=user, alternatives=alts, limit=10, plan="exact")
        auto = box_ticket_search(user=user, alternatives=alts, limit=10)
        for r in (walk, exact, auto):
            assert [t.pk for t in r.tickets] == expected[:10], (qs, r.plan)
            assert {t.pk for t in r.tickets} <= visible_ids
            assert (r.count, r.capped) == (len(expected), False), (qs, r.plan)
        assert walk.plan == "walk" and exact.plan == "exact"
        # the exact selector the box falls back to, with a larger page
        assert [t.pk for t in ticket_search_any(user=user, alternatives=alts, limit=100).tickets] == (
            expected[:100]
        )


@pytest.mark.parametrize("username", ["manager", "agent1"])
def test_capped_count_keeps_the_first_page_exact(corpus, staff, username) -> None:
    user = staff[username]
    for q in ("酸奶", "奶", "冷链车 温度异常", "fw-t"):
        expected = _expected(user, [q])
        assert len(expected) > 6, q
        r = box_ticket_search(user=user, alternatives=_alts([q]), limit=4, cap=5, plan="walk")
        assert (r.count, r.capped, r.plan) == (5, True, "walk"), q
        assert [t.pk for t in r.tickets] == expected[:4], q
        r = box_ticket_search(user=user, alternatives=_alts([q]), limit=4, cap=len(expected), plan="walk")
        assert (r.count, r.capped) == (len(expected), False), q


def test_a_walk_that_ends_early_falls_back_to_the_exact_plan(corpus, staff) -> None:
    """A walk that reads only the newest few documents without reaching the cap proves nothing
    about older tickets: the exact plan answers instead."""
    user = staff["agent1"]
    for q in ("灌装机故障", "err-123", "酸奶"):
        expected = _expected(user, [q])
        r = box_ticket_search(user=user, alternatives=_alts([q]), limit=10, walk_rows=20, plan="walk")
        assert r.plan == "exact" and not r.capped, q
        assert (r.count, [t.pk for t in r.tickets]) == (len(expected), expected[:10]), q


def test_the_walk_stops_at_the_cap_with_few_rows_walked(corpus, staff) -> None:
    """A frequent single character settles within the newest documents."""
    user = staff["manager"]
    r = box_ticket_search(user=user, alternatives=_alts(["奶"]), limit=3, cap=10, walk_rows=60, plan="walk")
    assert (r.plan, r.count, r.capped) == ("walk", 10, True)
    assert [t.pk for t in r.tickets] == _expected(user, ["奶"])[:3]


def test_nobody_and_empty_queries(corpus) -> None:
    nobody = User.objects.create_user(username="nobody", password="x-nobody-pass")
    assert box_ticket_search(user=nobody, alternatives=_alts(["酸奶"]), plan="walk").tickets == []
    assert box_ticket_search(user=nobody, alternatives=[[]]).count == 0


@pytest.mark.postgres
def test_statistics_choose_the_plan(corpus, staff, monkeypatch) -> None:
    """After ANALYZE the gram statistics bound the matches; few matches go straight to the exact
    plan, frequent ones walk, and both answer the same."""
    with connection.cursor() as cur:
        cur.execute("ANALYZE search_gramdoc")
    box._stats_at.clear()
    bound = matches_upper_bound(_alts(["奶"]))
    assert bound is not None and bound >= 0.8 * len(_expected(staff["manager"], ["奶"]))
    monkeypatch.setattr(box, "EXACT_BELOW", 100)  # 机故: 30 documents, 奶: 295
    manager = staff["manager"]
    assert box_ticket_search(user=manager, alternatives=_alts(["奶"]), cap=20).plan == "walk"
    assert box_ticket_search(user=manager, alternatives=_alts(["灌装机故障"]), cap=20).plan == "exact"
    box._stats_at.clear()


def test_the_box_page_labels_a_capped_count(corpus, staff, monkeypatch) -> None:
    from django.utils.translation import trans_real

    from herdesk.workspace.tests.i18n_util import ensure_compiled

    ensure_compiled()  # the label's Chinese text is new: drop a catalogue loaded before it
    trans_real._translations.clear()  # type: ignore[attr-defined]
    monkeypatch.setattr(box, "BOX_COUNT_CAP", 5)
    manager = staff["manager"]
    total = len(_expected(manager, ["酸奶"]))
    assert total > 5
    found = everything_search(user=manager, q="酸奶")
    assert (found.ticket_count, found.ticket_count_capped) == (5, True)
    assert everything_search(user=manager, q="酸奶", exact_count=True).ticket_count == total
    for lang, label in (("en", "more than 5"), ("zh-hans", "超过 5 条")):
        client = Client(HTTP_ACCEPT_LANGUAGE=lang)
        client.force_login(manager)
        body = client.get("/search/", {"q": "酸奶"}).content.decode()
        assert label in body and 'id="count-all"' in body, lang
        exact = client.get("/search/", {"q": "酸奶", "count": "all"}).content.decode()
        assert f'id="ticket-count">{total}<' in exact and 'id="count-all"' not in exact
    # below the cap: the plain number
    client.force_login(staff["agent1"])
    few = len(_expected(staff["agent1"], ["灌装机故障"]))
    assert 0 < few <= 5
    assert f'id="ticket-count">{few}<' in client.get("/search/", {"q": "灌装机故障"}).content.decode()


def test_synonym_alternatives_count_a_ticket_once(corpus, staff) -> None:
    user = staff["manager"]
    both = _expected(user, ["酸奶", "胀袋"])
    assert len(both) < len(_expected(user, ["酸奶"])) + len(_expected(user, ["胀袋"]))  # they overlap
    r = box_ticket_search(user=user, alternatives=_alts(["酸奶", "胀袋"]), limit=10, cap=10_000)
    assert r.count == len(both) and len(set(Ticket.objects.filter(pk__in=[t.pk for t in r.tickets]))) == 10


def test_an_estimate_where_counting_would_read_every_candidate(corpus, staff, monkeypatch) -> None:
    """The walk fills the page within the newest documents, the statistics say the exact count is
    expensive: the count is extrapolated (two figures, "about"), the page is still exact."""
    user = staff["agent1"]
    documents = Ticket.objects.count()
    # statistics as on a large database: every gram in every document, far above EXACT_BELOW
    monkeypatch.setattr(box, "_gram_stats", lambda: (documents * 1000.0, {}, 1.0, 0.0))
    expected = _expected(user, ["酸奶"])
    walk_rows = documents // 2
    r = box_ticket_search(user=user, alternatives=_alts(["酸奶"]), limit=3, walk_rows=walk_rows)
    assert (r.plan, r.estimated, r.capped) == ("walk", True, False)
    assert [t.pk for t in r.tickets] == expected[:3]
    # found in the newest half, scaled to the (pretended) number of documents
    assert r.count > len(expected) * 100
    # fewer matches than a page in the walk: the exact plan answers
    r = box_ticket_search(user=user, alternatives=_alts(["灌装机故障"]), limit=10, walk_rows=20)
    assert (r.plan, r.estimated) == ("exact", False)
    assert r.count == len(_expected(user, ["灌装机故障"]))


def test_two_figures() -> None:
    assert [box._two_figures(x) for x in (0.2, 87, 1244.9, 1250, 10592, 164065)] == [
        1,
        87,
        1200,
        1200,
        11000,
        160000,
    ]


def test_the_box_page_labels_an_estimate(corpus, staff, monkeypatch) -> None:
    from django.utils.translation import trans_real

    from herdesk.workspace.tests.i18n_util import ensure_compiled

    ensure_compiled()
    trans_real._translations.clear()  # type: ignore[attr-defined]
    estimate = box.BoxTickets([], 1200, False, "walk", True)
    monkeypatch.setattr("herdesk.search.unified.box_ticket_search", lambda **kw: estimate)
    for lang, label in (("en", "about 1,200"), ("zh-hans", "约 1200 条")):  # zh: no separator
        client = Client(HTTP_ACCEPT_LANGUAGE=lang)
        client.force_login(staff["agent1"])
        body = client.get("/search/", {"q": "酸奶"}).content.decode()
        assert label in body and 'id="count-all"' in body, lang


def test_the_search_api_with_a_fast_count_answers_like_the_box(corpus, staff, monkeypatch) -> None:
    """`/api/v1/search?count=fast`: the same first page as the exact search, the count capped and
    flagged; the default stays exact; a bad value is a 422 naming the field."""
    from herdesk.staff.services import token_create

    monkeypatch.setattr(box, "BOX_COUNT_CAP", 5)
    manager = staff["manager"]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=manager, name='t')[1]}")
    exact = client.get("/api/v1/search", {"q": "酸奶", "limit": 3}).json()
    fast = client.get("/api/v1/search", {"q": "酸奶", "limit": 3, "count": "fast"}).json()
    assert [i["number"] for i in fast["items"]] == [i["number"] for i in exact["items"]]
    assert exact["count"] == len(_expected(manager, ["酸奶"])) > 5 and not exact["count_capped"]
    assert (fast["count"], fast["count_capped"]) == (5, True)
    more = client.get("/api/v1/search", {"q": "酸奶", "limit": 3, "cursor": fast["next_cursor"]}).json()
    assert [i["number"] for i in more["items"]] == [
        i["number"] for i in client.get("/api/v1/search", {"q": "酸奶", "limit": 6}).json()["items"][3:]
    ]
    bad = client.get("/api/v1/search", {"q": "酸奶", "count": "roughly"})
    assert bad.status_code == 422 and "count" in bad.content.decode()
