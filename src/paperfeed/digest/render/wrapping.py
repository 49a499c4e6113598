"""The plain text's layout: headings, titles and "Why:" lines wrapped to 72 columns."""

from __future__ import annotations

import textwrap


def section_text(section: str) -> str:
    """A section's heading in the plain text, wrapped, underlined ("" for no section)."""
    if not section:
        return ""
    heading = _lines(section, "", "")
    return f"{heading}{'-' * max(len(line) for line in heading.splitlines())}\n"


_WIDTH = 72  # the plain text's lines, indent included (links alone may run past it)
_NUMBER = "    "  # room for a paper's number ("50. ") before its title's first line


def _title_text(title: str) -> str:
    """A title wrapped to follow its paper's number: its later lines indented under it."""
    title = " ".join(title.split())
    if len(_NUMBER) + len(title) <= _WIDTH:
        return title
    return _lines(title, _NUMBER, "   ").removeprefix(_NUMBER).removesuffix("\n")


def why_text(why: str) -> str:
    """A paper's "Why:" line of the plain text, wrapped, its later lines indented under its
    reason ("" for a paper without one)."""
    return _lines(f"Why: {why}", "   ", "        ") if why else ""


def _lines(text: str, first: str, rest: str) -> str:
    """Text in lines of _WIDTH columns at most (where words allow; a link is never cut), each
    ending in a line break; "" for no text."""
    text = " ".join(text.split())  # a line break or tab inside would break the layout
    if not text:
        return ""
    if len(first) + len(text) <= _WIDTH:
        return f"{first}{text}\n"
    wrap = textwrap.wrap(
        text, _WIDTH, initial_indent=first, subsequent_indent=rest,
        break_long_words=False, break_on_hyphens=False,
    )  # fmt: skip
    return "".join(f"{line}\n" for line in wrap)


def wrapped(text: str) -> str:
    """A plain-text body with each line over _WIDTH columns wrapped where words allow (its
    indent kept on the lines it continues on; a link is never cut), as the digest's are."""
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= _WIDTH:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip(" "))]
        out += textwrap.wrap(
            line.strip(), _WIDTH, initial_indent=indent, subsequent_indent=indent,
            break_long_words=False, break_on_hyphens=False,
        )  # fmt: skip
    return "\n".join(out)
