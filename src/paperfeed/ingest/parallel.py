"""Parsing a big input file in a second process, so that parsing and writing use two cores."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
from collections.abc import Callable, Iterator, Mapping
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from typing import Any

from paperfeed.ingest.run import Item, Source, SourceError

_CHUNK = 250  # items per message: large enough that pickling overhead is small
_POLL_S = 1.0
Message = tuple[str, Any]
Prepare = Callable[[Iterator[Item]], Iterator[Item]]


def items_in_child(
    source: Source, checkpoints: Mapping[str, str], prepare: Prepare, ahead: int
) -> Iterator[Item]:
    """The source's items, parsed (and `prepare`d) in a child process, in their order.

    The child runs up to `ahead` items ahead (memory stays bounded): at least a batch, so that
    it keeps parsing the next batch while the writer stores this one.
    """
    # fork: spawn would re-run the caller's main module; the child only parses, so inherited
    # threads and connections stay untouched (it leaves through os._exit, closing nothing).
    context = multiprocessing.get_context("fork")
    channel: Queue[Message] = context.Queue(max(2, ahead // _CHUNK + 1))
    child = context.Process(
        target=_produce, args=(source, dict(checkpoints), prepare, channel), daemon=True
    )
    child.start()
    try:
        while (message := _receive(channel, child))[0] == "items":
            yield from message[1]
        if message[0] == "error":
            raise message[1]
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        channel.close()


def _receive(channel: Queue[Message], child: BaseProcess) -> Message:
    while True:
        try:
            return channel.get(timeout=_POLL_S)
        except queue.Empty as exc:
            if not child.is_alive() and channel.empty():
                stopped = f"the parsing process stopped (exit code {child.exitcode})"
                raise SourceError(stopped) from exc


def _produce(
    source: Source, checkpoints: dict[str, str], prepare: Prepare, channel: Queue[Message]
) -> None:
    chunk: list[Item] = []
    try:
        for item in prepare(source.items(checkpoints.get)):
            chunk.append(item)
            if len(chunk) >= _CHUNK:
                _send(channel, ("items", chunk))
                chunk = []
        _send(channel, ("items", chunk))
        _send(channel, ("done", None))
    except Exception as exc:  # noqa: BLE001 - every failure goes to the parent, which raises it
        _send(channel, ("items", chunk))  # what was read before the failure is stored
        _send(channel, ("error", _portable(exc)))


def _send(channel: Queue[Message], message: Message) -> None:
    parent = multiprocessing.parent_process()
    while True:
        try:
            channel.put(message, timeout=_POLL_S)
            return
        except queue.Full:
            if parent is not None and not parent.is_alive():
                os._exit(1)  # the writer was killed: nothing will read what is left


def _portable(exc: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - an exception that cannot cross processes
        return SourceError(f"{type(exc).__name__}: {exc}")
    return exc
