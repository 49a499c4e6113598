"""Searches as a researcher used to arXiv, Google Scholar and Semantic Scholar types them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, select, update

from paperfeed.ingest.jobs import demo_files
from paperfeed.pipeline import ingest_files
from paperfeed.search import SearchService, embed_papers
from paperfeed.search.query import parse_query
from paperfeed.search.service import dense, searching
from paperfeed.search.spelling import suggest
from paperfeed.settings import Settings
from paperfeed.store import get_paper, open_store, upsert_papers
from paperfeed.store.tables import papers

DAY = "2026-06-25"  # the smallest listing day of the demo sample: 26 real papers


@pytest.fixture
def service(sqlite_settings: Settings) -> Iterator[SearchService]:
    """One real listing day, embedded with the fast static model, and a service over it."""
    fast = sqlite_settings.model_copy(
        update={"embed_model": "static", "search_refresh_seconds": 0.0}
    )
    engine: Engine = open_store(fast)
    listing = next(p for p in demo_files()[0] if p.name.startswith(DAY))
    _report, failed = ingest_files(engine, fast, "listing", [listing])
    assert not failed
    with engine.begin() as conn:  # a day each, in an order unlike any ranking's
        ids = sorted(conn.execute(select(papers.c.id)).scalars())
        for i, pid in enumerate(ids):
            day = date(2026, 6, 1) + timedelta(days=i * 7 % len(ids))
            conn.execute(update(papers).where(papers.c.id == pid).values(listing_date=day))
    embed_papers(fast, engine)
    svc = SearchService(fast, engine)
    yield svc
    svc.close()
    engine.dispose()


def test_semantic_pages_by_date_neither_repeat_nor_skip(
    service: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sorted by date, each page deeper took more nearest papers and sorted them all by date
    # again: later pages repeated papers earlier pages had shown (and skipped others).
    monkeypatch.setattr(dense, "HYBRID_DEPTH", 6)
    monkeypatch.setattr(dense, "NEAR_SHARE", 0.0)  # every paper above the floor: pages to walk
    whole = [h.id for h in service.search("models", "semantic", limit=40, sort="date").hits]
    assert len(whole) > 12
    paged = [
        h.id
        for offset in range(0, 40, 4)
        for h in service.search("models", "semantic", 4, offset, sort="date").hits
    ]
    assert len(paged) == len(set(paged))
    assert paged == whole


@pytest.mark.parametrize(
    "written",
    [
        "arXiv: {id}",
        "arxiv {id}",
        "arXiv:{id}v2 [cs.CL]",
        "10.48550/arXiv.{id}",
        "https://doi.org/10.48550/arXiv.{id}",
        "https://huggingface.co/papers/{id}",
    ],
)
def test_an_arxiv_id_as_citations_write_it_finds_the_paper(
    service: SearchService, written: str
) -> None:
    # These were searched as words ("arxiv", "10", "48550", the id's halves): the paper was
    # not even among the results.
    pid = service.search("language models", "keyword", limit=1).hits[0].id
    for mode in ("keyword", "hybrid"):
        assert [h.id for h in service.search(written.format(id=pid), mode).hits] == [pid]


def test_no_typo_is_seen_in_a_contraction() -> None:
    # "doesn't" is read as "doesn" and "t"; "doesn" is rare, so it was corrected to "does",
    # and the suggestion read "LLM does't Know".
    counts = {"doesn": 1, "does": 400, "know": 300, "llm": 200}

    def frequencies(words: Sequence[str]) -> list[int]:
        return [counts.get(w, 0) for w in words]

    for apostrophe in "'\u2019":
        assert suggest(parse_query(f"LLM Doesn{apostrophe}t Know"), frequencies) is None
    assert suggest(parse_query("LLM Doesn Know"), frequencies) == "LLM does Know"


def test_a_query_naming_a_paper_gets_no_did_you_mean(
    service: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pasted title holds words only that paper uses: rare words, which "did you mean" offered
    # to correct above the very paper the reader asked for.
    monkeypatch.setattr(searching, "suggest", lambda _parsed, _freq: "a correction")
    first = service.search("language models", "keyword", limit=1).hits[0]
    for named in (first.title, first.id, f"arXiv:{first.id}"):
        result = service.search(named, "keyword")
        assert result.hits[0].id == first.id
        assert result.suggestion is None
    assert service.search("language models", "keyword").suggestion == "a correction"


def test_the_author_filter_reads_names_as_citations_write_them(service: SearchService) -> None:
    # "Last, First", "F. Last" and arXiv's "Last_F" found none of the author's papers.
    hits = service.search("learning", "keyword", limit=50).hits
    docs = service.keyword.docs([h.id for h in hits])
    name = next(a for d in docs.values() for a in d.authors if len(a.split()) == 2)
    given, family = name.split()
    want = {h.id for h in service.search("learning", "keyword", author=name, limit=50).hits}
    assert want
    for written in (f"{family}, {given}", f"{given[0]}. {family}", f"{family}_{given[0]}"):
        found = service.search("learning", "keyword", author=written, limit=50).hits
        assert want <= {h.id for h in found}, written
    assert not service.search("learning", "keyword", author=f"{family}, Q", limit=50).hits


def test_arxiv_field_prefixes_are_read_not_searched_as_words() -> None:
    # "ti:" was searched as the word "ti", "cat:cs.CL" as the words "cat", "cs" and "cl"
    # (which ranked papers titled "CAT-Q" first).
    assert parse_query("ti:NRITYAM abs:dance").words == ("nrityam", "dance")
    assert parse_query('ti:"language models"').phrases == (("language", "models"),)
    assert parse_query("-ti:medical images").excluded_words == ("medical",)
    parsed = parse_query("cat:cs.cl transformer")
    assert (parsed.words, parsed.category) == (("transformer",), "cs.CL")
    assert parse_query("cat:cs.CL").category == "cs.CL" and not parse_query("cat:cs.CL").empty
    both = parse_query("cat:cs.CL OR cat:cs.LG attention")  # either: a paper in any of them
    assert (both.words, both.category) == (("attention",), "cs.CL,cs.LG")
    assert parse_query("TiO2:doped").words == ("tio2", "doped")


def test_cat_in_the_query_restricts_the_search_to_that_category(service: SearchService) -> None:
    for mode in ("keyword", "hybrid", "semantic"):
        filtered = service.search("codes", mode, category="cs.IT", limit=50)
        typed = service.search("cat:cs.IT codes", mode, limit=50)
        assert filtered.hits and [h.id for h in typed.hits] == [h.id for h in filtered.hits]
    listed = service.search("cat:cs.IT", "hybrid", limit=50)
    newest = service.search("", "keyword", category="cs.IT", limit=50, sort="date")
    assert listed.fallback == "nothing to embed in the query"
    assert {h.id for h in listed.hits} == {h.id for h in newest.hits}


def test_only_exclusions_list_the_newest_papers(service: SearchService) -> None:
    # Hybrid mode fell back to keyword (rightly) and listed the papers in no order at all.
    result = service.search("-models", "hybrid", limit=50)
    assert result.mode == "keyword" and result.hits
    days = service.keyword.docs([h.id for h in result.hits])
    listed = [days[h.id].day for h in result.hits]
    assert listed == sorted(listed, reverse=True)


def test_an_arxiv_id_not_stored_finds_only_papers_that_cite_it(service: SearchService) -> None:
    # Its URL or citation was searched as words: "https", "arxiv", "abs", "cs" matched papers
    # that merely mention arXiv or have "CS" in them, under the notice that it is not here.
    for mode in ("keyword", "hybrid", "semantic"):
        for written in ("https://arxiv.org/abs/2607.99999v2", "arXiv:2607.99999 [cs.CL]"):
            assert service.search(written, mode).hits == [], (mode, written)
    with service.engine.begin() as conn:
        paper = get_paper(conn, service.search("codes", "keyword", limit=1).hits[0].id)
        assert paper is not None
        citing = replace(paper, id="2606.99998", abstract=paper.abstract + " See arXiv:2605.28062.")
        upsert_papers(conn, [citing])
    for mode in ("keyword", "hybrid"):
        found = service.search("https://arxiv.org/abs/2605.28062", mode).hits
        assert [h.id for h in found] == ["2606.99998"]


def test_typographic_quotes_quote_a_phrase(service: SearchService) -> None:
    # Phones and word processors type “ ” (and « », „ “): the quotes were read as part of the
    # words, so -“secrecy capacity” excluded "secrecy" and searched for "capacity".
    for quoted in ("“secrecy capacity”", "„secrecy capacity“", "«secrecy capacity»"):
        assert parse_query(quoted).phrases == (("secrecy", "capacity"),)
    excluded = parse_query("-“secrecy capacity” codes")
    assert (excluded.words, excluded.excluded_phrases) == (("codes",), (("secrecy", "capacity"),))
    plain = service.search('"secrecy capacity"', "keyword", limit=50)
    curly = service.search("“secrecy capacity”", "keyword", limit=50)
    assert plain.hits and [h.id for h in curly.hits] == [h.id for h in plain.hits]


def test_a_model_name_typed_without_its_hyphen_finds_it(service: SearchService) -> None:
    # "GPT5" is one word that no paper has (they write "GPT-5", two words to the index): it
    # found nothing, in every mode, and "did you mean" had nothing to offer.
    written = service.search("GPT-5", "keyword", limit=5).hits
    assert written
    for mode in ("keyword", "hybrid"):
        typed = service.search("GPT5", mode, limit=5).hits
        assert typed and typed[0].id == written[0].id, mode
        assert "<mark>GPT</mark>-<mark>5</mark>" in typed[0].snippet
