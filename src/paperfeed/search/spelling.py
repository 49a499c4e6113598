""" "Did you mean": a query's rare words replaced by the most frequent one-edit neighbour that the
index knows (Norvig's corrector over the index's own vocabulary, so it speaks the corpus' words)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from string import ascii_lowercase

from paperfeed.search.query import CODE_WORDS, STOP_WORDS, ParsedQuery
from paperfeed.text import fold_accents

Frequencies = Callable[[Sequence[str]], list[int]]  # in how many papers each word occurs
RARE = 2  # a word in at most this many papers may be a typo
LIFT = 50  # a correction of a word some papers use must be this many times more frequent
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
# "doesn't" is read as "doesn" and "t": "doesn" is rare, and was "corrected" to "does" ("does't")
_CONTRACTED_RE = re.compile(r"([^\W_]+n)['’]t\b", re.UNICODE)


def suggest(parsed: ParsedQuery, frequencies: Frequencies) -> str | None:
    """The query with its likely typos corrected, or None when no word looks misspelt."""
    contracted = {m[1].lower() for m in _CONTRACTED_RE.finditer(parsed.raw)}
    fixes = {
        w: fix
        for w in parsed.meaningful
        if w not in contracted and (fix := correct(w, frequencies))
    }
    if not fixes:
        return None
    fixed = " ".join(
        _WORD_RE.sub(lambda m: fixes.get(m.group().lower(), m.group()), parsed.raw).split()
    )
    return fixed if fixed != " ".join(parsed.raw.split()) else None


def correct(word: str, frequencies: Frequencies) -> str | None:
    """The most frequent known word one edit away, when `word` itself is rare; else None.
    Accents are read as the index reads them ("schrödnger" is "schrodnger")."""
    word = fold_accents(word).lower()
    if not 4 <= len(word) <= 30 or not word.isalpha() or not word.isascii() or word in STOP_WORDS:
        return None
    if word in CODE_WORDS.values():  # "C#" typed: no typo for "sharp"
        return None
    own = frequencies([word])[0]
    if own > RARE:
        return None
    edits = sorted(_edits(word).items())
    counts = frequencies([c for c, _prior in edits])
    scored = [(n * prior, c) for n, (c, prior) in zip(counts, edits, strict=True)]
    best_score, best = max(scored, default=(0.0, ""), key=lambda pair: pair[0])
    return best if best_score >= max(RARE + 1, LIFT * own) else None


# How likely each kind of slip is (doubling or swapping letters is the commonest typo); this
# keeps "atention" from becoming "agention" just because "agent" is a frequent stem.
SLIP, MISS, WRONG = 1.0, 0.5, 0.2


def _edits(word: str) -> dict[str, float]:
    """Every string one deletion, transposition, replacement or insertion away, with its prior."""
    out: dict[str, float] = {}

    def add(candidate: str, prior: float) -> None:
        if candidate != word and prior > out.get(candidate, 0.0):
            out[candidate] = prior

    for i in range(len(word) + 1):
        a, b = word[:i], word[i:]
        if b:
            doubled = (a and a[-1] == b[0]) or (len(b) > 1 and b[1] == b[0])
            add(a + b[1:], SLIP if doubled else MISS)
            for c in ascii_lowercase:
                add(a + c + b[1:], WRONG)
        if len(b) > 1:
            add(a + b[1] + b[0] + b[2:], SLIP)
        for c in ascii_lowercase:
            doubling = (a and a[-1] == c) or (b and b[0] == c)
            add(a + c + b, SLIP if doubling else MISS)
    return out
