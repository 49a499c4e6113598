"""The ranker on small synthetic papers: signals, reasons, mutes, diversity, negatives."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from paperfeed.recommend import model as rec
from paperfeed.recommend.model import ranking

TOPICS = {
    "graph": "graph neural networks message passing node classification",
    "vision": "image segmentation convolutional vision transformer pixels",
    "speech": "speech recognition acoustic model audio waveform",
}


def _docs() -> tuple[list[rec.Doc], np.ndarray]:
    docs, vecs = [], []
    for t, (name, words) in enumerate(TOPICS.items()):
        axis = np.eye(3, dtype=np.float32)[t]
        for i in range(6):
            doc = rec.Doc(
                f"{name}-{i}",
                f"{name.title()} paper {i}",
                f"{words} variant {i}",
                (f"Author {name} {i % 2}",),
                (f"cs.{name[:2].upper()}",),
                date(2026, 6, 1),
            )
            docs.append(doc)
            vecs.append(axis + 0.05 * i * np.roll(axis, 1))
    return docs, np.vstack(vecs)


def _signal(doc: rec.Doc, sign: int, vec: np.ndarray, age: float = 1.0) -> rec.Signal:
    return rec.Signal(doc, sign, "library", age, vec)


def test_likes_rank_their_topic_first_with_a_reason() -> None:
    docs, vecs = _docs()
    space = rec.build_space(docs[1:], vecs[1:])
    model = rec.train([_signal(docs[0], 1, vecs[0])], space, rec.Follows(), rec.Tuning())
    top = rec.rank(model, space, 5)
    # The nearest first; the rest of its topic (near-ties, which MMR may reorder) before others.
    assert top[0].id == "graph-1" and {r.id for r in top} == {f"graph-{i}" for i in range(1, 6)}
    assert top[0].why == "close to “Graph paper 0” in your library"


def test_negatives_follows_and_mutes() -> None:
    docs, vecs = _docs()
    space = rec.build_space(docs, vecs)
    follows = rec.Follows(authors=frozenset({"author speech 1"}), muted_keywords=("segmentation",))
    signals = [_signal(docs[0], 1, vecs[0]), _signal(docs[6], -1, vecs[6])]
    model = rec.train(signals, space, follows, rec.Tuning())
    ranked = rec.rank(model, space, 18, exclude=frozenset({"graph-0"}))
    ids = [r.id for r in ranked]
    assert not [i for i in ids if i.startswith("vision")]  # muted keyword
    assert ids[0].startswith("speech") and ranked[0].why == "by Author speech 1, whom you follow"
    assert "graph-0" not in ids


def test_a_why_line_names_every_followed_category_and_author_it_matched() -> None:
    """A paper in two followed categories said only the first ("in cs.CL, which you follow")."""
    doc = rec.Doc(
        "both-1",
        "Speech and graphs",
        "speech recognition acoustic model graph message passing",
        ("Ann Lee", "Bo Chen", "Cy Dee"),
        ("cs.GR", "cs.SP", "cs.LG"),
        date(2026, 6, 1),
    )
    space = rec.build_space([doc], np.eye(3, dtype=np.float32)[:1])
    follows = rec.Follows(categories=frozenset({"cs.SP", "cs.GR"}))
    [ranked] = rec.rank(rec.train([], space, follows, rec.Tuning()), space, 1)
    assert ranked.why == "in cs.GR and cs.SP, which you follow"
    follows = rec.Follows(authors=frozenset({"ann lee", "bo chen", "cy dee"}))
    [ranked] = rec.rank(rec.train([], space, follows, rec.Tuning()), space, 1)
    assert ranked.why == "by Ann Lee, Bo Chen and Cy Dee, whom you follow"


def test_mmr_mixes_topics_into_the_head() -> None:
    docs, vecs = _docs()
    space = rec.build_space(docs[1:], vecs[1:])
    likes = [_signal(docs[0], 1, vecs[0]), _signal(docs[12], 1, vecs[12], age=300)]
    plain = replace(rec.Tuning(), mmr_lambda=1.0, category_weight=0.0)
    mixed = replace(rec.Tuning(), mmr_lambda=0.5, mmr_depth=4, category_weight=0.0)
    head = [r.id[:5] for r in rec.rank(rec.train(likes, space, rec.Follows(), plain), space, 4)]
    diverse = [r.id[:5] for r in rec.rank(rec.train(likes, space, rec.Follows(), mixed), space, 4)]
    assert set(head) == {"graph"}  # the recent like dominates without diversification
    assert "speec" in diverse


def test_recency_halves_at_the_half_life_and_has_a_floor() -> None:
    tuning = rec.Tuning()
    assert rec.recency(tuning.half_life_days, tuning) == 0.5
    assert rec.recency(10_000, tuning) == tuning.min_recency


def test_keyword_neighbours_average_the_nearest_positives() -> None:
    docs, vecs = _docs()
    space = rec.build_space(docs, vecs)
    likes = [_signal(d, 1, vecs[i]) for i, d in enumerate(docs) if i in (0, 1, 2, 3, 4, 12)]
    nearest = replace(rec.Tuning(), neighbour_k=1)
    near = rec.keyword_neighbours(rec.train(likes, space, rec.Follows(), nearest), space)
    assert abs(float(near[0]) - 1.0) < 1e-5 and abs(float(near[12]) - 1.0) < 1e-5
    assert float(near[13]) > 0.3 and float(near[6]) < 0.1  # speech-1 near, vision-0 far
    # Five graph likes do not drown the one speech like (a centroid would).
    assert float(near[13]) > 0.8 * float(near[5])
    # The default: the mean of the 3 largest cosines, as computed directly.
    three = rec.keyword_neighbours(rec.train(likes, space, rec.Follows(), rec.Tuning()), space)
    cand = space.keywords.toarray()
    pos = space.vectorizer.transform([s.doc.text for s in likes]).toarray()
    expected = np.sort(cand @ pos.T, axis=1)[:, -3:].mean(axis=1)
    assert np.allclose(three, expected, atol=1e-5) and not np.allclose(three, near)


def test_neighbours_rank_a_minority_interest_above_unrelated_papers() -> None:
    docs, vecs = _docs()
    space = rec.build_space(docs[7:12] + docs[13:18], np.vstack([vecs[7:12], vecs[13:18]]))
    likes = [_signal(docs[i], 1, vecs[i]) for i in (0, 1, 2, 3, 4, 5, 12)]
    alone = replace(
        rec.Tuning(),
        keyword_weight=0.0,
        meaning_weight=0.0,
        category_weight=0.0,
        mmr_lambda=1.0,
        neighbour_weight=1.0,
    )
    off = replace(alone, neighbour_weight=0.0)
    top = [r.id for r in rec.rank(rec.train(likes, space, rec.Follows(), alone), space, 5)]
    assert all(i.startswith("speech") for i in top)
    without = rec.train(likes, space, rec.Follows(), off)
    assert without.pos_keywords is None and not rec.score(without, space).scores.any()


def test_neighbours_kept_from_training_only_serve_the_same_space() -> None:
    docs, vecs = _docs()
    trained_on = rec.build_space(docs, vecs)
    likes = [_signal(docs[0], 1, vecs[0]), _signal(docs[12], 1, vecs[12])]
    model = rec.train(likes, trained_on, rec.Follows(), rec.Tuning())
    assert rec.keyword_neighbours(model, trained_on) is model.neighbours
    # Another space over the same features (other rows) is scored afresh, row for row.
    other = rec.Space(docs[12:], trained_on.vectorizer, trained_on.keywords[12:], vecs[12:])
    fresh = rec.keyword_neighbours(model, other)
    assert model.neighbours is not None and fresh is not model.neighbours
    assert fresh.shape == (6,) and np.allclose(fresh, model.neighbours[12:])
    assert np.argmax(rec.score(model, other).scores) == 0  # speech-0, which is liked


def test_matching_terms_are_the_paper_terms_weighted_most() -> None:
    docs, vecs = _docs()
    space = rec.build_space(docs, vecs)
    model = rec.train([_signal(docs[0], 1, vecs[0])], space, rec.Follows(), rec.Tuning())
    row = space.keywords[1].toarray()[0] * model.term_weights
    assert space.terms is not None
    ranked = [str(space.terms[i]) for i in np.argsort(-row, kind="stable") if row[i] > 0]
    expected: list[str] = []
    for term in ranked:  # the best terms that share no word with a better one
        if not any(set(term.split()) & set(t.split()) for t in expected):
            expected.append(term)
    shown = rec.matching_terms(model, space, 1, 3)
    assert len(expected) >= 3 and shown == expected[:3]
    assert shown != ranked[:3]  # the raw top three share a word here
    assert rec.matching_terms(model, space, 7, 3) == []  # a vision paper: nothing in common


def test_every_product_of_a_page_view_runs_on_one_blas_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """MMR's small product on many BLAS threads cost ~30 ms a feed on a busy 2-core machine."""
    seen: list[list[int]] = []
    real_mmr, real_score = rec._mmr, rec.score

    def blas_threads() -> list[int]:
        return [int(p["num_threads"]) for p in threadpool_info() if p["user_api"] == "blas"]

    def mmr(*args: object) -> list[int]:
        seen.append(blas_threads())
        return real_mmr(*args)  # type: ignore[arg-type]

    def score(*args: object) -> rec.Scored:
        seen.append(blas_threads())
        return real_score(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(ranking, "_mmr", mmr)  # where `rank` looks them up
    monkeypatch.setattr(ranking, "score", score)
    docs, vecs = _docs()
    space = rec.build_space(docs[1:], vecs[1:])
    model = rec.train([_signal(docs[0], 1, vecs[0])], space, rec.Follows(), rec.Tuning())
    with threadpool_limits(limits=4, user_api="blas"):  # what an unlimited process would use
        assert len(rec.rank(model, space, 5)) == 5
    assert len(seen) == 2 and all(n == [1] * len(n) and n for n in seen), seen


def test_the_comment_line_counts_in_keyword_features_not_in_mutes() -> None:
    """A venue the reader's paper shares with a new one ("MICCAI") lifts it above its twin from
    another venue; mutes and followed searches still read the title and abstract only."""
    from paperfeed.models import Paper
    from paperfeed.recommend.service import doc_of

    docs, vecs = _docs()
    liked = replace(docs[0], comments="Accepted at MICCAI 2026")
    same = replace(docs[7], id="vision-a", comments="To appear at MICCAI 2026")
    other = replace(docs[7], id="vision-b", comments="To appear at CVPR 2026")
    pool = [*docs[1:], other, same]
    space = rec.build_space(pool, np.vstack([vecs[1:], vecs[7], vecs[7]]), [liked.keyword_text])
    model = rec.train([_signal(liked, 1, vecs[0])], space, rec.Follows(), rec.Tuning())
    order = [r.id for r in rec.rank(model, space, len(pool))]
    assert order.index("vision-a") < order.index("vision-b")
    assert "miccai" in same.keyword_text.lower() and "miccai" not in same.text.lower()
    assert not rec.is_muted(same, rec.Follows(muted_keywords=("miccai",)))
    stored = Paper("2607.00001", "T", "A", comments="MICCAI 2026")
    assert doc_of(stored).comments == "MICCAI 2026"


def test_a_paper_with_several_signals_is_leaned_on_once() -> None:
    """Saved, rated 👍 and upvoted: one paper, its strongest weight, all three sources named."""
    docs, vecs = _docs()
    space = rec.build_space(docs[2:], vecs[2:])
    signals = [
        rec.Signal(docs[0], 1, "upvote", 1.0, vecs[0]),
        rec.Signal(docs[0], 1, "rating", 1.0, vecs[0]),
        rec.Signal(docs[0], 1, "library", 1.0, vecs[0]),
        rec.Signal(docs[1], 1, "upvote", 0.0, None),  # no vector: still a paper it learned from
        rec.Signal(docs[6], -1, "rating", 1.0, vecs[6]),
    ]
    model = rec.train(signals, space, rec.Follows(), rec.Tuning())
    leaned = rec.papers_leaned_on(model)
    assert [(p.id, p.sources, p.labels) for p in leaned] == [
        ("graph-0", ("library", "rating", "upvote"), ("saved", "👍", "upvoted")),
        ("graph-1", ("upvote",), ("upvoted",)),
    ]
    assert leaned[0].weight == pytest.approx(rec.recency(1.0, rec.Tuning()))
    assert leaned[1].weight == pytest.approx(0.7)
    assert rec.positive_papers(model) == 2


def test_a_papers_several_signals_are_learned_from_once() -> None:
    """Saved, rated 👍 and upvoted: one positive (one keyword row, one vector), not three; a
    paper saved and then rated 👎 is a negative, not both."""
    docs, vecs = _docs()
    space = rec.build_space(docs[2:], vecs[2:])
    once = [rec.Signal(docs[0], 1, "rating", 1.0, vecs[0])]
    thrice = [
        rec.Signal(docs[0], 1, "upvote", 1.0, vecs[0]),
        *once,
        rec.Signal(docs[0], 1, "library", 1.0, vecs[0]),
    ]
    tuning = rec.Tuning()
    single = rec.train(once, space, rec.Follows(), tuning)
    merged = rec.train(thrice, space, rec.Follows(), tuning)
    assert len(merged.positives) == 1 and merged.pos_vectors.shape[0] == 1
    assert merged.positives[0].also == ("upvote", "library")
    assert np.allclose(rec.score(merged, space).scores, rec.score(single, space).scores)
    saved_then_disliked = [
        rec.Signal(docs[1], 1, "library", 2.0, vecs[1]),
        rec.Signal(docs[1], -1, "rating", 1.0, vecs[1]),
    ]
    model = rec.train(saved_then_disliked + once, space, rec.Follows(), tuning)
    assert [s.doc.id for s in model.positives] == ["graph-0"]
    assert model.neg_vectors.shape[0] == 1


def test_reasons_and_learned_terms_never_show_a_comment_lines_scaffolding() -> None:
    """Papers sharing "Project page: https://….github.io" with the reader's: the model may
    weigh those words, but the reason and the learned terms name the topic, never "github io"."""
    docs, vecs = _docs()
    page = "Project page: https://lab.github.io/work. Code available at https://github.com/lab"
    liked = [replace(d, comments=page) for d in docs[:2]]
    paged = {1, 6, 11}  # a few: the words stay under the features' max_df
    pool = [replace(d, comments=page if i in paged else "") for i, d in enumerate(docs[2:])]
    space = rec.build_space(pool, vecs[2:], [d.keyword_text for d in liked])
    signals = [_signal(d, 1, v) for d, v in zip(liked, vecs[:2], strict=True)]
    model = rec.train(signals, space, rec.Follows(), rec.Tuning())
    weighed = {str(space.terms[i]) for i in np.flatnonzero(model.term_weights > 0)}
    assert {"github io", "project page"} & weighed  # the model does weigh the scaffolding
    learned = [t for t, _ in rec.strongest_terms(model, space, 200)]
    assert learned and not {"github", "io", "github io", "project page", "https"} & set(learned)
    reasons = [rec.matching_terms(model, space, row, 3) for row in sorted(paged)]
    assert any(reasons) and all(rec.shown_term(t) for terms in reasons for t in terms)
    assert not rec.shown_term("github io") and rec.shown_term("miccai 2026")


@pytest.mark.parametrize(
    ("muted", "text", "hidden"),
    [
        ("LLM", "Agents built on LLMs plan badly.", True),
        ("llm", "An LLM's reasoning, revisited.", True),
        ("agent", "Multi-agent systems and their agents.", True),
        ("mesh", "Artist-like meshes from point clouds.", True),
        ("diffusion model", "Fast sampling for diffusion models.", True),
        ("LLM", "LLMOps at scale.", False),  # a longer word is another word
        ("agent", "Agentic workflows.", False),
        ("GAN", "Organic chemistry with graphs.", False),
        ("Qwen", "We fine-tune Qwen2.5-VL-7B on charts.", True),  # numbered versions too
        ("llama", "Llama3 and Llama 3.1 compared.", True),
        ("GPT", "GPT-4o as a judge.", True),
        ("Qwen", "Qwenlike models.", False),
        ("YOLOv8", "YOLOv80 does not exist.", False),  # a word ending in a digit: no versions
        ("language model", "A language-model agent.", True),  # a phrase, hyphenated
        ("language-model", "Large language models today.", True),
        ("language model", "A languagemodel library.", False),
        ("C++", "Rewriting C++ kernels in Rust.", True),  # ends in no letter
        ("C++", "Notes on C and Rust.", False),
        ("godel", "Gödel numbering for programs.", True),  # accents either way
        ("Über", "Uber-style ride sharing.", True),
        ("strasse", "Die Straße der Daten.", True),
        ("isik", "Işık and light fields.", True),
        ("ＧＯＤＥＬ", "Godel again.", True),  # full width, as CJK input methods type it
        ("学习", "基于深度学习的图像分割", True),  # written without spaces: no word ends to find
        ("モデル", "大規模言語モデルの評価", True),
        ("学习", "学深习", False),
        ("llm", "基于LLM的方法", True),  # a Latin word between Han characters
        ("llm", "基于LLMs的方法", True),
    ],
)
def test_a_keyword_mute_hides_the_word_and_its_plural(muted: str, text: str, hidden: bool) -> None:
    doc = rec.Doc("x", "A title", text)
    assert rec.is_muted(doc, rec.Follows(muted_keywords=(muted,))) is hidden


@pytest.mark.parametrize(
    ("term", "shown"),
    [
        ("tremendous potential", False),  # an abstract's filler says nothing of the topic
        ("maintaining precise", False),
        ("based inverse", False),  # a fragment that begins with glue
        ("used design", False),
        ("used", False),
        ("inverse design", True),
        ("large language", True),
        ("diffusion", True),
        ("github io", False),  # a comment line's scaffolding, as before
    ],
)
def test_reasons_and_the_learned_page_leave_filler_out(term: str, shown: bool) -> None:
    assert rec.shown_term(term) is shown


def test_a_reason_names_a_title_with_its_latex_as_text() -> None:
    """A reason cut a title through its TeX: "close to “Hulls … $\\mathbb{F}_q \\times (\\math…”",
    raw on the page, in the API, feeds and email."""
    docs, vecs = _docs()
    title = r"Hulls and sums of codes over $\mathbb{F}_q \times (\mathbb{F}_q + u\mathbb{F}_q)$"
    liked = replace(docs[0], title=title + " and their duals, with a long subtitle")
    space = rec.build_space(docs[1:], vecs[1:])
    model = rec.train([_signal(liked, 1, vecs[0])], space, rec.Follows(), rec.Tuning())
    why = rec.rank(model, space, 1)[0].why
    assert why.startswith("close to “Hulls and sums of codes over 𝔽_q ×(𝔽_q + u𝔽_q)")
    assert "\\" not in why and "$" not in why and why.endswith("…” in your library")


def test_of_equal_scores_the_newest_papers_come_first() -> None:
    """A reader who follows a category and has nothing else scores its papers alike: the
    newest day's come first (the window's order put its oldest first, and a week's newest
    papers fell past the last page), and papers of one day keep the window's order."""
    docs, vecs = _docs()
    days = [date(2026, 6, 1), date(2026, 6, 3), date(2026, 6, 2)]
    dated = [replace(d, day=days[i % 3]) for i, d in enumerate(docs)]
    space = rec.build_space(dated, vecs)
    follows = rec.Follows(categories=frozenset({"cs.GR", "cs.VI", "cs.SP"}))
    plain = replace(rec.Tuning(), mmr_lambda=1.0)  # the order of the scores alone
    model = rec.train([], space, follows, plain)
    ranked = rec.rank(model, space, len(dated))
    assert len({r.score for r in ranked}) == 1  # all alike: only the days order them
    order = [space.docs[space.index[r.id]] for r in ranked]
    assert [d.day for d in order] == sorted((d.day for d in dated), reverse=True)
    newest = [d.id for d in order if d.day == date(2026, 6, 3)]
    assert newest == [d.id for d in dated if d.day == date(2026, 6, 3)]  # the window's order


def test_of_one_day_a_followed_category_s_own_papers_come_before_its_cross_lists() -> None:
    """A reader who follows a category only: of each day, the papers whose primary category
    it is come first, then those cross-listed to it, as arXiv lists a day; days stay newest
    first."""
    docs, vecs = _docs()
    days = [date(2026, 6, 1), date(2026, 6, 3), date(2026, 6, 2)]
    cats = [("cs.GR",), ("cs.VI", "cs.GR"), ("cs.GR", "cs.VI")]  # own, cross-listed, own
    dated = [replace(d, day=days[i % 3], categories=cats[(i // 3) % 3]) for i, d in enumerate(docs)]
    space = rec.build_space(dated, vecs)
    plain = replace(rec.Tuning(), mmr_lambda=1.0)  # the order of the scores alone
    model = rec.train([], space, rec.Follows(categories=frozenset({"cs.GR"})), plain)
    ranked = rec.rank(model, space, len(dated))
    assert len({r.score for r in ranked}) == 1
    order = [space.docs[space.index[r.id]] for r in ranked]
    assert [d.day for d in order] == sorted((d.day for d in dated), reverse=True)
    for day in set(days):
        of_day = [d.categories[0] == "cs.GR" for d in order if d.day == day]
        assert True in of_day and False in of_day
        assert of_day == sorted(of_day, reverse=True), day  # own papers, then cross-lists
