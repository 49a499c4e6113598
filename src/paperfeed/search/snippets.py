"""HTML-safe snippets: a window of the abstract with the query's words in <mark>.

Stemming every word of every abstract shown made snippets 92 % of keyword search time. Here only
the words that can share a stem with the query are stemmed: those that start like one of its
stems (found with `str.find` on the lower-cased text) and, in text with non-ASCII letters (which
the analyzer folds), the words holding such letters.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left
from collections.abc import Sequence
from functools import lru_cache

import tantivy

from paperfeed.latex import math_spans
from paperfeed.search.query import CODE_RE, CODE_WORDS, ParsedQuery
from paperfeed.text import CJK_LETTERS, spelled_out

SNIPPET_CHARS = 280
VENUE_CHARS = 160  # of arXiv's comments or journal reference, shown when they match
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
_CJK_ONLY = re.compile(f"[{CJK_LETTERS}]+")
_FOLDED_RE = re.compile(r"[^\W_]*[^\W_\x00-\x7f][^\W_]*")  # a word with a non-ASCII letter
_LEAD = 25  # characters of context shown before the first match


class Highlighter:
    """Marks the words of a query in text, matching the index's stemming."""

    def __init__(self, analyzer: tantivy.TextAnalyzer) -> None:
        self._analyzer = analyzer
        self._stem = lru_cache(maxsize=50_000)(self._stem_uncached)

    def _stem_uncached(self, word: str) -> str:
        tokens = self._analyzer.analyze(word)
        return tokens[0] if tokens else ""

    def targets(
        self, parsed: ParsedQuery, also: Sequence[str] = ()
    ) -> tuple[frozenset[str], tuple[str, ...]]:
        """The stems to mark (of the query's words and `also`, other spellings the index found
        for them) and the prefixes to mark."""
        words = list(parsed.meaningful) + [w for p in parsed.phrases for w in p] + list(also)
        words += [spelled_out(w) for w in words if not w.isascii()]  # "Gödel" marks "Goedel"
        stems = frozenset(s for s in (self._stem(w) for w in words) if s)
        prefixes = tuple(self._stem(p) or p for p in parsed.prefixes)
        return stems, prefixes

    def snippet(
        self, text: str, parsed: ParsedQuery, size: int = SNIPPET_CHARS, also: Sequence[str] = ()
    ) -> str:
        """The best window of `text` for this query, escaped, with matches in <mark>."""
        stems, prefixes = self.targets(parsed, also)
        marks = self.marked(text, stems, prefixes) + self._code_marks(text, stems)
        if not text.isascii():
            marks = _apart(marks + _cjk_marks(text, parsed))
        marks.sort()
        start, end = _whole_formulas(text, *_window(text, marks, size))
        shown = [(a, b) for a, b in marks if a >= start and b <= end]
        body = _render(text, start, end, shown)
        return ("… " if start > 0 else "") + body + (" …" if end < len(text) else "")

    def venue_line(
        self, venues: Sequence[tuple[str, str]], parsed: ParsedQuery, also: Sequence[str] = ()
    ) -> str:
        """Each of (label, text) whose text holds the query's words, as "Comments: Accepted at
        <mark>ICML</mark> 2026" (escaped, joined by " · "); empty when none does."""
        stems, prefixes = self.targets(parsed, also)
        return " · ".join(
            f"{html.escape(label)}: {self.snippet(text, parsed, VENUE_CHARS, also)}"
            for label, text in venues
            if text and (self.marked(text, stems, prefixes) or self._code_marks(text, stems))
        )

    def marked(
        self, text: str, stems: frozenset[str], prefixes: tuple[str, ...]
    ) -> list[tuple[int, int]]:
        """(start, end) of each word of `text` the query matches, in order."""
        if not stems and not prefixes:
            return []
        heads = _heads(stems | frozenset(prefixes))
        found = {m.start(): m for m in self._candidates(text, heads)}
        return [
            m.span() for _s, m in sorted(found.items()) if self._matches(m.group(), stems, prefixes)
        ]

    def _code_marks(self, text: str, stems: frozenset[str]) -> list[tuple[int, int]]:
        """Where "C++", "C#" or "F#" stand in `text` when the query asks for them."""
        wanted = {k for k, word in CODE_WORDS.items() if self._stem(word) in stems}
        if not wanted:
            return []
        return [m.span() for m in CODE_RE.finditer(text) if m[0].lower() in wanted]

    def _candidates(self, text: str, heads: tuple[str, ...]) -> list[re.Match[str]]:
        low = text.lower()
        out = []
        if len(low) == len(text):  # lower-casing kept offsets (it nearly always does)
            for head in heads:
                at = low.find(head)
                while at >= 0:
                    if at == 0 or not _is_word_char(text[at - 1]):
                        out.append(_WORD_RE.match(text, at))
                    at = low.find(head, at + 1)
        else:
            out = [m for m in _WORD_RE.finditer(text) if m.group().lower().startswith(heads)]
        if not text.isascii():
            out += _FOLDED_RE.finditer(text)
        return [m for m in out if m is not None]

    def _matches(self, word: str, stems: frozenset[str], prefixes: tuple[str, ...]) -> bool:
        stem = self._stem(word)
        if stem not in stems and not word.isascii():  # "Goedel" marks "Gödel"
            spelled = self._stem(spelled_out(word))
            stem = spelled if spelled in stems else stem
        return stem in stems or (bool(prefixes) and stem.startswith(prefixes))


def _cjk_runs(parsed: ParsedQuery) -> list[str]:
    """The runs of Chinese or Japanese characters the query asks for (one character too; not
    those it excludes): its words, and its phrases of pairs joined back into runs."""
    runs = [w for w in parsed.meaningful if _CJK_ONLY.fullmatch(w)]
    for phrase in parsed.phrases:
        run = ""
        for token in phrase:
            if not _CJK_ONLY.fullmatch(token):
                runs.append(run)
                run = ""
            elif run and len(token) == 2 and run[-1] == token[0]:
                run += token[1]
            else:
                runs.append(run)
                run = token
        runs.append(run)
    return [r for r in dict.fromkeys(runs) if r]


def _cjk_marks(text: str, parsed: ParsedQuery) -> list[tuple[int, int]]:
    """Where the query's runs of Chinese or Japanese characters stand in `text` (such text has
    no spaces between words, so a run is found anywhere)."""
    out: list[tuple[int, int]] = []
    for run in _cjk_runs(parsed):
        at = text.find(run)
        while at >= 0:
            out.append((at, at + len(run)))
            at = text.find(run, at + len(run))
    return out


def _apart(marks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The marks in order, each overlapping an earlier one left out."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(marks):
        if not out or a >= out[-1][1]:
            out.append((a, b))
    return out


def _is_word_char(char: str) -> bool:
    return char.isalnum()


@lru_cache(maxsize=1024)
def _heads(stems: frozenset[str]) -> tuple[str, ...]:
    """Lower-case beginnings every word with one of these stems starts with."""
    # A stem is a prefix of its lower-cased words but for its last two letters at most
    # ("happi" for happy, "slice" for slicing, "reliabl" for reliability), and for the
    # stemmer's exceptions dying, lying, tying (stems die, lie, tie).
    heads = {s[: max(2, len(s) - 2)] for s in stems}
    heads |= {s[:-2] + "y" for s in stems if s.endswith("ie")}
    # A head that starts with another is found by the shorter one's search already.
    return tuple(h for h in sorted(heads) if not any(h != o and h.startswith(o) for o in heads))


def _window(text: str, marks: list[tuple[int, int]], size: int) -> tuple[int, int]:
    """The span of about `size` characters, on word boundaries, holding the most matches."""
    if len(text) <= size:
        return 0, len(text)
    lead = min(_LEAD, size // 4)
    starts = [a for a, _b in marks]
    best, first, first_end = 0, 0, 0
    for i, (a, b) in enumerate(marks):
        count = bisect_left(starts, a + size - lead) - i
        if count > best:
            best, first, first_end = count, a, b
    start = 0 if first <= lead else _word_start(text, first - lead)
    end = min(len(text), max(start + size, first_end))
    return start, end if end == len(text) else _word_end(text, max(start, first_end), end)


def _whole_formulas(text: str, start: int, end: int) -> tuple[int, int]:
    """The window widened or cut so that no formula is cut in two: half of one ("\\begin{equation}
    h^{1,1} …") is TeX that KaTeX cannot typeset, shown as typed."""
    for a, b in math_spans(text):
        if a < start < b:
            start = a
        if a < end < b:
            end = a if a > start else b  # before the formula, or all of it when it is all
    return start, end


def _word_start(text: str, at: int) -> int:
    space = text.rfind(" ", 0, at + 1)
    return space + 1 if space >= 0 else 0


def _word_end(text: str, start: int, at: int) -> int:
    space = text.rfind(" ", start, at)
    return space if space > start else at


def _render(text: str, start: int, end: int, marks: list[tuple[int, int]]) -> str:
    out, pos = [], start
    for a, b in marks:
        out.append(html.escape(text[pos:a]))
        out.append(f"<mark>{html.escape(text[a:b])}</mark>")
        pos = b
    out.append(html.escape(text[pos:end]))
    return "".join(out).strip()
