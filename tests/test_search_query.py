"""Parsing user queries: quotes, prefixes, exclusions, operators, ids; any text is accepted."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from paperfeed.search.query import MAX_WORDS, paper_id_in, parse_query, semantic_text


def test_words_phrases_prefixes_and_exclusions() -> None:
    parsed = parse_query('graph "feature pyramid" transform* -survey -"large language"')
    assert parsed.words == ("graph",)
    assert parsed.phrases == (("feature", "pyramid"),)
    assert parsed.prefixes == ("transform",)
    assert parsed.excluded_words == ("survey",)
    assert parsed.excluded_phrases == (("large", "language"),)


def test_unbalanced_quote_is_plain_words() -> None:
    parsed = parse_query('"unbalanced optimal transport')
    assert parsed.words == ("unbalanced", "optimal", "transport")
    assert parsed.phrases == ()


def test_operators_are_noise_but_not_means_exclude() -> None:
    parsed = parse_query("diffusion AND models NOT video")
    assert parsed.words == ("diffusion", "models")
    assert parsed.excluded_words == ("video",)


def test_only_operators_search_the_words_literally() -> None:
    assert parse_query("AND OR NOT").words == ("and", "or", "not")


def test_symbols_only_leave_nothing_to_match() -> None:
    for text in ("-", "*", ":", "😀", "", "   ", '""', "-*"):
        assert parse_query(text).empty, text


def test_long_query_is_capped() -> None:
    text = " ".join(f"word{i}" for i in range(5000))
    parsed = parse_query(text)
    assert len(parsed.words) == MAX_WORDS
    assert parsed.notes


def test_arxiv_ids_and_urls_are_recognised() -> None:
    assert paper_id_in("2104.12255") == "2104.12255"
    assert paper_id_in(" https://arxiv.org/abs/2104.12255v3 ") == "2104.12255"
    assert paper_id_in("arXiv:quant-ph/0201082v1") == "quant-ph/0201082"
    assert paper_id_in("local-ca08dd9f6b72") == "local-ca08dd9f6b72"
    assert paper_id_in("link prediction 2104.12255") is None


def test_semantic_text_drops_exclusions_and_syntax() -> None:
    assert semantic_text('"graph neural" networks -survey NOT review transform*') == (
        "graph neural networks transform"
    )


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses(text: str) -> None:
    parsed = parse_query(text)
    assert all(w == w.lower() and w for w in parsed.words)
    assert len(parsed.words) <= MAX_WORDS
    semantic_text(text)


def test_a_full_width_arxiv_id_reads_as_the_id() -> None:
    """CJK input methods type digits and the dot full width."""
    assert paper_id_in("２６０７．００００１") == "2607.00001"
    assert paper_id_in("arXiv：2607.00001ｖ２") == "2607.00001"
