"""The tickets of the workspace's header search box (issue #15: < 100 ms p95 at 1,000,000 tickets).

    box_ticket_search(user=..., alternatives=[["冷链车", "温度异常"], ["冷藏车", "温度异常"]])
        -> BoxTickets(tickets, count, capped, plan)

The same matches as `ticket_search` (every term a substring of the document, newest first, only
tickets `user` may see; a ticket matches when it matches any alternative, the synonym combinations
of herdesk.search.unified), but the count is exact only up to `cap`: above it the box says
"1,000+" (`capped`). The search API and the export keep exact counts (ticket_search).

Why: an exact count of a frequent term needs every match, and at 1,000,000 tickets the GIN bitmap
of a bigram in 16 % of the documents alone costs ≈ 110 ms. The box needs only the newest few and
"more than a thousand". Two plans, chosen per query:

- **walk** — read the newest documents through the primary key, newest first, test each one with
  strpos/instr (the exact rule itself, no index), check visibility by primary key for the matches
  only, and stop at `cap` + 1 visible matches. At most `walk_rows` documents are read; a walk that
  ends there without reaching the cap proves nothing about the older tickets and falls back to:
- **exact** — `ticket_search_any`: the gram / trigram indexes, the exact count.

PostgreSQL's statistics of the gram index (pg_stats.most_common_elems, gathered by ANALYZE) say
how many documents can at most contain the query's rarest gram; a query whose matches are known to
be few skips the walk (the index answers it exactly in a few ms). Either plan returns exactly the
tickets a full search would put first: the walk reads documents in id order and stops only after
the page is full, and the count it reports is a lower bound that is labelled as one.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models.expressions import RawSQL

from herdesk.tickets.models import Ticket
from herdesk.tickets.selectors import LIST_RELATED, tickets_visible_to

from .selectors import _fetch_all, ticket_search_any
from .text import term_grams

# "1,000+" in the box. At 1,000,000 tickets a walk to the cap reads ≈ 6,000 documents for a word
# in 16 % of them (a supervisor) and ≈ 40,000 for a team member who sees a sixth (bench/RESULTS.md).
BOX_COUNT_CAP = 1000
# Documents a walk reads at most before the exact plan takes over.
WALK_ROWS = 50_000
# At most this many matching documents (by the gram statistics): the exact plan is cheap (≈ 2 µs
# a candidate, ≈ 15 ms for 794 matches at 1,000,000 tickets). Above the statistics' floor at
# 1,000,000 (a gram they do not list is in < 2.14 % of the documents), so such grams count as rare.
EXACT_BELOW = 25_000
_STATS_TTL = 300.0  # seconds; the statistics change only when ANALYZE runs


@dataclass(frozen=True)
class BoxTickets:
    tickets: list[Ticket]
    count: int  # exact; or `cap` when capped; or an estimate when estimated
    capped: bool  # more than `count` tickets match
    plan: str  # "walk" or "exact"
    estimated: bool = False  # `count` is extrapolated from the newest documents ("about 1,200")


def box_ticket_search(
    *,
    user: Any,
    alternatives: Sequence[Sequence[str]],
    limit: int = 10,
    cap: int | None = None,
    walk_rows: int | None = None,
    plan: str = "auto",
) -> BoxTickets:
    """The first `limit` visible matches, newest first, and their count up to `cap` (see the module
    docstring). `alternatives`: lists of normalised terms (selectors.parse_query). `plan` "walk" or
    "exact" forces one (tests, benchmarks)."""
    cap = BOX_COUNT_CAP if cap is None else cap
    walk_rows = WALK_ROWS if walk_rows is None else walk_rows
    alts = [list(a) for a in alternatives if a]
    visible = tickets_visible_to(user)
    if not alts or visible.query.is_empty():
        return BoxTickets([], 0, False, "exact")
    bound = matches_upper_bound(alts) if plan != "exact" else None
    if plan == "auto":
        plan = "exact" if bound is not None and bound <= EXACT_BELOW else "walk"
    if plan == "walk":
        ids = _walk(user, alts, cap + 1, walk_rows)
        count, capped, estimated = min(len(ids), cap), len(ids) > cap, False
        settled = capped or not _documents_beyond(walk_rows)  # the cap, or every document read
        if not settled and len(ids) >= limit and bound is not None and bound > EXACT_BELOW:
            # The page is complete (the walk went newest first past `limit` matches) but the exact
            # count would read every candidate the statistics allow (a team member's frequent word
            # that is rare in their queue: 1,245 of 55,355 at 1,000,000 tickets). Extrapolate from
            # the newest documents, rounded to two figures, and say "about".
            documents = _gram_stats()[0]  # type: ignore[index]  # bound is not None: stats exist
            count, settled, estimated = _two_figures(len(ids) * documents / walk_rows), True, True
        if settled:
            page = ids[:limit]
            by_id = visible.select_related(*LIST_RELATED).in_bulk(page)
            tickets = [by_id[i] for i in page if i in by_id]
            return BoxTickets(tickets, count, capped, "walk", estimated)
    result = ticket_search_any(user=user, alternatives=alts, limit=limit)
    return BoxTickets(result.tickets, result.count, False, "exact")


def _two_figures(x: float) -> int:
    """1,244.9 -> 1,200; 10,592 -> 11,000; 87 -> 87."""
    n = max(1, round(x))
    scale = 10 ** max(0, len(str(n)) - 2)
    return round(n / scale) * scale


def _walk(user: Any, alternatives: list[list[str]], want: int, walk_rows: int) -> list[int]:
    """Ids of the newest `want` visible matches among the newest `walk_rows` documents."""
    find = "strpos(w.text, %s) > 0" if connection.vendor == "postgresql" else "instr(w.text, %s) > 0"
    match = " OR ".join("(" + " AND ".join([find] * len(a)) + ")" for a in alternatives)
    params: list[Any] = [walk_rows, *(t for a in alternatives for t in a)]
    sql = (
        "SELECT w.ticket_id FROM (SELECT ticket_id, text FROM search_document "
        "ORDER BY ticket_id DESC LIMIT %s) w "
        f"WHERE ({match})"
    )
    visible = tickets_visible_to(user)
    if visible.query.where:
        # Visibility by primary key, per matching document only (a correlated EXISTS). OFFSET 0
        # keeps PostgreSQL from turning it into a join that would first read every visible ticket.
        mine = visible.filter(pk=RawSQL("w.ticket_id", ())).values("pk")
        vis_sql, vis_params = mine.query.sql_with_params()
        offset = " OFFSET 0" if connection.vendor == "postgresql" else ""
        sql += f" AND EXISTS ({vis_sql}{offset})"
        params += list(vis_params)
    sql += " ORDER BY w.ticket_id DESC LIMIT %s"
    return [row[0] for row in _fetch_all(sql, [*params, want])]


def _documents_beyond(walk_rows: int) -> bool:
    """Whether there are more than `walk_rows` documents (a walk did not read them all)."""
    stats = _gram_stats()
    if stats is not None and stats[0] > 2 * walk_rows:
        # Skipping 50,000 index entries to find out costs ≈ 10 ms; the statistics say there are
        # far more. (Wrong only after most documents were deleted since the last ANALYZE, and
        # then at worst the count is called an estimate or the exact plan runs.)
        return True
    sql = "SELECT ticket_id FROM search_document ORDER BY ticket_id DESC LIMIT 1 OFFSET %s"
    with connection.cursor() as cur:
        cur.execute(sql, [walk_rows])
        return cur.fetchone() is not None


_stats: dict[str, tuple[float, dict[str, float], float, float] | None] = {}
_stats_at: dict[str, float] = {}


def matches_upper_bound(alternatives: list[list[str]]) -> float | None:
    """At most how many documents can match, from the gram index's statistics: per alternative
    the document frequency of its rarest gram (a gram the statistics do not list is rarer than
    the least frequent one they do), summed. None where there are no statistics (SQLite, or
    PostgreSQL before ANALYZE)."""
    stats = _gram_stats()
    if stats is None:
        return None
    rows, freqs, floor, _when = stats
    total = 0.0
    for terms in alternatives:
        grams = [g for t in terms for g in term_grams(t)[0]]
        total += min(freqs.get(g, floor) for g in grams) * rows
    return total


def _gram_stats() -> tuple[float, dict[str, float], float, float] | None:
    """(documents, {gram: fraction of documents}, the smallest listed fraction, when read), cached
    per process for _STATS_TTL seconds."""
    if connection.vendor != "postgresql":
        return None
    alias = connection.alias
    now = time.monotonic()
    if alias in _stats_at and now - _stats_at[alias] < _STATS_TTL:
        return _stats[alias]
    with connection.cursor() as cur:
        # For a tsvector, ANALYZE keeps the most common lexemes (here: grams) with the fraction of
        # rows containing each; the last two numbers are the minimum and maximum of those fractions.
        cur.execute(
            "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples "
            "FROM pg_stats s JOIN pg_class c ON c.relname = 'search_gramdoc' "
            "AND c.relnamespace = to_regnamespace(s.schemaname) "
            "WHERE s.schemaname = current_schema() AND s.tablename = 'search_gramdoc_grams'"
        )
        row = cur.fetchone()
    value = None
    if row and row[0] and row[1] and row[2] and row[2] > 0:
        elems, fractions, rows = row
        freqs = dict(zip(elems, fractions, strict=False))
        value = (float(rows), freqs, float(fractions[len(elems)]), now)
    _stats[alias], _stats_at[alias] = value, now
    return value
