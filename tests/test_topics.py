"""Grouping a list of papers into named topics (`paperfeed.topics`)."""

from __future__ import annotations

import numpy as np

from paperfeed.topics import FEWEST, MOST_TOPICS, find_topics, topic_count

# Three fields, each with words of its own and words every paper shares.
FIELDS = {
    "speech": ("speech recognition", "acoustic", "speaker", "phoneme"),
    "protein": ("protein folding", "amino", "residue", "enzyme"),
    "galaxy": ("galaxy cluster", "redshift", "telescope", "cosmic"),
}
SIZES = {"speech": 14, "protein": 10, "galaxy": 6}


def _papers() -> tuple[list[str], list[str], np.ndarray, list[str]]:
    """30 papers of three fields (14, 10 and 6 of them, interleaved), their vectors near one
    axis per field; the titles, abstracts, vectors and each one's field."""
    rng = np.random.default_rng(0)
    titles, abstracts, vectors, fields = [], [], [], []
    queue = [f for f, n in SIZES.items() for _ in range(n)]
    order = rng.permutation(len(queue))
    for n, i in enumerate(order):
        field = queue[i]
        words = FIELDS[field]
        axis = np.eye(8, dtype=np.float32)[list(FIELDS).index(field)]
        vectors.append(axis + 0.15 * rng.standard_normal(8).astype(np.float32))
        titles.append(f"A study of {words[0]} number {n}")
        abstracts.append(
            f"We propose a method for {words[0]} using {words[1]} and {words[2]} data; "
            f"results show the {words[3]} approach works. Results and methods are new."
        )
        fields.append(field)
    return titles, abstracts, np.vstack(vectors), fields


def test_papers_of_three_fields_make_three_topics_named_by_their_words() -> None:
    titles, abstracts, vectors, fields = _papers()
    assert topic_count(len(titles)) == 3
    found = find_topics(titles, abstracts, vectors)
    assert [len(t.members) for t in found] == [14, 10, 6]  # the largest first
    assert sorted(i for t in found for i in t.members) == list(range(30))  # each once
    for topic, field in zip(found, SIZES, strict=True):
        assert {fields[i] for i in topic.members} == {field}
        assert list(topic.members) == sorted(topic.members)  # the list's own order kept
        assert len(topic.label) == 3
        words = " ".join(FIELDS[field])
        assert all(any(w in words for w in term.split()) for term in topic.label), topic.label
        assert FIELDS[field][0] in topic.label  # the phrase, not its two words apart
        # words every paper uses ("results", "methods", "study") never name a topic
        assert not {"results", "methods", "study", "number"} & set(" ".join(topic.label).split())


def test_a_label_never_says_a_word_twice() -> None:
    """Neither a word and its plural, nor a word and a longer one it begins (agent, agentic),
    nor a word inside a phrase already chosen."""
    titles, abstracts, vectors, _fields = _papers()
    for topic in find_topics(titles, abstracts, vectors):
        stems = [w.removesuffix("s") for term in topic.label for w in term.split()]
        assert len(stems) == len(set(stems)), topic.label
    agents = [f"Agents and agentic agent systems {n}" for n in range(8)]
    said = find_topics(agents, agents, np.eye(8, dtype=np.float32)[[0] * 8])[0].label
    assert len([t for t in said if t.startswith("agent")]) == 1, said


def test_the_same_papers_give_the_same_topics() -> None:
    titles, abstracts, vectors, _fields = _papers()
    first = find_topics(titles, abstracts, vectors)
    again = find_topics(list(titles), list(abstracts), vectors.copy())
    assert first == again
    moved = find_topics(titles[::-1], abstracts[::-1], vectors[::-1].copy())
    assert sorted(sorted(len(titles) - 1 - i for i in t.members) for t in moved) == sorted(
        sorted(t.members) for t in first
    )


def test_a_short_list_is_one_topic_and_an_empty_one_none() -> None:
    titles, abstracts, vectors, _fields = _papers()
    few = FEWEST - 1
    found = find_topics(titles[:few], abstracts[:few], vectors[:few].copy())
    assert len(found) == 1 and found[0].members == tuple(range(few))
    assert find_topics([], [], np.zeros((0, 8), np.float32)) == []
    assert topic_count(0) == 0 and topic_count(FEWEST) == 2
    assert topic_count(100_000) == MOST_TOPICS


def test_texts_of_stop_words_only_still_group_with_no_name() -> None:
    _titles, _abstracts, vectors, fields = _papers()
    blank = ["the and of"] * len(fields)
    found = find_topics(blank, blank, vectors)
    assert [len(t.members) for t in found] == [14, 10, 6]
    assert all(t.label == () for t in found)


def test_markup_and_latex_in_titles_name_topics_as_plain_words() -> None:
    titles, abstracts, vectors, _fields = _papers()
    marked = [f"<b>{t}</b> $\\alpha$-\\emph{{scheme}}" for t in titles]
    for topic in find_topics(marked, abstracts, vectors):
        assert all(term.replace(" ", "").replace("-", "").isalpha() for term in topic.label)
        assert not {"emph", "alpha", "b"} & set(topic.label)
