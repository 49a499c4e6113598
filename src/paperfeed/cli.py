"""The `paperfeed` command line: each command calls one feature function."""

from __future__ import annotations

import inspect
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError, DBAPIError

from paperfeed import pipeline
from paperfeed.arxiv_ids import BadArxivId, parse_arxiv_id
from paperfeed.cli_support import err, fail, load_env_file, out, progress_lines, stoppable
from paperfeed.ingest.jobs import FILE_KINDS
from paperfeed.ingest.run import Report, SourceError
from paperfeed.models import LOCAL_PREFIX, Paper
from paperfeed.settings import Settings
from paperfeed.store import NewerStoreError, connect, get_paper, open_store
from paperfeed.store.bulk import paper_count
from paperfeed.store.db import full_disk
from paperfeed.store.stats import store_stats
from paperfeed.text import terminal_safe
from paperfeed.util import BadDate, is_disk_full, iso, parse_day

app = typer.Typer(help="paperfeed: self-hostable research-paper discovery.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
EnvFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--env-file",
        exists=True,
        dir_okay=False,
        help="Read settings from this file first, e.g. the systemd unit's EnvironmentFile: "
        "KEY=value lines (values may hold spaces), # comment lines; its values win.",
    ),
]


@app.callback()
def _options(env_file: EnvFileOpt = None) -> None:
    if env_file is not None:
        for warning in load_env_file(env_file):
            _say(err, f"warning: {warning}")


def _settings() -> Settings:
    return Settings()


def _store() -> Engine:
    return open_store(_settings())


def _say(console: Console, text: str, style: str = "") -> None:
    """Print stored or remote text as inert text: no markup, controls and bidi made visible."""
    console.print(Text(terminal_safe(text), style=style), highlight=False)


@contextmanager
def _progress(enabled: bool, label: str) -> Iterator[Callable[[Report], None]]:
    if not enabled:
        yield lambda _r: None
        return
    if not err.is_terminal:  # a log: a line now and then
        lines = progress_lines(label, "records")
        yield lambda r: lines(r.read, None)
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(label)
        yield lambda r: bar.update(task, description=f"{label}: {r.read:,} records")


def _print_report(report: Report, as_json: bool, said: set[str] | None = None) -> None:
    if as_json:
        typer.echo(json.dumps(report.to_dict()))
        return
    for error in report.errors[:20]:
        if error.reason in (said or ()):  # a file that failed whole: its error line said it
            continue
        where = "" if error.reason.startswith(error.where) else f" {error.where}:"
        _say(err, f"skipped{where} {error.reason}")
    if len(report.errors) > 20:
        err.print(f"… and {report.skipped - 20} more skipped records")
    for note in report.warnings[:20]:
        _say(err, f"note {note.where}: {note.reason}")
    summary = ", ".join(
        f"{k} {getattr(report, k):,}"
        for k in Report.__dataclass_fields__
        if k not in ("errors", "warnings")
    )
    typer.echo(summary)


@app.command()
def init(
    demo: Annotated[bool, typer.Option(help="Fill the store with the bundled sample.")] = False,
    into_existing: Annotated[
        bool, typer.Option(help="With --demo: add the sample to a store that has papers.")
    ] = False,
) -> None:
    """Create the store (and apply migrations); --demo loads the bundled real papers."""
    settings = _settings()
    engine = open_store(settings)
    _say(out, f"store ready: {_describe(settings)}")
    if demo:
        with engine.connect() as conn:
            held = paper_count(conn)
        if held and not into_existing:
            _say(err, f"error: the store already holds {held:,} papers, and the sample would mix "
                 "with them: use an empty PAPERFEED_DATA_DIR for the demo, or pass "
                 "--into-existing")  # fmt: skip
            raise typer.Exit(1)
        report = pipeline.load_demo(engine, settings)
        _print_report(report, False)


@app.command()
def migrate() -> None:
    """Bring the store's schema up to this version, saying from which revision to which (the
    other commands and the site migrate it too when they open it: this does it on purpose)."""
    from paperfeed.store.health import migration_heads, store_revisions

    settings = _settings()
    probe = connect(settings)
    try:
        before = store_revisions(probe)
    finally:
        probe.dispose()
    head = migration_heads()
    if before == head:
        typer.echo(f"the store is up to date (revision {_revisions(head)}): {_describe(settings)}")
        return
    open_store(settings, applied=_say_applied).dispose()
    where = _describe(settings)
    typer.echo(f"migrated the store from {_revisions(before)} to {_revisions(head)}: {where}")


def _say_applied(revision: str, title: str, seconds: float) -> None:
    typer.echo(f"applied {revision} ({title}) in {seconds:.1f} s")


def _revisions(revisions: set[str]) -> str:
    return ", ".join(sorted(revisions)) or "no schema (a new store)"


def _describe(settings: Settings) -> str:
    url = settings.sqlalchemy_url
    return url.split("@")[-1] if "@" in url else url


def _kinds_help() -> str:
    return "File format: " + "; ".join(f"{k} ({v.help})" for k, v in FILE_KINDS.items()) + "."


def _file_kind(value: str) -> str:
    if value not in FILE_KINDS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(map(repr, FILE_KINDS))}")
    return value


@app.command()
def ingest(
    kind: Annotated[str, typer.Argument(help=_kinds_help(), parser=_file_kind)],
    files: Annotated[
        list[Path], typer.Argument(help="Files to import (plain, .gz, or a .zip of one file).")
    ],
    as_json: JsonOpt = False,
    year: Annotated[int | None, typer.Option(help="Year for 'page' date headings.")] = None,
    day: Annotated[str | None, typer.Option("--date", help="Listing date (YYYY-MM-DD).")] = None,
) -> None:
    """Import files of one of the registered formats (see KIND)."""
    try:
        listing_day = parse_day(day) if day else None
    except BadDate as exc:
        raise fail(str(exc)) from exc
    settings = _settings()
    engine = open_store(settings)
    with stoppable("ingest"), _progress(not as_json, f"ingest {kind}") as progress:
        report, failed = pipeline.ingest_files(
            engine, settings, kind, files, year=year, day=listing_day, on_progress=progress
        )
    for message in failed:
        _say(err, f"error: {message}")
    _print_report(report, as_json, said=set(failed))
    if report.read and report.skipped == report.read:  # not one record could be used
        _say(err, f"error: no record could be read as {kind}: is it another kind's file?")
        raise typer.Exit(1)
    if failed:
        raise typer.Exit(1)


@app.command()
def harvest(
    set_spec: Annotated[
        str | None, typer.Option("--set", help="OAI set, e.g. cs or physics:hep-th.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--from", help="From date YYYY-MM-DD (default: last run).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Until date YYYY-MM-DD.")] = None,
    prefix: Annotated[str, typer.Option(help="Metadata format: arXiv or arXivRaw.")] = "arXiv",
    as_json: JsonOpt = False,
) -> None:
    """Harvest new and changed papers from arXiv's OAI-PMH endpoint, resumably."""
    try:
        start, end = (parse_day(since) if since else None), (parse_day(until) if until else None)
    except BadDate as exc:
        raise fail(str(exc)) from exc
    if start and end and start > end:
        raise fail(f"--from {start} is after --until {end}")
    if prefix not in ("arXiv", "arXivRaw"):
        raise fail("--prefix must be arXiv or arXivRaw")
    settings = _settings()
    engine = open_store(settings)
    with stoppable("harvest"), _progress(not as_json, "harvest") as progress:
        try:
            report = pipeline.harvest(engine, settings, set_spec, start, end, prefix, progress)
        except SourceError as exc:
            raise fail(str(exc)) from exc
    _print_report(report, as_json)


@app.command()
def add(
    ids: Annotated[list[str], typer.Argument(help="arXiv ids or URLs (versions allowed).")],
    as_json: JsonOpt = False,
) -> None:
    """Fetch papers by arXiv id or URL through the arXiv API and store them."""
    try:
        clean = [_versionless(i) for i in ids]
    except BadArxivId as exc:
        raise fail(str(exc)) from exc
    settings = _settings()
    engine = open_store(settings)
    try:
        report = pipeline.add_papers(engine, settings, clean)
    except SourceError as exc:
        raise fail(str(exc)) from exc
    _print_report(report, as_json)


@app.command()
def enrich(
    days: Annotated[
        int, typer.Option(min=1, max=3650, help="Hub links for papers of the newest N days.")
    ] = 7,
    limit: Annotated[
        int | None, typer.Option(min=1, help="At most this many repos and papers.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Fetch GitHub facts of linked repos and the Hub models, datasets and Spaces citing papers."""
    from paperfeed.ingest.enrich import enrich as run_enrich

    settings = _settings()
    report = run_enrich(open_store(settings), settings, days, limit)
    if as_json:
        print(json.dumps(asdict(report)))
    else:
        print(
            f"repos: {report.repos} checked, {report.updated} updated, {report.not_modified} "
            f"unchanged, {report.missing} missing; papers: {report.papers} checked, "
            f"{report.artifacts} Hub artifacts"
        )
        if report.rate_limited_until:
            print(f"GitHub rate limit reached; it resets at {report.rate_limited_until}")
        for error in report.errors[:20]:
            print(f"error: {error}")
    if report.errors and not (report.updated or report.not_modified or report.artifacts):
        raise typer.Exit(1)


def _versionless(text: str) -> str:
    return parse_arxiv_id(text)[0]


@app.command()
def show(
    paper_id: Annotated[str, typer.Argument(help="arXiv id or URL, or a local id.")],
    as_json: JsonOpt = False,
) -> None:
    """Show one stored paper."""
    try:
        pid = paper_id if paper_id.startswith(LOCAL_PREFIX) else _versionless(paper_id)
    except BadArxivId as exc:
        raise fail(str(exc)) from exc
    with _store().connect() as conn:
        paper = get_paper(conn, pid)
    if paper is None:
        raise fail(f"no paper {pid} in the store (try: paperfeed add {pid})")
    if as_json:
        typer.echo(json.dumps(paper_json(paper)))
    else:
        _print_paper(paper)


def paper_json(paper: Paper) -> dict[str, Any]:
    """A paper as plain JSON-able data."""
    return {
        "id": paper.id,
        "version": paper.version,
        "versions": [{"version": v.number, "created": iso(v.created)} for v in paper.versions],
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": list(paper.authors),
        "categories": list(paper.categories),
        "published": iso(paper.published),
        "updated": iso(paper.updated),
        "comments": paper.comments,
        "journal_ref": paper.journal_ref,
        "doi": paper.doi,
        "license": paper.license,
        "abs_url": paper.abs_url,
        "pdf_url": paper.pdf_url,
        "code_links": list(paper.code_links),
        "source": paper.source,
        "first_seen": iso(paper.first_seen),
        "listing_date": iso(paper.listing_date),
        "withdrawn": paper.withdrawn,
        "signals": paper.signals.__dict__ if paper.signals else None,
    }


def _print_paper(paper: Paper) -> None:
    _say(out, paper.title, "bold")
    table = Table.grid(padding=(0, 2))
    for key, value in paper_json(paper).items():
        if key not in ("title", "abstract") and value not in (None, [], ""):
            shown = str(value) if not isinstance(value, list) else ", ".join(map(str, value))
            table.add_row(key, Text(terminal_safe(shown)))
    out.print(table, highlight=False)
    _say(out, paper.abstract)


@app.command()
def stats(as_json: JsonOpt = False) -> None:
    """Counts of what the store holds."""
    with _store().connect() as conn:
        data = store_stats(conn)
    if as_json:
        typer.echo(json.dumps(data))
        return
    for key, value in data.items():
        _say(out, f"{key:>20}  {value}")


def _given(name: str, value: object) -> str:
    """What a refused setting was given, for its error line: a secret's value is not shown,
    and a URL's password is masked (the line goes to a terminal or a service's journal)."""
    if any(word in name for word in ("PASSWORD", "SECRET", "_KEY", "TOKEN")):
        return ""
    shown = re.sub(r"(://[^/:@\s]*:)[^@/\s]*@", r"\1***@", str(value))
    return f" (got {shown!r})"


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except SourceError as exc:
        _say(err, f"error: {exc}")
        sys.exit(1)
    except ValidationError as exc:
        if exc.title != Settings.__name__:
            raise
        for problem in exc.errors():  # a bad PAPERFEED_* value: say which, no traceback
            name = f"PAPERFEED_{str(problem['loc'][0]).upper()}" if problem["loc"] else "a setting"
            msg = str(problem["msg"]).removeprefix("Value error, ")
            _say(err, f"error: {name}: {msg}{_given(name, problem.get('input'))}")
        sys.exit(2)
    except Exception as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0:1] or [repr(exc)]
        if is_disk_full(exc):
            _say(err, f"error: the disk is full ({reason[0]}). Free some space and run it again.")
        elif isinstance(exc, DBAPIError) and (full := _full_disk()):
            _say(err, f"error: {full}")  # SQLite itself says only 'disk I/O error'
        elif isinstance(exc, DBAPIError | ArgumentError):  # no server, no such database, a bad
            # URL, a file that is no database: the store cannot be used at all
            _say(err, f"error: the store cannot be used: {reason[0]}")
            _say(err, "(check PAPERFEED_DATABASE_URL and PAPERFEED_DATA_DIR; `paperfeed doctor`)")
        elif isinstance(exc, OSError | NewerStoreError):  # e.g. a data folder that cannot be
            _say(err, f"error: {exc}")  # made or written, a store a newer version migrated
        else:
            raise
        sys.exit(1)


def _full_disk() -> str | None:
    try:
        return full_disk(_settings())
    except (ValidationError, OSError):  # no settings to look with: say what the store said
        return None


# Feature command groups register themselves here, one line each.
def _register_features() -> None:
    from paperfeed.digest.commands import register as digest
    from paperfeed.pipeline.commands import register as pipeline
    from paperfeed.search.commands import register as search
    from paperfeed.web.commands import register as web

    for register in (search, web, digest, pipeline):
        register(app)


def _reflowed(typer_app: typer.Typer) -> None:
    """Each command's help as paragraphs, not as its docstring's lines: the help's command
    lists kept the source's line breaks ("(the⏎ other commands …")."""
    for command in typer_app.registered_commands:
        doc = command.help or inspect.getdoc(command.callback) or ""
        command.help = "\n\n".join(" ".join(part.split()) for part in doc.split("\n\n"))
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _reflowed(group.typer_instance)


_register_features()
_reflowed(app)
