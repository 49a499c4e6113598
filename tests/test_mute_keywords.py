"""Keyword mutes: the quick test for a keyword's text never changes what its pattern decides."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from paperfeed.recommend import model as rec
from paperfeed.text import fold_accents

# Letters with and without accents, capitals, Han and kana, digits, and the separators and
# suffixes the pattern treats specially (spaces, hyphens, plurals, version numbers, "C++").
ALPHABET = "aelmsgoduöÜßıİＧＬ学习モデ0123456789 -.+"
WORDS = st.sampled_from(["llm", "agent", "language model", "language-model", "c++", "gödel",
                         "学习", "3d", "qwen", "s", "-", " llm ", "ＬＬＭ"])  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(keyword=WORDS | st.text(ALPHABET, min_size=1, max_size=6), text=st.text(ALPHABET))
def test_a_keyword_mutes_exactly_what_its_pattern_finds(keyword: str, text: str) -> None:
    doc = rec.Doc("x", "A title", text)
    piece, pattern = rec._mute_pattern(fold_accents(keyword))
    folded = fold_accents(doc.text.lower())
    found = pattern.search(folded) is not None
    assert not found or piece in folded  # every match holds the piece looked for first
    assert rec.is_muted(doc, rec.Follows(muted_keywords=(keyword,))) is found


def test_a_day_of_papers_is_hidden_by_the_words_in_them() -> None:
    docs = [
        rec.Doc("a", "LLM agents", "Agents built on LLMs."),
        rec.Doc("b", "A survey", "We review 3D-aware methods."),
        rec.Doc("c", "Graphs", "Message passing on large graphs."),
        rec.Doc("d", "Über alles", "Nothing muted here but an umlaut."),
    ]
    follows = rec.Follows(muted_keywords=("benchmark", "3d", "LLM"))
    assert [rec.mute_reason(d, follows) for d in docs] == [
        "the keyword “LLM”",
        "the keyword “3d”",
        None,
        None,
    ]
