"""Assembling a run's digest messages, in worker processes when the run is large.

Assembling (tokens, filling the template parts, MIME) is about half of a large run's CPU; the
process that ranks and writes the outbox hands it to a small pool of worker processes, chunk by
chunk, and writes each chunk's rows as its messages come back, in order. Workers only render:
every outbox write stays in the calling process, one transaction per chunk as before, so a
killed run leaves whole chunks or nothing. Small runs, machines with fewer than four CPUs and a
pool that cannot start or breaks render in-process (the same messages).

Workers are started with "spawn" (a fresh interpreter, no fork of a threaded process), so this
is safe inside `serve`'s scheduler thread.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime

from paperfeed.digest.compose import Digest
from paperfeed.digest.render import DigestRenderer, Links, Mail
from paperfeed.settings import Settings

log = logging.getLogger(__name__)
POOL_MIN_DIGESTS = 20_000  # smaller runs render in-process: starting workers costs seconds
MIN_CPUS = 4  # on two CPUs the workers only compete with the writer (bench/RESULTS.md)
MAX_WORKERS = 4

Job = tuple[Links, Digest]  # a non-empty digest and its subscriber's links


def usable_cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Assembler:
    """Renders chunks of digests into messages, in order; `close` when done."""

    def __init__(self, settings: Settings, now: datetime, digests: int) -> None:
        self.renderer = DigestRenderer(settings)  # each paper's part rendered once a run
        self.now = now
        self.pool: ProcessPoolExecutor | None = None
        self.workers = min(usable_cpus(), MAX_WORKERS)
        if digests >= POOL_MIN_DIGESTS and usable_cpus() >= MIN_CPUS:
            self.pool = _start(settings, now, self.workers)

    def messages(self, chunks: Sequence[Sequence[Job]]) -> Iterator[list[Mail]]:
        """Each chunk's messages, chunk by chunk in the order given."""
        if self.pool is None:
            yield from (self._here(chunk) for chunk in chunks)
            return
        window = 2 * (self.workers + 1)  # chunks in flight: memory stays bounded
        pending: deque[tuple[Sequence[Job], Future[list[Mail]] | None]] = deque()
        todo = iter(chunks)
        while True:
            while len(pending) < window and (chunk := next(todo, None)) is not None:
                pending.append((chunk, self._submit(chunk)))
            if not pending:
                return
            chunk, future = pending.popleft()
            yield self._result(chunk, future)

    def _submit(self, chunk: Sequence[Job]) -> Future[list[Mail]] | None:
        if self.pool is None:
            return None
        try:
            return self.pool.submit(_render_chunk, chunk)
        except Exception as exc:  # noqa: BLE001 - a broken pool: render here instead
            self._give_up(exc)
            return None

    def _result(self, chunk: Sequence[Job], future: Future[list[Mail]] | None) -> list[Mail]:
        if future is not None:
            try:
                return future.result()
            except Exception as exc:  # noqa: BLE001 - rendered here: its own error, if any
                self._give_up(exc)
        return self._here(chunk)

    def _here(self, chunk: Sequence[Job]) -> list[Mail]:
        return [self.renderer.render(links, digest, self.now) for links, digest in chunk]

    def _give_up(self, exc: BaseException) -> None:
        if self.pool is not None:
            log.warning("message assembly pool failed (%r); assembling in-process", exc)
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None

    def close(self) -> None:
        """Stop the workers (waits for them)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def __enter__(self) -> Assembler:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _start(settings: Settings, now: datetime, workers: int) -> ProcessPoolExecutor | None:
    try:
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(
            workers, mp_context=context, initializer=_init, initargs=(settings, now, os.getpid())
        )
    except Exception as exc:  # noqa: BLE001 - no pool: everything is rendered in-process
        log.warning("no message assembly pool (%r); assembling in-process", exc)
        return None


_WORKER: tuple[DigestRenderer, datetime] | None = None


def _init(settings: Settings, now: datetime, parent: int) -> None:
    global _WORKER  # noqa: PLW0603 - one renderer per worker process, kept between chunks
    _WORKER = (DigestRenderer(settings), now)
    leave_with(parent)


def leave_with(parent: int) -> None:
    """In a worker process: exit once `parent` is gone. A killed run (SIGKILL) cannot stop its
    workers (assembly or outbox writer); they leave by themselves within a second."""
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _render_chunk(chunk: Sequence[Job]) -> list[Mail]:
    assert _WORKER is not None, "worker not initialised"
    renderer, now = _WORKER
    return [renderer.render(links, digest, now) for links, digest in chunk]
