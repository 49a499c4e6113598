"""HTML-safe snippets: a window of the abstract with the query's words in <mark>."""

from __future__ import annotations

import html
import re
from functools import lru_cache

import tantivy

from paperfeed.search.query import ParsedQuery

SNIPPET_WORDS = 40
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


class Highlighter:
    """Marks the words of a query in text, matching the index's stemming."""

    def __init__(self, analyzer: tantivy.TextAnalyzer) -> None:
        self._analyzer = analyzer
        self._stem = lru_cache(maxsize=50_000)(self._stem_uncached)

    def _stem_uncached(self, word: str) -> str:
        tokens = self._analyzer.analyze(word)
        return tokens[0] if tokens else ""

    def targets(self, parsed: ParsedQuery) -> tuple[frozenset[str], tuple[str, ...]]:
        """The stems to mark and the prefixes to mark."""
        words = list(parsed.words) + [w for p in parsed.phrases for w in p]
        stems = frozenset(s for s in (self._stem(w) for w in words) if s)
        prefixes = tuple(self._stem(p) or p for p in parsed.prefixes)
        return stems, prefixes

    def snippet(self, text: str, parsed: ParsedQuery, words: int = SNIPPET_WORDS) -> str:
        """The best window of `text` for this query, escaped, with matches in <mark>."""
        spans = list(_WORD_RE.finditer(text))
        if not spans:
            return html.escape(text[:240])
        stems, prefixes = self.targets(parsed)
        found: dict[str, bool] = {}
        if stems or prefixes:
            for word in {m.group() for m in spans}:
                found[word] = self._matches(word, stems, prefixes)
        hits = [found.get(m.group(), False) for m in spans]
        start = _best_window(hits, words)
        window = spans[start : start + words]
        return _render(
            text, window, hits[start : start + words], start > 0, start + words < len(spans)
        )

    def _matches(self, word: str, stems: frozenset[str], prefixes: tuple[str, ...]) -> bool:
        if not stems and not prefixes:
            return False
        stem = self._stem(word)
        return stem in stems or (bool(prefixes) and stem.startswith(prefixes))


def _best_window(hits: list[bool], size: int) -> int:
    if len(hits) <= size or not any(hits):
        return 0
    count = sum(hits[:size])
    best, best_start = count, 0
    for start in range(1, len(hits) - size + 1):
        count += hits[start + size - 1] - hits[start - 1]
        if count > best:
            best, best_start = count, start
    # Start a little before the first match so it reads in context.
    first = next(i for i in range(best_start, best_start + size) if hits[i])
    return max(0, min(best_start, first - 3))


def _render(text: str, window: list[re.Match[str]], hits: list[bool], pre: bool, post: bool) -> str:
    out = ["… " if pre else ""]
    pos = window[0].start() if pre else 0
    for match, hit in zip(window, hits, strict=True):
        out.append(html.escape(text[pos : match.start()]))
        word = html.escape(match.group())
        out.append(f"<mark>{word}</mark>" if hit else word)
        pos = match.end()
    out.append(" …" if post else html.escape(text[pos:]))
    return "".join(out).strip()
