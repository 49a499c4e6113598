"""What a digest says: its subject, preview, heading, papers and "and N more" lines."""

from __future__ import annotations

from urllib.parse import quote

from markupsafe import Markup

from paperfeed.digest.compose import Digest, DigestItem
from paperfeed.digest.extras import extras_html, extras_text
from paperfeed.digest.render.links import RATE_PATH, Links
from paperfeed.digest.render.wrapping import _lines, _title_text
from paperfeed.latex import plain
from paperfeed.markup import absolute_links, maths_as_text, plain_text, render_markdown


def digest_subject(digest: Digest) -> str:
    """The subject line: how many papers and the lead title."""
    n = len(digest.items)
    head = plain(digest.items[0].title) if digest.items else _revised_head(digest)
    lead = head if len(head) <= 70 else head[:69].rstrip() + "…"
    kind = "Weekly" if digest.subscriber.prefs.frequency == "weekly" else "Daily"
    return f"{kind} papers: {lead}" + (f" (+{n - 1} more)" if n > 1 else "")


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
