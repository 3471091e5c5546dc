"""PostgreSQL specifics: the SQL gram function agrees with Python, CJK trigrams under the database
locale, the narrow heap, the sync trigger, and plans that use the indexes."""

from __future__ import annotations

import pytest
from django.db import connection

from herdesk.search.models import SearchDocument, SearchGramDocument
from herdesk.search.selectors import _pg_match_sql, _trigram_usable
from herdesk.search.text import document_grams, normalise

pytestmark = pytest.mark.postgres


def _sql(q: str, *params: object) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(q, params)
        return cur.fetchall()


@pytest.mark.django_db
def test_sql_grams_equal_python_grams() -> None:
    samples = [
        "",
        "x",
        "酸奶",
        "fw-20261123-0001 灌装机故障 err-123 'ok' c:\\温度\\日志 100%_ 𠮷野家 a",
        normalise("ＥＲＲ－１２３，冷链车\u3000温度异常！"),
    ]
    for text in samples:
        (lexemes,) = _sql("SELECT tsvector_to_array(herdesk_search_grams(%s))", text)[0]
        # The SQL function also keeps grams with a space; no query ever asks for those.
        assert {g for g in lexemes if " " not in g} == document_grams(text), text


@pytest.mark.django_db
def test_cjk_trigrams_under_this_locale() -> None:
    """pg_trgm only sees CJK characters as word characters under a UTF-8 LC_CTYPE; the selector
    asks the database and falls back to the gram index where it does not."""
    ((ctype,),) = _sql("SHOW lc_ctype")
    ((n,),) = _sql("SELECT cardinality(show_trgm('灌装机故障'))")
    assert (n > 0) == _trigram_usable("灌装机故障"), ctype
    assert _trigram_usable("err-123") and not _trigram_usable("-_-") and not _trigram_usable("ok")
    assert "LIKE" in _pg_match_sql(["err-123"], [], ["err-123"])[0]
    assert "search_gramdoc" in _pg_match_sql(["'ok'"], ["'o"], ["'ok'"])[0]


def test_trigger_keeps_gramdoc_equal_and_heap_narrow(corpus) -> None:
    docs = dict(SearchDocument.objects.values_list("pk", "text"))
    assert dict(SearchGramDocument.objects.values_list("pk", "text")) == docs
    pk = next(iter(docs))
    SearchDocument.objects.filter(pk=pk).update(text="已更正 " * 300)
    assert SearchGramDocument.objects.get(pk=pk).text == "已更正 " * 300
    # The text of search_gramdoc lives in TOAST: the heap rows stay a few dozen bytes.
    ((heap_per_row, avg_text),) = _sql(
        "SELECT pg_relation_size('search_gramdoc') / count(*), avg(octet_length(text)) FROM search_gramdoc"
    )
    ((wide_per_row,),) = _sql("SELECT pg_relation_size('search_document') / count(*) FROM search_document")
    assert avg_text > 300 and heap_per_row * 2 < wide_per_row, (heap_per_row, wide_per_row, avg_text)


def test_plans_use_the_indexes(corpus) -> None:
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")  # tiny tables: ask whether the index *can* serve
        for terms, grams, verify in (
            (["酸奶"], ["酸奶"], []),
            (["灌装机故障"], ["灌装", "装机", "机故", "故障"], ["灌装机故障"]),
        ):
            sql, params = _pg_match_sql(terms, grams, verify)
            cur.execute("EXPLAIN " + sql, params)
            plan = "\n".join(r[0] for r in cur.fetchall())
            assert "Bitmap Index Scan" in plan and "Seq Scan" not in plan, plan
