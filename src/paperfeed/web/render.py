"""Jinja templates (autoescaped) and the small filters the pages use."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import partial
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment
from linkify_it import LinkifyIt
from markupsafe import Markup, escape

from paperfeed import categories
from paperfeed.latex import math_spans, plain, tex_dashes
from paperfeed.markup import plain_text
from paperfeed.models import Paper
from paperfeed.store.accounts import DELETED_NAME
from paperfeed.store.enrichment import github_name
from paperfeed.store.papers import author_key
from paperfeed.store.reactions import REACTIONS
from paperfeed.templating import page_env
from paperfeed.util import site_url
from paperfeed.venues import Venue, said_on, venue_of, venue_sentence
from paperfeed.web.assets import static_path
from paperfeed.web.bibtex import bib_name
from paperfeed.web.card_cache import card_body_renderer

SHORT_ABSTRACT = 320


def create_env() -> Environment:
    """The one page environment (`paperfeed.templating`) with our filters registered."""
    env = page_env()
    env.filters.update(
        short=short_text,
        author_url=author_url,
        paper_url=paper_url,
        day=format_day,
        iso=iso,
        category_url=category_url,
        category_name=categories.name_of,
        tex=tex_text,
        linked=linked_addresses,
        plain=plain,
        markdown_text=plain_text,  # a description as one line of text (a link preview)
        slash_date=slash_date,
        bib_name=bib_name,
        github_name=github_name,
        venue=paper_venue,
        venue_said=paper_venue_sentence,
    )
    env.globals["query"] = query_string
    env.globals["card_body"] = card_body_renderer(env)
    env.globals["reaction_kinds"] = REACTIONS  # a comment's reaction bar offers these
    env.globals["deleted_name"] = DELETED_NAME  # a credit that names no profile
    env.globals["site_url"] = partial(site_url, "")  # at a host's root; the site sets its path
    env.globals["static_url"] = partial(static_url, "")
    return env


def paper_venue(paper: Paper) -> Venue | None:
    """The venue a paper's journal reference or comment says it is at, if any."""
    return venue_of(paper.journal_ref, paper.comments, said=_said(paper))


def paper_venue_sentence(paper: Paper) -> str:
    """The sentence of its journal reference or comment that names the paper's venue."""
    return venue_sentence(paper.journal_ref, paper.comments, said=_said(paper))


def _said(paper: Paper) -> date | None:
    """The day the paper said where it appears, as far as its dates tell (`venues.said_on`)."""
    return said_on(paper.published, paper.updated, paper.listing_date)


def static_url(root: str, name: str) -> str:
    """The versioned address of a static file (`site.css`), which browsers keep for a year."""
    return site_url(root, static_path(name))


def slash_date(when: date | datetime | None) -> str:
    """A date as citation meta tags write it (2026/07/01); empty for none."""
    return when.strftime("%Y/%m/%d") if when else ""


def short_text(text: str, limit: int = SHORT_ABSTRACT) -> str:
    """Cut text at a word boundary near `limit` characters, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    cut = cut if cut > limit // 2 else limit
    for start, end in math_spans(text):
        if start < cut < end:  # half a formula is TeX that KaTeX cannot typeset: all or none
            cut = start if start > 0 else end
    return text[:cut].rstrip(",;:. ") + "…"


_TEXT_MACROS = {
    "emph": "em",
    "textit": "em",
    "textsl": "em",
    "textbf": "strong",
    "texttt": "code",
    "textsc": 'span class="sc"',
    "textsuperscript": "sup",
    "textsubscript": "sub",
    "underline": "u",
    "textrm": "",
    "textsf": "",
    "text": "",
}
_OLD_STYLE = {"em": "emph", "it": "textit", "sl": "textsl", "bf": "textbf", "tt": "texttt"}
_OLD_STYLE |= {"sc": "textsc"}
_ARGUMENT = r"\{((?:[^{}$\\]|\{[^{}$\\]*\})*)\}"  # one level of braces within, no macro
# \textbf{x}; {\bf x} as older TeX writes it; \textcolor{red}{x}, shown in the page's colour.
_TEXT_MACRO_RE = re.compile(
    r"\\(emph|textit|textsl|textbf|texttt|textsc|textsuperscript|textsubscript|underline"
    r"|textrm|textsf|text)" + _ARGUMENT + r"|\{\\(em|it|sl|bf|tt|sc)\s+([^{}$\\]*)\}"
    r"|\\textcolor\{[^{}$\\]*\}" + _ARGUMENT
)
_NESTING = 4  # \underline{\textbf{Fed}}erated: the innermost first, a level a pass
_PUNCT_GROUP_RE = re.compile(r"\{([^\w\s{}\\]?)\}")  # 15{,}729: a group of punctuation alone
# A citation or cross-reference in an abstract: its key in brackets (the tie before it a space).
_CITE_RE = re.compile(
    r"~?\\(?:cite[a-z]*|ref|eqref|autoref|cref|Cref)\*?(?:\[[^\]]*\])*\{([^{}]*)\}"
)
_TEXT_ESCAPE_RE = re.compile(r"\\([%_#]|&amp;)")
# \url{u} and \href{u}{text} (escaped already; one level of braces within): u, "text (u)".
_LINK_RE = re.compile(r"\\url\{([^{}\s]*)\}|\\href\{([^{}\s]*)\}\{((?:[^{}]|\{[^{}]*\})*)\}")
_SPACING_RE = re.compile(r"\\[,;: ]")  # TeX's small spaces: 0.50\,m
_ENVS = r"(?:equation|align|gather)\*?"
_MATH_RE = re.compile(
    r"(\$\$.+?\$\$|\$[^$]+\$|\\\(.+?\\\)|\\\[.+?\\\]"
    rf"|\\begin\{{{_ENVS}\}}.+?\\end\{{{_ENVS}\}})",
    re.S,
)


def tex_text(text: str) -> Markup:
    """Escape text; show LaTeX text macros (\\emph{...}, \\%) as HTML; leave math to KaTeX."""
    parts = _MATH_RE.split(str(escape(text)))
    # Odd parts are math, which KaTeX reads as written (there \\% is not a comment).
    return Markup("".join(p if i % 2 else _text_macros(p) for i, p in enumerate(parts)))


def _text_macros(escaped: str) -> str:
    spaced = _SPACING_RE.sub("\u2009", tex_dashes(escaped))
    cited = _CITE_RE.sub(lambda m: f" [{m[1]}]", spaced)
    # Escapes first: \textbf{10.3\%} is a macro around a percent sign, not TeX left as typed.
    text = _TEXT_ESCAPE_RE.sub(r"\1", cited)
    for _ in range(_NESTING):
        text, swapped = _TEXT_MACRO_RE.subn(_as_html, text)
        if not swapped:
            break
    return _LINK_RE.sub(_link, _PUNCT_GROUP_RE.sub(r"\1", text))


def _as_html(match: re.Match[str]) -> str:
    if match[5] is not None:  # \textcolor
        return match[5]
    name, body = (match[1], match[2]) if match[1] else (_OLD_STYLE[match[3]], match[4])
    tag = _TEXT_MACROS[name]
    return f"<{tag}>{body}</{tag.split()[0]}>" if tag else body


_TAG_RE = re.compile(r"(<[^>]*>)")
_LINKIFY = LinkifyIt(options={"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False})


def linked_addresses(text: str) -> Markup:
    """Text (escaped here unless it is markup already) with its http(s) addresses as links, as
    arXiv shows an abstract's code and project addresses; markup's tags are left as they are."""
    html = str(text if isinstance(text, Markup) else escape(text))
    parts = _TAG_RE.split(html)
    return Markup("".join(p if i % 2 else _linked(p) for i, p in enumerate(parts)))


def _linked(escaped: str) -> str:
    if "://" not in escaped:
        return escaped
    parts = _MATH_RE.split(escaped)  # KaTeX reads maths as written: no links inside it
    return "".join(p if i % 2 else _linked_prose(p) for i, p in enumerate(parts))


def _linked_prose(escaped: str) -> str:
    out, at = [], 0
    for match in _LINKIFY.match(escaped) or []:
        if match.schema.lower() not in ("http:", "https:"):
            continue
        url = match.url  # escaped already: "&amp;" is how an attribute writes "&"
        out += [escaped[at : match.index], f'<a href="{url}" rel="nofollow ugc noopener">']
        out += [escaped[match.index : match.last_index], "</a>"]
        at = match.last_index
    return "".join(out) + escaped[at:]


def _link(match: re.Match[str]) -> str:
    # As text, as the page shows a bare address (and a title inside a link can hold no other).
    if match[1] is not None:
        return match[1]
    url, text = match[2], " ".join(match[3].split())
    return url if text in ("", url) else f"{text} ({url})"


def author_slug(name: str) -> str:
    """The URL slug of an author (their name key with dashes: "paul-erdos", "李明"); empty when
    it has none."""
    return author_key(name).replace(" ", "-")


def author_url(name: str) -> str | None:
    """The author page of a name (a slug in another script percent-encoded as UTF-8), or None
    when the name has no usable key."""
    slug = author_slug(name)
    return "/authors/" + quote(slug, safe="-") if slug else None


def paper_url(paper_id: str) -> str:
    """The HTML page of a paper."""
    return "/papers/" + quote(paper_id, safe="/.-")


def category_url(category: str) -> str:
    """The HTML page of a category."""
    return "/categories/" + quote(category, safe=".-")


def format_day(value: date | datetime | None) -> str:
    """A date as "1 Jul 2026"."""
    return f"{value.day} {value:%b %Y}" if value else ""


def iso(value: date | datetime | None) -> str:
    """A date or time in ISO 8601."""
    return value.isoformat() if value else ""


def query_string(**params: Any) -> str:
    """A URL query string from the non-empty parameters."""
    kept = {k: v for k, v in params.items() if v not in (None, "", False)}
    return "?" + urlencode(kept) if kept else ""


class _MarkOnly(HTMLParser):
    """Keeps text and <mark> tags; everything else in a snippet is dropped or escaped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "mark":
            self.open += 1
            self.parts.append("<mark>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark" and self.open:
            self.open -= 1
            self.parts.append("</mark>")

    def handle_data(self, data: str) -> None:
        self.parts.append(str(escape(data)))


_ONLY_MARKS = re.compile(r"[^<>]*(?:</?mark>[^<>]*)*")  # one test per run of text, not per char


def safe_snippet(snippet_html: str) -> Markup:
    """A search snippet reduced to escaped text plus balanced <mark> highlights."""
    if _ONLY_MARKS.fullmatch(snippet_html) and _balanced_marks(snippet_html):
        return Markup(_unmark_math(snippet_html))  # already what we allow: no parsing
    parser = _MarkOnly()
    parser.feed(snippet_html)
    parser.close()
    return Markup(_unmark_math("".join(parser.parts) + "</mark>" * parser.open))


def _unmark_math(snippet_html: str) -> str:
    # A highlight inside $...$ would split the formula and KaTeX could not typeset it; outside
    # maths, text macros show as the abstract's do (\textbf{...} bold, \% a percent sign).
    parts = _MATH_RE.split(snippet_html)
    return "".join(
        re.sub(r"</?mark>", "", p) if i % 2 else _text_macros(p) for i, p in enumerate(parts)
    )


def _balanced_marks(text: str) -> bool:
    depth = 0
    for tag in re.findall(r"</?mark>", text):
        depth += -1 if tag.startswith("</") else 1
        if depth not in (0, 1):
            return False
    return depth == 0
