"""CLI commands of the search feature: search, similar, embed, reindex."""

from __future__ import annotations

import json
import unicodedata
import uuid
from dataclasses import asdict
from datetime import date
from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Engine

from paperfeed import categories
from paperfeed.cli_support import err, fail, out, progress_lines, stoppable
from paperfeed.search.backfill import contract_of, embed_papers
from paperfeed.search.embed import EmbedderUnavailable, get_embedder
from paperfeed.search.query import filter_notes, paper_id_in, parse_query
from paperfeed.search.results import Hit
from paperfeed.search.service import BadSearch, SearchService
from paperfeed.settings import Settings, live_server
from paperfeed.store import get_paper, open_store
from paperfeed.store import jobs as jobs_db
from paperfeed.store import search_store as db
from paperfeed.store.listings import venue_paper_ids, venues_meant
from paperfeed.text import terminal_safe
from paperfeed.util import BadDate, parse_day
from paperfeed.venues import typed_venue

JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print JSON: the hits (search: with the mode it ran in).")
]
LimitOpt = Annotated[int, typer.Option("--limit", "-n", help="How many hits.")]


class Mode(StrEnum):
    keyword = "keyword"
    semantic = "semantic"
    hybrid = "hybrid"


class Sort(StrEnum):
    relevance = "relevance"
    date = "date"


def _day(value: str | None, name: str) -> date | None:
    try:
        return parse_day(value) if value else None
    except BadDate as exc:
        raise fail(f"{name}: {exc}") from exc


def _service() -> SearchService:
    settings = Settings()
    return SearchService(settings, open_store(settings))


def _meant_hint(typed: str) -> str:
    """The "; did you mean ..." naming the conferences here that text naming none may mean."""
    engine = open_store(Settings())
    try:
        with engine.connect() as conn:
            options = [f'"{v.label}"' for v in venues_meant(conn, typed)]
    finally:
        engine.dispose()
    return f"; did you mean {', '.join(options)}?" if options else ""


def _print_hits(hits: list[Hit], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([asdict(h) for h in hits], ensure_ascii=False))
        return
    if not hits:
        err.print("no papers found")
    for rank, hit in enumerate(hits, start=1):
        title = _plain(hit.title)
        if out.is_terminal:
            line = f"{rank:>3}. [bold]{escape(title)}[/bold]  [dim]{hit.id}[/dim]"
            out.print(line, highlight=False)
        else:  # piped: one whole line per result, nothing wrapped or styled
            typer.echo(f"{rank:>3}. {title}  {_plain(hit.id)}")


def _plain(text: str) -> str:
    """Stored text as inert characters: no escape sequences, bidi overrides or line breaks."""
    return "".join(
        " " if c in "\t\n\r" else "\ufffd" if unicodedata.category(c) in _CONTROL else c
        for c in text
    )


_CONTROL = {"Cc", "Cf", "Cs"}


def search(
    query: Annotated[
        str, typer.Argument(help='Words, "phrases", prefix*, -excluded, or an arXiv id.')
    ],
    mode: Annotated[Mode, typer.Option(help="keyword, semantic or hybrid.")] = Mode.hybrid,
    limit: LimitOpt = 20,
    offset: Annotated[int, typer.Option(help="Skip this many hits (paging).")] = 0,
    since: Annotated[str | None, typer.Option(help="Papers listed on or after YYYY-MM-DD.")] = None,
    until: Annotated[
        str | None, typer.Option(help="Papers listed on or before YYYY-MM-DD.")
    ] = None,
    category: Annotated[str | None, typer.Option(help="arXiv category, e.g. cs.LG.")] = None,
    author: Annotated[str | None, typer.Option(help="Author name (or part of it).")] = None,
    sort: Annotated[Sort, typer.Option(help="relevance or date.")] = Sort.relevance,
    venue: Annotated[
        str | None, typer.Option(help='Only papers at this conference: "ICML 2026" or icml-2026.')
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Search stored papers (hybrid keyword + semantic by default)."""
    if parse_query(query).empty:
        raise fail('the query is empty: give some words, a "phrase" or an arXiv id')
    conference = typed_venue(venue) if venue else None
    if venue and conference is None:
        said = f"--venue: {venue!r} names no conference: give one and its year, as ICML 2026"
        raise fail(said + _meant_hint(venue))
    first, last = _day(since, "--since"), _day(until, "--until")
    if category:
        category = categories.canonical(category) or category  # cs.lg is cs.LG
    for note in filter_notes(category or "", first, last, query, ("--since", "--until")):
        err.print(f"note: {escape(note)}", highlight=False)
    service = _service()
    try:
        among = None
        if conference is not None:  # the conference's papers, from the store
            with service.engine.connect() as conn:
                among = venue_paper_ids(conn, conference.label)
        result = service.search(
            query, mode.value, limit, offset, first, last, category, author, sort.value, among=among
        )
    except BadSearch as exc:
        raise fail(str(exc)) from exc
    finally:
        service.close()
    if result.limited:  # what it built until now is kept: the build goes on later
        err.print(
            f"note: {result.limited}. A running site goes on with the build; "
            "`paperfeed reindex` builds it now.",
            highlight=False,
        )
    if result.fallback:
        err.print(
            f"note: {result.mode} search only ({escape(terminal_safe(result.fallback))})",
            highlight=False,
        )
    if result.suggestion:
        err.print(f"did you mean: {escape(_plain(result.suggestion))}", highlight=False)
    if as_json:  # the mode actually used: a semantic search may have fallen back to keyword
        hits = [asdict(h) for h in result.hits]
        body: dict[str, object] = {"mode": result.mode, "fallback": result.fallback, "hits": hits}
        body |= {"total": result.total, "counted": result.counted}
        body["suggestion"] = result.suggestion
        typer.echo(json.dumps(body, ensure_ascii=False))
        return
    _print_hits(result.hits, as_json)


def similar(
    paper_id: Annotated[str, typer.Argument(help="arXiv id or URL, or a local id.")],
    limit: LimitOpt = 10,
    as_json: JsonOpt = False,
) -> None:
    """Papers similar to one paper (from its stored vector)."""
    pid = paper_id_in(paper_id) or paper_id.strip()
    service = _service()
    try:
        if not service.vectors([pid]):
            with service.engine.connect() as conn:
                stored = get_paper(conn, pid) is not None
            if not stored:
                raise fail(f"no paper {pid} is stored")
            raise fail(f"{pid} has no vector yet: run `paperfeed embed`")
        hits = service.similar(pid, limit)
    except BadSearch as exc:
        raise fail(str(exc)) from exc
    finally:
        service.close()
    _print_hits(hits, as_json)


def embed(
    prune: Annotated[
        bool, typer.Option(help="Also delete vectors of other (older) embedding models.")
    ] = False,
) -> None:
    """Embed new and changed papers with the configured model (resumable, in batches)."""
    settings = Settings()
    engine = open_store(settings)
    # The pipeline's embed job's lock: a second run beside it (as `doctor` used to advise while
    # the job ran) embedded the same papers twice over, on the same cores.
    holder = f"{jobs_db.node_name()}:{uuid.uuid4().hex[:8]}"
    with jobs_db.job_lock(engine, "embed", holder) as held:
        if not held:
            raise fail(
                "the pipeline's embed job is running now (in `paperfeed serve`'s schedule, a "
                "worker or `jobs run embed`): it embeds these papers; nothing was done "
                "(`paperfeed jobs list` says how it goes)"
            )
        try:
            with stoppable("embed"):
                count = _embed_with_bar(settings, engine)
        except EmbedderUnavailable as exc:
            raise fail(str(exc)) from exc
    typer.echo(f"embedded {count:,} papers with {settings.embed_model}")
    if prune:
        keep = contract_of(get_embedder(settings.embed_model))[0]
        with engine.begin() as conn:
            typer.echo(f"deleted {db.delete_other_contracts(conn, keep):,} old vectors")


def _embed_with_bar(settings: Settings, engine: Engine) -> int:
    if not err.is_terminal:  # a log: a line now and then
        return embed_papers(settings, engine, progress_lines("embed", "papers"))
    columns = (
        TextColumn("embed"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("embed", total=None)
        return embed_papers(
            settings, engine, lambda done, total: bar.update(task, completed=done, total=total)
        )


def reindex() -> None:
    """Rebuild the local keyword and vector indexes from the store (with the server of this
    data folder stopped: it reads them)."""
    settings = Settings()
    serving = live_server(settings)
    if serving is not None:
        raise fail(
            f"a server is serving this data folder ({serving or 'running'}) and searches these "
            "indexes: stop it, run `paperfeed reindex`, then start it again (a server also "
            "brings its indexes up to date by itself; reindex is only needed after a change "
            "of model or a damaged index)"
        )
    service = _service()
    try:
        with stoppable("reindex", "run `paperfeed reindex` again before serving"):
            service.rebuild()
        typer.echo(f"indexed {service.keyword.num_docs:,} papers")
    finally:
        service.close()


def register(app: typer.Typer) -> None:
    """Add the search commands to the `paperfeed` command line."""
    for command in (search, similar, embed, reindex):
        app.command()(command)
