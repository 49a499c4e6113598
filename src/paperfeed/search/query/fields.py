"""arXiv's field prefixes and "cat:", and what a search says of its filters."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from paperfeed import categories
from paperfeed.search.query.dates import _DATE_RE, query_dates, within
from paperfeed.search.query.model import MAX_QUERY_CHARS

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


def filter_notes(
    category: str,
    since: date | None,
    until: date | None,
    q: str = "",
    labels: tuple[str, str] = ("From", "Until"),
) -> list[str]:
    """What a search says about its filters (and the query's date prefixes) that cannot match
    anything (page, API and CLI), naming the dates as the caller knows them (the page's
    labels; the API's parameters)."""
    first, last = labels
    dates = query_dates(q)
    notes = list(dates.problems) + category_problems(q)
    for name in filter(None, (n.strip() for n in category.split(","))):
        try:
            categories.checked(name, archives=True)  # "cs": every cs category
        except ValueError as exc:
            notes.append(str(exc))
    if since and until and since > until:
        notes.append(f"{first} ({since.isoformat()}) is after {last} ({until.isoformat()}): "
                     "no paper can be in that range. Swap the dates?")  # fmt: skip
    elif (dates.since or dates.until) and not dates.problems:
        low, high = within(since, until, dates)
        if low and high and low > high:
            notes.append(f"The query's dates and the {first}/{last} filters have no day in "
                         "common: no paper can match.")  # fmt: skip
    return notes
