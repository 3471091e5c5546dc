"""The matching rule and the gram scheme, without a database (KB-2)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from herdesk.search.text import (
    MAX_DOCUMENT_CHARS,
    document_grams,
    document_text,
    document_tokens,
    gram_token,
    normalise,
    query_terms,
    term_grams,
    tsquery_literal,
)


def test_normalise_folds_case_width_invisible_and_whitespace() -> None:
    assert normalise("ＥＲＲ－１２３") == "err-123"
    assert normalise("Err-123") == "err-123"
    assert normalise("酸\u200b奶") == "酸奶"  # zero-width space pasted from a chat app
    assert normalise("  冷链车\t\n温度\u3000异常\x00 ") == "冷链车 温度 异常"
    assert normalise("Straße") == "strasse"  # casefold, not just lower
    assert normalise("\ud800x") == "x"  # a lone surrogate cannot be stored


def test_query_terms_split_dedupe_and_drop_implied_terms() -> None:
    assert query_terms("冷链车 温度异常") == ["冷链车", "温度异常"]
    assert query_terms("  ERR-123  err-123 ") == ["err-123"]
    assert query_terms("酸奶 酸奶机 奶") == ["酸奶机"]  # 酸奶 and 奶 are implied by 酸奶机
    assert query_terms(" \u3000 ") == []


def test_term_grams_are_exact_only_up_to_two_characters() -> None:
    assert term_grams("奶") == (["奶"], True)
    assert term_grams("酸奶") == (["酸奶"], True)
    assert term_grams("灌装机故障") == (["灌装", "装机", "机故", "故障"], False)
    assert term_grams("aaa") == (["aa"], False)


def test_document_text_separates_parts_skips_repeats_and_caps() -> None:
    text = document_text(
        number="FW-1",
        subject="灌装机",
        customer_name="张三",
        product_name="",
        description="故障",
        interaction_bodies=["故障", "好的"],
    )
    assert text == "fw-1 灌装机 张三 故障 好的"
    assert "灌装机故障" not in text  # no match across two fields
    long = document_text(number="FW-2", subject="x", description="酸奶" * MAX_DOCUMENT_CHARS)
    assert len(long) == MAX_DOCUMENT_CHARS


def test_tokens_and_tsquery_quoting() -> None:
    assert gram_token("酸奶") == "9178x5976"
    assert document_tokens("ab a") == "61 61x62 62"
    assert tsquery_literal(["a'b", "c\\d", "e:&|"]) == "'a''b' & 'c\\\\d' & 'e:&|'"


ALPHABET = st.sampled_from(list("酸奶灌装机故障 a-1Ａ"))


@settings(max_examples=300, deadline=None)
@given(doc=st.text(ALPHABET, max_size=40), term=st.text(ALPHABET, min_size=1, max_size=6))
def test_grams_are_a_superset_and_exact_for_short_terms(doc: str, term: str) -> None:
    """If a term occurs, the index finds the document; for 1-2 characters the index is the answer."""
    text = normalise(doc)
    for t in query_terms(term):
        grams, exact = term_grams(t)
        present = set(grams) <= document_grams(text)
        if t in text:
            assert present
        if exact:
            assert present == (t in text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("灌装机故障 酸奶Err-123x_ ＥＲ\u200b\t"), max_size=60))
def test_document_tokens_are_the_gram_tokens_of_the_document_grams(raw: str) -> None:
    # document_tokens is a one-pass rewrite (speed); its result is defined by these two functions.
    text = normalise(raw)
    assert document_tokens(text) == " ".join(sorted(gram_token(g) for g in document_grams(text)))
