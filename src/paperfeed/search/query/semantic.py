"""The query text an embedding model reads: what the keyword search leaves out removed."""

from __future__ import annotations

from paperfeed.search.query.fields import _fields
from paperfeed.search.query.model import MAX_QUERY_CHARS
from paperfeed.search.query.parsing import parse_query
from paperfeed.search.query.tokens import _ALTERNATION, _OPERATORS, _QUOTES, _tokens

# Syntax the model would read as words: a stray ")" made "cancer)" a query no abstract was near
# enough to (MiniLM, SciFact: "cancer" 100 papers, "cancer)" none; "(robot)" 7 of "robot"'s 24).
_SYNTAX = str.maketrans(dict.fromkeys('"*()', " "))


def semantic_text(text: str) -> str:
    """The query text for an embedding model: what the keyword search leaves out removed (read
    by the same tokens: "NOT (a (b c))" lost only "a"), quotes, `*` and parentheses dropped."""
    body = _fields(text[:MAX_QUERY_CHARS].translate(_QUOTES))[0]
    kept = _joined([token.typed for token in _tokens(body) if not token.left_out])
    if not kept:  # a lone "AND" or "OR": the keyword search reads it as the word, so does this
        kept = list(parse_query(text).words)
    return " ".join(" ".join(kept).translate(_SYNTAX).split())


def _joined(typed: list[str]) -> list[str]:
    """The tokens without operators that join nothing: those a removed field or exclusion left
    first, last or beside another ("cat:cs.CL OR cat:cs.LG attention" read "OR attention")."""
    joins = _OPERATORS | _ALTERNATION
    kept: list[str] = []
    for token in typed:
        if token.startswith(")"):  # a group closes: nothing follows what is open in it
            _drop_joins(kept, joins)
        if token.strip("()") in joins:
            opened = not kept or kept[-1].endswith("(") or kept[-1].strip("()") in joins
            if opened or token.endswith(")"):
                continue
        kept.append(token)
    _drop_joins(kept, joins)
    return kept


def _drop_joins(kept: list[str], joins: set[str]) -> None:
    while kept and kept[-1].strip("()") in joins:
        kept.pop()
