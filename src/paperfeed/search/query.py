"""Reading what a user typed into parts a search engine can run, never failing on odd text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date

from paperfeed import categories
from paperfeed.arxiv_ids import BadArxivId, parse_arxiv_id
from paperfeed.models import LOCAL_PREFIX
from paperfeed.text import CJK_LETTERS, cjk_name_joined

MAX_QUERY_CHARS = 20_000
MAX_WORDS = 64  # a pasted abstract still makes a useful (and fast) keyword query

# A quoted phrase (closed or running to the end) with the "-" and the group's parentheses
# around it ('("graph neural network"' was the word "graph"), or a run of non-space characters.
_TOKEN_RE = re.compile(r'([-(]*)"([^"]*)("?)(\)*)|(\S+)')
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
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


# Words too common to say what a query is about (Lucene's English set plus a few of papers').
# fmt: off
STOP_WORDS = frozenset([
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "if", "in", "into",
    "is", "it", "no", "not", "of", "on", "or", "our", "such", "that", "the", "their", "then",
    "there", "these", "they", "this", "to", "via", "was", "we", "will", "with",
])
# fmt: on


@dataclass(frozen=True)
class ParsedQuery:
    """A user query split into words, phrases, prefixes and exclusions (all lower-case text)."""

    raw: str
    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    prefixes: tuple[str, ...] = ()
    excluded_words: tuple[str, ...] = ()
    excluded_phrases: tuple[tuple[str, ...], ...] = ()
    paper_id: str | None = None
    notes: tuple[str, ...] = field(default=())
    # arXiv's "cat:cs.CL" (or an archive, "cat:cs") in the query; several ("cat:cs.CL cat:cs.LG",
    # "cat:(cs.CL OR cs.LG)") joined by commas, any of them, as the daily pages' ?category= reads
    category: str | None = None
    # Words joined by OR ("GAN OR diffusion"): a paper needs one of each group's alternatives
    # (an alternative is the words of one typed token, "GPT-4" two words both needed).
    either: tuple[tuple[tuple[str, ...], ...], ...] = ()
    # The alternatives in `either` typed as phrases ('"graph neural network" OR GNN'): their
    # words in that order.
    phrased: tuple[tuple[str, ...], ...] = ()
    # Words typed in capitals ("GAN", "RAG"): acronyms, not people, so author names holding
    # them ("Zhongxue Gan") are no evidence.
    acronyms: tuple[str, ...] = ()
    # Days typed in the query ("year:2025", "after:2025-06-01"), both ends included.
    since: date | None = None
    until: date | None = None

    @property
    def positive(self) -> bool:
        """True when the query asks for something (not only exclusions)."""
        return bool(self.words or self.phrases or self.prefixes)

    @property
    def meaningful(self) -> tuple[str, ...]:
        """The words that say what the query is about: stop words left out, unless that is all."""
        kept = tuple(w for w in self.words if w not in STOP_WORDS)
        return kept or self.words

    @property
    def empty(self) -> bool:
        """True when nothing searchable is left."""
        return not (
            self.positive
            or self.excluded_words
            or self.excluded_phrases
            or self.category
            or self.since
            or self.until
        )


# Languages whose names the word splitter would cut to one letter: "C++" and "C#" are indexed
# and searched as these words (a search for "c" is no search for C++).
CODE_WORDS = {"c++": "cplusplus", "c#": "csharp", "f#": "fsharp"}
CODE_RE = re.compile(r"(?<![\w+#])(?:[cC]\+\+|[cCfF]#)(?![A-Za-z_+#])")


# Chinese and Japanese are written without spaces: a run of Han or kana is indexed and
# searched as its overlapping pairs of characters (深度学习 as 深度 度学 学习, as Lucene's CJK
# analyzer does), so a word inside a run is found; a query's run is a phrase of its pairs.
CJK_RUN_RE = re.compile(f"[{CJK_LETTERS}]{{2,}}")


def _pairs(run: re.Match[str]) -> str:
    text = run[0]
    return " " + " ".join(text[i : i + 2] for i in range(len(text) - 1)) + " "


def has_cjk_run(text: str) -> bool:
    """Whether `text` holds two or more Han or kana characters in a row."""
    return not text.isascii() and CJK_RUN_RE.search(text) is not None


def code_words(text: str) -> str:
    """`text` with "C++", "C#" and "F#" spelled as the words the index holds for them,
    Turkish "İ" as "I" (lower-cased, it is "i" with a combining dot, which no word matches),
    and runs of Chinese or Japanese characters as their pairs of characters."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)  # "o" and a combining diaeresis: "ö"
        if "İ" in text:
            text = text.replace("İ", "I")
        text = CJK_RUN_RE.sub(_pairs, text)
    if "+" not in text and "#" not in text:
        return text
    return CODE_RE.sub(lambda m: f" {CODE_WORDS[m[0].lower()]} ", text)


def name_words(name: str) -> str:
    """An author's name as the index holds it: `code_words`, with the parts of a Chinese or
    Japanese name written together ("山田 太郎" and "山田太郎" match)."""
    return code_words(cjk_name_joined(name))


def words_of(text: str) -> list[str]:
    """Lower-case alphanumeric words, the way the index splits text ("C++" is "cplusplus")."""
    return [w.lower() for w in _WORD_RE.findall(code_words(text))]


# How citations and other sites write one arXiv paper around its id: "arXiv: 2401.12345",
# "arXiv:2401.12345v2 [cs.CL]", its DOI (10.48550/arXiv.2401.12345, also as a doi.org URL) and
# a Hugging Face or alphaXiv paper page.
_CITED_ID_RE = re.compile(
    r"(?:arxiv\s*[:：]?\s*|(?:https?://)?(?:dx\.)?(?:doi\.org/|doi:\s*)?10\.48550/arxiv\."
    r"|(?:https?://)?(?:www\.)?(?:huggingface\.co/papers|alphaxiv\.org/abs)/)?"
    r"(?P<id>\S+?)/?(?:\s*\[[a-z\-]+(?:\.[a-z\-]+)?\])?",
    re.IGNORECASE,
)


# What an id or address pasted from a sentence, a list or an email brings along: "(arXiv:…)",
# "<https://arxiv.org/abs/…>", "…/abs/2401.12345v2." (no arXiv id ends in these).
_WRAPPING = "\"'“”‘’«»()<>.,;:!?"


def paper_id_in(text: str) -> str | None:
    """The versionless arXiv id (or local id) when the whole query is one (bar the punctuation
    it was pasted with), else None."""
    raw = text.strip()
    for candidate in dict.fromkeys((raw, raw.strip(_WRAPPING + " \t"))):
        found = _whole_id(candidate)
        if found:
            return found
    return None


def _whole_id(raw: str) -> str | None:
    if raw.startswith(LOCAL_PREFIX) and re.fullmatch(r"local-[0-9a-f]{12}", raw):
        return raw
    try:
        return parse_arxiv_id(raw)[0]
    except BadArxivId:
        pass
    cited = _CITED_ID_RE.fullmatch(raw)
    try:
        return parse_arxiv_id(cited["id"])[0] if cited else None
    except BadArxivId:
        return None


# arXiv's search syntax: "ti:", "abs:", "au:" and "all:" before a word search it as any word is
# (the prefix was searched as a word: "ti:" matched "Ti"); "cat:cs.CL" restricts the search to
# that category, as the category filter does. Other engines' spellings ("author:", "title:",
# Google Scholar's "intitle:", "category:") read the same ("author:Hinton" found "Authorization"),
# and so do arXiv's "co:" and "jr:" (comments, journal reference) and "comments:", "journal:",
# "venue:" ("venue:ICML" searched the word "venue").
_FIELD_RE = re.compile(
    r"(?<![^\s(\"-])(?:ti|abs|au|all|co|jr|cat|title|intitle|abstract|authors?|category"
    r"|comments?|journal|venue):(?=\S)",
    re.IGNORECASE,
)
# "cat:cs.CL", or several in parentheses: "cat:(cs.CL OR cs.LG)" (searched as words before).
_CATEGORY_RE = re.compile(
    r"(?<![^\s(])(?:cat|category):(?:\(([^()]*)\)|([\w.,\-]+))", re.IGNORECASE
)
_CATEGORY_JOINS = {"OR", "||", "|", "AND", "&&"}
_CATEGORY_SPLIT_RE = re.compile(r"[\s,]+")
# A query that opens with a field and a space ("title: cancer", a pasted "Abstract: We …") reads
# it as a field too: "title" was a required word, and "title: cancer" found one paper.
_OPENING_FIELD_RE = re.compile(
    r"\A\s*(?:ti|abs|au|all|title|intitle|abstract|authors?|comments?|journal|venue):\s+(?=\S)",
    re.IGNORECASE,
)


def _fields(text: str) -> tuple[str, str | None]:
    """The text without arXiv's field prefixes, date prefixes and "cat:" (whatever it names:
    "cat:q-bio" searched the words "q" and "bio"), and the categories or archives it names
    (several joined by commas: a paper in any of them is kept)."""
    if ":" not in text:
        return text, None
    named = [known for _typed, value in _category_values(text) if (known := _scope(value))]
    kept = _DATE_RE.sub(" ", _OPENING_FIELD_RE.sub("", _CATEGORY_RE.sub(" ", text)))
    return _FIELD_RE.sub("", kept), ",".join(dict.fromkeys(named)) or None


def _category_values(text: str) -> Iterator[tuple[str, str]]:
    """Each "cat:" in the text as typed, with each value it names ("cat:(cs.CL OR cs.LG)": two)."""
    for match in _CATEGORY_RE.finditer(text):
        values = _CATEGORY_SPLIT_RE.split(match[1] if match[2] is None else match[2])
        yield from ((match[0], v) for v in values if v and v.upper() not in _CATEGORY_JOINS)


def _scope(value: str) -> str | None:
    """The category ("cs.CL") or whole archive ("cs", "q-bio") a "cat:" names, or None."""
    value = value.rstrip(".-")  # "cat:cs.CL." ending a sentence
    return categories.canonical(value) or categories.archive(value)


def category_problems(text: str) -> list[str]:
    """What is wrong with each "cat:" in the query that names no category or archive (left out
    of the search), saying what was meant where it can."""
    if ":" not in text:
        return []
    problems: dict[str, None] = {}
    for typed, value in _category_values(text[:MAX_QUERY_CHARS]):
        try:
            categories.checked(value.rstrip(".-"), archives=True)
        except ValueError as exc:
            named = typed if typed.endswith(":" + value) else f"cat:{value}"  # one of several
            shown = named if len(named) <= 72 else named[:72] + "…"
            problems[f"{shown} was left out of the search: {exc}"] = None
    return list(problems)


# Days typed in the query, as search sites take them: "year:2025", "year:2024..2025" (either
# end may be left open), "after:2025-06-01" and "before:2025-09-30" (or a month, 2025-09),
# every bound included.
_DATE_RE = re.compile(r"(?<![^\s(])(year|after|before):([^\s()]+)", re.IGNORECASE)
_YEAR_RE = re.compile(r"(\d{4})?(?:(\.\.)(\d{4})?)?")
_DAY_RE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


@dataclass(frozen=True)
class QueryDates:
    """The days a query's "year:", "after:" and "before:" keep, and what was wrong with any."""

    since: date | None = None
    until: date | None = None
    problems: tuple[str, ...] = ()


def query_dates(text: str) -> QueryDates:
    """The range of days the query's date prefixes name (all of them together); a prefix that
    names no day ("year:20x5", "year:2026..2024") is left out, and said in `problems`."""
    if ":" not in text:
        return QueryDates()
    since: date | None = None
    until: date | None = None
    problems: list[str] = []
    for match in _DATE_RE.finditer(text[:MAX_QUERY_CHARS]):
        try:
            low, high = _date_bounds(match[1].lower(), match[2])
        except ValueError as exc:
            problems.append(f"{match[0]} was left out of the search: {exc}.")
            continue
        since = max(since, low) if since and low else since or low
        until = min(until, high) if until and high else until or high
    if since and until and since > until and not problems:
        problems.append(
            f"No day is in every date the query names ({since.isoformat()} to "
            f"{until.isoformat()}): no paper can match."
        )
    return QueryDates(since, until, tuple(problems))


def _date_bounds(prefix: str, value: str) -> tuple[date | None, date | None]:
    """The first and last day one date prefix keeps; ValueError saying what to type."""
    if prefix == "year":
        years = _YEAR_RE.fullmatch(value)
        if not years or not (years[1] or years[3]):
            raise ValueError("give a year as 2025, or years as 2024..2025")
        first = date(int(years[1]), 1, 1) if years[1] else None
        last = date(int(years[3] or years[1]), 12, 31) if years[3] or not years[2] else None
        if first and last and first > last:
            raise ValueError(f"{years[1]} is after {years[3]} (write the earlier year first)")
        return first, last
    day = _DAY_RE.fullmatch(value)
    if not day:
        raise ValueError("give a day as YYYY-MM-DD (or a month as YYYY-MM)")
    try:
        first = date(int(day[1]), int(day[2]), int(day[3] or 1))
        last = first if day[3] else _month_end(first)
    except ValueError:
        raise ValueError(f"there is no day {value}") from None
    return (first, None) if prefix == "after" else (None, last)


def _month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def within(
    since: date | None, until: date | None, dates: QueryDates | ParsedQuery
) -> tuple[date | None, date | None]:
    """The days both a search's filters and its query's date prefixes keep."""
    low = max(since, dates.since) if since and dates.since else since or dates.since
    high = min(until, dates.until) if until and dates.until else until or dates.until
    return low, high


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


# Syntax the model would read as words: a stray ")" made "cancer)" a query no abstract was near
# enough to (MiniLM, SciFact: "cancer" 100 papers, "cancer)" none; "(robot)" 7 of "robot"'s 24).
_SYNTAX = str.maketrans(dict.fromkeys('"*()', " "))


def semantic_text(text: str) -> str:
    """The query text for an embedding model: what the keyword search leaves out removed (read
    by the same tokens: "NOT (a (b c))" lost only "a"), quotes, `*` and parentheses dropped."""
    body = _fields(text[:MAX_QUERY_CHARS].translate(_QUOTES))[0]
    kept = _joined([token.typed for token in _tokens(body) if not token.left_out])
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


def filter_notes(category: str, since: date | None, until: date | None, q: str = "") -> list[str]:
    """What a search says about its filters (and the query's date prefixes) that cannot match
    anything (page, API and CLI)."""
    dates = query_dates(q)
    notes = list(dates.problems) + category_problems(q)
    for name in filter(None, (n.strip() for n in category.split(","))):
        try:
            categories.checked(name, archives=True)  # "cs": every cs category
        except ValueError as exc:
            notes.append(str(exc))
    if since and until and since > until:
        notes.append(f"From ({since.isoformat()}) is after Until ({until.isoformat()}): "
                     "no paper can be in that range. Swap the dates?")  # fmt: skip
    elif (dates.since or dates.until) and not dates.problems:
        low, high = within(since, until, dates)
        if low and high and low > high:
            notes.append("The query's dates and the From/Until filters have no day in common: "
                         "no paper can match.")  # fmt: skip
    return notes
