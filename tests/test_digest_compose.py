"""Ranking each subscriber's papers (digest/compose.py): reasons, exclusions, the trending blend."""

from __future__ import annotations

import re
from collections.abc import Set
from datetime import date

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from paperfeed.digest.compose import Ranking, _TextIndex, compose, interest_rows
from paperfeed.digest.subscriber import Preferences, Subscriber
from paperfeed.store.digests import Candidate, InterestRow
from paperfeed.store.papers import author_key

DAY = date(2026, 7, 1)
RANKING = Ranking(trending_weight=0.3, min_similarity=0.3)


def cand(
    pid: str,
    title: str,
    authors: tuple[str, ...] = ("A. Person",),
    cats: tuple[str, ...] = ("cs.LG",),
    abstract: str = "",
) -> Candidate:
    keys = tuple(author_key(a) for a in authors)
    return Candidate(pid, title, abstract, authors, keys, cats, 0, 0, DAY)


def unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


CANDS = [
    cand("p1", "Speech recognition with transformers", ("Zoë Müller", "B. Two"), ("cs.CL",)),
    cand("p2", "Graph neural networks for molecules", cats=("cs.LG", "q-bio.BM")),
    cand("p3", "A survey of diffusion models", abstract="We review speech and images."),
    cand("p4", "Reinforcement learning for robots", cats=("cs.RO",)),
]
VECTORS = {
    "p1": unit(1, 0, 0),
    "p2": unit(0, 1, 0),
    "p3": unit(0, 0, 1),
    "p4": unit(1, 1, 0),
    "seed": unit(0.1, 1, 0),
}


def run(
    prefs: Preferences,
    excluded: Set[str] = frozenset(),
    vectors=VECTORS,
    trend=None,  # type: ignore[no-untyped-def,assignment]
    rows: list[InterestRow] | None = None,
    seed_title: str = "A seed paper",
):
    sub = Subscriber(1, "a@b.org", "confirmed", "n", prefs)
    trend = np.zeros(len(CANDS), dtype=np.float32) if trend is None else trend
    [digest] = compose(
        [sub],
        {1: rows if rows is not None else interest_rows(sub)},
        CANDS,
        vectors,
        {1: set(excluded)},
        trend,
        {"seed": seed_title},
        RANKING,
        {1: "daily:x"},
    )
    return [(i.paper_id, i.why) for i in digest.items]


def test_followed_author_matches_whatever_the_accents_and_case() -> None:
    got = run(Preferences(authors=("zoe muller",), include_trending=False))
    assert got == [("p1", "by Zoë Müller, whom you follow")]


def test_keyword_in_title_ranks_above_keyword_in_abstract() -> None:
    got = run(Preferences(keywords=("speech",), include_trending=False))
    assert [pid for pid, _ in got] == ["p1", "p3"]
    assert all(why == "matches your search “speech”" for _, why in got)


def test_category_interest_and_max_papers() -> None:
    got = run(Preferences(categories=("cs.LG",), include_trending=False, max_papers=1))
    assert got == [("p2", "new in cs.LG")] or got == [("p3", "new in cs.LG")]


def test_seed_papers_pull_in_similar_ones_and_are_never_sent_themselves() -> None:
    got = run(Preferences(seeds=("seed",), include_trending=False))
    assert got[0] == ("p2", "like “A seed paper”, a paper you picked")
    assert "p1" not in [pid for pid, _ in got] and "p3" not in [pid for pid, _ in got]


def test_a_seed_papers_title_reads_as_text_in_the_reason() -> None:
    title = r"Attention Is $\mathcal{O}(n^2)$ for \emph{all}"
    got = run(Preferences(seeds=("seed",), include_trending=False), seed_title=title)
    assert got[0] == ("p2", "like “Attention Is 𝒪(n^2) for all”, a paper you picked")


def test_semantic_search_uses_the_stored_query_vector() -> None:
    rows = [InterestRow("semantic", "robots that learn", unit(1, 0.9, 0).tobytes())]
    got = run(Preferences(searches=("robots that learn",), include_trending=False), rows=rows)
    assert got[0] == ("p4", "close to your search “robots that learn”")
    assert {pid for pid, _ in got} == {"p1", "p2", "p4"}  # p3 is orthogonal: below the threshold


def test_semantic_search_falls_back_to_keywords_without_vectors() -> None:
    rows = [InterestRow("semantic", "graph neural", None)]
    got = run(
        Preferences(searches=("graph neural",), include_trending=False), rows=rows, vectors={}
    )
    assert got == [("p2", "matches your search “graph neural”")]


def test_papers_already_sent_never_come_again() -> None:
    got = run(Preferences(keywords=("speech",), include_trending=False), excluded={"p1"})
    assert [pid for pid, _ in got] == ["p3"]


def test_nothing_matching_and_no_trending_gives_an_empty_digest() -> None:
    assert run(Preferences(keywords=("zebrafish",), include_trending=False)) == []


def test_trending_fills_in_and_is_blended_after_personal_matches() -> None:
    trend = np.array([0.0, 0.2, 0.0, 1.0], dtype=np.float32)
    got = run(Preferences(keywords=("speech",)), trend=trend)
    assert [pid for pid, _ in got] == ["p1", "p3", "p4", "p2"]
    assert got[2][1] == "trending" and got[3][1] == "trending"


@settings(max_examples=60, deadline=None)
@given(
    subs=st.lists(
        st.tuples(
            st.integers(1, 6),
            st.booleans(),
            st.lists(
                st.sampled_from(["speech", "graph", "robots", "zebrafish"]), max_size=2, unique=True
            ),
            st.lists(st.sampled_from(["cs.CL", "cs.LG", "cs.RO"]), max_size=2, unique=True),
            st.sets(st.sampled_from(["p1", "p2", "p3", "p4"])),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_every_digest_is_unique_bounded_explained_and_respects_exclusions(subs) -> None:  # type: ignore[no-untyped-def]
    people = [
        Subscriber(
            i,
            f"s{i}@x.org",
            "confirmed",
            "n",
            Preferences(max_papers=n, include_trending=t, keywords=tuple(k), categories=tuple(c)),
        )
        for i, (n, t, k, c, _) in enumerate(subs)
    ]
    excluded = {i: ex for i, (*_, ex) in enumerate(subs)}
    trend = np.array([0.5, 0.1, 0.9, 0.0], dtype=np.float32)
    digests = compose(
        people,
        {p.id: interest_rows(p) for p in people},
        CANDS,
        VECTORS,
        excluded,
        trend,
        {},
        RANKING,
        {p.id: "daily:x" for p in people},
    )
    for person, digest in zip(people, digests, strict=True):
        ids = [i.paper_id for i in digest.items]
        assert len(ids) == len(set(ids)) <= person.prefs.max_papers
        assert not set(ids) & excluded[person.id]
        assert all(i.why for i in digest.items)
        if not person.prefs.include_trending:
            assert all(i.why != "trending" for i in digest.items)
        if person.prefs.include_trending:  # trending fills up to the limit with what is left
            assert len(ids) == min(person.prefs.max_papers, 4 - len(excluded[person.id]))


@settings(max_examples=80, deadline=None)
@given(
    texts=st.lists(st.text(alphabet="ab cdé-_1", max_size=25), max_size=8),
    query=st.text(alphabet="ab cdé1", max_size=6),
)
def test_keyword_index_matches_word_starts_like_a_regex(texts: list[str], query: str) -> None:
    terms = re.findall(r"\w+", query.lower())
    expected = {
        i for i, t in enumerate(texts)
        if terms and all(re.search(rf"\b{re.escape(w)}", t.lower()) for w in terms)
    }  # fmt: skip
    assert _TextIndex(texts).having_all(terms) == expected


def test_each_interest_gets_its_turn_before_one_fills_the_digest() -> None:
    """A keyword that matched most of the week filled every place (8 of 10 in a tester's
    digest), and the followed category, whose papers score lower, got none."""
    many = [cand(f"t{n}", f"Transformer study {n}", cats=("cs.CL",)) for n in range(12)]
    robots = [cand(f"r{n}", f"Robot arm {n}", cats=("cs.RO",)) for n in range(3)]
    sub = Subscriber(
        1,
        "a@b.org",
        "confirmed",
        "n",
        Preferences(
            keywords=("transformer",), categories=("cs.RO",), include_trending=False, max_papers=6
        ),
    )
    cands = many + robots
    [digest] = compose(
        [sub],
        {1: interest_rows(sub)},
        cands,
        {},
        {1: set()},
        np.zeros(len(cands), dtype=np.float32),
        {},
        RANKING,
        {1: "daily:x"},
    )
    got = [(i.paper_id, i.why) for i in digest.items]
    assert len(got) == 6
    assert [why for _pid, why in got].count("new in cs.RO") == 3  # each turn, until none is left
    assert [pid for pid, _why in got[:3]] == ["t0", "t1", "t2"]  # best first, as before
    alone = run(Preferences(keywords=("speech",), include_trending=False))
    assert [pid for pid, _ in alone] == ["p1", "p3"]  # one interest: unchanged


def test_trending_takes_a_turn_in_a_digest_of_several_interests_when_wanted() -> None:
    """Interests that matched dozens of papers filled every place, so "include trending" did
    nothing for a subscriber with more than one interest."""
    many = [cand(f"t{n}", f"Transformer study {n}", cats=("cs.CL",)) for n in range(12)]
    robots = [cand(f"r{n}", f"Robot arm {n}", cats=("cs.RO",)) for n in range(12)]
    hot = [cand(f"h{n}", f"Protein folding {n}", cats=("q-bio.BM",)) for n in range(3)]
    cands = many + robots + hot
    trending = np.zeros(len(cands), dtype=np.float32)
    trending[-3:] = [1.0, 0.8, 0.6]  # only the unrelated papers trend

    def picks(include: bool) -> list[tuple[str, str]]:
        prefs = Preferences(
            keywords=("transformer",), categories=("cs.RO",), include_trending=include,
            max_papers=8,
        )  # fmt: skip
        sub = Subscriber(1, "a@b.org", "confirmed", "n", prefs)
        [digest] = compose(
            [sub], {1: interest_rows(sub)}, cands, {}, {1: {"h0"}}, trending, {}, RANKING,
            {1: "daily:x"},
        )  # fmt: skip
        return [(i.paper_id, i.why) for i in digest.items]

    wanted = picks(True)
    trend = [(pid, why) for pid, why in wanted if pid.startswith("h")]
    assert [pid for pid, _ in trend] == ["h1", "h2"]  # a quarter of 8; h0 was sent before
    assert all(why.startswith("trending") for _, why in trend)
    assert len(wanted) == 8 and sum(pid.startswith("r") for pid, _ in wanted) >= 2
    unwanted = picks(False)
    assert len(unwanted) == 8 and not any(pid.startswith("h") for pid, _ in unwanted)
