"""Merging a stored paper with incoming data: an older version never overwrites a newer."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import TypeVar

from paperfeed.models import Paper, Version

_When = TypeVar("_When", datetime, date)


def merge_paper(old: Paper, new: Paper) -> Paper:
    """Combine a stored paper with incoming data; an older version never overwrites a newer."""
    newer = _is_newer_or_same(old, new)

    def pick(a: object, b: object) -> object:
        return b if (newer and b) or not a else a

    vers = _merge_versions(old.versions, new.versions)
    fields = ("title", "abstract", "authors", "categories", "comments", "journal_ref", "doi")
    picked = {f: pick(getattr(old, f), getattr(new, f)) for f in fields + ("license", "updated")}
    version = max((v for v in (old.version, new.version) if v is not None), default=None)
    links = tuple(dict.fromkeys(old.code_links + new.code_links)) if newer else old.code_links
    return replace(
        old,
        **picked,  # type: ignore[arg-type]
        version=version,
        versions=vers,
        published=_earliest(old.published, new.published),
        code_links=links or new.code_links,
        listing_date=_earliest(old.listing_date, new.listing_date),
        withdrawn=new.withdrawn if newer else old.withdrawn,
        signals=new.signals or old.signals,
    )


def _is_newer_or_same(old: Paper, new: Paper) -> bool:
    if new.source == "page" and old.source != "page":
        return False  # a copied page has no version and less text: it only fills gaps
    if old.version is not None and new.version is not None:
        return new.version >= old.version
    if old.updated and new.updated:
        return new.updated > old.updated  # strict, so re-running older inputs changes nothing
    return old.version is None


def _earliest(a: _When | None, b: _When | None) -> _When | None:
    return min(a, b) if a and b else a or b


def _merge_versions(a: tuple[Version, ...], b: tuple[Version, ...]) -> tuple[Version, ...]:
    byno: dict[int, Version] = {v.number: v for v in a}
    for v in b:
        if v.number not in byno or (v.created and not byno[v.number].created):
            byno[v.number] = v
    return tuple(byno[n] for n in sorted(byno))
