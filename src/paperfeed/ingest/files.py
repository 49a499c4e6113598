"""Reading local input files: plain or gzip, line by line, resumable, with clear errors."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path

from paperfeed.ingest.run import Checkpoint, ReadCheckpoint, SourceError
from paperfeed.models import RecordError

CHECKPOINT_EVERY = 1000


def open_text(path: Path) -> io.TextIOBase:
    """Open a UTF-8 text file, gunzipping when it is gzip; a missing file is a SourceError."""
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    magic = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    stream = gzip.GzipFile(fileobj=raw) if magic == b"\x1f\x8b" else raw
    return io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")


def checkpoint_name(kind: str, path: Path) -> str:
    """A checkpoint key for one input file (its resolved path and size)."""
    try:
        size = path.stat().st_size
    except OSError:
        size = -1
    return f"{kind}:{path.resolve()}:{size}"


def numbered_lines(
    path: Path, kind: str, read_checkpoint: ReadCheckpoint
) -> Iterator[tuple[int, str] | Checkpoint | RecordError]:
    """Yield (line number, line) after the stored checkpoint, with checkpoints in between."""
    name = checkpoint_name(kind, path)
    done = int(read_checkpoint(name) or 0)
    handle = open_text(path)
    number = 0
    try:
        for number, line in enumerate(handle, start=1):
            if number > done:
                yield number, line
            if number % CHECKPOINT_EVERY == 0 and number > done:
                yield Checkpoint(name, str(number))
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        # A truncated or corrupt file keeps what was read before the damage.
        yield RecordError(f"{path}:{number + 1}", f"file is truncated or corrupt: {exc}")
        return
    finally:
        handle.close()
    yield Checkpoint(name, None)
