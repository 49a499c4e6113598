"""CSL-JSON files: items read, and papers written as items."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from paperfeed.models import Paper
from paperfeed.references.dates import issued
from paperfeed.references.fields import (
    field_text,
    listed_tag,
    one_line,
    rich_text_stripped,
    tags_in,
    year_in,
)
from paperfeed.references.identifiers import find_arxiv_id, find_doi
from paperfeed.references.model import AnnotationsById, Parsed, Reference, UnreadableFile, keep
from paperfeed.references.names import family_name, name_parts, suffixed
from paperfeed.references.notes import note_text


def read_csl(text: str) -> Parsed:
    """A CSL-JSON file's items, and the items it could not use."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(
            f"the CSL-JSON is not valid JSON: {exc.msg} at line {exc.lineno}"
        ) from exc
    items = _csl_items(data)
    refs: list[Reference] = []
    errors: list[str] = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            errors.append(f"item {n}: not an object")
            continue
        arxiv = find_arxiv_id(
            item.get("arxiv"),
            item.get("URL"),
            item.get("number"),
            item.get("note"),
            item.get("container-title"),
            item.get("volume"),
            item.get("DOI"),
        )
        ref = Reference(
            f"item {n}",
            rich_text_stripped(one_line(item.get("title"))),
            arxiv,
            find_doi(item.get("DOI")),
            note_text(field_text(item.get("note"))),
            tags_in(item.get("keyword")),
            authors=_csl_families(item.get("author")),
            year=_csl_year(item.get("issued")),
            source_id=_csl_id(item.get("id")),
        )
        keep(ref, refs, errors)
    return Parsed("csl-json", refs, errors)


def _csl_id(value: object) -> str:
    """An item's own id (Zotero's Web API writes "<library>/<item key>"), when it has one."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value)[:200]


def _csl_families(value: object) -> tuple[str, ...]:
    """The family names of a CSL item's authors (with their particles), or their literal
    names' families."""
    names = value if isinstance(value, list) else []
    found = (
        one_line(f"{n.get('non-dropping-particle') or ''} {field_text(n.get('family'))}")
        or family_name(one_line(n.get("literal")))
        for n in names
        if isinstance(n, dict)
    )
    return tuple(n for n in found if n)


def _csl_year(value: object) -> int | None:
    """The year a CSL date gives: its first date part, else its raw or literal text."""
    if not isinstance(value, dict):
        return year_in(value)
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        return year_in(parts[0][0])
    return year_in(value.get("raw") or value.get("literal"))


_CSL_ITEM_KEYS = {"type", "title", "id", "DOI", "URL", "author", "number", "arxiv"}


def _csl_items(data: object) -> list[Any]:
    """The items of a CSL-JSON file: a list of them, as Zotero and pandoc write; also an object
    holding the list under "items", one item alone, or items by id (citeproc-js's form)."""
    if isinstance(data, dict):
        if "items" in data:
            data = data["items"]
        elif data.keys() & _CSL_ITEM_KEYS:
            data = [data]
        elif data and all(isinstance(v, dict) for v in data.values()):
            data = list(data.values())
    if not isinstance(data, list):
        raise UnreadableFile("CSL-JSON must be a list of items")
    if not data:
        raise UnreadableFile("the CSL-JSON has no items")
    return data


def csl_item(paper: Paper) -> dict[str, Any]:
    """A paper as a CSL-JSON item."""
    item: dict[str, Any] = {
        "id": paper.id,
        "type": "article",
        "title": " ".join(paper.title.split()),
        "author": [_csl_name(a) for a in paper.authors],
        "abstract": " ".join(paper.abstract.split()),
    }
    if paper.is_arxiv:
        item |= {"URL": paper.abs_url, "number": f"arXiv:{paper.id}", "publisher": "arXiv"}
    if paper.doi:
        item["DOI"] = paper.doi
    parts = issued(paper)
    if parts:
        item["issued"] = {"date-parts": [list(parts)]}
    return item


def _csl_name(name: str) -> dict[str, str]:
    base, suffix = suffixed(name)
    given, particles, last = name_parts(base)
    if not given:
        return {"literal": name}
    parts = {"family": last, "given": given}
    parts |= {"non-dropping-particle": particles} if particles else {}
    return parts | {"suffix": suffix} if suffix else parts


def csl_json(papers: Sequence[Paper], annotated: AnnotationsById | None = None) -> str:
    """Papers as a CSL-JSON array (with a reader's notes and tags, when given)."""
    items = []
    for p in papers:
        item, extra = csl_item(p), (annotated or {}).get(p.id)
        if extra and extra.note:
            item["note"] = extra.note
        if extra and extra.all_tags:
            item["keyword"] = ", ".join(listed_tag(t, bibtex=False) for t in extra.all_tags)
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=1)
