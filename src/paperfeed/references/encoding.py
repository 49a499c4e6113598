"""An import file's bytes as text, in whichever encoding reference managers write."""

from __future__ import annotations

import codecs
import re

CONTROL = re.compile(r"[\x01-\x08\x0e-\x19\x1b-\x1f]")
# JabRef's first line, "% Encoding: windows-1252", names the file's encoding.
_DECLARED = re.compile(rb"^%\s*Encoding:\s*([\w.-]+)", re.I | re.M)


def decode(data: bytes) -> str:
    """The file's text: UTF-16 with its BOM, UTF-8 (with or without one), the encoding JabRef
    declares, else each line in UTF-8 where it is, else in Windows-1252 (Latin-1 for the bytes
    it leaves undefined), as reference managers on Windows write; decoding never fails."""
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    codecs_to_try = ["utf-16"] if utf16 else []
    declared = _DECLARED.search(data[:500])
    codecs_to_try += ["utf-8-sig", *([declared[1].decode()] if declared else [])]
    for codec in codecs_to_try:
        try:
            return data.decode(codec)
        except (UnicodeError, LookupError):  # a declared 'undefined': a bare UnicodeError
            continue
    if not _UTF8_SEQUENCE.search(data):
        return _line(data)
    # A file edited in two programs mixes them: one Windows-1252 "é" made every 👍 "ðŸ‘\x8d".
    return "".join(_line(line) for line in data.splitlines(keepends=True))


# A character UTF-8 writes in two to four bytes (as Windows-1252 text seldom reads).
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _line(line: bytes) -> str:
    if line.isascii():
        return line.decode("ascii")
    for codec in ("utf-8-sig", "cp1252"):
        try:
            return line.decode(codec)
        except UnicodeDecodeError:
            continue
    return line.decode("latin-1")
