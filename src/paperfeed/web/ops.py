"""Ops endpoints: /healthz, /readyz, Prometheus /metrics, and an access-log line per request."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperfeed.secret import key_mark
from paperfeed.settings import Settings
from paperfeed.store import jobs as db
from paperfeed.store.health import (
    UNREACHABLE,
    Outage,
    mark_signing_key,
    signing_key_mark,
    store_problems,
)
from paperfeed.util import StderrHandler

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)
access_log = logging.getLogger("paperfeed.access")
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_STORE_TTL = 15.0  # seconds a scrape reuses the store's queue counts
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's multiprocess mode
BACKLOG_TTL = 60.0  # seconds the count of papers waiting for an embedding is reused
# What a job's last run mainly did, by the count each job records (ingest jobs read records,
# embed embeds papers, digests send mail, enrich checks repositories, zotero adds papers to
# readers' libraries).
MAIN_COUNTS = ("read", "embedded", "sent", "repos", "added")
SKIP_COUNTS = ("skipped", "errors", "failed")


class Metrics:
    """The app's own Prometheus registry (one per app, so tests can build many apps).

    Under `serve --workers N` (PROMETHEUS_MULTIPROC_DIR set by serve) each worker writes its
    request counts to that folder and a scrape adds up every worker's: whichever worker answers,
    Prometheus sees the whole server, not one worker's counts that jump back and forth.
    """

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.backlog = Backlog(engine)
        shared = bool(os.environ.get(MULTIPROC_ENV))
        own = None if shared else self.registry  # shared: read back from the folder, summed
        if shared:
            MultiProcessCollector(self.registry)  # type: ignore[no-untyped-call]  # untyped upstream
        self.requests = Counter(
            "paperfeed_http_requests",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=own,
        )
        self.latency = Histogram(
            "paperfeed_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["route"],
            buckets=_BUCKETS,
            registry=own,
        )
        self.search = Histogram(
            "paperfeed_search_duration_seconds",
            "Search request latency by the mode that answered.",
            ["mode"],
            buckets=_BUCKETS,
            registry=own,
        )
        self.registry.register(StoreCollector(engine, self.backlog))


class Backlog:
    """Papers waiting for an embedding, counted at most every `ttl` seconds per process: the
    count joins every paper to its vector (~50 ms of CPU at 75k papers, growing with the store),
    too much for every scrape and console visit. `read` says how old its count is."""

    def __init__(
        self, engine: Engine, ttl: float = BACKLOG_TTL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.engine, self.ttl, self.clock = engine, ttl, clock
        self._counted: tuple[float, int] | None = None
        self._lock = threading.Lock()  # one recount at a time; the others wait for it

    def read(self) -> tuple[int, float]:
        """The count, and its age in seconds."""
        with self._lock:
            if self._counted is None or self.clock() - self._counted[0] >= self.ttl:
                with self.engine.connect() as conn:
                    self._counted = (self.clock(), db.papers_not_embedded(conn))
            at, count = self._counted
            return count, self.clock() - at


class StoreCollector(Collector):
    """Gauges read from the store at scrape time: jobs, the outbox, embedding backlog."""

    def __init__(self, engine: Engine, backlog: Backlog) -> None:
        self.engine, self.backlog = engine, backlog
        self._cache: tuple[float, list[GaugeMetricFamily]] = (-_STORE_TTL, [])

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Yield the gauges (cached for a few seconds; scrapes must stay cheap)."""
        at, families = self._cache
        if time.monotonic() - at >= _STORE_TTL:
            families = self._read()
            self._cache = (time.monotonic(), families)
        yield from families

    def _read(self) -> list[GaugeMetricFamily]:
        runs = GaugeMetricFamily(
            "paperfeed_job_runs", "Recorded job runs by job and outcome.", labels=["job", "status"]
        )
        pages = GaugeMetricFamily(
            "paperfeed_job_last_records",
            "What the last run of a job handled: records read (harvest, hf-daily), papers "
            "embedded (embed), digests sent (digests), repositories checked (enrich).",
            labels=["job"],
        )
        errors = GaugeMetricFamily(
            "paperfeed_job_last_errors",
            "What the last run of a job skipped or failed on.",
            labels=["job"],
        )
        counts = GaugeMetricFamily(
            "paperfeed_job_last_count",
            "Every count the last run of a job recorded, by its name.",
            labels=["job", "count"],
        )
        outbox = GaugeMetricFamily(
            "paperfeed_outbox_messages", "Digest outbox messages by status.", labels=["status"]
        )
        behind = GaugeMetricFamily(
            "paperfeed_papers_not_embedded",
            f"Papers waiting for an embedding (counted at most every {BACKLOG_TTL:g} s).",
        )
        with self.engine.connect() as conn:
            for (job, status), n in db.run_counts(conn).items():
                runs.add_metric([job, status], n)
            for job, run in db.last_runs(conn).items():
                numbers = _numbers(run.counts)
                pages.add_metric([job], _first(numbers, MAIN_COUNTS))
                errors.add_metric([job], _first(numbers, SKIP_COUNTS))
                for name, value in numbers.items():
                    counts.add_metric([job, name], value)
            for status, n in db.outbox_depth(conn).items():
                outbox.add_metric([status], n)
        behind.add_metric([], self.backlog.read()[0])
        return [runs, pages, errors, counts, outbox, behind]


def _numbers(counts: dict[str, object]) -> dict[str, float]:
    """A run's counts as numbers: a list (of errors) counts its items; text is left out."""
    found: dict[str, float] = {}
    for name, value in counts.items():
        if isinstance(value, bool | int | float):
            found[name] = float(value)
        elif isinstance(value, list):
            found[name] = float(len(value))
    return found


def _first(numbers: dict[str, float], names: tuple[str, ...]) -> float:
    return next((numbers[name] for name in names if name in numbers), 0.0)


class OpsMiddleware:
    """Times every request and counts it under its route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        seen: dict[str, Any] = {"status": 500, "mode": None}

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                for key, value in message.get("headers", []):
                    if key.lower() == b"x-search-mode":
                        seen["mode"] = value.decode("latin-1")
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            self._observe(scope, seen, time.perf_counter() - start)

    def _observe(self, scope: Scope, seen: dict[str, Any], seconds: float) -> None:
        route = _route(scope)
        if route == "(unmatched)" and seen["status"] == 200:
            route = "(cached page)"  # answered from the page cache, before routing
        self.metrics.requests.labels(route, scope["method"], str(seen["status"])).inc()
        self.metrics.latency.labels(route).observe(seconds)
        if route.endswith("/search") and seen["status"] == 200:
            mode = seen["mode"] or _query_mode(scope)
            self.metrics.search.labels(mode).observe(seconds)


def _route(scope: Scope) -> str:
    # The template (/paper/{paper_id}), never the path: labels must stay few.
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    return "(unmatched)"


def _query_mode(scope: Scope) -> str:
    raw: bytes = scope.get("query_string", b"")
    query = raw.decode("latin-1")
    for part in query.split("&"):
        if part.startswith("mode=") and part[5:] in ("hybrid", "keyword", "semantic"):
            return part[5:]
    return "hybrid"


def install(app: FastAPI, settings: Settings, engine: Engine) -> None:
    """Add the metrics registry and the timing/access-log middleware to `app` (its routes:
    `router`, which the app factory includes in its one route table)."""
    metrics = Metrics(engine)
    app.state.metrics = metrics
    # /readyz answers "the store cannot be reached"; the driver's detail is logged, once.
    app.state.ready_outage = Outage(log, "readiness check")
    # Access-log lines come from web.access.AccessLog (secrets redacted); this one times.
    app.add_middleware(OpsMiddleware, metrics=metrics)
    if settings.access_log != "off" and not access_log.handlers:
        handler = StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False


# Crawlers may read the public pages (papers, daily, trending, authors, categories, public
# collections, feeds); they are kept from searches (each one costs CPU, and their links never
# end), papers by topic (a month's grouping costs seconds of CPU, and the lists hold nothing
# the daily pages do not), the API, anything personal, and every address that carries a token
# (the private For you feed, digest and notice links).
ROBOTS = """\
User-agent: *
Disallow: /search
Disallow: /topics
Disallow: /feeds/search.
Disallow: /feeds/for-you/
Disallow: /api/
Disallow: /for-you
Disallow: /library
Disallow: /notifications
Disallow: /account
Disallow: /settings/
Disallow: /me/
Disallow: /admin
Disallow: /jobs/
Disallow: /metrics
Disallow: /signin
Disallow: /signup
Disallow: /confirm
Disallow: /preferences
Disallow: /unsubscribe
Disallow: /notices/
Disallow: /demo/
"""


@router.get("/robots.txt", include_in_schema=False)
def robots(request: Request) -> PlainTextResponse:
    """What crawlers may read: the public pages, not searches, personal pages or token links
    (on a private site: nothing)."""
    settings = request.app.state.site.settings
    text = PRIVATE_ROBOTS if settings.private else ROBOTS
    if settings.root_path:  # under a path: the lines an operator copies into the host's own file
        text = text.replace("Disallow: /", f"Disallow: {settings.root_path}/")
    return PlainTextResponse(text, headers={"cache-control": "public, max-age=86400"})


PRIVATE_ROBOTS = "User-agent: *\nDisallow: /\n"


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> RedirectResponse:
    """Browsers showing a feed or a download, and feed readers, ask for /favicon.ico."""
    return RedirectResponse("/static/favicon.svg", status_code=301)


@router.get("/healthz")
def healthz() -> PlainTextResponse:
    """The process is alive and answering."""
    return PlainTextResponse("ok\n")


@router.get("/readyz")
def readyz(request: Request) -> Response:
    """Ready for traffic: the store answers, its schema is current, search indexes are loaded."""
    site = request.app.state.site
    problems = store_problems(site.engine, request.app.state.ready_outage)
    if not problems:
        problems += _key_problems(site.engine, site.secret)
    if not site.search_loaded():
        problems.append("search indexes not loaded yet")
    if problems:
        return JSONResponse({"ready": False, "problems": problems}, status_code=503)
    return JSONResponse({"ready": True, "problems": []})


OTHER_KEY = (
    "a node started after this one signs with another PAPERFEED_SECRET_KEY: give every node "
    "the same key (a form from one node's page is refused by the other, and so are links in "
    "emails), then restart this one"
)


def note_signing_key(engine: Engine, secret: bytes) -> None:
    """Record in the store the key this starting node signs with: a node that signs with
    another one is then not ready (/readyz), so the load balancer sends every request to nodes
    that agree, and its log says why."""
    try:
        with engine.begin() as conn:
            before = mark_signing_key(conn, key_mark(secret))
    except SQLAlchemyError:  # the store is down: /readyz says so, and nothing is compared
        return
    if before is not None and before != key_mark(secret):
        log.warning(
            "this node signs with another PAPERFEED_SECRET_KEY than the node started before "
            "it: nodes still running with the other key answer 503 at /readyz until they are "
            "restarted with this one (every node needs the same key)"
        )


def _key_problems(engine: Engine, secret: bytes) -> list[str]:
    try:
        with engine.connect() as conn:
            newest = signing_key_mark(conn)
    except SQLAlchemyError:
        return [UNREACHABLE]
    return [OTHER_KEY] if newest is not None and newest != key_mark(secret) else []


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus text format."""
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
