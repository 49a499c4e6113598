"""The checks every record passes before the store: bounded numbers, clean strings, categories."""

from __future__ import annotations

import re
from dataclasses import replace

from paperfeed.latex import decode_name, decode_prose
from paperfeed.models import Paper, Signals
from paperfeed.text import has_lone_surrogate, is_xml_clean, xml_safe

MAX_VERSION = 10_000  # arXiv's most revised papers have a few dozen versions
MAX_COUNT = 1_000_000_000  # upvotes and stars; fits every backend's INTEGER
# Sizes far above any real record (arXiv's longest titles run to ~400 characters, its abstracts
# to 1,920, its largest author lists to ~5,200 names), far below what would swamp a page or an
# index: a record over one is reported and skipped, never cut.
MAX_TITLE = 2_000
MAX_ABSTRACT = 200_000
MAX_AUTHORS = 20_000
MAX_NAME = 1_000  # one author's name
MAX_FIELD = 20_000  # comments, journal reference, DOI, licence, a code link
MAX_LIST = 1_000  # categories, code links
# arXiv category syntax: archive, or archive.SUBJECT ("hep-th", "cs.AI", "cond-mat.mes-hall").
_CATEGORY = re.compile(r"^[a-z][a-z\-]{0,19}(?:\.[A-Za-z][A-Za-z\-]{0,19})?$")


class BadRecord(ValueError):
    """A record that cannot be stored; the message says why."""


def is_category(name: str) -> bool:
    """True when the name has arXiv category syntax."""
    return _CATEGORY.match(name) is not None


def check_count(value: object, name: str) -> int:
    """A whole number in 0..MAX_COUNT (an integral float counts); anything else is a BadRecord."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRecord(f"{name} should be a whole number, got {value!r:.40}")
    if not 0 <= value <= MAX_COUNT:
        raise BadRecord(f"{name} {str(value)[:40]} is out of range 0..{MAX_COUNT:,}")
    return value


def check_paper(paper: Paper) -> tuple[Paper, list[str]]:
    """The paper with XML-safe strings and only valid categories, plus notes on what was dropped."""
    _check_numbers(paper)
    _check_sizes(paper)
    # The common case: one scan of all the record's text finds nothing to clean.
    clean = _tex_decoded(paper if _all_clean(paper) else _cleaned(paper))
    if not clean.title.strip():
        raise BadRecord("the title is empty")
    categories = tuple(dict.fromkeys(clean.categories))
    dropped = [c for c in categories if not is_category(c)]
    if dropped or len(categories) != len(clean.categories):
        clean = replace(clean, categories=tuple(c for c in categories if c not in dropped))
    return clean, [f"dropped category {c!r:.60}: not an arXiv category name" for c in dropped]


def _check_numbers(paper: Paper) -> None:
    _check_version(paper.version)
    for version in paper.versions:
        _check_version(version.number)
    if paper.signals:
        check_count(paper.signals.upvotes, "upvotes")
        if paper.signals.github_stars is not None:
            check_count(paper.signals.github_stars, "githubStars")


def _check_sizes(paper: Paper) -> None:
    _check_length("title", paper.title, MAX_TITLE)
    _check_length("abstract", paper.abstract, MAX_ABSTRACT)
    if len(paper.authors) > MAX_AUTHORS:
        raise BadRecord(f"{len(paper.authors):,} authors is over the {MAX_AUTHORS:,} limit")
    for name in paper.authors:
        _check_length("author name", name, MAX_NAME)
    for what, many in (("categories", paper.categories), ("code links", paper.code_links)):
        if len(many) > MAX_LIST:
            raise BadRecord(f"{len(many):,} {what} is over the {MAX_LIST:,} limit")
    optional = {"comments": paper.comments, "journal_ref": paper.journal_ref, "doi": paper.doi}
    optional |= {"license": paper.license}
    for what, text in optional.items():
        _check_length(what, text, MAX_FIELD)
    for url in paper.code_links:
        _check_length("code link", url, MAX_FIELD)


def _check_length(what: str, text: object, most: int) -> None:
    if isinstance(text, str) and len(text) > most:
        raise BadRecord(f"{what} of {len(text):,} characters is over the {most:,} limit")


def _cleaned(paper: Paper) -> Paper:
    cleaned: dict[str, object] = {
        "id": _text(paper.id, "id"),
        "title": _text(paper.title, "title"),
        "abstract": _text(paper.abstract, "abstract"),
        "authors": tuple(_text(a, "author") for a in paper.authors),
        "categories": tuple(_text(c, "category") for c in paper.categories),
        "comments": _opt(paper.comments, "comments"),
        "journal_ref": _opt(paper.journal_ref, "journal_ref"),
        "doi": _opt(paper.doi, "doi"),
        "license": _opt(paper.license, "license"),
        "code_links": tuple(_text(u, "code link") for u in paper.code_links),
        "signals": _signals(paper.signals),
    }
    changed = {k: v for k, v in cleaned.items() if v != getattr(paper, k)}
    return replace(paper, **changed)  # type: ignore[arg-type]


def _tex_decoded(paper: Paper) -> Paper:
    """The paper with the TeX accents of its names, and of its title and abstract outside their
    math, as Unicode (Erd\\H{o}s is Erdős), as every source's papers are stored and searched."""
    title, abstract = decode_prose(paper.title), decode_prose(paper.abstract)
    authors = paper.authors
    if any("\\" in a or "{" in a for a in authors):
        authors = tuple(n for n in map(decode_name, authors) if n)
    if (title, abstract, authors) == (paper.title, paper.abstract, paper.authors):
        return paper
    return replace(paper, title=title, abstract=abstract, authors=authors)


def _all_clean(paper: Paper) -> bool:
    optional = (paper.comments, paper.journal_ref, paper.doi, paper.license)
    signals = (paper.signals.submitted_by, paper.signals.github_repo) if paper.signals else ()
    texts = [paper.id, paper.title, paper.abstract, *paper.authors, *paper.categories]
    texts += [t for t in (*optional, *signals) if t is not None] + list(paper.code_links)
    try:
        return is_xml_clean("\n".join(texts))
    except TypeError:  # a non-string where text belongs: the slow path names it
        return False


def _check_version(number: int | None) -> None:
    if number is not None and (not isinstance(number, int) or not 0 <= number <= MAX_VERSION):
        raise BadRecord(f"version {str(number)[:40]} is out of range 0..{MAX_VERSION:,}")


def _text(text: str, name: str) -> str:
    if not isinstance(text, str):
        raise BadRecord(f"{name} should be text, got {type(text).__name__}")
    clean = xml_safe(text)
    if len(clean) != len(text) and has_lone_surrogate(text):
        raise BadRecord(f"{name} holds a lone surrogate (an invalid \\ud800-style escape)")
    return clean


def _opt(text: str | None, name: str) -> str | None:
    return None if text is None else (_text(text, name) or None)


def _signals(signals: Signals | None) -> Signals | None:
    if signals is None:
        return None
    submitted_by = _opt(signals.submitted_by, "submittedBy")
    github_repo = _opt(signals.github_repo, "githubRepo")
    if (submitted_by, github_repo) == (signals.submitted_by, signals.github_repo):
        return signals
    return replace(signals, submitted_by=submitted_by, github_repo=github_repo)
