"""User Markdown to safe HTML: markdown-it (raw HTML off), math kept for KaTeX, nh3 sanitising."""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

MAX_COMMENT = 20_000
# Inline $...$ as pandoc reads it: no space just inside either dollar and no digit right after
# the closing one, so "it costs $5 and $6" stays prose while "$x^2$" is maths.
_MATH_RE = re.compile(
    r"(\$\$.+?\$\$|\$(?=[^\s$])[^$\n]*?(?<=\S)\$(?!\d)|\\\(.+?\\\)|\\\[.+?\\\])", re.S
)
_TOKEN = "\u2063PFMATH{}\u2063"
_TOKEN_RE = re.compile("\u2063PFMATH(\\d+)\u2063")
# Code, whose maths stays as typed, and tags, whose attributes are no place for markup.
_AS_TEXT_RE = re.compile(r"(<code[^>]*>.*?</code>|<[^>]*>)", re.S)
HEADING_SHIFT = 3  # "#" is an h4: below the page's h1, its sections' h2 and a card's h3
_TAGS = {
    "p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h4", "h5", "h6", "hr", "del", "span", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    # "js-default": no raw HTML, no typographer; tables and strikethrough on.
    return MarkdownIt("js-default").enable(["table", "strikethrough"])


def render_markdown(text: str, links: bool = True) -> Markup:
    """Render a comment or note: Markdown with math left for KaTeX, sanitised; links optional."""
    maths: list[str] = []

    def hold(match: re.Match[str]) -> str:
        maths.append(match[0])
        return _TOKEN.format(len(maths) - 1)

    html = _restore_maths(_render(_MATH_RE.sub(hold, text)), maths)
    if not links:  # a link's address stays readable, as text: "paper (https://…)"
        html = _LINK_RE.sub(_link_as_text, html)
    clean = nh3.clean(
        html,
        tags=_TAGS if links else _TAGS - {"a"},
        attributes={"a": {"href", "title"}, "span": {"class"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
    )
    return Markup(clean)


_LINK_RE = re.compile(r'<a href="([^"]*)"[^>]*>(.*?)</a>', re.S)


def _link_as_text(match: re.Match[str]) -> str:
    # Both parts are markdown-it's output, escaped already.
    href, label = match[1], match[2]
    return label if href in (label, "") else f"{label} ({href})"


def _render(text: str) -> str:
    """Markdown to HTML with headings moved down HEADING_SHIFT levels (never past h6)."""
    md = _md()
    tokens = md.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + HEADING_SHIFT, 6)}"
    return str(md.renderer.render(tokens, md.options, {}))


def _restore_maths(html: str, maths: list[str]) -> str:
    """Put the held maths back: in a `.math` span for KaTeX, or as text in code and tags."""

    def put(piece: str, typeset: bool) -> str:
        def one(match: re.Match[str]) -> str:
            source = escape(maths[int(match[1])], quote=not typeset)
            return f'<span class="math">{source}</span>' if typeset else source

        return _TOKEN_RE.sub(one, piece)

    parts = _AS_TEXT_RE.split(html)
    return "".join(put(part, i % 2 == 0) for i, part in enumerate(parts))


def plain_text(text: str) -> str:
    """A comment on one line (a feed entry's title): Markdown stays as typed."""
    return " ".join(text.split())


def excerpt(text: str, most: int) -> str:
    """At most `most` characters of a comment as typed (its lines kept), cut at a word."""
    text = "\n".join(line.rstrip() for line in text.strip().splitlines())
    text = re.sub(r"\n{3,}", "\n\n", text)
    if len(text) <= most:
        return text
    cut = text[: most - 1]
    return (cut.rsplit(None, 1)[0] if " " in cut[most // 2 :] else cut).rstrip() + "…"
