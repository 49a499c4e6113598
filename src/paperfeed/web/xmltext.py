"""Text that XML 1.0 can carry: characters it forbids are dropped."""

from __future__ import annotations

import re

_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """The text without what XML 1.0 forbids (controls, U+FFFE, U+FFFF, lone surrogates)."""
    return _FORBIDDEN.sub("", text)
