"""A paper cited as text (APA style) and described for search engines (schema.org JSON-LD)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from paperfeed.arxiv_ids import looks_like_arxiv_id, parse_arxiv_id
from paperfeed.latex import plain
from paperfeed.models import LOCAL_PREFIX, Paper
from paperfeed.references import split_name, suffixed
from paperfeed.web.bibtex import paper_year

APA_MOST_NAMED = 20  # APA 7 names up to 20 authors; beyond, the first 19, "…" and the last


def apa_name(name: str) -> str:
    """An author as APA writes one: "Lovelace, A. A.", "van der Sommen, F., Jr."; a name
    without given names, or given names in a script without initials (山田 太郎), as written."""
    base, suffix = suffixed(name)
    family, given = split_name(base)
    initials = [_initials(word) for word in given.split()]
    if not family or not given or not all(initials):
        return " ".join(name.split())
    return ", ".join(part for part in (family, " ".join(initials), suffix) if part)


def _initials(word: str) -> str:
    """A given name's initials, hyphens kept (Jean-Paul is J.-P.); empty for a script
    without capital letters, where an initial means nothing."""
    parts = []
    for piece in word.split("-"):
        letter = next((ch for ch in piece if ch.isalpha()), "")
        if not letter.isupper():
            return ""
        parts.append(letter + ".")
    return "-".join(parts)


def _apa_authors(names: tuple[str, ...]) -> str:
    cited = [apa_name(n) for n in names]
    if len(cited) > APA_MOST_NAMED:
        return ", ".join(cited[: APA_MOST_NAMED - 1]) + ", … " + cited[-1]
    if len(cited) > 1:
        return ", ".join(cited[:-1]) + ", & " + cited[-1]
    return cited[0] if cited else ""


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "?", "!")) else text + "."


def apa(paper: Paper) -> str:
    """A plain-text reference in APA style: authors, year, title, where it appeared, and a
    DOI (arXiv's own DataCite DOI for an arXiv paper) or its address."""
    year = paper_year(paper)
    head = _apa_authors(paper.authors)
    parts = [_sentence(head) if head else "", f"({year if year else 'n.d.'}).", ""]
    title = plain(paper.title)
    if paper.is_arxiv and not paper.journal_ref:
        parts[2] = _sentence(f"{title} (arXiv:{paper.id})") + " arXiv."
        link = paper.doi or f"10.48550/arXiv.{paper.id}"
    else:
        parts[2] = _sentence(title) + (
            f" {_sentence(paper.journal_ref)}" if paper.journal_ref else ""
        )
        link = paper.doi or ""
    address = f"https://doi.org/{link}" if link else (paper.abs_url or "")
    if not head:  # APA moves the title to the author's place
        parts = [parts[2], parts[1]]
    return " ".join(p for p in (*parts, address) if p)


def scholarly_article(paper: Paper, url: str) -> str:
    """The paper as a schema.org ScholarlyArticle, JSON to put in a `<script>`: `<`, `>` and
    `&` are written as `\\u` escapes, so no title can end the script early."""
    first = paper.versions[0].created if paper.versions else paper.published
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "@id": url,
        "url": url,
        "headline": plain(paper.title),
        "name": plain(paper.title),
        "author": [{"@type": "Person", "name": " ".join(n.split())} for n in paper.authors],
        "abstract": plain(paper.abstract),
        "isAccessibleForFree": True,
    }
    if first:
        data["datePublished"] = first.date().isoformat()
    if paper.updated:
        data["dateModified"] = paper.updated.date().isoformat()
    if paper.categories:
        data["keywords"] = list(paper.categories)
    same = [u for u in (paper.abs_url, paper.doi and f"https://doi.org/{paper.doi}") if u]
    if same:
        data["sameAs"] = same
    ids = [("arXiv", paper.id if paper.is_arxiv else None), ("DOI", paper.doi)]
    data["identifier"] = [
        {"@type": "PropertyValue", "propertyID": kind, "value": value}
        for kind, value in ids
        if value
    ]
    if paper.license and paper.license.startswith(("https://", "http://")):
        data["license"] = paper.license
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@dataclass(frozen=True)
class AskedVersion:
    """The arXiv version a link named (a citation of 2401.00001v1), beside the latest stored."""

    number: int
    latest: int | None  # None: this site does not know the paper's versions
    exists: bool | None  # None: not known
    created: datetime | None  # when that version was submitted, where arXiv said
    arxiv_url: str | None  # arXiv's page of that version, where it has one


def version_named(text: str) -> int | None:
    """The version an arXiv id or address names (2401.00001v2: 2); None for none, or a local id."""
    if text.startswith(LOCAL_PREFIX) or not looks_like_arxiv_id(text):
        return None
    return parse_arxiv_id(text)[1]


def asked_version(paper: Paper, number: int) -> AskedVersion | None:
    """What this site knows of version `number` of an arXiv paper; None for a local paper."""
    if not paper.is_arxiv:
        return None
    known = {v.number: v for v in paper.versions}
    latest = max(known, default=paper.version)
    exists = None if latest is None else number in known if known else number <= latest
    return AskedVersion(
        number,
        latest,
        exists,
        known[number].created if number in known else None,
        None if exists is False else f"https://arxiv.org/abs/{paper.id}v{number}",
    )
