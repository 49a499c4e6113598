"""A digest run's renderer: each message assembled from parts rendered once a run."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from markupsafe import escape

from paperfeed.digest.compose import Digest, DigestItem
from paperfeed.digest.render.content import (
    _heading,
    _more,
    _revised_head,
    _token_links,
    _view,
    digest_preheader,
    digest_subject,
    section_more,
)
from paperfeed.digest.render.links import Links
from paperfeed.digest.render.message import Mail, _assemble
from paperfeed.digest.render.skeleton import _PARTS, _Skeleton, _Utf8
from paperfeed.digest.render.wrapping import section_text, why_text
from paperfeed.settings import Settings

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
