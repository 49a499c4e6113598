"""Parsers: ids, code links; hypothesis: arbitrary bytes give a clean error, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperfeed.arxiv_ids import BadArxivId, parse_arxiv_id
from paperfeed.ingest.arxiv_api import ArxivApiError, parse_feed
from paperfeed.ingest.code_links import find_code_links
from paperfeed.ingest.hf_daily import paper_from_hf
from paperfeed.ingest.listing import _parse_line as parse_listing_line
from paperfeed.ingest.oai import parse_page as parse_oai
from paperfeed.ingest.page import parse_page
from paperfeed.ingest.run import SourceError
from paperfeed.ingest.snapshot import _parse_line as parse_snapshot_line
from paperfeed.models import Paper, RecordError, local_id, normalise_title

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2303.14567", ("2303.14567", None)),
        ("https://arxiv.org/abs/1512.02325v5", ("1512.02325", 5)),
        ("arxiv.org/pdf/2104.12255v1.pdf", ("2104.12255", 1)),
        ("arXiv:astro-ph/0601001", ("astro-ph/0601001", None)),
        ("quant-ph/0201082v1", ("quant-ph/0201082", 1)),
        ("http://export.arxiv.org/abs/1605.08386v1", ("1605.08386", 1)),
    ],
)
def test_arxiv_ids(text: str, expected: tuple[str, int | None]) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text", ["", "abc", "1234", "https://example.org/abs/2303.14567", "2303.14567v"]
)
def test_bad_arxiv_ids(text: str) -> None:
    with pytest.raises(BadArxivId):
        parse_arxiv_id(text)


def test_code_links_are_normalised_and_deduplicated() -> None:
    text = (
        "Code at https://github.com/GraphPKU/NeuralCommonNeighbor. Also "
        "github.com/graphpku/neuralcommonneighbor.git and https://www.github.com/GraphPKU/"
        "NeuralCommonNeighbor/tree/main/src, models at https://huggingface.co/spaces/foo/bar-demo "
        "and https://huggingface.co/org/model; https://gitlab.com/grp/proj)."
    )
    assert find_code_links(text, None) == (
        "https://github.com/GraphPKU/NeuralCommonNeighbor",
        "https://huggingface.co/spaces/foo/bar-demo",
        "https://huggingface.co/org/model",
        "https://gitlab.com/grp/proj",
    )
    assert find_code_links("see https://github.com/about and github.com/onlyowner") == ()


def test_local_ids_are_stable_across_formatting() -> None:
    assert local_id("Neural  Common Neighbor") == local_id("neural common neighbor")
    assert normalise_title("Bal\\'azs {Ca}ss $x$") == "bal azs ca ss x"


@FAST
@given(st.binary(max_size=2000))
def test_snapshot_lines_never_crash(data: bytes) -> None:
    result = parse_snapshot_line(data.decode("utf-8", "replace"), "f:1")
    assert isinstance(result, Paper | RecordError)


@FAST
@given(st.binary(max_size=2000))
def test_listing_lines_never_crash(data: bytes) -> None:
    result = parse_listing_line(data.decode("utf-8", "replace"), "f:1", None)
    assert isinstance(result, Paper | RecordError)


@FAST
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "id",
                "title",
                "abstract",
                "authors",
                "versions",
                "categories",
                "authors_parsed",
                "update_date",
                "doi",
            ]
        ),
        st.one_of(
            st.none(),
            st.text(),
            st.integers(),
            st.lists(st.text()),
            st.lists(st.dictionaries(st.text(), st.text())),
        ),
    )
)
def test_snapshot_records_of_any_shape_never_crash(record: dict) -> None:  # type: ignore[type-arg]
    import json

    result = parse_snapshot_line(json.dumps(record), "f:1")
    assert isinstance(result, Paper | RecordError)


@FAST
@given(st.binary(max_size=3000))
def test_oai_pages_never_crash(data: bytes) -> None:
    try:
        parse_oai(data)
    except SourceError as exc:
        assert str(exc)


@FAST
@given(st.binary(max_size=3000))
def test_api_feeds_never_crash(data: bytes) -> None:
    try:
        parse_feed(data)
    except ArxivApiError as exc:
        assert str(exc)


@FAST
@given(st.text(max_size=3000))
def test_pages_never_crash(text: str) -> None:
    entries = list(parse_page(text, 2026))
    assert all(e.title for e in entries)


@FAST
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
        max_leaves=20,
    )
)
def test_hf_elements_never_crash_unexpectedly(element: object) -> None:
    try:
        paper = paper_from_hf(element)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        assert str(exc)  # the source turns these into RecordErrors
    else:
        assert paper.title


def test_xml_bombs_are_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>'
    )
    with pytest.raises(SourceError):
        parse_oai(bomb)


@FAST
@given(
    st.lists(
        st.sampled_from(
            [
                "see",
                "https://github.com/A/b.",
                "GitHub.com/x/Y",
                "(huggingface.co/spaces/u/d)",
                "gitlab.com/g/p;",
                " ",
                "\n",
                "İ",
                "code:",
            ]
        )
        | st.text(max_size=8),
        max_size=12,
    )
)
def test_word_prefilter_finds_the_same_links_as_a_full_scan(words: list[str]) -> None:
    from paperfeed.ingest.code_links import _URL, normalise_code_url

    text = " ".join(words)
    full = [normalise_code_url(m.group(1), m.group(2)) for m in _URL.finditer(text)]
    first: dict[str, str] = {}
    for url in full:
        if url:
            first.setdefault(url.lower(), url)
    expected = tuple(first.values())
    assert find_code_links(text) == expected
