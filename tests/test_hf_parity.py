"""What a reader coming from Hugging Face Papers and a feed reader expects of pages and feeds."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from xml.etree import ElementTree as ET

from sqlalchemy import Engine

from paperfeed.models import Signals
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.store.accounts import create_user
from paperfeed.store.community import add_comment, delete_comment
from paperfeed.web.periods import day_period
from tests.web_support import (
    DAYS,
    HOSTILE,
    HOSTILE_ID,
    PER_DAY,
    client,
    on_day,
    post_form,
    sign_up,
)

ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"


class _Alternates(HTMLParser):
    """The `<link rel="alternate">` feeds a page's head announces."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "link" and found.get("rel") == "alternate" and "type" in found:
            self.links.append(found)


def _alternates(page: str) -> dict[str, dict[str, str]]:
    parser = _Alternates()
    parser.feed(page)
    return {link["type"]: link for link in parser.links}


def test_a_paper_page_announces_its_discussion_feed(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        page = c.get(f"/papers/{HOSTILE_ID}")
        found = _alternates(page.text)
        atom = found["application/atom+xml"]
        rss = found["application/rss+xml"]
        assert atom["href"] == f"/feeds/papers/{HOSTILE_ID}/comments.atom"
        assert rss["href"] == f"/feeds/papers/{HOSTILE_ID}/comments.rss"
        assert atom["title"].startswith("Discussion: Attention <script>")  # text, once unescaped
        assert "<script>" not in page.text.split("</head>")[0]
        for link in (atom, rss):
            feed = c.get(link["href"])
            assert feed.status_code == 200
            assert feed.headers["content-type"].startswith(link["type"])


def test_the_feed_that_follows_the_newest_day_has_a_name_without_a_date(
    site: Settings, engine: Engine
) -> None:
    newest, older = max(DAYS), min(DAYS)
    heading = day_period(newest).heading
    with client(site, engine) as c:
        home = _alternates(c.get("/").text)["application/atom+xml"]
        dated = _alternates(c.get(f"/papers/date/{older}").text)["application/atom+xml"]
        atom = ET.fromstring(c.get("/feeds/daily.atom").content)
        rss = ET.fromstring(c.get("/feeds/daily.rss").content)
        old = ET.fromstring(c.get(f"/feeds/daily.atom?date={older}").content)
    assert (home["title"], home["href"]) == ("Daily papers (Atom)", "/feeds/daily.atom")
    assert dated["title"] == f"Daily papers · {day_period(older).heading} (Atom)"
    assert atom.findtext(f"{ATOM}title") == "Daily papers · paperfeed"
    assert rss.findtext("channel/title") == "Daily papers · paperfeed"
    assert atom.findtext(f"{ATOM}subtitle") == f"Daily papers · {heading} on paperfeed"
    assert old.findtext(f"{ATOM}title") == f"Daily papers · {day_period(older).heading} · paperfeed"


def test_searching_an_arxiv_id_not_here_offers_arxiv_and_submitting(
    site: Settings, engine: Engine
) -> None:
    here = next(iter(on_day(engine, DAYS[0])))
    with client(site, engine) as c:
        missing = c.get("/search", params={"q": "arXiv:2607.00042v2"}).text
        present = c.get("/search", params={"q": here}).text
        signed_out = c.get("/submit", params={"paper": "2607.00042"}).text
        sign_up(c, "reader")
        form = c.get("/submit", params={"paper": "2607.00042"}).text
    assert "2607.00042 is not on paperfeed yet" in missing
    assert 'href="https://arxiv.org/abs/2607.00042"' in missing
    assert 'href="/submit?paper=2607.00042"' in missing
    assert "not on paperfeed yet" not in present
    assert 'href="/signin?next=/submit?paper=2607.00042"' in signed_out
    assert 'name="paper" value="2607.00042"' in form


def test_submitting_a_paper_that_is_here_already_links_to_it(
    site: Settings, engine: Engine
) -> None:
    here = next(iter(on_day(engine, DAYS[0])))  # listed months before the tests' today
    with client(site, engine) as c:
        sign_up(c, "reader")
        refused = post_form(c, "/submit", {"paper": f"https://arxiv.org/abs/{here}v1"})
    assert refused.status_code == 400
    error = refused.text.split('class="error-msg"', 1)[1].split("</p>", 1)[0]
    assert "only papers from the last" in error
    assert f'<a href="/papers/{here}">Open its page here</a>' in error


def test_a_paper_page_credits_its_submitter_as_its_card_does(
    site: Settings, engine: Engine
) -> None:
    credited = replace(
        HOSTILE, id="2606.99998", signals=Signals(upvotes=7, submitted_by="<b>ak</b>")
    )
    with engine.begin() as conn:
        upsert_papers(conn, [credited])
    with client(site, engine) as c:
        day = c.get(f"/papers/date/{credited.listing_date}").text
        page = c.get("/papers/2606.99998").text
    assert "submitted by &lt;b&gt;ak&lt;/b&gt;" in day
    assert '<p class="credit">Submitted by &lt;b&gt;ak&lt;/b&gt;</p>' in page


def test_a_hugging_face_repository_opens_from_the_paper_page(
    site: Settings, engine: Engine
) -> None:
    # As the Hub gives it, and not fetched from GitHub yet: no Code link of its own either.
    hub = Signals(upvotes=2, github_repo="https://github.com/DAMO-NLP-SG/Inf-CLIP", github_stars=5)
    with engine.begin() as conn:
        upsert_papers(conn, [replace(HOSTILE, id="2606.99997", code_links=(), signals=hub)])
    with client(site, engine) as c:
        page = c.get("/papers/2606.99997").text
    facts = page.split('<dl class="facts" id="facts">', 1)[1].split("</dl>", 1)[0]
    assert (
        '<dt>GitHub</dt><dd><a href="https://github.com/DAMO-NLP-SG/Inf-CLIP" '
        'rel="nofollow noopener">DAMO-NLP-SG/Inf-CLIP</a> · ★ 5</dd>'
    ) in facts


def test_a_long_feed_is_named_without_its_count_on_its_first_page(
    site: Settings, engine: Engine
) -> None:
    many = [
        replace(HOSTILE, id=f"2606.9{n:04d}", categories=("math.CO",), signals=None)
        for n in range(105)
    ]
    with engine.begin() as conn:
        upsert_papers(conn, many)
    with client(site, engine) as c:
        first = ET.fromstring(c.get("/feeds/category/math.CO.atom").content)
        rss = ET.fromstring(c.get("/feeds/category/math.CO.rss").content)
        second = ET.fromstring(c.get("/feeds/category/math.CO.atom?page=2").content)
    assert first.findtext(f"{ATOM}title") == "math.CO · Combinatorics · paperfeed"
    assert rss.findtext("channel/title") == "math.CO · Combinatorics · paperfeed"
    assert re.search(
        r"\(papers 1–100 of 10[5-9]\) on paperfeed$", first.findtext(f"{ATOM}subtitle", "")
    )
    title = second.findtext(f"{ATOM}title", "")
    assert re.fullmatch(
        r"math\.CO · Combinatorics \(papers 101–10[5-9] of 10[5-9]\) · paperfeed", title
    )


def test_a_feed_that_changes_back_is_not_answered_as_unchanged(
    site: Settings, engine: Engine
) -> None:
    """A reader that keeps only Last-Modified saw a comment that was deleted since: the feed
    is back to a body the site made before, which must not take that body's older date."""
    path = f"/feeds/papers/{HOSTILE_ID}/comments.atom"
    with engine.begin() as conn:
        ada = create_user(conn, "ada", "not a real hash")
        add_comment(conn, HOSTILE_ID, ada.id, "A first comment", None)
    with client(site, engine) as c:
        assert c.get(path).status_code == 200
        time.sleep(1.1)  # Last-Modified counts whole seconds
        with engine.begin() as conn:
            extra = add_comment(conn, HOSTILE_ID, ada.id, "Soon deleted", None)
        second = c.get(path)
        held = second.headers["last-modified"]
        time.sleep(1.1)
        with engine.begin() as conn:
            delete_comment(conn, extra)
        third = c.get(path, headers={"If-Modified-Since": held})
    assert "Soon deleted" in second.text
    assert third.status_code == 200 and "Soon deleted" not in third.text
    assert parsedate_to_datetime(third.headers["last-modified"]) > parsedate_to_datetime(held)


def test_a_search_feed_s_next_page_holds_the_next_papers(site: Settings, engine: Engine) -> None:
    many = [
        replace(HOSTILE, id=f"2606.9{n:04d}", title=f"Zebrafish study {n}", signals=None)
        for n in range(105)
    ]
    with engine.begin() as conn:
        upsert_papers(conn, many)
    with client(site, engine) as c:
        first = ET.fromstring(c.get("/feeds/search.atom", params={"q": "zebrafish"}).content)
        [nxt] = [link.get("href", "") for link in first.findall(f"{ATOM}link[@rel='next']")]
        second = ET.fromstring(c.get(nxt.removeprefix(site.public_url.rstrip("/"))).content)
        past = c.get("/feeds/search.atom", params={"q": "zebrafish", "page": "3"})
    ids = [e.findtext(f"{ATOM}id") for e in first.iter(f"{ATOM}entry")]
    more = [e.findtext(f"{ATOM}id") for e in second.iter(f"{ATOM}entry")]
    assert len(ids) == 100 and len(more) == 5 and not set(ids) & set(more)
    assert re.search(r"\(papers 101–105 of 105\)", second.findtext(f"{ATOM}title", ""))
    assert past.status_code == 404


def test_recent_discussions_come_as_a_feed_too(site: Settings, engine: Engine) -> None:
    other = next(iter(on_day(engine, DAYS[0])))
    with engine.begin() as conn:
        ada = create_user(conn, "ada", "not a real hash")
        first = add_comment(conn, HOSTILE_ID, ada.id, "On the $x<y$ claim", None)
        gone = add_comment(conn, other, ada.id, "Soon deleted", None)
        newest = add_comment(conn, other, ada.id, "A **later** word", None)
        delete_comment(conn, gone)
    base = site.public_url.rstrip("/")
    with client(site, engine) as c:
        found = _alternates(c.get("/discussions").text)
        atom = c.get(found["application/atom+xml"]["href"])
        rss = c.get(found["application/rss+xml"]["href"])
        again = c.get("/feeds/discussions.atom", headers={"If-None-Match": atom.headers["etag"]})
    entries = list(ET.fromstring(atom.content).iter(f"{ATOM}entry"))
    links = [e.find(f"{ATOM}link").get("href") for e in entries]  # type: ignore[union-attr]
    assert links == [f"{base}/papers/{other}#c{newest}", f"{base}/papers/{HOSTILE_ID}#c{first}"]
    titles = [e.findtext(f"{ATOM}title", "") for e in entries]
    assert titles[1].startswith("ada on Attention <script>alert('title')</script> Is Not Enough: ")
    assert rss.headers["content-type"].startswith("application/rss+xml")
    assert len(ET.fromstring(rss.content).findall("./channel/item")) == 2
    assert again.status_code == 304


def test_an_atom_feed_with_a_paper_of_no_named_author_is_valid(
    site: Settings, engine: Engine
) -> None:
    nameless = replace(HOSTILE, id="local-00000000abcd", authors=(), signals=None)
    with engine.begin() as conn:
        upsert_papers(conn, [nameless])
    day = nameless.listing_date
    with client(site, engine) as c:
        atom = ET.fromstring(c.get(f"/feeds/daily.atom?date={day}").content)
        named = ET.fromstring(c.get(f"/feeds/daily.atom?date={DAYS[0]}").content)
    entries = {e.findtext(f"{ATOM}id", "").rsplit("/", 1)[1]: e for e in atom.iter(f"{ATOM}entry")}
    assert not entries["local-00000000abcd"].findall(f"{ATOM}author")
    # RFC 4287, 4.1.1: a feed names an author unless every entry does.
    assert [a.findtext(f"{ATOM}name") for a in atom.findall(f"{ATOM}author")] == ["paperfeed"]
    assert not named.findall(f"{ATOM}author")


def test_comment_feeds_in_rss_name_each_commenter(site: Settings, engine: Engine) -> None:
    with engine.begin() as conn:
        ada = create_user(conn, "ada", "not a real hash")
        add_comment(conn, HOSTILE_ID, ada.id, "A first comment", None)
    with client(site, engine) as c:
        feeds = [c.get(f"/feeds/papers/{HOSTILE_ID}/comments.rss"), c.get("/feeds/discussions.rss")]
    for feed in feeds:
        [item] = ET.fromstring(feed.content).findall("./channel/item")
        assert item.findtext(f"{DC}creator") == "ada"


def test_feeds_of_one_query_with_other_filters_have_other_names(
    site: Settings, engine: Engine
) -> None:
    query = {"q": "attention", "category": "cs.cr", "since": "2026-06-01", "mode": "keyword"}
    with client(site, engine) as c:
        page = _alternates(c.get("/search", params=query).text)["application/atom+xml"]
        feed = ET.fromstring(c.get(page["href"]).content)
        plain_feed = ET.fromstring(c.get("/feeds/search.atom", params={"q": "attention"}).content)
    name = "Search: attention (in cs.CR, since 2026-06-01)"
    assert page["title"] == f"{name} (Atom)"
    assert feed.findtext(f"{ATOM}title") == f"{name} · paperfeed"
    assert plain_feed.findtext(f"{ATOM}title") == "Search: attention · paperfeed"


def test_the_newest_week_and_month_offer_feeds_that_move_on(site: Settings, engine: Engine) -> None:
    """A reader subscribing from the weekly page got that week's feed, fixed: it never showed
    the next week's papers."""
    with client(site, engine) as c:
        week = _alternates(c.get("/papers/week/2026-W26").text)["application/atom+xml"]
        month = _alternates(c.get("/papers/month/2026-06").text)["application/rss+xml"]
        older = _alternates(c.get("/papers/week/2026-W25").text)["application/atom+xml"]
        feed = ET.fromstring(c.get("/feeds/daily.atom?latest=week").content)
        monthly = ET.fromstring(c.get("/feeds/daily.rss?latest=month").content)
        dated = ET.fromstring(c.get("/feeds/daily.atom?week=2026-W26").content)
        mixed = c.get(f"/feeds/daily.atom?latest=week&date={DAYS[0]}")
        unknown = c.get("/feeds/daily.atom?latest=year")
    assert (week["title"], week["href"]) == (
        "Weekly papers (Atom)",
        "/feeds/daily.atom?latest=week",
    )
    assert month["href"] == "/feeds/daily.rss?latest=month" and month["title"].startswith("Monthly")
    assert older["href"] == "/feeds/daily.atom?week=2026-W25"
    assert feed.findtext(f"{ATOM}title") == "Weekly papers · paperfeed"
    ids = [e.findtext(f"{ATOM}id") for e in feed.findall(f"{ATOM}entry")]
    assert len(ids) >= len(DAYS) * PER_DAY  # the whole week so far
    assert ids == [e.findtext(f"{ATOM}id") for e in dated.findall(f"{ATOM}entry")]
    assert monthly.findtext("channel/title") == "Monthly papers · paperfeed"
    assert mixed.status_code == 400 and "latest alone" in mixed.text
    assert unknown.status_code in (400, 422)
