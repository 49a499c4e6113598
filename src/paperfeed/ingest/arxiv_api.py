"""The arXiv search API (Atom): papers by id list or by query, paged with start/max_results."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from paperfeed.arxiv_ids import parse_arxiv_id
from paperfeed.ingest.code_links import find_code_links
from paperfeed.ingest.dates import parse_date
from paperfeed.ingest.http import PoliteClient, parse_xml, refuse_html
from paperfeed.ingest.run import RECORD_FAULTS, Item, ReadCheckpoint, SourceError
from paperfeed.models import Paper, RecordError, clean_text, is_withdrawn

ATOM = "{http://www.w3.org/2005/Atom}"
AX = "{http://arxiv.org/schemas/atom}"
OS = "{http://a9.com/-/spec/opensearch/1.1/}"
ID_CHUNK = 100


class ArxivApiError(SourceError):
    """The API answered with an error entry or an HTTP error."""


@dataclass(frozen=True)
class Feed:
    """One API response page."""

    papers: list[Paper | RecordError]
    total: int


@dataclass
class ArxivApiSource:
    """Fetch the given ids, or the results of a query (up to `limit`)."""

    base_url: str
    client: PoliteClient
    ids: Sequence[str] = ()
    query: str | None = None
    limit: int = 100
    page_size: int = 100
    name: str = "arxiv-api"

    def items(self, read_checkpoint: ReadCheckpoint) -> Iterator[Item]:
        """Yield the papers found; ids the API does not know become RecordErrors."""
        if self.query:
            yield from self._query_pages()
        for start in range(0, len(self.ids), ID_CHUNK):
            yield from self._id_chunk(list(self.ids[start : start + ID_CHUNK]))

    def _id_chunk(self, ids: list[str]) -> Iterator[Item]:
        wanted = {parse_arxiv_id(i)[0]: i for i in ids}
        feed = self._fetch({"id_list": ",".join(ids), "max_results": len(ids)})
        found = {p.id for p in feed.papers if isinstance(p, Paper) and p.id in wanted}
        for item in feed.papers:
            if isinstance(item, Paper) and item.id not in wanted:
                # Store only what was asked for: an answer with other papers is not trusted.
                yield RecordError(item.id, "the arXiv API returned it unasked; not stored")
            else:
                yield item
        for pid, asked in wanted.items():
            if pid not in found:
                yield RecordError(asked, "not found on arXiv")

    def _query_pages(self) -> Iterator[Item]:
        start = 0
        while start < self.limit:
            size = min(self.page_size, self.limit - start)
            feed = self._fetch(
                {"search_query": self.query or "", "start": start, "max_results": size}
            )
            yield from feed.papers
            start += size
            if not feed.papers or start >= feed.total:
                break

    def _fetch(self, params: dict[str, str | int]) -> Feed:
        response = self.client.get(self.base_url, params=params)
        refuse_html(response, "arXiv API")
        if response.status_code >= 400 and b"<feed" not in response.content:
            raise ArxivApiError(f"the arXiv API answered HTTP {response.status_code}")
        return parse_feed(response.content)


def parse_feed(body: bytes) -> Feed:
    """Parse an Atom response; an error entry raises ArxivApiError with arXiv's message."""
    try:
        root = parse_xml(body, "arXiv API")
    except SourceError as exc:
        raise ArxivApiError(str(exc)) from exc
    if root.tag != f"{ATOM}feed":
        raise ArxivApiError(
            f"the arXiv API response is not an Atom feed (its root is <{root.tag[-40:]}>)"
        )
    entries = root.findall(f"{ATOM}entry")
    for entry in entries:
        if "/api/errors" in (entry.findtext(f"{ATOM}id") or ""):
            message = clean_text(entry.findtext(f"{ATOM}summary")) or "unknown error"
            raise ArxivApiError(f"the arXiv API refused the request: {message}")
    total = root.findtext(f"{OS}totalResults") or "0"
    return Feed([parse_entry(e) for e in entries], int(total) if total.isdigit() else 0)


def parse_entry(entry: Element) -> Paper | RecordError:
    """One Atom entry as a Paper (or a RecordError when malformed)."""
    where = entry.findtext(f"{ATOM}id") or "?"
    try:
        pid, version = parse_arxiv_id(where)
        title = clean_text(entry.findtext(f"{ATOM}title"))
        if not title:
            raise ValueError("missing title")
        abstract = clean_text(entry.findtext(f"{ATOM}summary"))
        comment = clean_text(entry.findtext(f"{AX}comment")) or None
        return Paper(
            id=pid,
            version=version,
            title=title,
            abstract=abstract,
            authors=tuple(
                clean_text(a.findtext(f"{ATOM}name")) for a in entry.findall(f"{ATOM}author")
            ),
            categories=_categories(entry),
            published=parse_date(entry.findtext(f"{ATOM}published")),
            updated=parse_date(entry.findtext(f"{ATOM}updated")),
            comments=comment,
            journal_ref=clean_text(entry.findtext(f"{AX}journal_ref")) or None,
            doi=clean_text(entry.findtext(f"{AX}doi")) or None,
            code_links=find_code_links(abstract, comment),
            source="arxiv-api",
            withdrawn=is_withdrawn(comment, abstract),
        )
    except RECORD_FAULTS as exc:
        return RecordError(where[:200], f"malformed entry: {exc}")


def _categories(entry: Element) -> tuple[str, ...]:
    primary = entry.find(f"{AX}primary_category")
    terms = [c.get("term", "") for c in entry.findall(f"{ATOM}category")]
    first = [primary.get("term", "")] if primary is not None else []
    return tuple(t for t in dict.fromkeys(first + terms) if t)
