"""Reads of the search index (KB-2), permission-filtered through tickets_visible_to (SEC-3).

    ticket_search(user=..., q="冷链车 温度异常") -> SearchResult(count, tickets, next_cursor)

Semantics (exact, see text.py): every term of the query occurs in the ticket's indexed text,
case-insensitively, in any order. `count` is the exact number of visible matching tickets; the
page is ordered newest first (-id) and continues with before_id=next_cursor, like ticket_list.

One SQL statement computes the count and the page ids from a single evaluation of the match (a
MATERIALIZED CTE), then one query loads the page's tickets; on PostgreSQL a `SET LOCAL jit = off` precedes it
(JIT compilation costs more than these queries take).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from herdesk.tickets.models import Ticket
from herdesk.tickets.selectors import LIST_RELATED, tickets_visible_to

from .choices import MatchPlan
from .models import SearchDocument
from .text import MAX_TERM_CHARS, MAX_TERMS, gram_token, query_terms, term_grams, tsquery_literal

MAX_LIMIT = 100
_NO_CURSOR = 2**62


@dataclass(frozen=True)
class SearchResult:
    count: int
    tickets: list[Ticket]
    next_cursor: int | None
    terms: tuple[str, ...] = ()
    plan: str = ""


@dataclass(frozen=True)
class SearchBox:
    """What a search box shows: the result plus one short snippet per ticket (normalised text)."""

    result: SearchResult
    snippets: dict[int, str] = field(default_factory=dict)


def parse_query(q: str) -> list[str]:
    """The query's terms; ValidationError (field "q") when there are too many or one is too long."""
    terms = query_terms(q or "")
    if len(terms) > MAX_TERMS:
        raise ValidationError({"q": _("Use at most %(n)d search words.") % {"n": MAX_TERMS}})
    if any(len(t) > MAX_TERM_CHARS for t in terms):
        message = _("A search word can have at most %(n)d characters.") % {"n": MAX_TERM_CHARS}
        raise ValidationError({"q": message})
    return terms


def _matches_cte(user: Any, terms: list[str]) -> tuple[str, list[Any], str]:
    """`WITH v(ticket_id) AS MATERIALIZED (…)`: the ids of the tickets `user` may see matching every
    term; its params and the plan's name."""
    return _visible_matches_cte(user, *_match_sql(terms))


def _visible_matches_cte(
    user: Any, match_sql: str, params: list[Any], plan: str
) -> tuple[str, list[Any], str]:
    """As `_matches_cte`, for any SQL selecting matching ticket ids."""
    visible = tickets_visible_to(user)
    if visible.query.where:  # restricted: only the matches the selector lets this user see
        # "Visible tickets whose id is among the matches", in one query the planner sees whole: it
        # hash-joins a frequent word's matches with the user's tickets, and looks a rare word's
        # matches up by primary key.
        mine = visible.filter(pk__in=RawSQL(match_sql, params)).values("pk")
        perm_sql, perm_params = mine.query.sql_with_params()
        return f"WITH v(ticket_id) AS MATERIALIZED ({perm_sql})", list(perm_params), plan
    # view_all_tickets: every document belongs to an existing ticket (foreign key)
    return f"WITH v AS MATERIALIZED ({match_sql})", list(params), plan


def ticket_search(*, user: Any, q: str, limit: int = 25, before_id: int | None = None) -> SearchResult:
    """Exact full-text search over the tickets `user` may see; see the module docstring."""
    terms = parse_query(q)
    if not terms:
        return SearchResult(0, [], None, ())
    return _search(user, [terms], limit, before_id)


def ticket_search_any(*, user: Any, alternatives: list[list[str]], limit: int = 25) -> SearchResult:
    """Exact like `ticket_search`, for tickets matching any of several term lists (a query's
    synonym combinations, herdesk.search.unified): one statement, so a ticket matching two
    alternatives is counted once. Each list holds normalised terms (`parse_query`)."""
    alternatives = [a for a in alternatives if a]
    if not alternatives:
        return SearchResult(0, [], None, ())
    return _search(user, alternatives, limit, None)


def _search(user: Any, alternatives: list[list[str]], limit: int, before_id: int | None) -> SearchResult:
    limit = max(1, min(int(limit), MAX_LIMIT))
    terms = list(dict.fromkeys(t for a in alternatives for t in a))
    visible = tickets_visible_to(user)
    if visible.query.is_empty():
        return SearchResult(0, [], None, tuple(terms))
    sql, params, plan = _visible_matches_cte(user, *_match_sql_any(alternatives))
    page = "SELECT ticket_id FROM v WHERE ticket_id < %s ORDER BY ticket_id DESC LIMIT %s"
    if connection.vendor == "postgresql":
        sql += f" SELECT (SELECT count(*) FROM v), ARRAY({page})"
    else:
        sql += f" SELECT (SELECT count(*) FROM v), (SELECT json_group_array(ticket_id) FROM ({page}))"
    params = [*params, before_id or _NO_CURSOR, limit + 1]
    count, ids = _fetch_one(sql, params)
    ids = sorted(json.loads(ids) if isinstance(ids, str) else (ids or []), reverse=True)
    more = len(ids) > limit
    ids = ids[:limit]
    by_id = visible.select_related(*LIST_RELATED).in_bulk(ids)
    tickets = [by_id[i] for i in ids if i in by_id]
    return SearchResult(count, tickets, ids[-1] if more else None, tuple(terms), plan)


def ticket_search_ids(*, user: Any, q: str, cap: int) -> list[int]:
    """Every matching ticket id `user` may see, newest first, at most `cap` (the export of a
    search result: the same matches as `ticket_search`, all pages at once)."""
    terms = parse_query(q)
    if not terms or tickets_visible_to(user).query.is_empty():
        return []
    sql, params, _plan = _matches_cte(user, terms)
    rows = _fetch_all(f"{sql} SELECT ticket_id FROM v ORDER BY ticket_id DESC LIMIT %s", [*params, cap])
    return [row[0] for row in rows]


def _fetch_one(sql: str, params: list[Any]) -> Any:
    if connection.vendor != "postgresql":
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()
    if not connection.in_atomic_block:  # SET LOCAL needs a transaction
        with transaction.atomic():
            return _fetch_one(sql, params)
    with connection.cursor() as cur:
        # The gram function's high COST (it keeps the planner from evaluating it row by row) makes
        # plans look expensive enough for JIT, whose compilation alone takes longer than the query.
        cur.execute("SET LOCAL jit = off")
        cur.execute(sql, params)
        return cur.fetchone()


def _fetch_all(sql: str, params: list[Any]) -> list[Any]:
    """As `_fetch_one`, every row."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with transaction.atomic():
            return _fetch_all(sql, params)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL jit = off")  # see _fetch_one
        cur.execute(sql, params)
        return cur.fetchall()


def search_box(*, user: Any, q: str, limit: int = 8, width: int = 36) -> SearchBox:
    """For the workspace search box: the first `limit` matches with a snippet around the first
    term found in each (one more query)."""
    result = ticket_search(user=user, q=q, limit=limit)
    docs = SearchDocument.objects.filter(pk__in=[t.pk for t in result.tickets])
    texts = dict(docs.values_list("pk", "text"))
    snippets = {}
    for pk, text in texts.items():
        at = min((i for i in (text.find(t) for t in result.terms) if i >= 0), default=0)
        start = max(0, at - width // 3)
        head, tail = ("…" if start else ""), ("…" if start + width < len(text) else "")
        snippets[pk] = head + text[start : start + width] + tail
    return SearchBox(result, snippets)


def match_plan(q: str) -> str:
    """Which index answers this query on the current database (for `herdesk search explain`)."""
    terms = parse_query(q)
    return _match_sql(terms)[2] if terms else ""


def _match_sql_any(alternatives: list[list[str]]) -> tuple[str, list[Any], str]:
    """SQL selecting the ids of the tickets matching every term of at least one alternative."""
    if len(alternatives) == 1:
        return _match_sql(alternatives[0])
    parts = [_match_sql(a) for a in alternatives]
    plan = MatchPlan.VERIFIED if any(p[2] == MatchPlan.VERIFIED for p in parts) else MatchPlan.GRAMS_EXACT
    return " UNION ".join(p[0] for p in parts), [x for p in parts for x in p[1]], plan


def _match_sql(terms: list[str]) -> tuple[str, list[Any], str]:
    """SQL selecting the ids (column ticket_id) of every ticket whose document matches all terms."""
    grams: dict[str, None] = {}
    verify: list[str] = []
    for term in terms:
        term_gram_list, exact = term_grams(term)
        grams.update(dict.fromkeys(term_gram_list))
        if not exact:
            verify.append(term)
    plan = MatchPlan.VERIFIED if verify else MatchPlan.GRAMS_EXACT
    if connection.vendor == "postgresql":
        return (*_pg_match_sql(terms, list(grams), verify), plan)
    # SQLite: FTS5 finds the rows holding every gram (exact for terms of 1-2 characters); longer
    # terms are checked with instr(). The join drops FTS rows of deleted tickets.
    fts = " AND ".join(f'"{gram_token(g)}"' for g in grams)
    sql = (
        "SELECT d.ticket_id FROM search_fts JOIN search_document d ON d.ticket_id = search_fts.rowid "
        "WHERE search_fts MATCH %s" + " AND instr(d.text, %s) > 0" * len(verify)
    )
    return sql, [fts, *verify], plan


def _pg_match_sql(terms: list[str], grams: list[str], verify: list[str]) -> tuple[str, list[Any]]:
    if not verify:
        # Short terms only: the narrow search_gramdoc's GIN index is exact; counting its matches
        # reads its small heap pages only (no recheck, no text).
        return "SELECT ticket_id FROM search_gramdoc WHERE herdesk_search_grams(text) @@ %s::tsquery", [
            tsquery_literal(grams)
        ]
    likes = [t for t in verify if _trigram_usable(t)]
    others = [t for t in terms if t not in likes]
    if likes:
        # pg_trgm finds candidates for the long terms; LIKE's recheck and strpos() make it exact.
        where = ["text LIKE %s"] * len(likes) + ["strpos(text, %s) > 0"] * len(others)
        return "SELECT ticket_id FROM search_document WHERE " + " AND ".join(where), [
            *(_like_pattern(t) for t in likes),
            *others,
        ]
    # No term gives pg_trgm a trigram (e.g. punctuation only): candidates from the gram index.
    sql = (
        "SELECT d.ticket_id FROM search_document d WHERE d.ticket_id IN (SELECT ticket_id FROM "
        "search_gramdoc WHERE herdesk_search_grams(text) @@ %s::tsquery)"
        + " AND strpos(d.text, %s) > 0"
        * len(verify)
    )
    return sql, [tsquery_literal(grams), *verify]


def _like_pattern(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


_TRGM_CJK: dict[str, bool] = {}


def _trigram_usable(term: str) -> bool:
    """Whether pg_trgm extracts at least one trigram from LIKE '%term%': it needs a run of three
    word characters. Whether CJK characters count as word characters depends on the database's
    LC_CTYPE (yes under C.UTF-8 and zh_CN.UTF-8, no under C): asked once per database."""
    alias = connection.alias
    if alias not in _TRGM_CJK:
        with connection.cursor() as cur:
            cur.execute("SELECT cardinality(show_trgm('酸奶机')) > 0")
            _TRGM_CJK[alias] = bool(cur.fetchone()[0])
    run = 0
    for ch in term:
        run = run + 1 if ch.isalnum() and (ch.isascii() or _TRGM_CJK[alias]) else 0
        if run >= 3:
            return True
    return False


def ticket_match_ids(q: str) -> RawSQL | None:
    """The ids of every ticket whose text matches `q` (same semantics as ticket_search), as a
    subquery for `pk__in=` (bulk selections: an incident links every ticket of a batch, EMG-1).
    None for an empty query; ValidationError as parse_query. Not permission-filtered: combine it
    with tickets_visible_to."""
    terms = parse_query(q)
    if not terms:
        return None
    sql, params, _plan = _match_sql(terms)
    return RawSQL(sql, tuple(params))
