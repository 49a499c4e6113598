"""Hugging Face daily papers (`/api/daily_papers` JSON): papers plus upvotes and repo signals."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from paperfeed.arxiv_ids import parse_arxiv_id
from paperfeed.ingest.code_links import find_code_links
from paperfeed.ingest.dates import parse_date
from paperfeed.ingest.files import checkpoint_name, json_value, read_document
from paperfeed.ingest.run import RECORD_FAULTS, Checkpoint, Item, ReadCheckpoint, SourceError
from paperfeed.ingest.validate import BadRecord, check_count
from paperfeed.models import Paper, RecordError, Signals, clean_text

# JSON with more after its first value: one record a line, as arXiv's listings and snapshot are.
_ANOTHER_KIND = (
    " (it holds JSON lines, one record a line, not the JSON array Hugging Face's daily papers "
    "answer: is it another kind's file? `paperfeed ingest listing` or `ingest snapshot` read "
    "JSON lines)"
)


@dataclass
class HfDailySource:
    """One saved `/api/daily_papers` response (a JSON array)."""

    path: Path
    name: str = "hf"

    def items(self, read_checkpoint: ReadCheckpoint) -> Iterator[Item]:
        """Yield one Paper (or RecordError) per array element."""
        try:
            data = json_value(read_document(self.path))
        except BadRecord as exc:
            hint = _ANOTHER_KIND if "Extra data" in str(exc) else ""
            raise SourceError(f"{self.path}: {exc}{hint}") from exc
        if not isinstance(data, list):
            raise SourceError(f"{self.path}: expected a JSON array of daily papers")
        for index, element in enumerate(data):
            try:
                yield paper_from_hf(element)
            except RECORD_FAULTS as exc:
                yield RecordError(f"{self.path}[{index}]", f"bad daily-paper entry: {exc}")
        yield Checkpoint(checkpoint_name(self.name, self.path), None)


def paper_from_hf(element: object) -> Paper:
    """Build a Paper with community signals from one daily-papers element."""
    if not isinstance(element, dict) or not isinstance(element.get("paper"), dict):
        raise ValueError("expected an object with a 'paper' object")
    paper = element["paper"]
    pid, version = parse_arxiv_id(str(paper["id"]))
    title = clean_text(paper.get("title") or element.get("title"))
    if not title:
        raise ValueError("missing title")
    abstract = clean_text(paper.get("summary"))
    posted = parse_date(element.get("publishedAt"))
    repo = paper.get("githubRepo") or element.get("githubRepo")
    return Paper(
        id=pid,
        version=version,
        title=title,
        abstract=abstract,
        authors=tuple(_author_names(paper.get("authors") or [])),
        published=parse_date(paper.get("publishedAt")),
        code_links=find_code_links(repo, abstract),
        source="hf",
        listing_date=posted.date() if posted else None,
        signals=Signals(
            upvotes=check_count(paper.get("upvotes") or 0, "upvotes"),
            submitted_by=_submitter(element.get("submittedBy")),
            github_repo=repo if isinstance(repo, str) else None,
            github_stars=_int_or_none(paper.get("githubStars")),
        ),
    )


def _author_names(authors: list) -> Iterator[str]:  # type: ignore[type-arg]
    for author in authors:
        name = author.get("name") if isinstance(author, dict) else None
        if isinstance(name, str) and name.strip() and not author.get("hidden"):
            yield clean_text(name)


def _submitter(value: object) -> str | None:
    if isinstance(value, dict):
        name = value.get("name") or value.get("fullname")
        return str(name) if name else None
    return None


def _int_or_none(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = int(value) if value.isascii() and value.isdigit() else None
    return None if value is None else check_count(value, "githubStars")
