"""Ingest jobs: files, harvests, ids, the demo; `paperfeed.pipeline` adds embedding on top."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine

from paperfeed.ingest.arxiv_api import ArxivApiSource
from paperfeed.ingest.files import checkpoint_name
from paperfeed.ingest.hf_daily import HfDailySource
from paperfeed.ingest.http import PoliteClient
from paperfeed.ingest.listing import ListingSource, listing_day
from paperfeed.ingest.oai import OaiSource
from paperfeed.ingest.page import PageSource
from paperfeed.ingest.run import Report, Source, SourceError, StoreFull, run_source
from paperfeed.ingest.snapshot import SnapshotSource
from paperfeed.models import RecordError
from paperfeed.settings import Settings
from paperfeed.store.bulk import deferred_indexes, paper_count
from paperfeed.store.checkpoints import get_checkpoint

Progress = Callable[[Report], None] | None
DEMO_YEAR = 2026  # the seed page's "Mar 14" heading falls inside the bundled listings' range
_BULK_KINDS = ("snapshot", "listing")  # line formats whose sources can run in a child process
# Bulk mode pays when the file holds more papers than the store; records average less than
# this many bytes (about 770 gzipped, 1,700 plain), so size // this underestimates the count.
_MAX_BYTES_PER_RECORD = 2000


NO_DAY = (
    "its name gives no listing day (e.g. 2026-07-01.jsonl.gz), so its papers are on no daily "
    "page: ingest it again with --date YYYY-MM-DD, or renamed"
)


@dataclass(frozen=True)
class FileOptions:
    """What some file formats need besides the path."""

    engine: Engine
    year: int | None = None  # 'page': the year of its date headings
    day: date | None = None  # 'listing': the listing date when the file does not say


@dataclass(frozen=True)
class FileKind:
    """One importable file format: its help line and how to open a file of it."""

    help: str
    open: Callable[[Path, FileOptions], Source]


def _page(path: Path, o: FileOptions) -> Source:
    return PageSource(path, o.engine, year=o.year) if o.year else PageSource(path, o.engine)


# The registry: a new file format is one module in ingest/ and one line here (the CLI reads it).
FILE_KINDS: dict[str, FileKind] = {
    "snapshot": FileKind("arXiv bulk metadata snapshot", lambda p, _o: SnapshotSource(p)),
    "listing": FileKind("daily arXiv listing JSONL", lambda p, o: ListingSource(p, o.day)),
    "hf": FileKind("Hugging Face daily papers JSON", lambda p, _o: HfDailySource(p)),
    "page": FileKind("a copied page of titles and abstracts", _page),
}


def file_source(
    engine: Engine, kind: str, path: Path, year: int | None = None, day: date | None = None
) -> Source:
    """The Source for one file of the given kind."""
    if kind not in FILE_KINDS:
        raise ValueError(f"unknown source kind {kind!r}")
    return FILE_KINDS[kind].open(path, FileOptions(engine, year, day))


def _run_file(
    engine: Engine, settings: Settings, kind: str, source: Source, path: Path, progress: Progress
) -> Report:
    """One file; a big one is parsed in a second process, and bulk-loaded into a new store."""
    size = _file_size(path)
    big = kind in _BULK_KINDS and size >= settings.bulk_ingest_bytes
    with engine.connect() as conn:
        bulk = big and paper_count(conn) < size // _MAX_BYTES_PER_RECORD
    with deferred_indexes(engine) if bulk else nullcontext():
        return run_source(engine, source, settings.batch_size, progress, parallel=big)


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # the source reports the unreadable file


def ingest_files(
    engine: Engine,
    settings: Settings,
    kind: str,
    paths: Sequence[Path],
    year: int | None = None,
    day: date | None = None,
    on_progress: Progress = None,
) -> tuple[Report, list[str]]:
    """Import files one after another; a file that cannot be read is reported, the rest go in."""
    total, failed = Report(), []
    for path in paths:
        try:
            source = file_source(engine, kind, path, year, day)
            resumed = _resumed_after(engine, source, path)
            if resumed:  # said first: "read" counts only the lines after it
                total.warnings.append(RecordError(str(path), resumed))
            total.merge(_run_file(engine, settings, kind, source, path, on_progress))
            if kind == "listing" and day is None and listing_day(path) is None:
                total.warnings.append(RecordError(str(path), NO_DAY))
        except StoreFull as exc:
            failed.append(_stopped_at(engine, source, path, exc, _stored(total)))
            total.merge(exc.report or Report())
            break  # the next file would not fit either
        except SourceError as exc:
            failed.append(str(exc))
            total.merge(exc.report or Report())
            total.errors.append(RecordError(str(path), str(exc)))
    return total, failed


def _resumed_after(engine: Engine, source: Source, path: Path) -> str:
    """What to say of a file an earlier run stopped in ("" when it starts from the top): a
    re-run that printed "read 1,850" of a 3,850-line file looked like records lost."""
    with engine.connect() as conn:
        line = get_checkpoint(conn, checkpoint_name(source.name, path))
    if not line or not line.isdigit():
        return ""
    return (
        f"resumed after line {int(line):,}, where an earlier run stopped (the records up to it "
        "are stored; the counts below are of the lines after it)"
    )


def _stored(report: Report) -> int:
    return report.inserted + report.updated + report.unchanged


def _stopped_at(engine: Engine, source: Source, path: Path, exc: StoreFull, before: int = 0) -> str:
    """Where a run stopped by a full disk stopped (`before`: records the files before this
    one stored), and what to do about it."""
    with engine.connect() as conn:
        line = get_checkpoint(conn, checkpoint_name(source.name, path))
    done = _stored(exc.report) if exc.report else 0
    if line:
        where = f"after its line {line} (every record up to it is stored)"
    else:
        where = f"after its paper {exc.last_stored}" if exc.last_stored else "before any record"
    earlier = f"; the files before it are stored whole ({before:,} records)" if before else ""
    return (
        f"{path}: the disk is full ({exc.reason}); this file stopped {where}, {done:,} of its "
        f"records stored{earlier}. "
        "Free some disk space and run the same command again: it resumes where it stopped."
    )


def _client(
    settings: Settings,
    deadline: float | None = None,
    sleep: Callable[[float], None] | None = None,
) -> PoliteClient:
    timeout, retries = settings.http_timeout, settings.http_retries
    client = PoliteClient(settings.request_delay, retries, timeout, deadline=deadline)
    if sleep is not None:  # a job's: its waits end when its process stops
        client.sleep = sleep
    return client


def harvest(
    engine: Engine,
    settings: Settings,
    set_spec: str | None,
    since: date | None,
    until: date | None,
    prefix: str = "arXiv",
    on_progress: Progress = None,
    sleep: Callable[[float], None] | None = None,
) -> Report:
    """Harvest from OAI-PMH; without `since` it continues from the last harvest (`sleep`:
    how to wait between requests and before retries)."""
    client = _client(settings, sleep=sleep)
    try:
        source = OaiSource(settings.oai_base_url, client, set_spec, since, until, prefix)
        report = run_source(engine, source, settings.batch_size, on_progress)
    finally:
        client.close()
    return report


def add_papers(
    engine: Engine, settings: Settings, ids: Sequence[str], deadline: float | None = None
) -> Report:
    """Fetch papers by versionless arXiv id through the arXiv API (each GET within `deadline` s)."""
    client = _client(settings, deadline)
    try:
        source = ArxivApiSource(settings.arxiv_api_url, client, ids=list(ids))
        report = run_source(engine, source, settings.batch_size)
    finally:
        client.close()
    return report


def demo_files() -> tuple[list[Path], Path]:
    """The bundled listing files and the seed page."""
    folder = Path(str(resources.files("paperfeed.demo")))
    return sorted(folder.glob("listings/*.jsonl.gz")), folder / "seed-page.txt"


def load_demo(engine: Engine, settings: Settings) -> Report:
    """Fill the store with the bundled sample of real papers (idempotent)."""
    listings, page = demo_files()
    report, failed = ingest_files(engine, settings, "listing", listings)
    more, failed_page = ingest_files(engine, settings, "page", [page], year=DEMO_YEAR)
    report.merge(more)
    if failed or failed_page:
        raise SourceError("; ".join(failed + failed_page))
    return report
