"""What a user's follows and mutes match in a paper: followed authors and searches, mutes."""

from __future__ import annotations

import functools
import re

from paperfeed.recommend.model.signals import Doc, Follows
from paperfeed.store.papers import author_key
from paperfeed.text import CJK_LETTERS, fold_accents


def followed_authors(doc: Doc, follows: Follows) -> list[str]:
    """The paper's authors the user follows (by name, or as the namesake they follow)."""
    if not (follows.authors or follows.namesakes):
        return []
    keys = [author_key(a) for a in doc.authors]
    present = frozenset(keys)
    wanted = follows.authors | {n.key for n in follows.namesakes if n.wrote(present)}
    return [a for a, k in zip(doc.authors, keys, strict=True) if k in wanted]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def matched_search(doc: Doc, follows: Follows) -> str | None:
    """The first followed search all of whose words occur in the paper's title or abstract."""
    if not follows.searches:
        return None
    words = _words(doc.text)
    for query in follows.searches:
        wanted = _words(query)
        if wanted and wanted <= words:
            return query
    return None


def is_muted(doc: Doc, follows: Follows) -> bool:
    """Whether a mute (keyword, author or category) hides this paper."""
    return mute_reason(doc, follows) is not None


def mute_reason(doc: Doc, follows: Follows) -> str | None:
    """The first mute that hides this paper, in words ("the category cs.CR", "the author Ann
    Lee", "the keyword “llm”"); None when none does."""
    for category in doc.categories:
        if category in follows.muted_categories:
            return f"the category {category}"
    if follows.muted_authors:
        for name in doc.authors:
            if author_key(name) in follows.muted_authors:
                return f"the author {name}"
    text = fold_accents(doc.text.lower())  # "godel" hides "Gödel", "Über" hides "uber"
    for keyword in follows.muted_keywords:
        piece, pattern = _mute_pattern(fold_accents(keyword))
        if piece in text and pattern.search(text):
            return f"the keyword “{keyword}”"
    return None


@functools.lru_cache(maxsize=4096)
def _mute_pattern(keyword: str) -> tuple[str, re.Pattern[str]]:
    """A muted keyword as a whole word or phrase, its plural and its numbered versions: muting
    "LLM" hides papers on "LLMs", "agent" those on "agents", "diffusion model" those on
    "diffusion models", "Qwen" those on "Qwen2.5" and "Llama" those on "Llama3". With it, a
    piece of text every match contains: a paper without it is passed at once (the pattern's
    look-behind runs at every character; a day page with 6 muted words spent 60 ms in it)."""
    word = keyword.lower()
    versions = r"|\d+(?:\.\d+)*" if word[-1:].isalpha() else ""
    # A phrase's words may be joined by spaces or hyphens: "language model", "language-model".
    parts = [w for w in re.split(r"[\s\-]+", word) if w]
    words = r"[\s\-]+".join(re.escape(w) for w in parts)
    # Not inside a longer word ("C++" ends in no letter, so \b would not do after it). Chinese
    # and Japanese are written without spaces: their characters are no part of a word here.
    pattern = rf"(?<!{_LETTER}){words or re.escape(word)}(?:s|es{versions})?(?!{_LETTER})"
    return (parts[0] if parts else word), re.compile(pattern)


_LETTER = f"[^\\W{CJK_LETTERS}]"  # a word's character that is not Han or kana
