"""Text hygiene shared by ingest, feeds and the CLI: XML-safe and terminal-safe strings."""

from __future__ import annotations

import re

# XML 1.0's Char production: tab, newline, carriage return and the non-surrogate planes
# except U+FFFE and U+FFFF.
_XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# C0/C1 controls (bar tab and newline), DEL, and the marks that reorder or hide text (bidi).
_TERMINAL_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)


def xml_safe(text: str) -> str:
    """The text without the characters XML 1.0 forbids (controls, surrogates, U+FFFE, U+FFFF)."""
    return _XML_FORBIDDEN.sub("", text)


def is_xml_safe(text: str) -> bool:
    """True when the text holds no character XML 1.0 forbids (so no surrogate either)."""
    return _XML_FORBIDDEN.search(text) is None


def has_lone_surrogate(text: str) -> bool:
    """True when the text holds a UTF-16 surrogate, which no encoding can write."""
    return _SURROGATE.search(text) is not None


def terminal_safe(text: str) -> str:
    """Stored text for a terminal: control and bidi characters shown as visible escapes."""
    return _TERMINAL_UNSAFE.sub(_visible, _SURROGATE.sub(_visible, text))


def _visible(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
