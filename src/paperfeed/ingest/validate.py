"""The checks every record passes before the store: bounded numbers, clean strings, categories."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from paperfeed.models import Paper, Signals
from paperfeed.text import has_lone_surrogate, is_xml_safe, xml_safe

MAX_VERSION = 10_000  # arXiv's most revised papers have a few dozen versions
MAX_COUNT = 1_000_000_000  # upvotes and stars; fits every backend's INTEGER
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
    _check_version(paper.version)
    for version in paper.versions:
        _check_version(version.number)
    if paper.signals:
        check_count(paper.signals.upvotes, "upvotes")
        if paper.signals.github_stars is not None:
            check_count(paper.signals.github_stars, "githubStars")
    clean, dropped = _cleaned_fast(paper) if _all_xml_safe(paper) else _cleaned(paper)
    if not clean.title.strip():
        raise BadRecord("the title is empty")
    return clean, [f"dropped category {c!r:.60}: not an arXiv category name" for c in dropped]


def _all_xml_safe(paper: Paper) -> bool:
    # One scan over every string of a record: nearly all are clean, and then nothing is copied.
    s = paper.signals
    extra = (s.submitted_by, s.github_repo) if s else ()
    optional = (paper.comments, paper.journal_ref, paper.doi, paper.license, *extra)
    try:
        texts = "\n".join(
            (paper.id, paper.title, paper.abstract, *paper.authors, *paper.categories,
             *paper.code_links, *(t for t in optional if t is not None))
        )  # fmt: skip
    except TypeError:
        return False  # something is not text: the slow path says which field
    return is_xml_safe(texts)


def _cleaned_fast(paper: Paper) -> tuple[Paper, list[str]]:
    categories = tuple(dict.fromkeys(paper.categories))
    dropped = [c for c in categories if not is_category(c)]
    fields = {
        "categories": tuple(c for c in categories if c not in dropped),
        "comments": paper.comments or None,
        "journal_ref": paper.journal_ref or None,
        "doi": paper.doi or None,
        "license": paper.license or None,
        "signals": _signals(paper.signals),
    }
    return _replaced(paper, fields), dropped


def _cleaned(paper: Paper) -> tuple[Paper, list[str]]:
    categories = tuple(dict.fromkeys(_text(c, "category") for c in paper.categories))
    dropped = [c for c in categories if not is_category(c)]
    fields = {
        "id": _text(paper.id, "id"),
        "title": _text(paper.title, "title"),
        "abstract": _text(paper.abstract, "abstract"),
        "authors": tuple(_text(a, "author") for a in paper.authors),
        "categories": tuple(c for c in categories if c not in dropped),
        "comments": _opt(paper.comments, "comments"),
        "journal_ref": _opt(paper.journal_ref, "journal_ref"),
        "doi": _opt(paper.doi, "doi"),
        "license": _opt(paper.license, "license"),
        "code_links": tuple(_text(u, "code link") for u in paper.code_links),
        "signals": _signals(paper.signals),
    }
    return _replaced(paper, fields), dropped


def _replaced(paper: Paper, fields: Mapping[str, object]) -> Paper:
    # Nearly every record is already clean: copying it would cost more than comparing.
    changed = {k: v for k, v in fields.items() if v != getattr(paper, k)}
    return replace(paper, **changed) if changed else paper  # type: ignore[arg-type]


def _check_version(number: int | None) -> None:
    if number is not None and not 0 <= number <= MAX_VERSION:
        raise BadRecord(f"version {str(number)[:40]} is out of range 0..{MAX_VERSION:,}")


def _text(text: str, name: str) -> str:
    if not isinstance(text, str):
        raise BadRecord(f"{name} should be text, got {type(text).__name__}")
    if is_xml_safe(text):  # nearly every string: one scan instead of two plus a copy
        return text
    if has_lone_surrogate(text):
        raise BadRecord(f"{name} holds a lone surrogate (an invalid \\ud800-style escape)")
    return xml_safe(text)


def _opt(text: str | None, name: str) -> str | None:
    return None if text is None else (_text(text, name) or None)


def _signals(signals: Signals | None) -> Signals | None:
    if signals is None:
        return None
    return replace(
        signals,
        submitted_by=_opt(signals.submitted_by, "submittedBy"),
        github_repo=_opt(signals.github_repo, "githubRepo"),
    )
