"""Gzip for the site's answers: a kept page is compressed once, not at every request.

Starlette's `GZipMiddleware` compresses what the routes answer. A page kept in the page cache is
answered by the site middleware instead, from its `Packed` form: the stretches of the page
between its CSRF form fields, each compressed once (knowing the text before it, the fields
standing as bytes UTF-8 never holds), ending on a byte boundary so that they and the visitor's
own field join into one deflate stream. The field is compressed at each request (it differs at
every response); its later copies are references to the first, made once. A request then costs
that field's compression and a CRC of the page, not the page's compression (~3 ms for 55 KB).
"""

from __future__ import annotations

import base64
import hashlib
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache

LEVEL = 5  # nearly level 9's size at half its CPU
MINIMUM = 1000  # characters: shorter answers go out as they are
_WINDOW = 32768  # how far back deflate looks
_HOLE = b"\xff"  # a byte UTF-8 text never holds: what stands for a field while packing
_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # gzip, deflate, no name, no time


@dataclass(frozen=True)
class Packed:
    """A body's stretches between per-response fields of one length, plain and compressed.

    The deflate stream runs: stretch 0, the first field (compressed per response), stretch 1,
    the second field (a copy of the first), ... the last stretch, which ends the stream.
    """

    plain: tuple[bytes, ...]
    deflated: tuple[bytes, ...]  # raw deflate; all but the last end with a sync flush
    field: int  # the length every field must have
    copies: tuple[bytes, ...]  # each field as a copy of the one before (b"": per response)


def gzipped(body: str, marker: str, filled: str, kept: dict[int, Packed]) -> bytes:
    """The body, each `marker` in it replaced by `filled`, as gzip; what does not depend on
    `filled` is compressed at the first call and kept in `kept` for the next ones."""
    field = filled.encode()
    packed = kept.get(len(field))
    if packed is None:
        packed = kept[len(field)] = pack([p.encode() for p in body.split(marker)], len(field))
    return _joined(packed, field)


def pack(parts: list[bytes], field: int) -> Packed:
    """Each stretch compressed once, as it will follow the stretches and fields before it."""
    seen, deflated = b"", []
    for i, part in enumerate(parts):
        deflated.append(_deflate(part, LEVEL, i == len(parts) - 1, seen))
        seen = (seen + part + _HOLE * field)[-_WINDOW:]
    copies = tuple(_copy(field, len(part)) for part in parts[1:-1])
    return Packed(tuple(parts), tuple(deflated), field, (b"", *copies)[: len(parts) - 1])


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header takes gzip: named without `q=0`, or by `*` when gzip is
    not named (`gzip;q=0, *` refuses it: the named coding wins, RFC 9110 12.5.3)."""
    named: bool | None = None
    anything = False
    for item in accept_encoding.lower().split(","):
        name, _, params = item.partition(";")
        name = name.strip()
        if name in ("gzip", "x-gzip"):
            named = bool(named) or not _refused(params)
        elif name == "*":
            anything = not _refused(params)
    return anything if named is None else named


def _joined(packed: Packed, field: bytes) -> bytes:
    plain = packed.plain
    fresh = _deflate(field, 1, False) if len(plain) > 1 else b""  # this response's field
    stream = [packed.deflated[0]]
    crc = zlib.crc32(plain[0])
    for copy, part, deflated in zip(packed.copies, plain[1:], packed.deflated[1:], strict=True):
        stream += (copy or fresh, deflated)
        crc = zlib.crc32(part, zlib.crc32(field, crc))
    size = sum(map(len, plain)) + len(field) * (len(plain) - 1)
    return b"".join((_HEADER, *stream, struct.pack("<II", crc, size & 0xFFFFFFFF)))


@lru_cache(maxsize=4096)
def _copy(field: int, gap: int) -> bytes:
    """A field that comes `gap` bytes after the field before it, as a reference to that one,
    whatever it holds (b"": too far back). Made with one stand-in for the field and checked
    with another: a literal taken from the stand-in would show there."""
    if not field or field + gap > _WINDOW:
        return b""
    # The hole in front: zlib never refers to a window's first byte (its position 0 is "none").
    one, other = (_HOLE + _stand_in(name, field) for name in (b"one", b"other"))
    copy = _deflate(one[1:], 9, False, one + _HOLE * gap)
    check = zlib.decompressobj(-zlib.MAX_WBITS, zdict=other + _HOLE * gap)
    return copy if check.decompress(copy) == other[1:] else b""


def _stand_in(name: bytes, size: int) -> bytes:
    """`size` characters of base64 that hardly repeat themselves."""
    return base64.b64encode(hashlib.shake_256(name).digest(size))[:size]


def _deflate(data: bytes, level: int, last: bool, before: bytes = b"") -> bytes:
    """Raw deflate of `data` as it follows `before`, ending the stream or on a byte boundary."""
    memory = 8 if before or len(data) > 4096 else 1  # a field alone needs little: set up faster
    args = (level, zlib.DEFLATED, -zlib.MAX_WBITS, memory, zlib.Z_DEFAULT_STRATEGY)
    packer = zlib.compressobj(*args, zdict=before) if before else zlib.compressobj(*args)
    return packer.compress(data) + packer.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def _refused(params: str) -> bool:
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip() == "q":
            try:
                return float(value) <= 0
            except ValueError:
                return True
    return False
