"""The daily pipeline's jobs, in the order they run: one function and one registry line each."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from paperfeed.ingest import jobs as ingest_jobs
from paperfeed.ingest.http import PoliteClient
from paperfeed.ingest.run import Report, SourceError
from paperfeed.settings import Settings

Counts = dict[str, object]


@dataclass
class Context:
    """What a job gets: the store, the settings, the time, and optional test seams."""

    engine: Engine
    settings: Settings
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    slot: str | None = None
    mailer: Any = None  # a digest Mailer; None: SMTP from the settings
    cache: dict[str, Any] | None = None  # what a long-lived scheduler keeps between runs
    stop: threading.Event | None = None  # set when the process is stopping: long jobs end early
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))  # runs' times

    def stamp(self) -> datetime:
        """The clock's time as the store keeps it (naive UTC)."""
        return self.clock().astimezone(UTC).replace(tzinfo=None)

    def stopping(self) -> bool:
        """True once the process running the job is stopping."""
        return self.stop is not None and self.stop.is_set()


class Interrupted(Exception):  # noqa: N818 - what happened to the run, not a fault in it
    """A job ended early because its process is stopping; the next run resumes it."""


@dataclass(frozen=True)
class Job:
    """A named step: `run` does the work and returns what it did as counts."""

    name: str
    run: Callable[[Context], Counts]
    help: str
    feeds_digests: bool = True  # digests wait (boundedly) for this job on a scheduled day
    after_sources: bool = False  # works on stored papers: runs again after a late source


def harvest_sets(settings: Settings) -> list[str]:
    """The configured OAI-PMH sets (separated by commas or spaces)."""
    return [s for s in re.split(r"[,\s]+", settings.harvest_sets) if s]


def _report_counts(report: Report) -> Counts:
    data = report.to_dict()
    data["errors"] = len(report.errors)
    return data


def waiting(ctx: Context) -> Callable[[float], None]:
    """How a job's HTTP client waits (between requests, before a retry): a wait that a
    stopping process ends at once, ending the job (recorded as stopped; the next run resumes)."""

    def wait(seconds: float) -> None:
        if ctx.stop is None:
            time.sleep(seconds)
            return
        if ctx.stop.wait(seconds):
            raise Interrupted("stopped while waiting to ask the source again")

    return wait


def harvest(ctx: Context) -> Counts:
    """Harvest every configured set from where its last harvest ended."""
    if not harvest_sets(ctx.settings):
        return {"disabled": 1}  # PAPERFEED_HARVEST_SETS is empty: nothing to harvest
    total = Report()
    for spec in harvest_sets(ctx.settings):
        wait = waiting(ctx)
        total.merge(ingest_jobs.harvest(ctx.engine, ctx.settings, spec, None, None, sleep=wait))
    return {"sets": len(harvest_sets(ctx.settings))} | _report_counts(total)


def hf_daily(ctx: Context) -> Counts:
    """Fetch today's Hugging Face daily papers and store them with their upvotes."""
    url = ctx.settings.hf_daily_url
    if not url:
        return {"disabled": 1}  # PAPERFEED_HF_DAILY_URL is empty
    s = ctx.settings
    client = PoliteClient(s.request_delay, s.http_retries, s.http_timeout, sleep=waiting(ctx))
    try:
        response = client.get(url, {})
    finally:
        client.close()
    if response.status_code != 200:
        raise SourceError(f"{url} answered HTTP {response.status_code}")
    folder = s.data_dir / "fetched"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"hf-daily-{ctx.now.date().isoformat()}.json"
    path.write_bytes(response.content)
    report, failed = ingest_jobs.ingest_files(ctx.engine, s, "hf", [path])
    if failed:
        raise SourceError("; ".join(failed))
    return _report_counts(report)


def embed(ctx: Context) -> Counts:
    """Embed new and changed papers (resumable: done papers are skipped)."""
    from paperfeed.search import embed_papers  # the model loads only when this job runs

    embedded = embed_papers(ctx.settings, ctx.engine, should_stop=ctx.stopping)
    if ctx.stopping():
        raise Interrupted(f"stopped after embedding {embedded} papers")
    return {"embedded": embedded}


def digests(ctx: Context) -> Counts:
    """Compose and send the email digests that are due."""
    from paperfeed.digest.compose import open_embeddings
    from paperfeed.digest.deliver import SmtpMailer
    from paperfeed.digest.schedule import run_due

    mailer = ctx.mailer or SmtpMailer(ctx.settings)
    # The search indexes load once per scheduler, not once per check.
    cache = ctx.cache if ctx.cache is not None else {}
    if "embeddings" not in cache:
        cache["embeddings"] = open_embeddings(ctx.settings, ctx.engine)
    embeddings = cache["embeddings"]
    try:
        report = run_due(ctx.engine, ctx.settings, mailer, now=ctx.now, embeddings=embeddings)
    finally:
        if ctx.mailer is None:
            mailer.close()
        if ctx.cache is None and embeddings is not None:
            embeddings.close()
    return report.to_dict()


def zotero(ctx: Context) -> Counts:
    """Import what is new in the readers' linked Zotero libraries."""
    from paperfeed.pipeline.zotero_sync import sync_due

    return sync_due(ctx.engine, ctx.settings, ctx.stamp())


def enrich(ctx: Context) -> Counts:
    """GitHub facts of linked repositories and Hub artifacts of the newest papers."""
    from paperfeed.ingest.enrich import enrich as run_enrich

    report = run_enrich(ctx.engine, ctx.settings)
    counts: Counts = asdict(report)
    if report.errors and not (report.updated or report.not_modified or report.artifacts):
        raise SourceError("; ".join(report.errors[:3]))
    return counts


def registry() -> list[Job]:
    """Every job, in pipeline order (digests last)."""
    jobs = [
        Job("harvest", harvest, "Harvest the OAI-PMH sets in PAPERFEED_HARVEST_SETS."),
        Job("hf-daily", hf_daily, "Fetch Hugging Face daily papers and their upvotes."),
        Job(
            "enrich",
            enrich,
            "GitHub stars of linked repos; Hub models, datasets, Spaces.",
            feeds_digests=False,
            after_sources=True,
        ),  # digests do not wait for stars
        Job(
            "embed",
            embed,
            "Embed new and changed papers for semantic search.",
            after_sources=True,
        ),
        Job("zotero", zotero, "Import what is new in readers' linked Zotero libraries."),
        Job("digests", digests, "Send the email digests that are due.", feeds_digests=False),
    ]
    return jobs


def find_job(name: str, jobs: list[Job] | None = None) -> Job | None:
    """The registered job called `name`."""
    return next((job for job in jobs or registry() if job.name == name), None)
