"""A shared collection's link pasted in a chat or a social site: the card it unfurls into."""

from __future__ import annotations

from html.parser import HTMLParser

from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store.library import user_collections
from tests.web_support import DAYS, client, on_day, post_form, sign_up

DESCRIPTION = """## Accepted papers of EVL 2026

Programme at [the workshop site](https://example.org/evl). <script>alert('x')</script>

| Session | Time |
|---|---|
| Oral 1 | 09:00 |
"""


class _Meta(HTMLParser):
    """The page's meta tags by name or property, as a link preview reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        key = found.get("name") or found.get("property")
        if tag == "meta" and key:
            self.meta.setdefault(key, []).append(found.get("content") or "")


def _meta(html: str) -> dict[str, list[str]]:
    page = _Meta()
    page.feed(html)
    return page.meta


def test_a_shared_collections_link_unfurls_into_its_name_and_description(
    site: Settings, engine: Engine
) -> None:
    """A workshop's accepted papers, pasted in a chat, showed as the site's own blurb ("Research
    papers of each day…") with no card title: it now says the collection's name and its
    description as text, markup in it inert."""
    first, second = sorted(on_day(engine, DAYS[0]))[:2]
    with client(site, engine) as c:
        sign_up(c, "organiser")
        for pid, name in ((first, "EVL 2026 accepted"), (second, "Reading group")):
            post_form(c, f"/papers/{pid}/save", {"collection": name, "next": "/library"})
        with engine.connect() as conn:
            evl, group = sorted(user_collections(conn, 1), key=lambda col: col.name)
        form = {"name": evl.name, "description": DESCRIPTION, "visibility": "public"}
        post_form(c, f"/collections/{evl.id}/edit", form)
        post_form(c, f"/collections/{group.id}/edit", {"name": group.name, "visibility": "public"})
    with client(site, engine) as stranger:
        html = stranger.get(f"/c/{evl.share_key}").text
        bare = _meta(stranger.get(f"/c/{group.share_key}").text)
    meta = _meta(html)
    assert meta["og:title"] == meta["twitter:title"] == ["EVL 2026 accepted"]
    assert meta["og:type"] == ["website"] and meta["twitter:card"] == ["summary"]
    assert meta["og:url"] == [f"{site.public_url}/c/{evl.share_key}"]
    said = meta["og:description"][0]
    assert said.startswith("Accepted papers of EVL 2026 Programme at the workshop site")
    assert meta["description"] == meta["og:description"]
    assert "<script>alert" not in html  # text in the attribute, escaped: nothing runs
    assert bare["og:description"] == ["1 paper collected by organiser on paperfeed"]
    assert bare["og:title"] == ["Reading group"]
