"""arXiv OAI-PMH harvester: ListRecords in the `arXiv` or `arXivRaw` format, resumable."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from xml.etree.ElementTree import Element

from paperfeed.arxiv_ids import parse_arxiv_id
from paperfeed.ingest.code_links import find_code_links
from paperfeed.ingest.dates import BadDate, parse_date, parse_rfc822
from paperfeed.ingest.http import PoliteClient, parse_xml, refuse_html
from paperfeed.ingest.run import (
    RECORD_FAULTS,
    Checkpoint,
    Item,
    ReadCheckpoint,
    SourceError,
    Withdrawn,
)
from paperfeed.models import Paper, RecordError, Version, clean_text, is_withdrawn, name_from_parts
from paperfeed.util import iso

OAI = "{http://www.openarchives.org/OAI/2.0/}"
ARXIV = "{http://arxiv.org/OAI/arXiv/}"
RAW = "{http://arxiv.org/OAI/arXivRaw/}"
PREFIXES = ("arXiv", "arXivRaw")


_TOKEN = "resumptionToken"
log = logging.getLogger(__name__)


class OaiError(SourceError):
    """The repository answered with an OAI-PMH error."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"OAI-PMH error {code}: {message}")
        self.code = code


@dataclass(frozen=True)
class Page:
    """One ListRecords response: its items, the next token and the response date."""

    items: list[Paper | RecordError | Withdrawn]
    token: str | None
    response_date: datetime | None


@dataclass
class OaiSource:
    """Harvest a set from `from_` (default: where the last harvest ended) to `until`."""

    base_url: str
    client: PoliteClient
    set_spec: str | None = None
    from_: date | None = None
    until: date | None = None
    prefix: str = "arXiv"
    name: str = "oai"
    _started: datetime | None = field(default=None, init=False)

    def items(self, read_checkpoint: ReadCheckpoint) -> Iterator[Item]:
        """Yield the records of every page, with a resume checkpoint after each page."""
        if self.from_ is None:  # where the last complete harvest started (what a resume holds)
            last = read_checkpoint(self.last_key)
            self.from_ = date.fromisoformat(last) if last else None
        resume = self._resume_token(read_checkpoint)
        params = self._params(resume, read_checkpoint)
        seen = {resume} if resume else set()
        while True:
            try:
                page = parse_page(self._fetch(params))
            except OaiError as exc:
                if not (resume and exc.code == "badResumptionToken" and params.get(_TOKEN)):
                    raise
                # The stored token expired (arXiv's do within a day): every later run sent it
                # again and failed alike. The window starts again; what it stored stays.
                log.warning(
                    "%s: the interrupted harvest's resumptionToken has expired; harvesting its "
                    "window again from %s",
                    self.base_url,
                    iso(self.from_) or "the start",
                )
                yield Checkpoint(self.resume_key, None)
                resume, params, seen = None, self._params(None, read_checkpoint), set()
                continue
            self._started = self._started or page.response_date
            yield from page.items
            if not page.token:
                break
            if page.token in seen:
                # Any repeat, not only the last token: A, B, A, B... would never end.
                raise SourceError(
                    f"{self.base_url} repeated resumptionToken {page.token[:80]!r}: "
                    "the harvest would loop forever; stopped"
                )
            seen.add(page.token)
            yield Checkpoint(self.resume_key, json.dumps({"token": page.token, **self._window()}))
            params = {"verb": "ListRecords", _TOKEN: page.token}
        yield Checkpoint(self.resume_key, None)
        if self._started:
            yield Checkpoint(self.last_key, self._started.date().isoformat())

    @property
    def resume_key(self) -> str:
        """Checkpoint holding the token of an interrupted harvest."""
        return f"oai-resume:{self.base_url}:{self.prefix}:{self.set_spec or '*'}"

    @property
    def last_key(self) -> str:
        """Checkpoint holding the day the last complete harvest started."""
        return f"oai-last:{self.base_url}:{self.prefix}:{self.set_spec or '*'}"

    def _window(self) -> dict[str, str | None]:
        return {"from": iso(self.from_), "until": iso(self.until)}

    def _resume_token(self, read_checkpoint: ReadCheckpoint) -> str | None:
        saved = read_checkpoint(self.resume_key)
        if not saved:
            return None
        state = json.loads(saved)
        return state["token"] if state.get("from") == iso(self.from_) else None

    def _params(self, token: str | None, read_checkpoint: ReadCheckpoint) -> dict[str, str]:
        if token:
            return {"verb": "ListRecords", _TOKEN: token}
        if self.from_ is None:
            last = read_checkpoint(self.last_key)
            self.from_ = date.fromisoformat(last) if last else None
        params = {"verb": "ListRecords", "metadataPrefix": self.prefix}
        optional = {"set": self.set_spec, "from": iso(self.from_), "until": iso(self.until)}
        return params | {k: v for k, v in optional.items() if v}

    def _fetch(self, params: dict[str, str]) -> bytes:
        response = self.client.get(self.base_url, params=params)
        refuse_html(response, "OAI-PMH")
        if response.status_code >= 400 and b"<error" not in response.content:
            raise SourceError(f"{self.base_url} answered HTTP {response.status_code}")
        return response.content


def parse_page(body: bytes) -> Page:
    """Parse one OAI-PMH response; an OAI error raises OaiError (noRecordsMatch is empty)."""
    root = parse_xml(body, "OAI-PMH")
    if root.tag != f"{OAI}OAI-PMH":
        raise SourceError(
            f"the response is not an OAI-PMH document (its root is <{_short(root.tag)}>): "
            "is the OAI base URL right?"
        )
    error = root.find(f"{OAI}error")
    if error is not None:
        if error.get("code") == "noRecordsMatch":
            return Page([], None, _response_date(root))
        raise OaiError(error.get("code", "unknown"), clean_text(error.text))
    records = root.findall(f"{OAI}ListRecords/{OAI}record") + root.findall(
        f"{OAI}GetRecord/{OAI}record"
    )
    token = root.findtext(f"{OAI}ListRecords/{OAI}resumptionToken")
    return Page(
        [parse_record(r) for r in records], (token or "").strip() or None, _response_date(root)
    )


def _short(tag: str) -> str:
    return tag.rsplit("}", 1)[-1][:40]


def _response_date(root: Element) -> datetime | None:
    try:
        return parse_date(root.findtext(f"{OAI}responseDate"))
    except BadDate:
        return None


def parse_record(record: Element) -> Paper | RecordError | Withdrawn:
    """One OAI record: a Paper, a Withdrawn for deleted records, or a RecordError."""
    identifier = record.findtext(f"{OAI}header/{OAI}identifier") or "?"
    try:
        if record.find(f"{OAI}header").get("status") == "deleted":  # type: ignore[union-attr]
            return Withdrawn(parse_arxiv_id(identifier.rsplit(":", 1)[-1])[0])
        meta = record.find(f"{OAI}metadata")
        raw, plain = meta.find(f"{RAW}arXivRaw"), meta.find(f"{ARXIV}arXiv")  # type: ignore[union-attr]
        if raw is None and plain is None:
            return RecordError(identifier, "no arXiv or arXivRaw metadata in the record")
        paper = _from_raw(raw) if raw is not None else _from_arxiv(plain)  # type: ignore[arg-type]
        return _listed(paper, record.findtext(f"{OAI}header/{OAI}datestamp"))
    except RECORD_FAULTS as exc:
        return RecordError(identifier[:200], f"malformed record: {exc}")


# A record whose first version is this recent when arXiv stamps it is a new paper of that
# announcement (a weekend's submissions wait three days); an older one is a replacement.
NEW_WITHIN_DAYS = 7


def _listed(paper: Paper, datestamp: str | None) -> Paper:
    """A new paper listed on the day arXiv's OAI stamped it (its announcement): harvested
    papers had no day, so a store fed by `harvest` showed none on its daily pages or in
    digests. A record stamped later (a paper replaced since, a late harvest) is not listed on
    its stamp's day, as in arXiv's own new listings: the ingest loop gives it its first
    announcement's day (`dates.announced_on`)."""
    try:
        stamped = parse_date(datestamp)
    except BadDate:
        return paper
    if stamped is None or paper.published is None:
        return paper
    if not 0 <= (stamped.date() - paper.published.date()).days <= NEW_WITHIN_DAYS:
        return paper
    return replace(paper, listing_date=stamped.date())


def _from_arxiv(m: Element) -> Paper:
    authors = tuple(
        name_from_parts(
            *(a.findtext(f"{ARXIV}{part}") for part in ("forenames", "keyname", "suffix"))
        )
        for a in m.findall(f"{ARXIV}authors/{ARXIV}author")
    )
    published = parse_date(m.findtext(f"{ARXIV}created"))
    return _paper(m, ARXIV, authors, (), published, parse_date(m.findtext(f"{ARXIV}updated")))


def _from_raw(m: Element) -> Paper:
    vers = tuple(
        Version(int((v.get("version") or "v0")[1:]), parse_rfc822(v.findtext(f"{RAW}date")))
        for v in m.findall(f"{RAW}version")
    )
    vers = tuple(sorted(vers, key=lambda v: v.number))
    text = clean_text(m.findtext(f"{RAW}authors"))
    authors = tuple(a.strip() for a in text.replace(" and ", ", ").split(",") if a.strip())
    return _paper(
        m, RAW, authors, vers, vers[0].created if vers else None, vers[-1].created if vers else None
    )


def _paper(
    m: Element,
    ns: str,
    authors: tuple[str, ...],
    vers: tuple[Version, ...],
    published: datetime | None,
    updated: datetime | None,
) -> Paper:
    pid, _ = parse_arxiv_id(m.findtext(f"{ns}id") or "")
    abstract = clean_text(m.findtext(f"{ns}abstract"))
    comments = clean_text(m.findtext(f"{ns}comments")) or None
    title = clean_text(m.findtext(f"{ns}title"))
    if not title:
        raise ValueError("missing title")
    return Paper(
        id=pid,
        title=title,
        abstract=abstract,
        authors=authors,
        categories=tuple((m.findtext(f"{ns}categories") or "").split()),
        version=vers[-1].number if vers else None,
        versions=vers,
        published=published,
        updated=updated,
        comments=comments,
        journal_ref=clean_text(m.findtext(f"{ns}journal-ref")) or None,
        doi=clean_text(m.findtext(f"{ns}doi")) or None,
        license=clean_text(m.findtext(f"{ns}license")) or None,
        code_links=find_code_links(abstract, comments),
        source="oai",
        withdrawn=is_withdrawn(comments, abstract),
    )
