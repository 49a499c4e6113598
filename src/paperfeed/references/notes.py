"""A note field's text: Markdown (from HTML, as Zotero writes notes), without the lines that
only name the paper."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from paperfeed.references.identifiers import NEW_ID, OLD_ID

# Lines of a note field that only say where the paper is (paperfeed's RIS writes "arXiv:ID" as a
# note, Zotero's RIS "arXiv:ID [cs.LG]", its CSL-JSON and BibTeX "arXiv: ID" and its citation key).
_NOT_A_NOTE = re.compile(
    rf"^\s*(?:arxiv:?\s*(?:{NEW_ID}|{OLD_ID})(?:\s*\[[^\]]*\])?|citation key:.*|_eprint:.*)\s*$",
    re.I,
)


def note_text(text: str) -> str:
    """A note field's text (Markdown, where the file holds HTML) without the lines that only
    name the paper."""
    plain = _markdown(text) if _HTML_NOTE.match(text.lstrip()) else text
    lines = [line.rstrip() for line in plain.splitlines() if not _NOT_A_NOTE.match(line)]
    return "\n".join(lines).strip()


# A note in HTML, as Zotero keeps them: it starts with a block element, which no Markdown note
# starts with (a note that shows a tag further on, "use <p> here", is text: read as HTML, its
# tags went and its lines were broken there).
_HTML_NOTE = re.compile(r"<(?:p|div|h[1-6]|ul|ol|li|br|blockquote|pre|table)\b[^>]*>", re.I)
_INLINE_MARKS = {"strong": "**", "b": "**", "em": "*", "i": "*", "code": "`", "s": "~~"}


class _HtmlToMarkdown(HTMLParser):
    """A note's HTML as Markdown: headings, paragraphs, lists, emphasis and links kept,
    entities decoded, everything else its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.lists: list[int] = []  # each open list's next number; 0 for bullets
        self.links: list[tuple[int, str]] = []
        self.pre = False

    def _break(self, newlines: int) -> None:
        """End the line, and leave at least `newlines - 1` blank lines after it."""
        text = "".join(self.out).rstrip(" ")
        had = len(text) - len(text.rstrip("\n"))
        self.out = [text.rstrip("\n") + "\n" * max(had, newlines)] if text.strip() else []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._break(2)
            self.out.append("#" * int(tag[1]) + " ")
        elif tag in ("ul", "ol"):
            self._break(1 if self.lists else 2)
            self.lists.append(1 if tag == "ol" else 0)
        elif tag == "li" and self.lists:
            self._break(1)
            number = self.lists[-1]
            self.lists[-1] = number + 1 if number else 0
            self.out.append("   " * (len(self.lists) - 1) + (f"{number}. " if number else "- "))
        elif tag in ("p", "div", "blockquote", "table", "tr", "pre") and not self.lists:
            self._break(2)
            self.pre = tag == "pre"
            self.out.append("```\n" if self.pre else "")
        elif tag == "br":
            self.out.append("\n")
        elif tag in _INLINE_MARKS:
            self.out.append(_INLINE_MARKS[tag])
        elif tag == "a":
            self.links.append((len(self.out), dict(attrs).get("href") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            self._break(1 if self.lists else 2)
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6", "p", "div", "blockquote", "table"):
            self._break(1 if self.lists else 2)
        elif tag == "pre":
            self.out.append("\n```")
            self.pre = False
            self._break(2)
        elif tag in _INLINE_MARKS:
            self.out.append(_INLINE_MARKS[tag])
        elif tag == "a" and self.links:
            at, href = self.links.pop()
            text = "".join(self.out[at:])
            self.out[at:] = [f"[{text}]({href})" if href and text and text != href else text]

    def handle_data(self, data: str) -> None:
        if self.pre:
            self.out.append(data)
            return
        text = " ".join(data.split()) + (" " if data[-1:].isspace() and data.strip() else "")
        if not self.out or self.out[-1].endswith(("\n", " ")):
            text = text.lstrip()
        elif data[:1].isspace():
            text = " " + text
        self.out.append(text)


def _markdown(html: str) -> str:
    parser = _HtmlToMarkdown()
    parser.feed(html)
    parser.close()
    text = "\n".join(line.rstrip() for line in "".join(parser.out).splitlines())
    return re.sub(r"\n{3,}", "\n\n", text).strip()
