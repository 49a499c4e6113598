"""Search over the bundled demo sample of real papers (read-only store): keyword mode mostly."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from tantivy import Occur, Query

from paperfeed.models import Paper
from paperfeed.search import BadSearch, SearchService
from paperfeed.search import ids as ids_module
from paperfeed.search.keyword import HYBRID, Filters
from paperfeed.search.query import parse_query
from paperfeed.settings import Settings
from paperfeed.store import get_paper, get_papers, open_store
from paperfeed.store.tables import paper_authors, paper_categories, papers

NCN = "Neural Common Neighbor with Completion for Link Prediction"


@pytest.fixture(scope="module")
def service(
    demo_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SearchService]:
    """A service over the demo store, with its indexes in a folder of its own."""
    db_url = f"sqlite:///{demo_settings.data_dir / 'paperfeed.db'}"
    s = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path_factory.mktemp("search-demo"), database_url=db_url, _env_file=None
    )
    svc = SearchService(s, open_store(s))
    svc.refresh()
    yield svc
    svc.close()


def _ids(svc: SearchService, query: str, **kw: object) -> list[str]:
    return [h.id for h in svc.search(query, mode="keyword", **kw).hits]  # type: ignore[arg-type]


def test_index_holds_every_stored_paper(service: SearchService) -> None:
    with service.engine.connect() as conn:
        stored = conn.execute(select(papers.c.id)).scalars().all()
    assert service.keyword.num_docs == len(stored) > 2000


def test_common_neighbour_query_finds_ncn(service: SearchService) -> None:
    result = service.search(
        "learned common neighbour features for link prediction", mode="keyword", limit=5
    )
    assert result.mode == "keyword" and result.fallback is None
    assert NCN in [h.title for h in result.hits[:3]]
    assert result.total >= len(result.hits)


def test_demo_ships_vectors_so_every_mode_finds_ncn(service: SearchService) -> None:
    query = "learned common neighbour features for link prediction"
    for mode in ("semantic", "hybrid"):
        result = service.search(query, mode=mode, limit=5)
        assert (result.mode, result.fallback) == (mode, None)
        assert NCN in [h.title for h in result.hits[:3]]
    ncn = service.search(NCN, limit=1).hits[0]
    similar = service.similar(ncn.id, limit=5)
    assert len(similar) == 5 and ncn.id not in {h.id for h in similar}
    assert any("Link Pre" in h.title for h in similar)


def test_exact_title_comes_first(service: SearchService) -> None:
    with service.engine.connect() as conn:
        row = conn.execute(select(papers.c.id, papers.c.title).limit(1).offset(1234)).one()
    for mode in ("keyword", "hybrid"):
        hits = service.search(row.title.upper(), mode=mode, limit=3).hits
        assert hits[0].id == row.id


@pytest.mark.parametrize("form", ["{id}", "{id}v2", "https://arxiv.org/abs/{id}", "arXiv:{id}v1"])
def test_an_arxiv_id_or_url_finds_that_paper_alone(service: SearchService, form: str) -> None:
    with service.engine.connect() as conn:
        pid = conn.execute(
            select(papers.c.id).where(papers.c.id.not_like("local-%")).limit(1).offset(500)
        ).scalar_one()
    for mode in ("keyword", "hybrid", "semantic"):
        found = service.search(form.format(id=pid), mode=mode, limit=3)
        # The paper named is the answer: the URL's words ("https", "abs") list nothing else.
        assert [h.id for h in found.hits] == [pid] and found.total == 1
    unknown = service.search(form.format(id="2912.99999"), mode="keyword", limit=3)
    assert all(h.id != "2912.99999" for h in unknown.hits)  # not stored: its words are searched


def test_phrase_requires_the_words_in_order(service: SearchService) -> None:
    hits = service.search('"feature pyramid"', mode="keyword", limit=20).hits
    assert hits
    for hit in hits:
        paper = _paper(service, hit.id)
        text = " ".join(re.findall(r"\w+", (paper.title + " " + paper.abstract).lower()))
        assert re.search(r"\bfeature pyramids?\b", text), hit.title


def test_prefix_and_exclusion(service: SearchService) -> None:
    with_survey = _ids(service, "transform*", limit=200)
    without = _ids(service, "transform* -survey", limit=200)
    assert with_survey and without
    for pid in without:
        paper = _paper(service, pid)
        text = (paper.title + " " + paper.abstract).lower()
        assert "transform" in text
        assert "survey" not in re.findall(r"\w+", text)
    assert any("survey" in _paper(service, p).abstract.lower() for p in with_survey)


def test_category_author_and_date_filters(service: SearchService) -> None:
    with service.engine.connect() as conn:
        category = conn.execute(
            select(paper_categories.c.category).where(paper_categories.c.position == 0).limit(1)
        ).scalar_one()
        author = conn.execute(select(paper_authors.c.name).limit(1).offset(77)).scalar_one()
    in_category = _ids(service, "learning", category=category, limit=50)
    assert in_category
    for pid in in_category:
        assert category in _paper(service, pid).categories
    by_author = _ids(service, "", author=author, limit=50)
    assert by_author
    for pid in by_author:
        assert author in _paper(service, pid).authors
    day = date(2026, 6, 25)
    dated = _ids(service, "model", since=day, until=day, limit=50)
    assert dated
    assert {_paper(service, p).listing_date for p in dated} == {day}


def test_sort_by_date_is_newest_first(service: SearchService) -> None:
    ids = _ids(service, "graph neural network", sort="date", limit=1000)
    days = [_paper(service, p).listing_date for p in ids]
    assert days == sorted(days, reverse=True)
    assert len(set(days)) > 1


def test_paging_does_not_repeat(service: SearchService) -> None:
    first = _ids(service, "graph neural network", limit=10)
    second = _ids(service, "graph neural network", limit=10, offset=10)
    assert first == _ids(service, "graph neural network", limit=20)[:10]
    assert not set(first) & set(second)


def test_snippet_is_escaped_and_marked(service: SearchService) -> None:
    hit = service.search("graph neural network", mode="keyword", limit=1).hits[0]
    assert "<mark>" in hit.snippet
    stripped = hit.snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped and ">" not in stripped
    words = re.findall(r"\w+", html.unescape(stripped).replace("…", ""))
    abstract = _paper(service, hit.id).abstract
    assert all(w in abstract for w in words)


def test_bad_options_are_clear_errors(service: SearchService) -> None:
    with pytest.raises(BadSearch, match="mode"):
        service.search("x", mode="fuzzy")
    with pytest.raises(BadSearch, match="limit"):
        service.search("x", limit=0)
    with pytest.raises(BadSearch, match="sort"):
        service.search("x", sort="stars")


ODD = [
    "C++",
    '"unbalanced',
    "AND OR NOT",
    "-",
    "*",
    ":",
    "😀",
    "title:",
    "a" * 10_000,
    "(((",
    "\\",
    "'; DROP TABLE papers; --",
    "\x00",
    "x" * 300 + "*",
    "NOT",
    '-""',
    "*:*",
]


@pytest.mark.parametrize("query", ODD)
def test_odd_queries_give_results(service: SearchService, query: str) -> None:
    result = service.search(query, mode="keyword", limit=5)
    assert result.mode == "keyword" and result.total >= len(result.hits)
    assert all(hit.id and hit.title for hit in result.hits)
    # The same query with one known word added still finds that word's papers: odd text is inert.
    mixed = service.search(f"{query} transformer", mode="keyword", limit=5)
    assert mixed.hits and mixed.total >= 1


def test_ten_kilobytes_of_abstract_finds_its_paper(service: SearchService) -> None:
    with service.engine.connect() as conn:
        pid = conn.execute(select(papers.c.id).limit(1).offset(42)).scalar_one()
    paper = _paper(service, pid)
    query = (paper.abstract + " ") * (10_000 // max(len(paper.abstract), 1) + 1)
    assert len(query) >= 10_000
    assert _ids(service, query, limit=3)[0] == pid


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=200) | st.text(alphabet='"-*:()^~!+&|\\/ab', max_size=30))
def test_any_text_is_a_valid_query(service: SearchService, text: str) -> None:
    result = service.search(text, mode="keyword", limit=3)
    assert result.mode == "keyword"
    assert len(result.hits) <= 3


def _paper(service: SearchService, pid: str):  # type: ignore[no-untyped-def]
    with service.engine.connect() as conn:
        paper = get_paper(conn, pid)
    assert paper is not None
    return paper


def test_filters_and_ids_agree_with_store(service: SearchService) -> None:
    ids = _ids(service, "diffusion", limit=30)
    with service.engine.connect() as conn:
        found = get_papers(conn, ids)
    assert set(found) == set(ids)
    assert Path(service.settings.data_dir / "index" / "keyword").is_dir()


@given(st.integers(0, 9999), st.integers(0, 99999), st.booleans())
def test_new_style_ids_round_trip_through_their_numeric_key(
    yymm: int, number: int, five: bool
) -> None:
    digits = 5 if five or number > 9999 else 4
    pid = f"{yymm:04d}.{number:0{digits}d}"
    assert ids_module.key_id(ids_module.id_key(pid)) == pid


@pytest.mark.parametrize(
    "pid", ["hep-th/9901001", "local-3f2a", "2501.123", "2501.123456", "2501.12345v2", "x"]
)
def test_other_ids_have_no_key(pid: str) -> None:
    assert ids_module.id_key(pid) == 0
    assert ids_module.key_id(0) is None and ids_module.key_id(None) is None


@pytest.mark.parametrize(
    "text",
    ["large language models", "graph neural networks for molecules", "Yann LeCun", "diffus*"],
)
def test_a_flat_union_of_the_words_ranks_as_one_group_per_word(
    service: SearchService, text: str
) -> None:
    """The "any of the words" query is one flat union of term queries (tantivy runs it faster):
    the same papers, order and BM25 scores as a union of one group per word."""
    keyword, parsed = service.keyword, parse_query(text)
    words = list(dict.fromkeys(parsed.meaningful))
    groups = [keyword._word(w, HYBRID) for w in words] + [
        keyword._prefix(p) for p in parsed.prefixes
    ]
    nested = Query.boolean_query(
        [(Occur.Should, Query.boolean_query([(Occur.Should, q) for q in g])) for g in groups if g]
        + [(Occur.Should, q) for q in keyword._full_name(words)]
    )
    found = keyword.index.searcher().search(nested, 60, count=True)
    flat, total = keyword.search(parsed, Filters(), 60, weights=HYBRID)
    assert total == found.count > 0
    assert [round(s, 4) for _p, s in flat] == [round(s, 4) for s, _a in found.hits]
    assert [p for p, _s in flat] == keyword._read(keyword.index.searcher(), found.hits)


@pytest.fixture(scope="module")
def stems_of_papers(service: SearchService) -> dict[str, set[str]]:
    """Each stored paper's stemmed words: title, abstract, author names, comments and journal
    reference."""
    stem = service.keyword.stem
    with service.engine.connect() as conn:
        ids = conn.execute(select(papers.c.id)).scalars().all()
        found = get_papers(conn, ids, brief=True)
    return {
        pid: set(stem.analyze(" ".join([p.title, p.abstract, *p.authors, *venue(p)])))
        for pid, p in found.items()
    }


def venue(paper: Paper) -> list[str]:
    """A paper's comments and journal reference (searched too, weighed low)."""
    return [paper.comments or "", paper.journal_ref or ""]


@pytest.mark.parametrize(
    "text",
    [
        "large language models",
        "graph neural networks",
        "Yann LeCun",
        "diffus* image",
        "reinforcement learning robots",
        "transformer attention efficient",
    ],
)
def test_every_word_finds_exactly_the_papers_holding_each_word(
    service: SearchService, stems_of_papers: dict[str, set[str]], text: str
) -> None:
    """Keyword mode's "every word" query (one term of the combined `text` field per word)
    holds exactly the papers that have each word, or a word starting with each prefix, in
    the title, the abstract, an author's name or the comments and journal reference, as
    stemmed: checked paper by paper."""
    keyword, parsed = service.keyword, parse_query(text)
    words = [keyword.stem.analyze(w)[0] for w in parsed.meaningful]
    starts = [keyword._prefix_stem(p) for p in parsed.prefixes]
    expected = {
        pid
        for pid, stems in stems_of_papers.items()
        if all(w in stems for w in words)
        and all(any(t.startswith(p) for t in stems) for p in starts)
    }
    hits, total = keyword.search(parsed, Filters(), 5000, all_words=True)
    assert {p for p, _s in hits} == expected and total == len(expected) > 0


def test_every_word_still_weighs_the_title(service: SearchService) -> None:
    """Papers with every word in the title rank above those with none of them there."""
    keyword = service.keyword
    hits, _total = keyword.search(
        parse_query("link prediction completion"), Filters(), 50, all_words=True
    )
    with service.engine.connect() as conn:
        found = get_papers(conn, [p for p, _s in hits], brief=True)
    wanted = set(keyword.stem.analyze("link prediction completion"))
    in_title = [len(wanted & set(keyword.stem.analyze(found[p].title))) for p, _s in hits]
    full = [i for i, n in enumerate(in_title) if n == len(wanted)]
    none = [i for i, n in enumerate(in_title) if n == 0]
    assert full and none and max(full) < min(none)


def test_c_plus_plus_and_c_sharp_are_words_of_their_own(service: SearchService) -> None:
    """ "C++" was searched as "c" (every paper with a lone C, a variable or a class): it is now
    a word of its own, in the query, the index and the snippet's marks."""
    found = service.search("C++", mode="keyword", limit=10)
    assert [h.id for h in found.hits] == ["2606.24780"] and found.total == 1  # "A C++/CUDA …"
    hit = found.hits[0]
    assert "<mark>C++</mark>" in hit.snippet or "C++" not in _paper(service, hit.id).abstract
    assert _ids(service, '"C++ framework"') == []  # phrase: the title's words are not adjacent
    assert "2606.24780" in _ids(service, "c++ cuda framework", limit=3)
    assert "2606.24780" not in _ids(service, "c++ -cuda")
    assert service.search("c", mode="keyword").total > 50  # what "C++" used to find
    sharp = service.search("C#", mode="keyword")
    assert sharp.total == 0 and sharp.suggestion is None  # no C# paper; "sharp" is no fix
    assert parse_query("C# and F# or c++17, not C++x").words == (
        "csharp", "and", "fsharp", "or", "cplusplus", "17", "not", "c", "x",
    )  # fmt: skip


def test_a_turkish_dotted_capital_i_is_found_without_its_dot(tmp_path: Path) -> None:
    """ "İsmail" lower-cases to "i" with a combining dot, which neither "ismail" nor "İsmail"
    typed as a query matched."""
    from datetime import UTC, datetime

    from paperfeed.search.keyword import KeywordIndex
    from paperfeed.store.search_store import IndexRow

    index = KeywordIndex(tmp_path / "keyword")
    now = datetime(2026, 7, 1, tzinfo=UTC).replace(tzinfo=None)
    papers = [
        ("2607.00002", "Light fields", "We study light.", ("İsmail Işık",)),
        ("2607.00003", "Ismail's İstanbul dataset", "Roads.", ("Ann Lee",)),
    ]
    rows = [IndexRow(*p, ("cs.CV",), None, now, False) for p in papers]
    index.apply([rows])
    for query in ("ismail", "İsmail", "İSMAİL", "isik"):
        hits, _total = index.search(parse_query(query), Filters(), 10)
        assert "2607.00002" in {p for p, _s in hits}, query
    hits, _total = index.search(parse_query("istanbul"), Filters(), 10)
    assert {p for p, _s in hits} == {"2607.00003"}
    for name in ("Ismail Isik", "İsmail Işık", "ismail"):  # the author filter reads names so too
        hits, _total = index.search(parse_query(""), Filters(author=name), 10)
        assert {p for p, _s in hits} == {"2607.00002"}, name


def test_a_word_inside_chinese_or_japanese_text_is_found(tmp_path: Path) -> None:
    """Written without spaces, a whole title or sentence was one word: "学习" found nothing
    in "基于深度学习的图像分割". Runs are indexed as pairs of characters; a query's run is a
    phrase of its pairs, so it matches those characters in that order only."""
    from datetime import UTC, datetime

    from paperfeed.search.keyword import KeywordIndex
    from paperfeed.store.search_store import IndexRow

    index = KeywordIndex(tmp_path / "keyword")
    now = datetime(2026, 7, 1, tzinfo=UTC).replace(tzinfo=None)
    papers = [
        ("2607.00011", "基于深度学习的图像分割", "本文提出一种新方法。We segment.", ("王小明",)),
        ("2607.00012", "大規模言語モデルの評価", "言語モデルを評価する。", ("山田 太郎",)),
        ("2607.00013", "Learning to read", "学深 and 习学: the same characters, not in order.", ()),
    ]
    index.apply([[IndexRow(*p, ("cs.CV",), None, now, False) for p in papers]])

    def found(query: str, author: str | None = None) -> set[str]:
        hits, _total = index.search(parse_query(query), Filters(author=author), 10)
        return {p for p, _s in hits}

    assert found("学习") == found("深度学习") == found("图像分割 segment") == {"2607.00011"}
    assert found("言語モデル") == found("モデル") == found('"言語モデル"') == {"2607.00012"}
    assert found("学深习") == set()  # its pairs appear, but not in a row
    assert found("learning -学习") == {"2607.00013"}
    assert found("", author="小明") == found("", author="王小明") == {"2607.00011"}
    assert found("模") == found("モ") == {"2607.00012"}  # one character, inside a run
    assert found("深") == {"2607.00011", "2607.00013"}  # at a pair's start or end
    assert found("分 segment") == {"2607.00011"} and found("learning -深") == set()
    assert found("鳥") == set()
    assert parse_query("深度学习 model").phrases == (("深度", "度学", "学习"),)
    assert parse_query("state-of-the-art").phrases == ()  # other scripts' words stay words
