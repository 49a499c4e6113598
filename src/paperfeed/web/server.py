"""Running the site under uvicorn: the app factory each worker calls, and its HTTP protocol.

Kept apart from the commands so that only `serve` and `demo` import the web stack.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import shutil
import signal
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from paperfeed.recommend.warm import start_warming
from paperfeed.settings import Settings
from paperfeed.web import reuseport
from paperfeed.web.access import log_to_stderr
from paperfeed.web.app import create_app
from paperfeed.web.ops import MULTIPROC_ENV
from paperfeed.web.reuseport import Reservation


class NoDelayHTTP(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's HTTP protocol with TCP_NODELAY on every connection.

    With --workers > 1 uvicorn shares a socket whose protocol number reads 0, so asyncio skips
    TCP_NODELAY and each response waits ~40 ms for a delayed ACK (measured: 23 req/s on one
    keep-alive connection instead of 1,700).
    """

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def app_from_env() -> FastAPI:
    """The app for `paperfeed serve`, built from the environment in each worker process."""
    log_to_stderr()
    app = create_app(Settings())
    # Load the search indexes (and For you's keyword features) before the first visitor asks;
    # pages do not wait for this.
    threading.Thread(target=_warm, args=(app,), name="warm-search", daemon=True).start()
    return app


def _warm(app: FastAPI) -> None:
    app.state.site.warm_search()
    recommender = getattr(app.state, "recommender", None)
    if recommender is not None:
        try:
            recommender.warm_vocabulary()
        except Exception:  # For you then fits them on its first request
            logging.getLogger(__name__).exception("warming the For you vocabulary failed")
        settings: Settings = app.state.site.settings  # readers' models, after each ingest
        start_warming(recommender, settings.for_you_warm_days, settings.for_you_warm_seconds)
    freeze_warm_heap()


def freeze_warm_heap() -> None:
    """Keep what the worker has loaded (modules, the indexes' Python side) out of the cycle
    collector's passes, and run its youngest generation less often: requests make many
    short-lived objects and few cycles (bench/RESULTS.md: keyword search +1–12 %, lower p99)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 100)


WORKER_HEALTHCHECK_SECONDS = 120


def run_uvicorn(host: str, port: int, workers: int, reservation: Reservation | None) -> None:
    """uvicorn as usual, or (a reservation) workers that each listen on a socket of their own."""
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "log_level": "warning",
        "access_log": False,  # the app writes its own (PAPERFEED_ACCESS_LOG)
        "proxy_headers": False,  # the app trusts PAPERFEED_TRUSTED_PROXIES only
        "timeout_graceful_shutdown": 5,  # SIGTERM: stop within seconds even with requests stuck
        # uvicorn kills a worker that has not answered its ping within this time, and a worker
        # answers only once its imports are done: 5 s (the default) on a busy machine restarted
        # the second worker forever (bench/RESULTS.md, scale section).
        "timeout_worker_healthcheck": WORKER_HEALTHCHECK_SECONDS,
        "http": "paperfeed.web.server:NoDelayHTTP",
    }
    app = "paperfeed.web.server:app_from_env"
    if workers == 1:  # with more, uvicorn's supervisor restarts the workers one by one
        signal.signal(signal.SIGHUP, _hangup)
    with shared_metrics(workers):
        if reservation is None:
            uvicorn.run(app, **options)
        else:
            reuseport.run(uvicorn.Config(app, **options), reservation)


def _hangup(_signum: int, _frame: object) -> None:
    """SIGHUP (`systemctl reload`) to a single process: said, not obeyed; it used to end it."""
    logging.getLogger(__name__).warning(
        "SIGHUP: one worker has nothing to reload (--workers 2 or more restart their workers one "
        "at a time); restart the service to load new settings or code"
    )


@contextmanager
def shared_metrics(workers: int) -> Iterator[None]:
    """With several workers, a folder (made here, removed after) where each writes its request
    metrics and from which /metrics adds them up, whichever worker a scrape reaches.

    Workers are started afresh (spawned) and read PROMETHEUS_MULTIPROC_DIR as they import
    prometheus_client; one the operator set is used as it is.
    """
    if workers < 2 or os.environ.get(MULTIPROC_ENV):
        yield
        return
    try:
        folder = tempfile.mkdtemp(prefix="paperfeed-metrics-")
    except OSError as exc:  # no writable temporary folder: each worker counts on its own
        logging.getLogger(__name__).warning("/metrics: each worker's own counts (%s)", exc)
        yield
        return
    os.environ[MULTIPROC_ENV] = folder
    try:
        yield
    finally:
        del os.environ[MULTIPROC_ENV]
        shutil.rmtree(folder, ignore_errors=True)
