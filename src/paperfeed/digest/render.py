"""Turning digests and confirmations into MIME messages (HTML + plain text) from Jinja templates."""

from __future__ import annotations

import base64
import functools
import secrets
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email import message_from_string, policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from functools import lru_cache
from urllib.parse import quote, urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from paperfeed import mailwire
from paperfeed.digest.compose import Digest, DigestItem
from paperfeed.digest.extras import extras_html, extras_text
from paperfeed.digest.tokens import MAX_AGE, make_token, make_tokens
from paperfeed.latex import plain
from paperfeed.markup import absolute_links, maths_as_text, plain_text, render_markdown
from paperfeed.settings import Settings

PAPER_PATH = "/papers/{id}"  # the site's paper page
RATE_PATH = "/digest/rate"  # a digest's 👍 / 👎 link (its token, then &paper=ID&r=1 or -1)
_CRLF = mailwire.CRLF


@dataclass(frozen=True)
class Links:
    """Where a message's links point: the site, with signed tokens for one subscriber."""

    base_url: str
    secret: str
    subscriber_id: int
    nonce: str

    def url(self, path: str, **params: str) -> str:
        """An absolute link under the site's base address."""
        query = f"?{urlencode(params)}" if params else ""
        return f"{self.base_url.rstrip('/')}{path}{query}"

    def token_url(self, path: str, scope: str) -> str:
        """A link carrying a token for `scope`."""
        return self.url(path, token=make_token(self.secret, scope, self.subscriber_id, self.nonce))

    def token_urls(self, *links: tuple[str, str]) -> list[str]:
        """Links to (path, scope) pairs with their tokens, made together (cheaper)."""
        scopes = [scope for _, scope in links]
        tokens = make_tokens(self.secret, scopes, self.subscriber_id, self.nonce)
        # A token is URL-safe base64 and dots: `url(path, token=t)` without urlencode's work.
        return [f"{self.url(path)}?token={t}" for (path, _), t in zip(links, tokens, strict=True)]

    def paper(self, paper_id: str) -> str:
        """The paper's page on the site."""
        return self.url(PAPER_PATH.format(id=quote(paper_id, safe="/.-")))


@lru_cache(maxsize=2)
def _env(autoescape: bool) -> Environment:
    return Environment(
        loader=PackageLoader("paperfeed.digest", "templates"),
        autoescape=select_autoescape(["html"]) if autoescape else False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


def render_pair(name: str, **context: object) -> tuple[str, str]:
    """The plain-text and HTML renderings of one email template."""
    text = _env(False).get_template(f"{name}.txt").render(**context)
    html = _env(True).get_template(f"{name}.html").render(**context)
    return text, html


def digest_subject(digest: Digest) -> str:
    """The subject line: how many papers and the lead title."""
    n = len(digest.items)
    head = plain(digest.items[0].title) if digest.items else _revised_head(digest)
    lead = head if len(head) <= 70 else head[:69].rstrip() + "…"
    kind = "Weekly" if digest.subscriber.prefs.frequency == "weekly" else "Daily"
    return f"{kind} papers: {lead}" + (f" (+{n - 1} more)" if n > 1 else "")


def render_digest(settings: Settings, links: Links, digest: Digest, now: datetime) -> Mail:
    """The digest email, with one-click unsubscribe headers and links back to the site."""
    context = _digest_context(links, digest)
    after = section_more(links, digest)
    items = [
        {**_view(links, item), "why": item.why, "why_text": why_text(item.why)}
        | {"section": item.section, "section_text": section_text(item.section)}
        | {"more": after.get(i)}
        for i, item in enumerate(digest.items)
    ]
    # With no papers, the followed collections' new versions alone (else after the last one).
    text, html = render_pair("digest", items=items, alone=after.get(-1, []), **context)
    return _digest_mail(settings, digest, context, text, html, now)


def _digest_context(links: Links, digest: Digest) -> dict[str, str]:
    # What a digest's head and foot show; the tokens in its links are this subscriber's.
    manage, unsubscribe, rate = _token_links(links, digest)
    return {
        "subject": digest_subject(digest),
        "preheader": digest_preheader(digest),
        "heading": _heading(digest),
        "frequency": digest.subscriber.prefs.frequency,
        "home_url": links.url("/"),
        "manage_url": manage,
        "unsubscribe_url": unsubscribe,
        "rate_url": rate,
        **_more(links, digest),
    }


def _more(links: Links, digest: Digest) -> dict[str, str]:
    """The line after the picked papers of a digest that left matching ones out, saying how
    many and leading to the site's list of them all (both "" for none)."""
    if digest.more <= 0 or not digest.more_path:
        return {"more_text": "", "more_url": ""}
    return {
        "more_text": _more_text(digest.more, digest.more_of),
        "more_url": links.url(digest.more_path),
    }


_MORE_SAID = {
    "": "{n} more {papers} matched your interests",
    "trending": "{n} more trending {papers}",
    "section": "{n} more {papers} new in this collection",
    "collection": "{n} more {papers} new in {name}, a collection you follow",
}


def _more_text(n: int, of: str, name: str = "") -> str:
    said = _MORE_SAID[of].format(n=f"{n:,}", papers="paper" if n == 1 else "papers", name=name)
    return f"…and {said}: see them all"


def section_more(links: Links, digest: Digest) -> dict[int, list[dict[str, str]]]:
    """The "and N more" lines after a followed collection's section, by the index of the
    section's last item (their text and link); a collection with no section of its own (the
    others' papers filled the digest) has its line after the last item."""
    out: dict[int, list[dict[str, str]]] = {}
    if not (digest.section_more or digest.revised):
        return out
    sections = {item.section for item in digest.items}
    wanted = {section: (n, path) for section, n, path in digest.section_more}
    for i, item in enumerate(digest.items):
        last = i + 1 == len(digest.items) or digest.items[i + 1].section != item.section
        if last and item.section in wanted:
            n, path = wanted[item.section]
            line = {"more_text": _more_text(n, "section"), "more_url": links.url(path)}
            out.setdefault(i, []).append(line)
    end = out.setdefault(len(digest.items) - 1, [])
    for section, n, path in digest.section_more:
        if section not in sections:
            name = section.partition(": ")[2]  # "New in collections you follow: {name}"
            end.append(
                {"more_text": _more_text(n, "collection", name), "more_url": links.url(path)}
            )
    for name, n, path in digest.revised:
        end.append({"more_text": revised_text(n, name), "more_url": links.url(path)})
    return {i: lines for i, lines in out.items() if lines}


def _revised_head(digest: Digest) -> str:
    # A digest of new versions alone: its subject names the first collection's.
    if not digest.revised:
        return ""
    name, n, _ = digest.revised[0]
    return " ".join(revised_text(n, name).split())  # a header value is one line


def revised_text(n: int, name: str) -> str:
    """A followed collection's line: "2 papers in Reading group have new versions"."""
    said = "1 paper" if n == 1 else f"{n:,} papers"
    return f"{said} in {name} {'has a new version' if n == 1 else 'have new versions'}"


def _token_links(links: Links, digest: Digest) -> tuple[str, str, str]:
    """The preferences and unsubscribe links, and the start of each paper's 👍 / 👎 links
    (empty for a subscription without an account: a rating belongs to an account)."""
    wanted = [("/preferences", "manage"), ("/unsubscribe", "unsubscribe")]
    if digest.subscriber.user_id is not None:
        wanted.append((RATE_PATH, "rate"))
    made = links.token_urls(*wanted)
    return made[0], made[1], made[2] if len(made) > 2 else ""


def _digest_mail(
    settings: Settings, digest: Digest, context: dict[str, str], text: str, html: str, now: datetime
) -> Mail:
    subject, unsubscribe = context["subject"], context["unsubscribe_url"]
    return build_message(settings, digest.subscriber.email, subject, text, html, now, unsubscribe)


def digest_preheader(digest: Digest) -> str:
    """The inbox preview after the subject (which names the lead paper): the next titles."""
    titles = [plain(item.title) for item in digest.items[1:4]]
    text = "Also: " + " · ".join(titles) if titles else _heading(digest)
    return text if len(text) <= _PREVIEW else text[: _PREVIEW - 1].rstrip() + "…"


_PREVIEW = 140  # characters an inbox shows of a preview, at most


def _heading(digest: Digest) -> str:
    n = len(digest.items)
    if not n and digest.revised:
        return "No new papers for you, but new versions in collections you follow"
    return f"{n} new paper{'s' if n != 1 else ''} picked for you"


def _view(links: Links, item: DigestItem) -> dict[str, str]:
    """What the digest shows of a paper, the same for every subscriber (the why-line aside)."""
    names = [name for name in item.authors if name.strip()]  # a blank name is no author
    authors = ", ".join(names[:3]) + (" et al." if len(names) > 3 else "")
    title = plain(item.title)  # no KaTeX in mail: math as readable text
    byline = " · ".join(part for part in (authors, item.category.strip()) if part)
    url = links.paper(item.paper_id)
    return {
        "title": title,
        "title_text": _title_text(title),
        "url": url,
        # a line of its own only when there is one: no empty line above "Why:" (HTML's <br>)
        "byline": Markup("{}<br>").format(byline) if byline else Markup(""),
        "byline_text": _lines(byline, "   ", "   "),  # none at all without authors or category
        "snippet": plain(item.snippet),
        "snippet_text": _lines(plain(item.snippet), "   ", "   "),  # the plain text's, wrapped
        "paper": quote(item.paper_id, safe=".-"),  # in the rating links' query
        "note": _note(item.note, links.base_url),
        "note_text": _lines(f"Note: {plain_text(item.note)}", "   ", "   ") if item.note else "",
        "extras": extras_html(item.extras, url),  # code, stars, Hub counts: as its card shows
        "extras_text": extras_text(item.extras, url),
    }


_NOTE = (
    '<div class="pf-note" style="margin:6px 0 0 0;padding:0 0 0 8px;'
    'border-left:3px solid #d4d4d8;color:#27272a;">{}</div>'
)


def _note(note: str, base: str) -> Markup:
    """A note (Markdown) as the site shows it, sanitised, its links absolute and its maths as
    text (mail programs run no KaTeX); nothing for no note."""
    if not note:
        return Markup("")
    return Markup(_NOTE).format(maths_as_text(absolute_links(render_markdown(note), base)))


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


_MARK = "\x1e"  # brackets a slot's name in a skeleton; markupsafe leaves it as it is
_PARTS = ("head", "item", "rated", "section", "more", "foot")  # "rated": an item with 👍 / 👎 links
_ITEM = ("index", "item.title", "item.title_text", "item.url", "item.byline",
         "item.byline_text", "item.why", "item.why_text", "item.snippet",
         "item.snippet_text", "item.note", "item.note_text", "item.extras",
         "item.extras_text")  # fmt: skip
_SLOTS = {
    "head": ("subject", "preheader", "home_url", "heading"),
    "section": ("section", "section_text"),
    "more": ("more_text", "more_url"),
    "item": _ITEM,
    "rated": (*_ITEM, "rate_url", "item.paper"),
    "foot": ("frequency", "home_url", "manage_url", "unsubscribe_url"),
}


@dataclass(frozen=True)
class _Skeleton:
    """A template part rendered once with markers for its values: literal text and slots,
    filled per message without running the template (each part holds plain slots only)."""

    pieces: tuple[str, ...]  # literal, slot, literal, … (the literals at even positions)
    autoescape: bool

    @classmethod
    def of(cls, part: str, autoescape: bool) -> _Skeleton:
        """The skeleton of one part (digest_head, digest_item, digest_foot) of the digest."""
        slots = {slot: f"{_MARK}{slot}{_MARK}" for slot in _SLOTS[part]}
        marks: dict[str, object] = {"rate_url": ""}  # an item without 👍 / 👎 links
        marks |= {k: v for k, v in slots.items() if "." not in k}
        marks["item"] = {k.removeprefix("item."): v for k, v in slots.items() if "." in k}
        ext = "html" if autoescape else "txt"
        name = "item" if part == "rated" else part
        text = _env(autoescape).get_template(f"digest_{name}.{ext}").render(**marks)
        return cls(tuple(text.split(_MARK)), autoescape)

    def filled(self, values: Mapping[str, object]) -> _Skeleton:
        """The skeleton with these slots filled in (escaped as the template would), the
        others kept."""
        out = [self.pieces[0]]
        for i in range(1, len(self.pieces), 2):
            slot, after = self.pieces[i], self.pieces[i + 1]
            if slot in values:
                value = values[slot]
                out[-1] += (str(escape(value)) if self.autoescape else str(value)) + after
            else:
                out += [slot, after]
        return _Skeleton(tuple(out), self.autoescape)


@dataclass(frozen=True)
class _Utf8:
    """A skeleton as UTF-8: its literal pieces as bytes and its slots between them, filled
    by joining bytes (the bodies go to base64 as they are, never through `str`)."""

    literals: tuple[bytes, ...]
    slots: tuple[str, ...]

    @classmethod
    def of(cls, skeleton: _Skeleton) -> _Utf8:
        """The skeleton's pieces, its literals encoded."""
        pieces = skeleton.pieces
        return cls(tuple(p.encode("utf-8") for p in pieces[0::2]), pieces[1::2])

    def extend(self, out: list[bytes], values: Mapping[str, bytes]) -> None:
        """Add the part with its slots filled (values escaped and encoded already) to out."""
        literals = self.literals
        out.append(literals[0])
        for i, slot in enumerate(self.slots, 1):
            out += values[slot], literals[i]


_PER_MESSAGE = {"manage_url", "unsubscribe_url", "rate_url"}  # token links: never twice
_ITEMS_KEPT = 100_000  # item objects a renderer remembers by identity


class DigestRenderer:
    """Renders the digests of one run as `render_digest` does, faster: the templates' parts
    are rendered once, each paper's part once per run, and each message assembled from them
    (its why-lines, token links, head and foot are the only per-subscriber text).

    The parts are kept in UTF-8 and the bodies joined as bytes; values are escaped as
    Jinja's autoescape does, those that repeat between messages (why-lines, subjects,
    headings) once per run.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.parts = {
            autoescape: {part: _Skeleton.of(part, autoescape) for part in _PARTS}
            for autoescape in (False, True)
        }
        self.utf8 = {
            autoescape: {part: _Utf8.of(self.parts[autoescape][part]) for part in _PARTS}
            for autoescape in (False, True)
        }
        self.papers: dict[tuple[object, ...], tuple[_Utf8, _Utf8]] = {}
        self.items: dict[tuple[int, bool], tuple[DigestItem, str, tuple[_Utf8, _Utf8]]] = {}
        self.values: dict[bool, dict[object, bytes]] = {False: {}, True: {}}
        self.subjects: dict[tuple[str, int, str], str] = {}
        self.preheaders: dict[tuple[str, ...], str] = {}
        self.home: dict[str, str] = {}

    def render(self, links: Links, digest: Digest, now: datetime) -> Mail:
        """The digest email: the same message `render_digest` gives for the same input."""
        context = self._context(links, digest)
        bodies = self._bodies(links, context, digest)
        subject, unsubscribe = context["subject"], context["unsubscribe_url"]
        email = digest.subscriber.email
        return _assemble(self.settings, email, subject, bodies, now, unsubscribe)

    def _context(self, links: Links, digest: Digest) -> dict[str, str]:
        # `_digest_context`, with what repeats between messages worked out once a run.
        manage, unsubscribe, rate = _token_links(links, digest)
        items = digest.items
        frequency = digest.subscriber.prefs.frequency
        key = (items[0].title if items else _revised_head(digest), len(items), frequency)
        subject = self.subjects.get(key)
        if subject is None:
            subject = self.subjects[key] = digest_subject(digest)
        key_titles = (_heading(digest), *(item.title for item in items[:4]))  # none: its heading
        preheader = self.preheaders.get(key_titles)
        if preheader is None:
            preheader = self.preheaders[key_titles] = digest_preheader(digest)
        home = self.home.get(links.base_url)
        if home is None:
            home = self.home[links.base_url] = links.url("/")
        return {
            "subject": subject,
            "preheader": preheader,
            "heading": _heading(digest),
            "frequency": frequency,
            "home_url": home,
            "manage_url": manage,
            "unsubscribe_url": unsubscribe,
            "rate_url": rate,
            **_more(links, digest),
        }

    def _bodies(
        self, links: Links, context: Mapping[str, str], digest: Digest
    ) -> tuple[bytes, bytes]:
        """The plain-text and HTML bodies in UTF-8."""
        text: list[bytes] = []
        html: list[bytes] = []
        plain_values = {k: self._value(v, False, k not in _PER_MESSAGE) for k, v in context.items()}
        html_values = {k: self._value(v, True, k not in _PER_MESSAGE) for k, v in context.items()}
        self.utf8[False]["head"].extend(text, plain_values)
        self.utf8[True]["head"].extend(html, html_values)
        known_plain, known_html = self.values[False], self.values[True]
        rated = bool(context["rate_url"])
        plain_rate, html_rate = plain_values["rate_url"], html_values["rate_url"]
        section, more = "", bool(context["more_url"])
        after = section_more(links, digest)
        for n, item in enumerate(digest.items, 1):
            if more and item.section and not section:  # after the picked papers
                self._more(text, html, plain_values, html_values)
            if item.section and item.section != section:
                self._section(item.section, text, html)
            section = item.section
            text_part, html_part = self._paper(links, item, rated)
            why = item.why
            plain_why = known_plain.get(("why", why)) or self._why_text(why)
            html_why = known_html.get(why) or self._value(why, True)
            index = known_plain.get(n) or self._value(n, False)  # digits: the same in HTML
            values = {"index": index, "item.why_text": plain_why, "rate_url": plain_rate}
            text_part.extend(text, values)
            html_part.extend(html, {"index": index, "item.why": html_why, "rate_url": html_rate})
            for line in after.get(n - 1, ()):  # a followed collection's "and N more"
                plain = {k: self._value(v, False, False) for k, v in line.items()}
                self._more(
                    text, html, plain, {k: self._value(v, True, False) for k, v in line.items()}
                )
        if more and not (digest.items and digest.items[-1].section):
            self._more(text, html, plain_values, html_values)
        for line in after.get(-1, ()):  # no papers: the followed collections' new versions
            plain = {k: self._value(v, False, False) for k, v in line.items()}
            self._more(text, html, plain, {k: self._value(v, True, False) for k, v in line.items()})
        self.utf8[False]["foot"].extend(text, plain_values)
        self.utf8[True]["foot"].extend(html, html_values)
        return b"".join(text), b"".join(html)

    def _more(
        self,
        text: list[bytes],
        html: list[bytes],
        plain: Mapping[str, bytes],
        marked: Mapping[str, bytes],
    ) -> None:
        # The "and N more" line (its values escaped with the message's head and foot).
        self.utf8[False]["more"].extend(text, plain)
        self.utf8[True]["more"].extend(html, marked)

    def _section(self, section: str, text: list[bytes], html: list[bytes]) -> None:
        # A heading before the papers of a section (its words escaped as the template would).
        heading = section_text(section)
        self.utf8[False]["section"].extend(text, {"section_text": self._value(heading, False)})
        self.utf8[True]["section"].extend(html, {"section": self._value(section, True)})

    def _why_text(self, why: str) -> bytes:
        # The wrapped "Why:" line in UTF-8, once per distinct reason a run.
        out = self.values[False][("why", why)] = why_text(why).encode("utf-8")
        return out

    def _value(self, value: object, autoescape: bool, keep: bool = True) -> bytes:
        # A slot's value in UTF-8, escaped as Jinja's autoescape does for HTML; once per
        # distinct value that repeats between messages.
        known = self.values[autoescape]
        out = known.get(value)
        if out is None:
            out = (str(escape(value)) if autoescape else str(value)).encode("utf-8")
            if keep:
                known[value] = out
        return out

    def _paper(self, links: Links, item: DigestItem, rated: bool) -> tuple[_Utf8, _Utf8]:
        # Digests share their item objects (compose makes one per pick): the object's own
        # parts are found by identity first (the entry keeps the object, so its id stays its
        # own), by content otherwise.
        seen = self.items.get((id(item), rated))
        if seen is not None and seen[0] is item and seen[1] == links.base_url:
            return seen[2]
        key = (
            links.base_url, item.paper_id, item.title, item.authors, item.category, item.snippet,
            item.note, item.extras,
        )  # fmt: skip
        part = "rated" if rated else "item"
        pair = self.papers.get((*key, rated))
        if pair is None:
            view = {f"item.{k}": v for k, v in _view(links, item).items()}
            pair = (
                _Utf8.of(self.parts[False][part].filled(view)),
                _Utf8.of(self.parts[True][part].filled(view)),
            )
            self.papers[(*key, rated)] = pair
        if len(self.items) >= _ITEMS_KEPT:  # they are kept alive here: memory stays bounded
            self.items.clear()
        self.items[(id(item), rated)] = (item, links.base_url, pair)
        return pair


def render_confirmation(
    settings: Settings,
    links: Links,
    email: str,
    already: bool,
    now: datetime,
    digests: bool = True,
) -> Mail:
    """The double opt-in mail, or (for a confirmed address) a link to its preferences.

    Without `digests` the address asks for community notices only (frequency "none").
    """
    subject = "paperfeed: your subscription" if already else "Confirm your paperfeed subscription"
    if not digests and not already:
        subject = "Confirm your paperfeed email address"
    text, html = render_pair(
        "confirm",
        subject=subject,
        already=already,
        digests=digests,
        confirm_url=links.token_url("/confirm", "confirm"),
        manage_url=links.token_url("/preferences", "manage"),
        days=MAX_AGE["confirm"].days,
    )
    return build_message(settings, email, subject, wrapped(text), html, now, None)


@dataclass(frozen=True)
class Mail:
    """A message ready for the outbox: its Message-ID, header lines, MIME boundary and two
    bodies (plain text and HTML, UTF-8); `wire` is its text as sent (ASCII, MIME), made
    when first asked for (the outbox keeps the `packed` form and makes it at sending)."""

    message_id: str
    head: str
    boundary: str
    bodies: tuple[bytes, bytes]

    @functools.cached_property
    def wire(self) -> str:
        """The message as sent."""
        return mailwire.wire(self.head, self.boundary, self.bodies)

    def packed(self) -> bytes:
        """The message as the outbox keeps it."""
        return mailwire.pack(self.head, self.boundary, self.bodies)

    def parsed(self) -> EmailMessage:
        """The message parsed back (for previews and checks)."""
        return message_from_string(self.wire, policy=policy.default)


def build_message(
    settings: Settings,
    to: str,
    subject: str,
    text: str,
    html: str,
    now: datetime,
    unsubscribe_url: str | None,
) -> Mail:
    """A multipart/alternative message; header values with line breaks are refused.

    Written out directly rather than through `email.message`, which is ~20x slower and
    dominated the cost of a 100k-subscriber run.
    """
    utf8 = text.encode("utf-8"), html.encode("utf-8")
    return _assemble(settings, to, subject, utf8, now, unsubscribe_url)


def _assemble(
    settings: Settings,
    to: str,
    subject: str,
    bodies: tuple[bytes, bytes],  # the plain-text and HTML bodies in UTF-8
    now: datetime,
    unsubscribe_url: str | None,
) -> Mail:
    message_id = make_msgid("digest", domain=sender_domain(settings))
    headers = [
        ("From", _from_header(settings.mail_from)),
        ("To", to),
        ("Subject", _encoded(subject)),
        ("Date", _date(now)),
        ("Message-ID", message_id),
        ("Auto-Submitted", "auto-generated"),
    ]
    if unsubscribe_url:
        headers += [
            ("List-Unsubscribe", f"<{unsubscribe_url}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ("Precedence", "bulk"),  # an automatic mailing: out-of-office replies skip it
        ]
    boundary = f"=_pf_{secrets.token_hex(12)}"
    headers += [
        ("MIME-Version", "1.0"),
        ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
    ]
    head = _CRLF.join(f"{name}: {_folded(name, _checked(value))}" for name, value in headers)
    return Mail(message_id, head, boundary, bodies)


def _checked(value: str) -> str:
    # The one guard against header injection: no header value may start a new line.
    if "\r" in value or "\n" in value or not value.isascii():
        raise ValueError(f"refusing a header value with a line break or raw non-ASCII: {value!r}")
    return value


_FOLD = "\r\n "
_LINE = 78  # RFC 5322's recommended longest header line, CRLF not counted


def _folded(name: str, value: str) -> str:
    """A header value folded at its spaces so no line passes 78 characters where it can."""
    if len(name) + 2 + len(value) <= _LINE or " " not in value:
        return value  # most headers, and each digest's own unsubscribe and message ids
    return _fold(name, value)


@lru_cache(maxsize=4096)  # long subjects repeat within a run
def _fold(name: str, value: str) -> str:
    lines: list[str] = []
    line = ""
    width = _LINE - len(name) - 2  # the first line holds "Name: " too
    for word in value.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line, width = word, _LINE - 1  # a continuation line starts with its space
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return _FOLD.join(lines)


@lru_cache(maxsize=4096)  # a run's subjects repeat (same lead paper, same count)
def _encoded(text: str) -> str:
    """A header value as RFC 2047 encoded-words when it is not plain ASCII."""
    if "\r" in text or "\n" in text:
        raise ValueError(f"refusing a header value with a line break: {text!r}")
    if text.isascii():
        return text
    # 11 characters are at most 44 UTF-8 bytes: each encoded-word stays under 75 characters.
    words = (text[i : i + 11].encode() for i in range(0, len(text), 11))
    return " ".join(f"=?utf-8?b?{base64.b64encode(w).decode()}?=" for w in words)


def _date(now: datetime) -> str:
    # Keyed by its text, offset included: equal instants in two time zones are equal
    # datetimes, and their Date headers differ.
    return _date_of(now.isoformat())


@lru_cache(maxsize=4)
def _date_of(iso: str) -> str:
    return format_datetime(datetime.fromisoformat(iso))


@lru_cache(maxsize=4)
def _from_header(mail_from: str) -> str:
    name, address = parseaddr(mail_from)
    if not address or "\n" in mail_from or "\r" in mail_from:
        raise ValueError(f"PAPERFEED_MAIL_FROM is not an address: {mail_from!r}")
    return formataddr((name, address), charset="utf-8")


def _base64_lines(body: str) -> str:
    """The body in base64, in lines of 76 characters (RFC 2045) each ending in CRLF."""
    return mailwire.base64_block(body.encode("utf-8"))


def sender_domain(settings: Settings) -> str:
    """The domain of the From address (Message-IDs use it)."""
    address = sender_address(settings)
    return address.rsplit("@", 1)[-1] if "@" in address else "localhost"


def sender_address(settings: Settings) -> str:
    """The bare envelope sender."""
    return _address(settings.mail_from)


@lru_cache(maxsize=4)
def _address(mail_from: str) -> str:
    return parseaddr(mail_from)[1] or "paperfeed@localhost"
