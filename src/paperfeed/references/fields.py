"""A field's value as text, a year or tags, whatever the format wrote it as."""

from __future__ import annotations

import re


def field_text(value: object) -> str:
    """A field's value as text: a list's items joined by spaces (CSL-JSON allows a title as a
    list), nothing for a missing value or an object."""
    if isinstance(value, list):
        return " ".join(t for t in map(field_text, value) if t)
    if value is None or isinstance(value, dict):
        return ""
    return str(value)


def one_line(value: object) -> str:
    """A field's text on one line, as written (RIS and CSL-JSON have no brace syntax)."""
    return " ".join(field_text(value).split())


def clean(value: object) -> str:
    """A BibTeX field's text on one line, without the braces that are BibTeX's syntax."""
    return one_line(value).replace("{", "").replace("}", "")


def year_in(value: object) -> int | None:
    """The first year a date's text holds (BibTeX's `year` or `date`, RIS's "2017/06/12/")."""
    found = re.search(r"(?<!\d)(\d{4})(?!\d)", field_text(value))
    return int(found[1]) if found else None


def tags_in(value: object, bibtex: bool = False) -> tuple[str, ...]:
    """Tags (keywords) as a tuple, from a list or a comma- or semicolon-separated text; braces
    are kept, but in BibTeX, where they are the file's syntax."""
    items = value if isinstance(value, list) else _split_tags(field_text(value), bibtex)
    tags = (clean(t) if bibtex else one_line(t) for t in items)
    return tuple(dict.fromkeys(t for t in tags if t))


def _split_tags(text: str, bibtex: bool) -> list[str]:
    """A keyword list split at its commas and semicolons, but not those inside braces (BibTeX)
    or double quotes (CSL-JSON): how `listed_tag` writes a tag that holds one."""
    parts: list[str] = []
    part: list[str] = []
    depth, quoted, skip = 0, False, False
    for i, ch in enumerate(text):
        if skip:  # the second quote of a doubled one
            skip = False
            continue
        if bibtex and ch in "{}":
            depth = depth + 1 if ch == "{" else max(depth - 1, 0)
        elif not bibtex and ch == '"':
            if quoted and text[i + 1 : i + 2] == '"':  # "" inside quotes: one quote
                part.append(ch)
                skip = True
            else:
                quoted = not quoted
            continue
        elif ch in ",;" and not depth and not quoted:
            parts.append("".join(part))
            part = []
            continue
        part.append(ch)
    return [*parts, "".join(part)]


def listed_tag(tag: str, bibtex: bool) -> str:
    """A tag as a comma-separated keyword list holds it: one with a comma or semicolon in
    braces (BibTeX) or double quotes (CSL-JSON; a quote in it doubled, as CSV does), so that it
    reads back as the same one tag."""
    if bibtex:
        return "{" + tag + "}" if any(sep in tag for sep in ",;") else tag
    if not any(sep in tag for sep in ',;"'):
        return tag
    return '"' + tag.replace('"', '""') + '"'


# The rich text that CSL (and Zotero in titles) allows: <i>, <b>, <sup>, <sub>, <span class=...>
_RICH_TEXT = re.compile(r"</?(?:i|b|sup|sub|sc|span)(?:\s[^<>]*)?>", re.I)


def rich_text_stripped(title: str) -> str:
    """A title without its rich-text markup, on one line."""
    return " ".join(_RICH_TEXT.sub("", title).split())
