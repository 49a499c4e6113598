"""Reading local input files: plain or gzip, line by line, resumable, in bounded memory."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol, cast

import orjson

from paperfeed.ingest.run import Checkpoint, ReadCheckpoint, SourceError
from paperfeed.ingest.validate import BadRecord
from paperfeed.models import RecordError

CHECKPOINT_EVERY = 1000
MAX_LINE_CHARS = 10_000_000  # far above any real record; a longer line is skipped, unread
MAX_DOCUMENT_CHARS = 100_000_000  # whole-file formats (HF daily papers, pages)
# Real metadata gunzips to 3-10x its size; deflate's ceiling is ~1032x. Past this, a bomb.
MAX_GZIP_RATIO = 200
_GZIP_RATIO_FROM = 50_000_000  # small files may be any ratio
_SKIP_CHUNK = 1 << 20
# What opening a damaged, truncated, encrypted or deflate64 zip archive can raise.
_ZIP_FAULTS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    RuntimeError,
    OSError,
    EOFError,
)


class DamagedFile(SourceError):
    """The file is truncated or corrupt (or a compression bomb); what came before is kept."""


class _Inflating(Protocol):
    def readinto1(self, buffer: bytearray | memoryview, /) -> int: ...

    def close(self) -> None: ...


class _Guarded(io.RawIOBase):
    """A gzip or zip stream that reports damage and bombs as DamagedFile, counting what it
    inflates."""

    def __init__(self, path: Path, raw: BinaryIO, inflating: _Inflating | None = None) -> None:
        self._path, self._raw = path, raw
        self._inflating = inflating or gzip.GzipFile(fileobj=raw)
        self._inflated = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            # One step at a time: damage loses nothing before it.
            count = self._inflating.readinto1(buffer)
        except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
            raise DamagedFile(f"{self._path} is damaged (truncated or corrupt): {exc}") from exc
        self._inflated += count
        if self._inflated > _GZIP_RATIO_FROM and self._inflated > MAX_GZIP_RATIO * max(
            1, self._raw.tell()
        ):
            raise DamagedFile(
                f"{self._path} inflates more than {MAX_GZIP_RATIO}x: refused as a "
                f"{'gzip' if isinstance(self._inflating, gzip.GzipFile) else 'zip'} bomb"
            )
        return count

    def close(self) -> None:
        self._inflating.close()
        self._raw.close()
        super().close()


def open_text(path: Path) -> io.TextIOWrapper:
    """Open a UTF-8 text file, gunzipping when it is gzip; a missing file is a SourceError."""
    return io.TextIOWrapper(open_bytes(path), encoding="utf-8", errors="replace", newline="")


def open_bytes(path: Path) -> BinaryIO:
    """Open a file for reading, gunzipping when it is gzip and reading its one file when it is a
    zip (Kaggle's `archive.zip`); a missing file is a SourceError."""
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    head = raw.peek(4)[:4]
    if head[:2] == b"\x1f\x8b":
        # Small reads: damage mid-read loses at most this much of what came before it.
        return io.BufferedReader(_Guarded(path, raw), io.DEFAULT_BUFFER_SIZE)
    if head == b"PK\x03\x04":
        return io.BufferedReader(_zip_member(path, raw), io.DEFAULT_BUFFER_SIZE)
    return raw


def _zip_member(path: Path, raw: BinaryIO) -> _Guarded:
    """The one file inside a zip archive, streamed (the archive's own index finds it)."""
    try:
        archive = zipfile.ZipFile(raw)
        files = [info for info in archive.infolist() if not info.is_dir()]
        if len(files) != 1:
            names = ", ".join(info.filename for info in files[:5]) or "nothing"
            raise SourceError(
                f"{path} holds {len(files)} files ({names}): unzip it and import the one meant"
            )
        # A member stream is a BufferedIOBase (it has readinto1), though typed as IO[bytes].
        return _Guarded(path, raw, cast(_Inflating, archive.open(files[0])))
    except SourceError:
        raw.close()
        raise
    except _ZIP_FAULTS as exc:
        raw.close()
        raise DamagedFile(f"{path} is not a readable zip archive: {exc}") from exc


def read_document(path: Path, limit: int = MAX_DOCUMENT_CHARS) -> str:
    """A whole (small) file as text; one over `limit` characters is refused, unread."""
    with open_text(path) as handle:
        text = handle.read(limit + 1)
    if len(text) > limit:
        raise SourceError(f"{path} is over {limit:,} characters: refused as too big")
    return text


def bounded_lines(handle: BinaryIO, limit: int = MAX_LINE_CHARS) -> Iterator[bytes | int]:
    """Each line, or the length in bytes of a line over `limit` bytes, which is skipped unread;
    lines end as in text mode (LF, CRLF, or a lone CR)."""
    while line := handle.readline(limit + 1):
        if len(line) > limit and not line.endswith(b"\n"):
            length = len(line)
            while (rest := handle.readline(_SKIP_CHUNK)) and not rest.endswith(b"\n"):
                length += len(rest)
            yield length + len(rest)
        elif b"\r" in line:  # \r\n, or old line ends: split as text mode's universal newlines
            yield from line.splitlines(keepends=True)
        else:
            yield line


def json_value(data: str | bytes) -> object:
    """Parse JSON (text, or bytes read as UTF-8 with bad bytes replaced); a BadRecord says why it
    is not usable JSON."""
    try:
        return orjson.loads(data)  # compiled: ~5x faster than json on valid records
    except orjson.JSONDecodeError:
        pass  # the standard parser accepts a little more (NaN, huge numbers) and words errors
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    if text is not data:
        try:
            return orjson.loads(text)  # bytes that were not UTF-8, now with U+FFFD in their place
        except orjson.JSONDecodeError:
            pass
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRecord(
            f"invalid JSON: {exc.msg.removesuffix(' at')} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except RecursionError as exc:
        raise BadRecord("invalid JSON: nested too deeply") from exc
    except ValueError as exc:  # e.g. a number past Python's digit limit
        raise BadRecord(f"invalid JSON: {exc}") from exc


def checkpoint_name(kind: str, path: Path) -> str:
    """A checkpoint key for one input file (its resolved path and size)."""
    try:
        size = path.stat().st_size
    except OSError:
        size = -1
    return f"{kind}:{path.resolve()}:{size}"


def numbered_lines(
    path: Path, kind: str, read_checkpoint: ReadCheckpoint
) -> Iterator[tuple[int, bytes] | Checkpoint | RecordError]:
    """Yield (line number, line as bytes) after the stored checkpoint, with checkpoints in
    between. Bytes: the JSON parser reads UTF-8 itself, at a fraction of decoding to text first."""
    name = checkpoint_name(kind, path)
    done = int(read_checkpoint(name) or 0)
    handle = open_bytes(path)
    number = 0
    try:
        for number, line in enumerate(bounded_lines(handle), start=1):
            if number > done:
                yield _too_long(path, number, line) if isinstance(line, int) else (number, line)
            if number % CHECKPOINT_EVERY == 0 and number > done:
                yield Checkpoint(name, str(number))
    except DamagedFile as exc:
        # What was read before the damage is kept (the caller flushes it); the run fails.
        raise DamagedFile(f"{exc} (after line {number:,})") from exc
    finally:
        handle.close()
    yield Checkpoint(name, None)


def _too_long(path: Path, number: int, length: int) -> RecordError:
    return RecordError(
        f"{path}:{number}", f"line of {length:,} bytes is over the {MAX_LINE_CHARS:,} limit"
    )
