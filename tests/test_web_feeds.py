"""Atom and RSS feeds and BibTeX for every listing, on SQLite and PostgreSQL; BibTeX invariants."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from xml.etree import ElementTree as ET

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from paperfeed.latex import plain
from paperfeed.models import Paper, Version
from paperfeed.settings import Settings
from paperfeed.web import bibtex, views
from paperfeed.web.feeds import DAY_FEED_SIZE, render_listing
from paperfeed.web.periods import day_period
from paperfeed.web.render import author_slug
from tests.web_support import (
    DAYS,
    HOSTILE,
    HOSTILE_ID,
    client,
    on_day,
    post_form,
    sign_up,
    stored,
)

ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"


def _atom_ids(body: str) -> list[str]:
    root = ET.fromstring(body)
    assert root.tag == f"{ATOM}feed"
    return [e.findtext(f"{ATOM}id", "").rsplit("/papers/", 1)[1] for e in root.iter(f"{ATOM}entry")]


def test_daily_feeds_in_atom_and_rss(site: Settings, engine: Engine) -> None:
    day = DAYS[1]
    with client(site, engine) as c:
        atom = c.get(f"/feeds/daily.atom?date={day.isoformat()}")
        rss = c.get(f"/feeds/daily.rss?date={day.isoformat()}")
        newest = c.get("/feeds/daily.atom")
    assert atom.headers["content-type"].startswith("application/atom+xml")
    assert set(_atom_ids(atom.text)) == set(on_day(engine, day))
    assert set(_atom_ids(newest.text)) == set(on_day(engine, max(DAYS)))
    items = ET.fromstring(rss.text).findall("./channel/item")
    assert {i.findtext("guid", "").rsplit("/papers/", 1)[1] for i in items} == set(
        on_day(engine, day)
    )


def _expected_when(paper: Paper) -> datetime:
    """The date a feed gives a paper: its last update, else first publication or sighting."""
    when = paper.updated or paper.published or paper.first_seen
    assert when is not None, paper.id
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def test_a_known_feed_reads_the_same_in_atom_and_rss(site: Settings, engine: Engine) -> None:
    day, base = DAYS[1], site.public_url.rstrip("/")
    period = day_period(day)
    with engine.connect() as conn:
        papers = [c.paper for c in views.daily(conn, period, 1, DAY_FEED_SIZE, None).cards]
    with client(site, engine) as c:
        atom = ET.fromstring(c.get(f"/feeds/daily.atom?date={day}").content)
        rss = ET.fromstring(c.get(f"/feeds/daily.rss?date={day}").content)
    title = f"Daily papers · {period.heading} · paperfeed"
    links = {link.get("rel"): link.get("href") for link in atom.findall(f"{ATOM}link")}
    assert atom.findtext(f"{ATOM}title") == title
    assert links == {"self": f"{base}/feeds/daily.atom?date={day}", "alternate": base + period.path}
    channel = rss.find("channel")
    assert channel is not None and channel.findtext("title") == title
    assert channel.findtext("link") == base + period.path
    rss_self = channel.find(f"{ATOM}link[@rel='self']")
    assert rss_self is not None and rss_self.get("href") == f"{base}/feeds/daily.rss?date={day}"

    entries, items = atom.findall(f"{ATOM}entry"), channel.findall("item")
    assert len(papers) == len(entries) == len(items) > 3  # the same papers, in the listing's order
    for paper, entry, item in zip(papers, entries, items, strict=True):
        url = f"{base}/papers/{paper.id}"
        assert entry.findtext(f"{ATOM}id") == item.findtext("guid") == item.findtext("link") == url
        assert entry.findtext(f"{ATOM}title") == item.findtext("title") == plain(paper.title)
        links = {link.get("rel"): link.get("href") for link in entry.findall(f"{ATOM}link")}
        assert links == {"alternate": url, "related": paper.abs_url}
        updated = datetime.fromisoformat(entry.findtext(f"{ATOM}updated", ""))
        published = parsedate_to_datetime(item.findtext("pubDate", ""))
        assert updated == _expected_when(paper)
        assert published == updated.replace(microsecond=0)  # RFC 822 dates stop at seconds
        names = [a.findtext(f"{ATOM}name") for a in entry.findall(f"{ATOM}author")]
        assert names == list(paper.authors)


def test_untrusted_text_in_feeds_is_escaped_text(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        atom = c.get("/feeds/daily.atom?date=2026-06-25").text
        rss = c.get("/feeds/daily.rss?date=2026-06-25").text
    entry = next(
        e
        for e in ET.fromstring(atom).iter(f"{ATOM}entry")
        if e.findtext(f"{ATOM}id", "").endswith(HOSTILE_ID)
    )
    assert entry.findtext(f"{ATOM}title") == HOSTILE.title  # kept as text, not markup
    assert entry.find(f"{ATOM}summary").get("type") == "text"  # type: ignore[union-attr]
    assert "<script>" not in atom and "<script>" not in rss


def test_every_listing_has_a_feed_autodiscovery_link_that_works(
    site: Settings, engine: Engine
) -> None:
    author = HOSTILE.authors[0]
    pages = [
        "/",
        "/papers/date/2026-06-24",
        "/papers/week/2026-W26",
        "/papers/month/2026-06",
        "/trending",
        "/categories/cs.CR",
        f"/authors/{author_slug(author)}",
        "/search?q=attention&mode=keyword",
    ]
    link = re.compile(
        r'<link rel="alternate" type="application/atom\+xml" title="[^"]*" href="([^"]+)">'
    )
    with client(site, engine) as c:
        for page in pages:
            match = link.search(c.get(page).text)
            assert match, page
            feed = c.get(match[1].replace("&amp;", "&"))
            assert feed.status_code == 200 and ET.fromstring(feed.text).tag == f"{ATOM}feed", page


def test_category_author_search_and_trending_feeds(site: Settings, engine: Engine) -> None:
    papers = stored(engine)
    author = HOSTILE.authors[0]
    with client(site, engine) as c:
        category = _atom_ids(c.get("/feeds/category/cs.CR.atom").text)
        by_author = _atom_ids(c.get(f"/feeds/author/{author_slug(author)}.atom").text)
        search = _atom_ids(c.get("/feeds/search.atom?q=attention+enough&mode=keyword").text)
        trending = _atom_ids(c.get("/feeds/trending.atom").text)
        assert c.get("/feeds/category/zz.ZZ.atom").status_code == 404
        assert c.get("/feeds/category/cs.CR.pdf").status_code == 404
        assert c.get("/feeds/author/nobody-here.rss").status_code == 404
        assert c.get("/feeds/search.atom").status_code == 400
    assert set(category) == {p.id for p in papers.values() if "cs.CR" in p.categories}
    assert by_author == [HOSTILE_ID]
    assert HOSTILE_ID in search
    assert set(trending) == set(papers)


def test_bibtex_for_one_paper_and_for_lists(site: Settings, engine: Engine) -> None:
    day = DAYS[0]
    expected = on_day(engine, day)
    paper = next(iter(expected.values()))
    with client(site, engine) as c:
        one = c.get(f"/papers/{paper.id}/bibtex")
        day_list = c.get(f"/feeds/daily.bib?date={day.isoformat()}").text
        search = c.get("/feeds/search.bib?q=attention+enough&mode=keyword").text
        assert c.get("/papers/9999.99999/bibtex").status_code == 404
    assert one.headers["content-type"].startswith("application/x-bibtex")
    assert one.text.startswith("@misc{") and f"eprint        = {{{paper.id}}}" in one.text
    keys = re.findall(r"^@misc\{([^,]+),", day_list, re.M)
    assert len(keys) == len(set(keys)) == len(expected)
    assert {m for m in re.findall(r"eprint\s+= \{([^}]+)\}", day_list)} == set(expected)
    assert f"eprint        = {{{HOSTILE_ID}}}" in search


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


@given(
    title=st.text(min_size=1, max_size=80),
    authors=st.lists(st.text(min_size=1, max_size=20), max_size=4),
    comment=st.text(max_size=40),
)
def test_bibtex_entries_are_always_well_formed(
    title: str, authors: list[str], comment: str
) -> None:
    paper = Paper(
        id="2401.00001",
        title=title,
        authors=tuple(authors),
        journal_ref=comment or None,
        versions=(Version(1),),
    )
    text = bibtex.entry(paper)
    assert _balanced(text)
    assert not re.search(r"(?<!\\)[%&#]", text)
    kind = "article" if comment else "misc"  # a journal reference makes it an article
    key = re.match(rf"@{kind}\{{([^,]*),\n", text)
    assert key and re.fullmatch(r"[a-z0-9]+", key[1])
    assert text.endswith("\n}\n")


def test_bibtex_keys_are_unique_within_a_list() -> None:
    twin = Paper(id="2401.00001", title="Deep Learning", authors=("Ada Lovelace",))
    keys = re.findall(r"@misc\{([^,]+),", bibtex.entries([twin] * 30))
    assert len(set(keys)) == 30


def test_xml_forbidden_characters_never_break_a_feed(site: Settings, engine: Engine) -> None:
    from paperfeed.store import upsert_papers

    odd = Paper(
        id="2606.99998",
        title="Forbidden \ufffe characters\uffff here\x1b\x0b",
        abstract="An abstract with \ufffe and \uffff and \x07 in it.",
        authors=("Zed \uffffForbidden",),
        categories=("cs.CR",),
        listing_date=DAYS[1],
        source="test",
    )
    with engine.begin() as conn:  # stored as an older store may hold it, before ingest cleaned
        upsert_papers(conn, [odd])
    paths = [
        f"/feeds/daily.{{}}?date={DAYS[1].isoformat()}",
        "/feeds/author/zed-forbidden.{}",
        "/feeds/category/cs.CR.{}",
        "/feeds/search.{}?q=forbidden+characters&mode=keyword",
    ]
    with client(site, engine) as c:
        bodies = [c.get(p.format(fmt)) for p in paths for fmt in ("atom", "rss")]
    for body in bodies:
        assert body.status_code == 200, body.url
        root = ET.fromstring(body.content)  # expat refuses U+FFFE, U+FFFF and controls
        titles = [
            " ".join(t.text.split())
            for t in root.iter()
            if t.tag in (f"{ATOM}title", "title") and t.text
        ]
        assert "Forbidden characters here" in titles, body.url


_FIELDS = {"title", "author", "year", "eprint", "archivePrefix", "primaryClass", "url"}


def _parsed_fields(text: str) -> dict[str, str]:
    import bibtexparser

    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks and not library.preambles and not library.strings
    assert len(library.entries) == 1, text
    return {f.key: f.value for f in library.entries[0].fields}


def test_bibtex_injection_through_a_category_stays_inside_its_field() -> None:
    paper = Paper(
        id="2401.00001",
        title="x}, note = {pwned",
        authors=("A} and B",),
        categories=('cs.AI},note={x}}@preamble{"evil"}',),
        doi="10.1/}x",
        journal_ref="}}}@misc{y,",
    )
    fields = _parsed_fields(bibtex.entry(paper))
    assert set(fields) == _FIELDS | {"doi", "journal"}  # no "note", no second entry
    assert fields["primaryClass"].startswith("cs.AI") and "@preamble" in fields["primaryClass"]


@given(
    title=st.text(min_size=1, max_size=60),
    author=st.text(min_size=1, max_size=20),
    category=st.text(min_size=1, max_size=40),
    doi=st.text(min_size=1, max_size=30),
    journal=st.text(min_size=1, max_size=30),
)
def test_no_field_can_close_early(
    title: str, author: str, category: str, doi: str, journal: str
) -> None:
    paper = Paper(
        id="2401.00001",
        title=title,
        authors=(author,),
        categories=(category,),
        doi=doi,
        journal_ref=journal,
    )
    fields = _parsed_fields(bibtex.entry(paper))
    assert _FIELDS <= set(fields) <= _FIELDS | {"doi", "journal"}


def test_the_latest_day_feed_keeps_an_undated_self_link(site: Settings, engine: Engine) -> None:
    base, newest = site.public_url.rstrip("/"), max(DAYS).isoformat()
    with client(site, engine) as c:
        latest = ET.fromstring(c.get("/feeds/daily.atom").content)
        dated = ET.fromstring(c.get(f"/feeds/daily.atom?date={newest}").content)
        rss = ET.fromstring(c.get("/feeds/daily.rss").content)
    assert _self_link(latest) == f"{base}/feeds/daily.atom"  # a reader adopting it keeps up
    assert _self_link(dated) == f"{base}/feeds/daily.atom?date={newest}"
    assert _self_link(rss) == f"{base}/feeds/daily.rss"


def _self_link(root: ET.Element) -> str | None:
    link = root.find(f".//{ATOM}link[@rel='self']")
    return None if link is None else link.get("href")


def test_the_latest_day_pages_advertise_the_feed_that_follows_it(
    site: Settings, engine: Engine
) -> None:
    newest = max(DAYS).isoformat()
    with client(site, engine) as c:
        pages = {path: c.get(path).text for path in ("/", "/daily", f"/papers/date/{newest}")}
    for path in ("/", "/daily"):
        assert 'href="/feeds/daily.atom"' in pages[path], path  # rel=alternate and visible
        assert 'href="/feeds/daily.rss"' in pages[path], path
        assert "/feeds/daily.atom?date=" not in pages[path], path
    assert f'href="/feeds/daily.atom?date={newest}"' in pages[f"/papers/date/{newest}"]


class _Html(HTMLParser):
    """What a feed reader shows of an HTML description: its text, and the tags it obeys."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text, self.tags = "", list[str]()
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text += data


def test_rss_descriptions_are_html_that_shows_the_text(site: Settings, engine: Engine) -> None:
    from paperfeed.store import upsert_papers

    brackets = Paper(
        id="2606.99997",
        title="Ontology triples",
        abstract="Each triple <O, classify, {inst}>: the token <part_k>; and <b>bold</b> & more.",
        authors=("Ada <b>Lovelace</b>", "Alan Turing"),
        categories=("cs.AI",),
        listing_date=DAYS[1],
        source="test",
    )
    with engine.begin() as conn:
        upsert_papers(conn, [brackets])
    with client(site, engine) as c:
        rss = ET.fromstring(c.get(f"/feeds/daily.rss?date={DAYS[1]}").content)
    items = {i.findtext("guid", "").rsplit("/papers/", 1)[1]: i for i in rss.iter("item")}
    for pid, paper in [(brackets.id, brackets), (HOSTILE_ID, HOSTILE)]:
        shown = _Html(items[pid].findtext("description", ""))
        assert shown.text == plain(paper.abstract) and set(shown.tags) <= {"p"}, pid
        creators = [e.text for e in items[pid].findall(f"{DC}creator")]
        assert creators == list(paper.authors), pid


def test_an_rss_channel_description_shows_its_name_as_text() -> None:
    name = "Reading group, 2026 <b>&</b>"
    listing = views.Listing(name, [], 0, 1, 10, "/c/key", "/c/key/feed")
    rss = ET.fromstring(render_listing(listing, "rss", "http://example.org"))
    atom = ET.fromstring(render_listing(listing, "atom", "http://example.org"))
    shown = _Html(rss.findtext("channel/description", ""))
    assert shown.text == f"{name} on paperfeed" and set(shown.tags) <= {"p"}
    assert atom.findtext(f"{ATOM}subtitle") == f"{name} on paperfeed"  # Atom: text as it is


def test_a_search_feed_and_export_list_what_the_search_page_lists(
    site: Settings, engine: Engine
) -> None:
    papers, day = stored(engine), DAYS[1].isoformat()
    filters = f"q=model&mode=keyword&since={day}&until={day}"
    with client(site, engine) as c:
        everywhere = _atom_ids(c.get("/feeds/search.atom?q=model&mode=keyword").text)
        page = c.get(f"/search?{filters}&sort=date").text
        links = dict(re.findall(r'href="(/feeds/search\.(atom|rss|bib)\?[^"]+)"', page))
        feeds = {fmt: c.get(html.unescape(link)).text for link, fmt in links.items()}
        by_category = _atom_ids(c.get(f"/feeds/search.atom?{filters}&category=cs.it").text)
        reversed_dates = c.get(f"/feeds/search.atom?q=model&since={day}&until=2026-06-01")
    expected = {p for p in everywhere if papers[p].listing_date == DAYS[1]}
    assert len(everywhere) > len(expected) > 1  # the filter leaves some out
    shown = set(re.findall(r'href="/papers/(\d{4}\.\d{5})"', page))
    assert shown == expected  # (the whole range fits one page)
    assert set(_atom_ids(feeds["atom"])) == expected
    rss_items = ET.fromstring(feeds["rss"]).iter("item")
    assert {i.findtext("guid", "").rsplit("/papers/", 1)[1] for i in rss_items} == expected
    assert set(re.findall(r"eprint\s+= \{([^}]+)\}", feeds["bib"])) == expected
    assert set(by_category) == {p for p in expected if "cs.IT" in papers[p].categories} != set()
    assert reversed_dates.status_code == 400 and "Swap the dates" in reversed_dates.text


def test_a_collections_feed_dates_entries_by_when_they_were_put_in_it() -> None:
    old = Paper(id="hep-th/9711200", title="Large N", updated=datetime(2008, 11, 26))
    newer = Paper(id="2606.00001", title="Recent", updated=datetime(2026, 6, 28, 8))
    added = {old.id: datetime(2026, 12, 4, 9, 30), newer.id: datetime(2026, 6, 20)}
    cards = [views.Card(old, 0), views.Card(newer, 0)]  # newest addition first
    listing = views.Listing("Reading group", cards, 2, 1, 2, "/c/key", "/c/key/feed")
    atom = ET.fromstring(render_listing(listing, "atom", "http://x", added=added))
    rss = ET.fromstring(render_listing(listing, "rss", "http://x", added=added))
    entries, items = atom.findall(f"{ATOM}entry"), rss.findall("channel/item")

    def at(text: str | None) -> datetime:
        return datetime.fromisoformat(text or "")

    put_in = added[old.id].replace(tzinfo=UTC)
    assert at(atom.findtext(f"{ATOM}updated")) == put_in  # readers see something new
    assert at(entries[0].findtext(f"{ATOM}updated")) == put_in
    assert at(entries[0].findtext(f"{ATOM}published")) == put_in
    assert parsedate_to_datetime(items[0].findtext("pubDate", "")) == put_in
    # A paper revised after it was put in the collection is dated by its revision.
    assert at(entries[1].findtext(f"{ATOM}updated")) == datetime(2026, 6, 28, 8, tzinfo=UTC)
    assert at(entries[1].findtext(f"{ATOM}published")) == datetime(2026, 6, 20, tzinfo=UTC)


def test_an_empty_days_feed_is_dated_that_day(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        atom = ET.fromstring(c.get("/feeds/daily.atom?date=2026-06-21").content)
        week = ET.fromstring(c.get("/feeds/daily.atom?week=2026-W20").content)
    assert atom.find(f"{ATOM}entry") is None
    assert atom.findtext(f"{ATOM}updated") == "2026-06-21T00:00:00+00:00"
    assert week.findtext(f"{ATOM}updated") == "2026-05-11T00:00:00+00:00"  # its Monday


def _public_collection(c: TestClient, engine: Engine, ids: list[str]) -> str:
    """A signed-in reader's public collection of these papers, put in it in this order: its
    share key."""
    from paperfeed.store.library import user_collections

    sign_up(c, "curator")
    for pid in ids:
        post_form(c, f"/papers/{pid}/save", {"collection": "Reading group"})
    with engine.connect() as conn:
        (col,) = user_collections(conn, 1)
    post_form(c, f"/collections/{col.id}/edit", {"name": col.name, "visibility": "public"})
    return col.share_key


def test_a_paper_put_in_a_collection_is_new_in_its_feed(site: Settings, engine: Engine) -> None:
    from paperfeed.store import upsert_papers

    old = Paper(id="hep-th/9711200", title="Large N", updated=datetime(2008, 11, 26))
    with engine.begin() as conn:
        upsert_papers(conn, [old])
    with client(site, engine) as c, client(site, engine) as visitor:
        key = _public_collection(c, engine, [*sorted(on_day(engine, DAYS[2]))[:2], old.id])
        atom = ET.fromstring(visitor.get(f"/c/{key}/feed.atom").content)
    first = atom.findall(f"{ATOM}entry")[0]
    assert first.findtext(f"{ATOM}id", "").endswith(old.id)
    added = datetime.fromisoformat(first.findtext(f"{ATOM}updated", ""))
    assert added > datetime(2026, 6, 26, tzinfo=UTC)  # not the paper's 2008
    assert atom.findtext(f"{ATOM}updated") == first.findtext(f"{ATOM}updated")


def test_collection_and_discussion_feeds_have_validators(site: Settings, engine: Engine) -> None:
    pid = sorted(on_day(engine, DAYS[2]))[0]
    with client(site, engine) as c, client(site, engine) as visitor:
        key = _public_collection(c, engine, [pid])
        paths = [f"/c/{key}/feed.atom", f"/feeds/papers/{pid}/comments.rss"]
        for path in paths:
            tag = visitor.get(path).headers.get("etag")
            again = visitor.get(path, headers={"If-None-Match": tag or "none"})
            assert tag and again.status_code == 304, path
            assert again.headers["cache-control"].startswith("public"), path


def test_a_category_feed_answers_in_any_case(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        lower = c.get("/feeds/category/cs.cr.atom", follow_redirects=False)
        paged = c.get("/feeds/category/CS.CR.rss?page=2", follow_redirects=False)
        followed = _atom_ids(c.get("/feeds/category/cs.cr.atom").text)
        canonical = _atom_ids(c.get("/feeds/category/cs.CR.atom").text)
        assert c.get("/feeds/category/zz.zz.atom").status_code == 404
    assert lower.status_code == 301 and lower.headers["location"] == "/feeds/category/cs.CR.atom"
    assert paged.headers["location"] == "/feeds/category/cs.CR.rss?page=2"
    assert followed == canonical != []


def test_a_personal_feeds_reasons_read_as_plain_text_as_its_titles_do() -> None:
    paper = Paper(id="2606.00002", title="Codes $RM(7,14)$", abstract="About $\\alpha$ codes.")
    listing = views.Listing("For you", [views.Card(paper, 0)], 1, 1, 50, "/for-you", "/f/x")
    why = {paper.id: "close to “On the Weight Spectrum of $RM(7,14)$” in your library"}
    atom = ET.fromstring(render_listing(listing, "atom", "http://x", why))
    summary = atom.findtext(f"{ATOM}entry/{ATOM}summary", "")
    assert summary.startswith(f"Why: close to “On the Weight Spectrum of {plain('$RM(7,14)$')}”")
    assert "$" not in summary


def test_a_discussion_feed_is_titled_in_plain_text_as_other_feeds(
    site: Settings, engine: Engine
) -> None:
    from paperfeed.store import upsert_papers

    paper = Paper(id="2606.20282", title="U$^2$Mamba: a $\\mathcal{U}$-shaped model")
    with engine.begin() as conn:
        upsert_papers(conn, [paper])
    with client(site, engine) as c:
        atom = ET.fromstring(c.get(f"/feeds/papers/{paper.id}/comments.atom").content)
    assert atom.findtext(f"{ATOM}title") == f"Discussion: {plain(paper.title)} · paperfeed"
    assert "$" not in plain(paper.title)
