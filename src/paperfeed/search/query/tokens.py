"""The typed tokens of a query: phrases, exclusions, NOT and its groups."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# A quoted phrase (closed or running to the end) with the "-" and the group's parentheses
# around it ('("graph neural network"' was the word "graph"), or a run of non-space characters.
_TOKEN_RE = re.compile(r'([-(]*)"([^"]*)("?)(\)*)|(\S+)')
# Typographic double quotes (what phones, word processors and PDFs give) quote a phrase too:
# -“deep learning” excluded "deep" and searched for "learning".
_QUOTES = str.maketrans(dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033", '"'))
_OPERATORS = {"AND", "OR", "&&", "||"}
# "-" before a number is a minus sign, not an exclusion: "-20 °C" and "-80 mV" search the
# number ("-20 °C" left out every paper holding "20" and searched for "c"); "-3D" still excludes.
_MINUS_NUMBER_RE = re.compile(r"-(\d[\d.,]*)(.?)")


def _excludes(token: str) -> bool:
    """Whether a typed token is a "-word" exclusion (not "-", not a negative number)."""
    if not token.startswith("-") or len(token) == 1:
        return False
    number = _MINUS_NUMBER_RE.match(token)
    return number is None or number[2].isalpha() or not number[1].rstrip(".,")


_ALTERNATION = {"OR", "||", "|"}
_MOST_GROUPS = 8


class _Phrase(tuple[str, ...]):
    """A quoted phrase's words in the token chain (an alternative an OR group may hold)."""


@dataclass(frozen=True)
class _Token:
    """One typed token, and whether the query leaves its words out."""

    typed: str
    bare: str | None  # an unquoted token ("NOT(" and a "(" before "-word" read off)
    quoted: str | None  # a quoted phrase's text
    closed: bool  # the phrase's closing quote was typed
    negated: bool  # after NOT, or inside a group "NOT" or "-" leaves out
    left_out: bool  # negated, or a "-word" or -"phrase"


def _tokens(body: str) -> Iterator[_Token]:
    """The tokens of a query, "NOT" read as leaving out what follows: a word, a phrase or a
    group, however deeply nested ("NOT (a (b c))" leaves out a, b and c)."""
    negate_next = False
    depth = 0  # how deep inside a left-out group the tokens are
    for match in _TOKEN_RE.finditer(body):
        prefix, quoted, closed, shut, bare = match.groups()
        if bare is not None and bare.lstrip("(") == "NOT":
            negate_next, depth = True, depth + bare.count("(") if depth else 0
            continue
        text = match[0] if bare is None else bare
        if bare is not None and bare.startswith("NOT("):
            negate_next, bare = True, bare[3:]
            text = bare  # "NOT(a OR b)": the group opens after NOT
        elif bare is not None and bare.startswith("(") and _excludes(bare.lstrip("(")):
            bare = bare.lstrip("(")  # "cells (-cancer)"
        if bare is None:
            text = prefix + shut  # the parentheses around a phrase, not those inside it
            group = "-(" in prefix  # -("graph neural network" OR GNN)
            excluded = prefix.endswith("-")
        else:
            group = _excludes(bare) and bare[1:].startswith("(")
            excluded = _excludes(bare)
        negated = negate_next or depth > 0 or (group and bare is None)
        yield _Token(match[0], bare, quoted, bool(closed), negated, negated or excluded)
        if depth or group or (negate_next and text.startswith("(")):
            depth = max(0, depth + text.count("(") - text.count(")"))
        negate_next = False
