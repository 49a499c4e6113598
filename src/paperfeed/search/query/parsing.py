"""parse_query: what a user typed into words, phrases, prefixes, groups and exclusions."""

from __future__ import annotations

from dataclasses import replace

from paperfeed.search.query.dates import QueryDates, query_dates
from paperfeed.search.query.fields import _fields, category_problems
from paperfeed.search.query.ids import paper_id_in
from paperfeed.search.query.model import MAX_QUERY_CHARS, MAX_WORDS, ParsedQuery
from paperfeed.search.query.tokens import (
    _ALTERNATION,
    _MOST_GROUPS,
    _OPERATORS,
    _QUOTES,
    _excludes,
    _Phrase,
    _tokens,
)
from paperfeed.search.query.words import _WORD_RE, has_cjk_run, words_of


def parse_query(text: str) -> ParsedQuery:
    """Parse any string: quotes make phrases, `-` excludes, `word*` is a prefix, `a OR b` needs
    either word or phrase (AND and parentheses are noise),
    arXiv's `ti:`/`abs:`/`au:` prefixes are dropped and `cat:cs.CL` (or `cat:cs`) is a category."""
    raw = text[:MAX_QUERY_CHARS]
    body, category = _fields(raw.translate(_QUOTES))
    dates = query_dates(raw)
    parts: dict[str, list] = {  # type: ignore[type-arg]
        "words": [],
        "phrases": [],
        "prefixes": [],
        "excluded_words": [],
        "excluded_phrases": [],
    }
    chain = _read_tokens(body, parts)
    either, lone = _groups(chain)
    phrased = _grouped_phrases(parts, either, lone)
    left_out = bool(dates.problems or category_problems(raw))
    parsed = _finish(raw, parts, category, either, dates, left_out)
    if phrased:
        parsed = replace(parsed, phrased=phrased)
    typed = _WORD_RE.findall(body)
    shouted = len(typed) > 1 and all(w.isupper() or not w.isalpha() for w in typed)
    capitals = {w.lower() for w in typed if 2 <= len(w) <= 5 and w.isupper() and not shouted}
    acronyms = tuple(w for w in parsed.words if w in capitals)
    return replace(parsed, acronyms=acronyms) if acronyms else parsed


def _read_tokens(body: str, parts: dict) -> list[tuple[str, ...] | str]:  # type: ignore[type-arg]
    """Each token into `parts`; plain words' tokens, phrases, "OR" and breaks, in order. "NOT"
    or "-" before a group leaves out every word in it: "cells NOT (cancer OR tumour)" searched
    for "tumour" (PubMed's syntax), "(NOT cancer)" for "cancer"."""
    chain: list[tuple[str, ...] | str] = []
    for token in _tokens(body):
        if token.bare is None:
            words = words_of(token.quoted or "")
            _add_phrase(parts, words, token.left_out, token.closed)
            chain.append(_alternative(words) if token.closed and not token.left_out else "")
            continue
        bare = token.bare
        chain.append(_plain(bare) if not token.negated else "")
        if bare in _ALTERNATION:
            chain[-1] = "OR"
        _add_bare(parts, bare, token.negated)
    return chain


def _alternative(words: list[str]) -> tuple[str, ...] | str:
    """A closed phrase as an OR group's alternative: its words in order (one word: that word)."""
    if len(words) > 1:
        return _Phrase(words)
    return tuple(words) or ""


def _plain(token: str) -> tuple[str, ...] | str:
    """The words of a token that searches for them plainly (no "-", "*" or CJK run), or ""."""
    body = token.strip("()")
    if _excludes(body) or body.endswith("*") or has_cjk_run(body) or body in _OPERATORS:
        return ""
    return tuple(words_of(body)) or ""


def _groups(
    chain: list[tuple[str, ...] | str],
) -> tuple[list[tuple[tuple[str, ...], ...]], set[tuple[str, ...]]]:
    """Runs of plain tokens and phrases joined by OR: `a OR b OR c` is one group of three
    alternatives; and the phrases typed in no group."""
    groups: list[tuple[tuple[str, ...], ...]] = []
    lone: set[tuple[str, ...]] = set()
    run: list[tuple[str, ...]] = []
    joined = False
    for item in [*chain, ""]:
        if item == "OR":
            joined = bool(run)
            continue
        if isinstance(item, tuple) and (joined or not run):
            run.append(item)
        else:
            if len(set(run)) > 1 and len(groups) < _MOST_GROUPS:
                groups.append(tuple(dict.fromkeys(run)))
            else:
                lone |= {p for p in run if isinstance(p, _Phrase)}
            run = [item] if isinstance(item, tuple) else []
        joined = False
    return groups, lone


def _grouped_phrases(
    parts: dict,  # type: ignore[type-arg]
    either: list[tuple[tuple[str, ...], ...]],
    lone: set[tuple[str, ...]],
) -> tuple[tuple[str, ...], ...]:
    """The phrases that are alternatives of an OR group: no longer required (their words are
    evidence, as an alternative word's are), in the order typed."""
    grouped = [a for group in either for a in group if isinstance(a, _Phrase)]
    if not grouped:
        return ()
    optional = set(grouped) - lone
    parts["phrases"] = [p for p in parts["phrases"] if p not in optional]
    parts["words"].extend(w for phrase in grouped for w in phrase)
    return tuple(dict.fromkeys(tuple(p) for p in grouped))


def _add_phrase(parts: dict, words: list[str], negative: bool, closed: bool) -> None:  # type: ignore[type-arg]
    if not words:
        return
    if not closed:
        parts["words"].extend(words)  # an unbalanced quote is just words
    elif len(words) == 1:
        parts["excluded_words" if negative else "words"].append(words[0])
    else:
        parts["excluded_phrases" if negative else "phrases"].append(tuple(words))


def _add_bare(parts: dict, token: str, negate: bool) -> None:  # type: ignore[type-arg]
    if token in _OPERATORS:
        return
    negative = negate or _excludes(token)
    body = token[1:] if _excludes(token) else token
    words = words_of(body)
    if not words:
        return
    if negative:
        key = "excluded_words" if len(words) == 1 else "excluded_phrases"
        parts[key].append(words[0] if len(words) == 1 else tuple(words))
    elif len(words) > 1 and has_cjk_run(body):  # its characters' pairs, in their order
        parts["phrases"].append(tuple(words))
    elif body.endswith("*") and len(words[-1]) >= 2:
        parts["words"].extend(words[:-1])
        parts["prefixes"].append(words[-1])
    else:
        parts["words"].extend(words)


def _finish(
    raw: str,
    parts: dict,  # type: ignore[type-arg]
    category: str | None,
    either: list[tuple[tuple[str, ...], ...]],
    dates: QueryDates,
    left_out: bool = False,
) -> ParsedQuery:
    words = list(dict.fromkeys(parts["words"]))[:MAX_WORDS]
    notes = ("query shortened to its first words",) if len(parts["words"]) > MAX_WORDS else ()
    parsed = ParsedQuery(
        raw=raw,
        words=tuple(words),
        phrases=tuple(dict.fromkeys(parts["phrases"]))[:8],
        prefixes=tuple(dict.fromkeys(parts["prefixes"]))[:8],
        excluded_words=tuple(dict.fromkeys(parts["excluded_words"]))[:16],
        excluded_phrases=tuple(dict.fromkeys(parts["excluded_phrases"]))[:8],
        paper_id=paper_id_in(raw),
        notes=notes,
        category=category,
        either=tuple(tuple(tuple(a) for a in group) for group in either),
        since=dates.since,
        until=dates.until,
    )
    if parsed.positive or not parsed.empty or left_out:  # a "year:" or "cat:" left out
        return parsed
    # Only operators or symbols: search for whatever words there are, literally.
    return ParsedQuery(raw=raw, words=tuple(dict.fromkeys(words_of(raw)))[:MAX_WORDS])
