"""User Markdown to safe HTML: markdown-it (raw HTML off), math kept for KaTeX, nh3 sanitising."""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

MAX_COMMENT = 20_000
_MATH_RE = re.compile(r"(\$\$.+?\$\$|\$[^$\n]+\$|\\\(.+?\\\)|\\\[.+?\\\])", re.S)
_TOKEN = "\u2063PFMATH{}\u2063"
_TOKEN_RE = re.compile("\u2063PFMATH(\\d+)\u2063")
_TAGS = {
    "p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h3", "h4", "h5", "h6", "hr", "del", "span", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    # "js-default": no raw HTML, no typographer; tables and strikethrough on.
    return MarkdownIt("js-default").enable(["table", "strikethrough"])


def render_markdown(text: str, links: bool = True) -> Markup:
    """Render a comment: Markdown with math left for KaTeX, sanitised; links optional."""
    maths: list[str] = []

    def hold(match: re.Match[str]) -> str:
        maths.append(match[0])
        return _TOKEN.format(len(maths) - 1)

    html = _md().render(_MATH_RE.sub(hold, text))
    html = _TOKEN_RE.sub(lambda m: escape(maths[int(m[1])], quote=False), html)
    clean = nh3.clean(
        html,
        tags=_TAGS if links else _TAGS - {"a"},
        attributes={"a": {"href", "title"}, "span": {"class"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
    )
    return Markup(clean)


def plain_text(text: str) -> str:
    """A comment as plain text (for feeds and email): Markdown stays as typed."""
    return " ".join(text.split())
