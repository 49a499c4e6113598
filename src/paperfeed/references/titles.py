"""Title keys: the normalised forms an entry's title is matched by, strict and loose."""

from __future__ import annotations

import itertools
import re

from paperfeed.models import normalise_title


def keys_of(*titles: str) -> tuple[str, ...]:
    """The distinct, non-empty normalised forms of titles, in order."""
    return tuple(dict.fromkeys(k for k in map(normalise_title, titles) if k))


# A digit beside a letter in a key's word: where a title's markup may have put a space (U$^2$Mamba)
_DIGIT_EDGE = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")
_MOST_CHOICES = 5  # beyond this many places to vary, each kind varies all at once
_LEFT_OUT = -1  # a place (word, _LEFT_OUT): the word "and", left out


def loose_keys_of(title: str) -> list[str]:
    """A title's keys with "&" read as "and", each "and" kept or left out, and a space put or
    not at each place where a digit meets a letter."""
    words = normalise_title(re.sub(r"\\?&", " and ", title)).split()
    ands = [(i, _LEFT_OUT) for i, w in enumerate(words) if w == "and"]
    edges = [(i, m.start()) for i, w in enumerate(words) for m in _DIGIT_EDGE.finditer(w)]
    places = ands + edges
    if len(places) > _MOST_CHOICES:
        choices = [[], ands, edges, places]
    else:
        choices = [
            list(c) for n in range(len(places) + 1) for c in itertools.combinations(places, n)
        ]
    return [_varied(words, set(chosen)) for chosen in choices]


def _varied(words: list[str], chosen: set[tuple[int, int]]) -> str:
    """`words` as a key, without the "and"s and with a space at the digit edges `chosen`."""
    out = []
    for i, word in enumerate(words):
        if (i, _LEFT_OUT) in chosen:
            continue
        cuts = [0, *sorted(at for n, at in chosen if n == i), len(word)]
        out.append(" ".join(word[a:b] for a, b in itertools.pairwise(cuts)))
    return " ".join(out)
