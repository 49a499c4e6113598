"""Parsing a big input file in a second process, so that parsing and writing use two cores.

The child pickles each chunk of items and writes it to a pipe from its only thread; in the
writer's process a thread reads whole messages off the pipe into a bounded queue, and the
writer unpickles them. Neither side waits on the other's interpreter lock: a
`multiprocessing.Queue` sends from a feeder thread that must win the parsing thread's lock after
every 64 KiB the pipe takes, which left each process idle about half the time.
"""

from __future__ import annotations

import contextlib
import fcntl
import multiprocessing
import os
import pickle
import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from paperfeed.ingest.run import Item, Source, SourceError

_CHUNK = 250  # items per message: large enough that pickling overhead is small
_PIPE_BYTES = 1 << 20  # room for about two messages, so the child rarely waits on the reader
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
    receiving, sending = context.Pipe(duplex=False)
    _widen(sending)
    child = context.Process(
        target=_produce, args=(source, dict(checkpoints), prepare, sending, receiving), daemon=True
    )
    child.start()
    sending.close()  # the child holds the only write end: the pipe ends when the child does
    inbox: queue.Queue[bytes | None] = queue.Queue(max(2, ahead // _CHUNK + 1))
    stop = threading.Event()
    reader = threading.Thread(target=_drain, args=(receiving, inbox, stop, child), daemon=True)
    reader.start()
    try:
        while (message := _receive(inbox, child))[0] == "items":
            yield from message[1]
        if message[0] == "error":
            raise message[1]
    finally:
        stop.set()
        if child.is_alive():
            child.terminate()
        child.join()
        # The child's end is closed now, so the reader sees the end of the pipe; a process forked
        # meanwhile that holds it open could keep it waiting, and closing our end releases it.
        reader.join(timeout=5 * _POLL_S)
        receiving.close()


def _widen(end: Connection) -> None:
    """Give the pipe room for whole messages (Linux; elsewhere, or when refused, as it is)."""
    setting = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setting is not None:
        with contextlib.suppress(OSError):  # over the system's pipe-max-size: keep the default
            fcntl.fcntl(end.fileno(), setting, _PIPE_BYTES)


def _drain(
    receiving: Connection,
    inbox: queue.Queue[bytes | None],
    stop: threading.Event,
    child: BaseProcess,
) -> None:
    """Move whole messages from the pipe to the inbox; None marks the end of the stream: the
    pipe closed, or the child gone with nothing left in it (a process forked meanwhile by another
    thread may hold the pipe open)."""
    while not stop.is_set():
        try:
            ready = receiving.poll(_POLL_S)
            if not ready and child.is_alive():
                continue
            data = receiving.recv_bytes() if ready or receiving.poll(0) else None
        except (EOFError, OSError):
            data = None
        while not stop.is_set():
            try:
                inbox.put(data, timeout=_POLL_S)
                break
            except queue.Full:
                continue
        if data is None:
            return


def _receive(inbox: queue.Queue[bytes | None], child: BaseProcess) -> Message:
    data = inbox.get()  # the reader puts None when the stream ends, however the child ended
    if data is None:  # the pipe ended before the child said it was done
        child.join()
        raise SourceError(f"the parsing process stopped (exit code {child.exitcode})")
    message: Message = pickle.loads(data)
    return message


def _produce(
    source: Source,
    checkpoints: dict[str, str],
    prepare: Prepare,
    sending: Connection,
    receiving: Connection,
) -> None:
    receiving.close()  # so that the writer's exit breaks the pipe instead of leaving us blocked
    chunk: list[Item] = []
    try:
        for item in prepare(source.items(checkpoints.get)):
            chunk.append(item)
            if len(chunk) >= _CHUNK:
                _send(sending, ("items", chunk))
                chunk = []
        _send(sending, ("items", chunk))
        _send(sending, ("done", None))
    except Exception as exc:  # noqa: BLE001 - every failure goes to the parent, which raises it
        _send(sending, ("items", chunk))  # what was read before the failure is stored
        _send(sending, ("error", _portable(exc)))


def _send(sending: Connection, message: Message) -> None:
    try:
        sending.send_bytes(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))
    except OSError:  # the writer is gone (killed): nothing will read what is left
        os._exit(1)


def _portable(exc: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - an exception that cannot cross processes
        return SourceError(f"{type(exc).__name__}: {exc}")
    return exc
