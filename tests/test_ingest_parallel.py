"""The parsing process of a bulk load: items in order, failures reported, no process left over."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from paperfeed.ingest.parallel import items_in_child
from paperfeed.ingest.run import Item, ReadCheckpoint, SourceError
from paperfeed.models import RecordError

_BIG = "x" * (3 << 20)  # one message over the pipe's room: it must still arrive whole


@dataclass
class _Numbers:
    """A source of `count` items; then, per `end`, nothing, an error, or the process's exit
    (with or without a process of its own left holding the pipe)."""

    count: int
    end: str = "done"
    big_at: int = -1
    note: str = ""  # where "exit, pipe held" writes the holding process's id

    def items(self, read_checkpoint: ReadCheckpoint) -> Iterator[Item]:
        for n in range(self.count):
            yield RecordError(f"line {n}", _BIG if n == self.big_at else str(n))
        if self.end == "error":
            raise SourceError("the source broke")
        if self.end == "exit":
            os._exit(3)  # as if the parsing process were killed
        if self.end == "exit, pipe held":  # a process it forked keeps the pipe's write end open
            if (holder := os.fork()) == 0:
                time.sleep(60)
                os._exit(0)
            Path(self.note).write_text(str(holder))
            os._exit(3)


def _same(items: Iterator[Item]) -> Iterator[Item]:
    return items


def _where(items: list[Item]) -> list[str]:
    return [item.where for item in items if isinstance(item, RecordError)]


def test_items_arrive_whole_and_in_order_across_many_messages() -> None:
    got = list(items_in_child(_Numbers(2_000, big_at=777), {}, _same, ahead=1_000))
    assert _where(got) == [f"line {n}" for n in range(2_000)]
    assert isinstance(got[777], RecordError) and got[777].reason == _BIG
    assert not multiprocessing.active_children()


def test_a_failure_in_the_parsing_process_comes_after_what_it_read() -> None:
    got: list[Item] = []
    with pytest.raises(SourceError, match="the source broke"):
        for item in items_in_child(_Numbers(600, end="error"), {}, _same, ahead=1_000):
            got.append(item)
    assert _where(got) == [f"line {n}" for n in range(600)]  # the part-chunk too
    assert not multiprocessing.active_children()


def test_a_parsing_process_that_dies_is_reported_with_its_exit_code() -> None:
    got: list[Item] = []
    with pytest.raises(SourceError, match=r"the parsing process stopped \(exit code 3\)"):
        for item in items_in_child(_Numbers(600, end="exit"), {}, _same, ahead=1_000):
            got.append(item)
    assert _where(got) == [f"line {n}" for n in range(500)]  # the whole chunks it sent


def test_a_dead_parsing_process_is_noticed_while_another_holds_the_pipe(tmp_path: Path) -> None:
    # A process forked meanwhile (here by the child itself) keeps the pipe open after the child
    # is gone: the writer must not wait for that process to end.
    note = tmp_path / "holder.pid"
    source = _Numbers(600, end="exit, pipe held", note=str(note))
    started = time.monotonic()
    try:
        with pytest.raises(SourceError, match=r"stopped \(exit code 3\)"):
            list(items_in_child(source, {}, _same, ahead=1_000))
        assert time.monotonic() - started < 30
    finally:
        if note.exists():
            os.kill(int(note.read_text()), signal.SIGKILL)


def test_a_writer_that_stops_early_leaves_no_process_or_thread() -> None:
    before = threading.active_count()
    items = items_in_child(_Numbers(100_000), {}, _same, ahead=1_000)
    assert _where([next(items) for _ in range(10)]) == [f"line {n}" for n in range(10)]
    assert len(multiprocessing.active_children()) == 1
    items.close()
    assert not multiprocessing.active_children() and threading.active_count() == before


_WRITER = """
import multiprocessing, sys, time
from tests.test_ingest_parallel import _Numbers, _same
from paperfeed.ingest.parallel import items_in_child
items = items_in_child(_Numbers(10**9), {}, _same, ahead=1_000)
next(items)
print(multiprocessing.active_children()[0].pid, flush=True)
time.sleep(600)  # reads no more: the parsing process fills the pipe and waits
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie (exited, not yet reaped) is not alive
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_parsing_process_ends_when_the_writer_is_killed() -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        child = int(writer.stdout.readline())
        time.sleep(0.5)
        assert _alive(child)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        deadline = time.monotonic() + 20
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child), "the parsing process outlived the writer"
    finally:
        writer.kill()
        writer.wait()
        if writer.stdout is not None:
            writer.stdout.close()
