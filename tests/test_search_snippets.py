"""Snippets: the fast candidate scan marks exactly the words the index's stemmer would match,
and what is shown is a piece of the text, escaped."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from paperfeed.search.keyword import stemmer
from paperfeed.search.query import parse_query
from paperfeed.search.snippets import _WORD_RE, Highlighter

HIGHLIGHTER = Highlighter(stemmer())
# Words whose stems are not prefixes of them, folded letters, and ordinary ones.
VOCABULARY = [
    "happy", "happiness", "studies", "study", "studying", "slicing", "slice", "using", "use",
    "reliability", "reliable", "scalable", "scalability", "naïve", "naive", "vídeo", "video",
    "Über", "uber", "generation", "generate", "generative", "models", "modelling", "model",
    "transformer", "transformers", "transform", "dying", "die", "skies", "sky", "ai", "AI",
    "graph", "graphs", "3D", "x", "Zoë", "zoe", "neural", "networks", "network",
]  # fmt: skip
WORD = st.sampled_from(VOCABULARY)
TEXT = st.lists(st.tuples(WORD, st.sampled_from([" ", ", ", "-", " <b>", "&", ". "])), max_size=80)


def _stem_every_word(text: str, query: str) -> list[tuple[int, int]]:
    stems, prefixes = HIGHLIGHTER.targets(parse_query(query))
    return [
        m.span()
        for m in _WORD_RE.finditer(text)
        if HIGHLIGHTER._matches(m.group(), stems, prefixes)
    ]


@settings(max_examples=300, deadline=None)
@given(
    parts=TEXT,
    query=st.lists(WORD, min_size=1, max_size=4).map(" ".join) | st.sampled_from(["transfor*"]),
)
def test_marks_equal_stemming_every_word(parts: list[tuple[str, str]], query: str) -> None:
    text = "".join(word + sep for word, sep in parts)
    stems, prefixes = HIGHLIGHTER.targets(parse_query(query))
    assert HIGHLIGHTER.marked(text, stems, prefixes) == _stem_every_word(text, query)


@settings(max_examples=200, deadline=None)
@given(
    parts=TEXT,
    query=st.lists(WORD, min_size=1, max_size=3).map(" ".join),
    size=st.integers(20, 300),
)
def test_snippet_is_inert_and_marks_query_words(
    parts: list[tuple[str, str]], query: str, size: int
) -> None:
    text = "".join(word + sep for word, sep in parts)
    snippet = HIGHLIGHTER.snippet(text, parse_query(query), size)
    inner = snippet.removeprefix("… ").removesuffix(" …")
    assert html.unescape(inner.replace("<mark>", "").replace("</mark>", "")) in text
    plain = snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in plain and ">" not in plain
    marked = re.findall(r"<mark>(.*?)</mark>", snippet)
    stems, _ = HIGHLIGHTER.targets(parse_query(query))
    assert all(HIGHLIGHTER._stem(html.unescape(w)) in stems for w in marked)
    if _stem_every_word(text, query):
        assert marked  # a text with a matching word shows one marked


def test_a_chinese_or_japanese_query_is_marked_inside_text_without_spaces() -> None:
    text = "本文提出一种基于深度学习的图像分割方法。学习 is studied; 学习 again."
    snippet = HIGHLIGHTER.snippet(text, parse_query("学习 -方法"), 280)
    assert snippet.count("<mark>学习</mark>") == 3 and "学习学习" not in snippet
    assert "<mark>方法</mark>" not in snippet  # excluded, not asked for
    snippet = HIGHLIGHTER.snippet(text, parse_query("图 深度学习"), 280)
    assert "<mark>深度学习</mark>" in snippet and "<mark>图</mark>像" in snippet
    snippet = HIGHLIGHTER.snippet("大規模言語モデルの評価", parse_query("言語モデル"), 280)
    assert snippet == "大規模<mark>言語モデル</mark>の評価"
