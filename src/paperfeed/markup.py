"""User Markdown to safe HTML: markdown-it (raw HTML off), math kept for KaTeX, nh3 sanitising."""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection, Mapping
from functools import lru_cache
from html import escape, unescape

import nh3
from linkify_it import LinkifyIt
from linkify_it.main import Match
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import Markup

from paperfeed.latex import plain

MAX_COMMENT = 20_000
# Inline $...$ as pandoc reads it: no space just inside either dollar and no digit right after
# the closing one, so "it costs $5 and $6" stays prose while "$x^2$" is maths. The display
# environments the page's KaTeX typesets are maths too (Markdown would eat their "\\" breaks).
_MATH_RE = re.compile(
    r"(\$\$.+?\$\$|\$(?=[^\s$])[^$\n]*?(?<=\S)\$(?!\d)|\\\(.+?\\\)|\\\[.+?\\\]"
    r"|\\begin\{(?P<env>(?:equation|align|gather)\*?)\}.+?\\end\{(?P=env)\})",
    re.S,
)
# Held maths is marked with a random key per rendering, so typed text can never pose as one.
_TOKEN = "\u2063PFMATH{key}x{n}\u2063"
_TOKEN_RE = "\u2063PFMATH{key}x(\\d+)\u2063"
# Blockquotes and lists nest at most this deep; markers past it are kept as text (thousands of
# "> " would otherwise drop the text after them and widen the page).
MAX_NESTING = 8
_MARK = r"[ \t]{0,3}(?:>[ \t]?|(?:[*+-]|\d{1,9}[.)])[ \t]+)"
_PREFIX_RE = re.compile(rf"^(?:{_MARK}){{{MAX_NESTING + 1},}}", re.M)
_MARK_RE = re.compile(_MARK)
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
    # Bare http(s) addresses become links too; "train.py" and other bare names stay text.
    md = MarkdownIt("js-default", {"linkify": True}).enable(["table", "strikethrough", "linkify"])
    md.linkify.set({"fuzzy_link": False, "fuzzy_email": False})  # type: ignore[union-attr]
    # ... but "www.example.org" is an address as people write one.
    md.linkify.add("www.", {"validate": _www_link, "normalize": _www_address})  # type: ignore[union-attr]
    # Nesting deeper than a 20,000-character text can reach (markdown-it's 100 dropped the text
    # past the 50th list level); _flatten then keeps MAX_NESTING of it.
    md.options["maxNesting"] = 600
    md.add_render_rule("image", _image_as_link)
    # Before text_join, which would merge an escaped "\@" back into the text around it.
    md.core.ruler.before("text_join", "mentions", _link_mentions)
    return md


def _www_link(self: LinkifyIt, text: str, pos: int) -> int:
    """How much of `text` after a "www." is an address's host and path (0: none)."""
    pattern = self.re.get("paperfeed_www")
    if pattern is None:
        source = "^" + self.re["src_host_port_strict"] + self.re["src_path"]
        pattern = self.re["paperfeed_www"] = re.compile(source, re.IGNORECASE)
    match = pattern.search(text[pos:])
    host = match[0].split("/", 1)[0] if match else ""
    return len(match[0]) if match and "." in host else 0


def _www_address(self: LinkifyIt, match: Match) -> None:
    match.url = "https://" + match.url


# "@name" names an account (usernames: 3-32 letters, digits, "_" and "-"), not the middle of an
# address ("bob@example.org") nor of a longer word; right after CJK text ("ありがとう@kim"),
# written without spaces, it does.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f"
_MENTION_RE = re.compile(
    rf"(?:^|(?<=[^\w@./+-])|(?<=[{_CJK}]))@([A-Za-z0-9_-]{{3,32}})(?![A-Za-z0-9_@-]|\.\w)"
)
MAX_MENTIONS = 10  # accounts one comment can name (and notify)


def mentions(text: str) -> list[str]:
    """The names a comment mentions with "@name", in order, once each (case kept as typed):
    in its prose only, not in code, maths or a link's text, nor escaped ("\\@name")."""
    found: dict[str, str] = {}
    _md().parse(_MATH_RE.sub(" ", text), {"found": found})
    return list(found.values())


def _prose(token: Token) -> list[Token]:
    """An inline token's text children outside links."""
    inside, out = 0, []
    for child in token.children or []:
        inside += {"link_open": 1, "link_close": -1}.get(child.type, 0)
        if child.type == "text" and not inside:
            out.append(child)
    return out


def _link_mentions(state: StateCore) -> None:
    """Link "@name" to the account's page for the names in `env["mentions"]` (lowercased, to
    the name as the account spells it); or, asked with `env["found"]`, collect the names."""
    env = state.env if isinstance(state.env, dict) else {}
    found: dict[str, str] | None = env.get("found")
    if found is not None:
        for token in state.tokens:
            for child in _prose(token):
                for name in _MENTION_RE.findall(child.content):
                    found.setdefault(name.lower(), name)
        return
    known: Mapping[str, str] = env.get("mentions", {})
    if not known:
        return
    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        children: list[Token] = []
        inside = 0
        for child in token.children:
            inside += {"link_open": 1, "link_close": -1}.get(child.type, 0)
            if child.type == "text" and not inside:
                children.extend(_split_mentions(child, known))
            else:
                children.append(child)
        token.children = children


def _split_mentions(text: Token, known: Mapping[str, str]) -> list[Token]:
    out: list[Token] = []
    at = 0
    for match in _MENTION_RE.finditer(text.content):
        name = known.get(match[1].lower())
        if name is None:
            continue
        if match.start() > at:
            out.append(_text(text.content[at : match.start()]))
        link = Token("link_open", "a", 1, attrs={"href": f"/users/{name}", "class": "mention"})
        out += [link, _text(match[0]), Token("link_close", "a", -1)]
        at = match.end()
    if at == 0:
        return [text]
    if at < len(text.content):
        out.append(_text(text.content[at:]))
    return out


def _text(content: str) -> Token:
    return Token("text", "", 0, content=content)


def _image_as_link(
    self: object, tokens: list[Token], idx: int, options: object, env: object
) -> str:
    """Images are not shown inline (they would load from anywhere): a link named by its alt text."""
    token = tokens[idx]
    src = escape(str(token.attrGet("src") or ""))
    alt = escape("".join(child.content for child in token.children or []))
    label = f"image: {alt}" if alt else "image"
    return f'<a href="{src}">{label}</a>' if src else label


def render_markdown(text: str, links: bool = True, named: Collection[str] = ()) -> Markup:
    """Render a comment or note: Markdown with math left for KaTeX, sanitised; links optional.
    `named`: the accounts (their names) whose "@name" links to their page. Kept for the next
    view: a page shows the same comments to every reader (and markdown-it takes most of a
    second over some 20,000-character texts, such as one of "[" alone)."""
    return _rendered(text, links, tuple(sorted(named)))


@lru_cache(maxsize=512)
def _rendered(text: str, links: bool, named: tuple[str, ...]) -> Markup:
    maths: list[str] = []
    key = secrets.token_hex(6)

    def hold(match: re.Match[str]) -> str:
        maths.append(match[0])
        return _TOKEN.format(key=key, n=len(maths) - 1)

    held = _MATH_RE.sub(hold, _cap_nesting(text))
    rendered = _render(held, {n.lower(): n for n in named} if links else {})
    html = _restore_maths(rendered, maths, re.compile(_TOKEN_RE.format(key=key)))
    if not links:  # a link's address stays readable, as text: "paper (https://…)"
        html = _LINK_RE.sub(_link_as_text, html)
    clean = nh3.clean(
        html,
        tags=_TAGS if links else _TAGS - {"a"},
        attributes={"a": {"href", "title", "class"}, "span": {"class"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
    )
    return Markup(clean)


_OUTWARD_RE = re.compile(r'<a\b[^>]*\bhref="(?:https?:|mailto:|//)', re.I)


def link_count(text: str) -> int:
    """How many links to elsewhere a comment's Markdown shows (bare addresses, [links](...),
    images, which show as links); "@name"s and links within the site are not counted."""
    return len(_OUTWARD_RE.findall(str(render_markdown(text, links=True))))


def absolute_links(html: Markup, base: str) -> Markup:
    """Rendered Markdown for a place outside the site (an email, a feed reader): its links
    to the site's own pages ("@name" links to /users/...) made absolute on `base`."""
    return Markup(str(html).replace('href="/', f'href="{escape(base.rstrip("/"))}/'))


_LINK_RE = re.compile(r'<a href="([^"]*)"[^>]*>(.*?)</a>', re.S)


def _link_as_text(match: re.Match[str]) -> str:
    # Both parts are markdown-it's output, escaped already.
    href, label = match[1], match[2]
    return label if href in (label, "") else f"{label} ({href})"


def _render(text: str, named: Mapping[str, str] | None = None) -> str:
    """Markdown to HTML with headings moved down HEADING_SHIFT levels (never past h6) and the
    `named` accounts' "@name" linked."""
    md = _md()
    env = {"mentions": named or {}}
    tokens = _flatten(md.parse(text, env))
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + HEADING_SHIFT, 6)}"
    return str(md.renderer.render(tokens, md.options, env))


_NESTS = {"blockquote", "bullet_list", "ordered_list"}


def _flatten(tokens: list[Token]) -> list[Token]:
    """Quotes and lists nested past MAX_NESTING (one indented line a level) laid flat: their
    items' text kept as paragraphs of the deepest level kept, not a page widened by each."""
    kept: list[Token] = []
    opened: list[tuple[bool, bool]] = []  # each open quote, list or item: (nests, left out)
    for token in tokens:
        kind = token.type.rsplit("_", 1)[0]
        if token.nesting == 1 and kind in _NESTS | {"list_item"}:
            depth = sum(1 for nests, _out in opened if nests)
            out = depth >= MAX_NESTING if kind in _NESTS else bool(opened) and opened[-1][1]
            opened.append((kind in _NESTS, out))
            if out:
                continue
        elif token.nesting == -1 and kind in _NESTS | {"list_item"}:
            if opened.pop()[1]:
                continue
        elif kind == "paragraph" and opened and opened[-1][1]:
            token.hidden = False  # a tight list's item text: a paragraph of its own now
        kept.append(token)
    return kept


def _cap_nesting(text: str) -> str:
    """Keep the first MAX_NESTING quote and list markers of a line; escape the rest (as text)."""

    def cap(match: re.Match[str]) -> str:
        marks = _MARK_RE.findall(match[0])
        return "".join(marks[:MAX_NESTING]) + "".join(map(_as_text, marks[MAX_NESTING:]))

    return _PREFIX_RE.sub(cap, text)


def _as_text(mark: str) -> str:
    """A quote or list marker escaped, so that Markdown shows it as typed."""
    mark = mark.lstrip()
    return re.sub(r"^(\d+)([.)])", r"\1\\\2", mark) if mark[0].isdigit() else "\\" + mark


def _restore_maths(html: str, maths: list[str], token: re.Pattern[str]) -> str:
    """Put the held maths back: in a `.math` span for KaTeX, or as text in code and tags."""

    def put(piece: str, typeset: bool) -> str:
        def one(match: re.Match[str]) -> str:
            source = escape(maths[int(match[1])], quote=not typeset)
            return f'<span class="math">{source}</span>' if typeset else source

        return token.sub(one, piece)

    parts = _AS_TEXT_RE.split(html)
    return "".join(put(part, i % 2 == 0) for i, part in enumerate(parts))


def plain_text(text: str) -> str:
    """A comment on one line as text (a feed entry's title): its Markdown and maths read as
    text ("**Gödel**: $\\mathcal{O}(n^2)$" is "Gödel: 𝒪(n^2)"), a link as "label (address)"."""
    shown = nh3.clean(str(maths_as_text(_rendered(text, False, ()))), tags=set())
    return " ".join(unescape(shown).split())


_MATH_SPAN_RE = re.compile(r'<span class="math">(.*?)</span>', re.S)


def maths_as_text(html: Markup) -> Markup:
    """Rendered Markdown for a place without KaTeX (an email, a feed reader): its maths as
    readable text (\\alpha is α) instead of TeX."""
    return Markup(_MATH_SPAN_RE.sub(lambda m: escape(plain(unescape(m[1])), quote=False), html))


def excerpt(text: str, most: int) -> str:
    """At most `most` characters of a comment as typed (its lines kept), cut at a word."""
    text = "\n".join(line.rstrip() for line in text.strip().splitlines())
    text = re.sub(r"\n{3,}", "\n\n", text)
    if len(text) <= most:
        return text
    cut = text[: most - 1]
    return (cut.rsplit(None, 1)[0] if " " in cut[most // 2 :] else cut).rstrip() + "…"
