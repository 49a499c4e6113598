"""What a new user meets in the first hour on the site: file names, whole feeds, plain labels."""

from __future__ import annotations

import re
from datetime import date, datetime
from html.parser import HTMLParser
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from paperfeed.models import Paper, Signals, local_id
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.store.accounts import add_submission, users
from paperfeed.util import utcnow
from paperfeed.web import community
from tests.web_support import DAYS, HOSTILE, HOSTILE_ID, client, csrf_token, post_form, sign_up

ATOM = "{http://www.w3.org/2005/Atom}"
BIG_DAY = date(2026, 7, 1)


def _big_day(engine: Engine, count: int) -> set[str]:
    made = [
        Paper(
            id=f"2607.{10000 + n}",
            title=f"Synthetic paper number {n}",
            abstract="A paper made for a long listing day.",
            authors=("Ada Lovelace",),
            categories=("cs.LG",),
            version=1,
            source="test",
            listing_date=BIG_DAY,
        )
        for n in range(count)
    ]
    with engine.begin() as conn:
        upsert_papers(conn, made)
    return {p.id for p in made}


def test_one_paper_bibtex_downloads_as_its_id(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        response = c.get(f"/papers/{HOSTILE_ID}/bibtex")
    assert response.headers["content-disposition"] == f'attachment; filename="{HOSTILE_ID}.bib"'


def test_a_day_feed_holds_the_whole_day_or_says_where_the_rest_is(
    site: Settings, engine: Engine
) -> None:
    ids = _big_day(engine, 300)
    with client(site, engine) as c:
        atom = c.get(f"/feeds/daily.atom?date={BIG_DAY}").text
        rss = c.get(f"/feeds/daily.rss?date={BIG_DAY}").text
        bib = c.get(f"/feeds/daily.bib?date={BIG_DAY}").text
    entries = {
        e.findtext(f"{ATOM}id", "").rsplit("/", 1)[1]
        for e in ET.fromstring(atom).iter(f"{ATOM}entry")
    }
    assert entries == ids
    assert len(ET.fromstring(rss).findall("./channel/item")) == 300
    assert bib.count("@misc{") == 300


def test_a_long_feed_links_its_next_page(site: Settings, engine: Engine) -> None:
    _big_day(engine, 130)
    with client(site, engine) as c:
        first = c.get("/feeds/category/cs.LG.atom")
        rss = ET.fromstring(c.get("/feeds/category/cs.LG.rss").text)
        bib = c.get("/feeds/category/cs.LG.bib").text
        second = c.get("/feeds/category/cs.LG.atom?page=2")
    root = ET.fromstring(first.text)
    assert re.search(r"papers 1–100 of \d+", root.findtext(f"{ATOM}subtitle", ""))
    nxt = [
        link.get("href", "") for link in root.findall(f"{ATOM}link") if link.get("rel") == "next"
    ]
    assert len(nxt) == 1 and nxt[0].endswith("/feeds/category/cs.LG.atom?page=2")
    rss_next = [
        link.get("href", "") for link in rss.iter(f"{ATOM}link") if link.get("rel") == "next"
    ]
    assert len(rss_next) == 1 and rss_next[0].endswith("/feeds/category/cs.LG.rss?page=2")
    assert "% next part: " in bib and "cs.LG.bib?page=2" in bib
    assert (
        second.status_code == 200 and len(ET.fromstring(second.text).findall(f"{ATOM}entry")) >= 30
    )


def test_a_plain_page_paper_shows_no_empty_fields(site: Settings, engine: Engine) -> None:
    title = "Notes from a plain web page"
    pid = local_id(title)
    paper = Paper(
        id=pid, title=title, abstract="Text.", version=None, source="page", listing_date=DAYS[0]
    )
    with engine.begin() as conn:
        upsert_papers(conn, [paper])
    with client(site, engine) as c:
        page = c.get(f"/papers/{pid}").text
        bib = c.get(f"/papers/{pid}/bibtex").text
    assert "<dt>Categories</dt>" not in page
    assert "author" not in bib and "{}" not in bib


def test_one_upvote_is_singular(site: Settings, engine: Engine) -> None:
    paper = Paper(
        id="2606.88888", title="Once liked", abstract="Text.", authors=("A B",), version=1,
        source="test", listing_date=DAYS[0], signals=Signals(upvotes=1),
    )  # fmt: skip
    with engine.begin() as conn:
        upsert_papers(conn, [paper])
    with client(site, engine) as c:
        page = c.get("/papers/2606.88888").text
    assert '<span class="sr"> upvote</span>' in page and "upvotes" not in page


def test_labels_links_and_feeds_once(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        day = c.get(f"/papers/date/{DAYS[1]}?page=2").text
        docs = c.get("/docs").text
        sign_up(c, "reader")
        home = c.get("/").text
        account = c.get("/account")
    assert "Newer / previous" not in day and "← Previous page" in day
    feed = f"/feeds/daily.atom?date={DAYS[1]}"
    assert len(re.findall(f'<a href="{re.escape(feed)}"', day)) == 1
    assert 'href="/"' in docs
    assert re.search(r'<a class="who" href="/users/reader">reader</a>', home)
    assert account.status_code == 200 and "reader" in account.text


def _trending_ids(c: TestClient) -> list[str]:
    return [i["paper"]["id"] for i in c.get("/api/trending?limit=100").json()]


def test_submitting_an_old_paper_is_refused_and_never_makes_it_new(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        before = _trending_ids(c)
        old = before[-1]  # the least trending paper, from the store's oldest listing day
        sign_up(c, "gamer")
        refused = post_form(c, "/submit", {"paper": old})
        after = _trending_ids(c)
        today = c.get(f"/papers/date/{utcnow().date()}").text
        page = c.get("/trending").text
    assert refused.status_code == 400
    assert "only papers from the last 14 days can be submitted" in refused.text
    assert after == before and old not in today
    assert "score " not in page and 'class="score"' not in page


def test_a_submission_never_moves_a_paper_to_another_day(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        before = _trending_ids(c)
        sign_up(c, "early")
        old = before[-1]
        with engine.begin() as conn:  # e.g. a submission made before the window rule
            user = conn.execute(select(users.c.id).where(users.c.username == "early")).scalar_one()
            add_submission(conn, old, user, utcnow().date())
        assert _trending_ids(c) == before
        today = c.get(f"/papers/date/{utcnow().date()}").text
    assert f'data-id="{old}"' not in today


def test_an_anonymous_upvote_is_counted_after_signing_up(site: Settings, engine: Engine) -> None:
    day = f"/papers/date/{DAYS[1]}"
    with client(site, engine) as c:
        before = c.get(f"/api/papers/{HOSTILE_ID}").json()["upvotes"]
        asked = post_form(c, f"/papers/{HOSTILE_ID}/upvote", {"up": "1", "next": day})
        assert asked.status_code == 303
        signin = asked.headers["location"]
        assert signin.startswith("/signin?") and f"vote={HOSTILE_ID}" in signin
        page = c.get(signin).text
        assert "Sign in to upvote" in page
        signup = re.search(r'href="(/signup\?[^"]+)"', page)
        assert signup and "vote=" in signup[1]
        form = {"username": "late", "password": "a long password", "next": day, "vote": HOSTILE_ID}
        done = post_form(c, "/signup", form)
        assert done.headers["location"] == day
        after = c.get(f"/api/papers/{HOSTILE_ID}").json()["upvotes"]
    assert after == before + 1


def test_the_sign_in_names_other_sites_use_lead_to_ours(site: Settings, engine: Engine) -> None:
    """/login, /register and /join (Hugging Face's, GitHub's, most forums') land on our sign-in
    and sign-up forms, the query kept; other methods are not redirected."""
    with client(site, engine) as c:
        login = c.get("/login?next=/for-you", follow_redirects=False)
        assert login.status_code == 308 and login.headers["location"] == "/signin?next=/for-you"
        assert "Sign in" in c.get("/login").text
        for name in ("/register", "/join"):
            moved = c.get(name, follow_redirects=False)
            assert moved.status_code == 308 and moved.headers["location"] == "/signup"
        assert c.post("/login", data={}).status_code == 405


def test_the_page_script_votes_in_place_with_json(site: Settings, engine: Engine) -> None:
    json = {"Accept": "application/json"}
    with client(site, engine) as c:
        token = {"csrf_token": csrf_token(c, "/"), "up": "1", "next": "/"}
        anonymous = c.post(f"/papers/{HOSTILE_ID}/upvote", data=token, headers=json)
        assert anonymous.status_code == 401
        assert anonymous.json()["detail"] == "sign in to upvote"
        assert f"vote={HOSTILE_ID}" in anonymous.json()["signin"]
        sign_up(c, "inplace")
        token["csrf_token"] = csrf_token(c, "/")
        voted = c.post(f"/papers/{HOSTILE_ID}/upvote", data=token, headers=json)
        undone = c.post(f"/papers/{HOSTILE_ID}/upvote", data=token | {"up": "0"}, headers=json)
    assert voted.status_code == 200 and voted.json()["upvoted"] is True
    count = voted.json()["upvotes"] - 1
    assert undone.json() == {"id": HOSTILE_ID, "upvotes": count, "upvoted": False}


def test_an_offline_server_says_so_at_once(
    site: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_fetch(*args: object) -> None:
        raise AssertionError("a host that cannot be resolved must not be retried")

    monkeypatch.setattr(community, "utcnow", lambda: datetime(2016, 6, 2, 9))
    monkeypatch.setattr(community, "add_papers", no_fetch)
    offline = site.model_copy(update={"arxiv_api_url": "http://export.arxiv.invalid/api/query"})
    with client(offline, engine) as c:
        sign_up(c, "offline")
        response = post_form(c, "/submit", {"paper": "1605.08386"})
    assert response.status_code == 502
    assert "arXiv can&#39;t be reached from this server right now" in response.text
    assert "invalid" not in response.text.split("<main ")[1]  # no host names or tracebacks


def test_author_urls_transliterate_letters(site: Settings, engine: Engine) -> None:
    from dataclasses import replace

    from paperfeed.store import upsert_papers
    from paperfeed.web.render import author_url
    from tests.web_support import HOSTILE

    assert author_url("Bartłomiej Cupiał") == "/authors/bartlomiej-cupial"
    assert author_url("Søren Kierkegaard") == "/authors/soren-kierkegaard"
    paper = replace(HOSTILE, id="2606.77777", authors=("Bartłomiej Cupiał",), code_links=())
    with engine.begin() as conn:
        upsert_papers(conn, [paper])
    with client(site, engine) as c:
        page = c.get("/authors/bartlomiej-cupial")
    assert page.status_code == 200 and "2606.77777" in page.text


PLAIN = {"Accept-Encoding": "identity"}


def test_head_is_answered_as_get_without_a_body(site: Settings, engine: Engine) -> None:
    # Link checkers, uptime monitors and feed readers ask HEAD first; it was 405 everywhere.
    pid = sorted(_big_day(engine, 1))[0]
    with client(site, engine) as c:
        for path in ("/", f"/papers/{pid}", "/feeds/daily.rss", "/api/daily_papers", "/healthz"):
            got, head = c.get(path, headers=PLAIN), c.head(path, headers=PLAIN)
            assert (head.status_code, head.content) == (200, b""), path
            assert head.headers["content-type"] == got.headers["content-type"], path
            assert head.headers["content-length"] == got.headers["content-length"], path
            # Asked with gzip, the same coding as GET's (a page's length then differs by its
            # form token, masked afresh in every answer).
            zipped, zipped_head = c.get(path), c.head(path)
            coding = zipped.headers.get("content-encoding")
            assert zipped_head.headers.get("content-encoding") == coding, path
        assert c.head("/papers/2607.99999").status_code == 404
        assert c.head("/api/papers/search?q=x&mode=nope").status_code == 422


def test_robots_txt_keeps_crawlers_to_the_public_pages(site: Settings, engine: Engine) -> None:
    from urllib.robotparser import RobotFileParser

    with client(site, engine) as c:
        answer = c.get("/robots.txt")
        icon = c.get("/favicon.ico", follow_redirects=False)
        assert c.get(icon.headers["location"]).headers["content-type"].startswith("image/svg")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    assert icon.status_code == 301
    robots = RobotFileParser()
    robots.parse(answer.text.splitlines())
    allowed = ["/", "/papers/2607.10000", "/daily", "/trending", "/authors/ada-lovelace"]
    allowed += ["/categories/cs.LG", "/c/abc123", "/feeds/daily.atom", "/discussions"]
    kept_out = ["/search?q=x", "/feeds/search.atom?q=x", "/feeds/for-you/tok.atom", "/api/papers"]
    kept_out += ["/for-you", "/library", "/unsubscribe?token=t", "/preferences?token=t"]
    kept_out += ["/notices/link?t=x", "/demo/mailbox", "/signin", "/metrics"]
    kept_out += ["/topics", "/topics/month/2026-07"]  # seconds of CPU each, nothing new
    assert [u for u in allowed if not robots.can_fetch("*", u)] == []
    assert [u for u in kept_out if robots.can_fetch("*", u)] == []


def test_addresses_from_other_sites_lead_to_ours(site: Settings, engine: Engine) -> None:
    # Readers swap the host of an arXiv or Hugging Face address; each was a 404 (or, for
    # /papers, a redirect to one).
    pid = sorted(_big_day(engine, 1))[0]
    expected = {
        f"/abs/{pid}": f"/papers/{pid}",
        f"/abs/{pid}v2": f"/papers/{pid}?v=2",
        f"/pdf/{pid}v1.pdf": f"/papers/{pid}?v=1",
        f"/html/{pid}v1": f"/papers/{pid}?v=1",
        "/abs/hep-th/9901001": "/papers/hep-th/9901001",
        f"/papers/{pid}/": f"/papers/{pid}",
        f"/papers?date={BIG_DAY}": f"/papers/date/{BIG_DAY}",
        f"/papers/?date={BIG_DAY}": f"/papers/date/{BIG_DAY}",
        "/papers": "/daily",
        "/papers/": "/daily",
        "/papers/trending": "/trending",
    }
    with client(site, engine) as c:
        found = {}
        for path in expected:
            answer = c.get(path, follow_redirects=False)
            found[path] = answer.headers.get("location") if answer.status_code == 301 else answer
        assert found == expected
        assert pid in c.get(f"/abs/{pid}").text
        assert "Synthetic paper" in c.get(f"/papers?date={BIG_DAY}").text
        assert c.get("/abs/not-an-id", follow_redirects=False).status_code == 404
        bad_day = c.get("/papers?date=junk", follow_redirects=False)
        assert bad_day.status_code == 400 and "2026-07-01" in bad_day.text


class _Head(HTMLParser):
    """The <meta name|property=...> and <link rel=canonical> of a page's head, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        key = found.get("name") or found.get("property")
        if tag == "meta" and key:
            self.meta.append((key, found.get("content") or ""))
        elif tag == "link" and found.get("rel") == "canonical":
            self.meta.append(("canonical", found.get("href") or ""))


def test_a_paper_page_carries_citation_and_preview_tags(site: Settings, engine: Engine) -> None:
    """Zotero's browser connector and Google Scholar read Highwire Press tags (as on arXiv's
    pages); chat apps read Open Graph for a link's preview. The page had neither."""
    with client(site, engine) as c:
        page = c.get(f"/papers/{HOSTILE_ID}").text
    head = _Head()
    head.feed(page.split("</head>")[0])
    tags = dict(head.meta)
    assert tags["citation_title"] == "Attention <script>alert('title')</script> Is Not Enough"
    assert [v for k, v in head.meta if k == "citation_author"] == [
        "O'Hara, Mallory",
        "<b>Bold</b>, Eve",
    ]
    assert tags["citation_arxiv_id"] == HOSTILE_ID
    assert tags["citation_pdf_url"] == f"https://arxiv.org/pdf/{HOSTILE_ID}"
    assert tags["citation_date"] == HOSTILE.listing_date.strftime("%Y/%m/%d")
    assert tags["citation_abstract"].startswith("We study x<img src=x")  # math as text
    assert "\\emph" not in tags["citation_abstract"] and "depth" in tags["citation_abstract"]
    assert tags["og:title"] == tags["citation_title"] and tags["og:type"] == "article"
    assert tags["canonical"] == tags["og:url"] == f"{site.public_url}/papers/{HOSTILE_ID}"
    assert len(tags["description"]) <= 301 and tags["description"].startswith("We study")
    assert "<script>" not in page.split("</head>")[0]  # every value is escaped: inert


def test_a_paper_pages_browser_title_reads_its_latex_as_text(
    site: Settings, engine: Engine
) -> None:
    """A browser tab cannot typeset: `<title>` shows TerraDiT-Ω, not TerraDiT-$\\Omega$."""
    from dataclasses import replace

    title = "TerraDiT-$\\Omega$: Terrain \\emph{diffusion} <b>x</b>"
    with engine.begin() as conn:
        upsert_papers(conn, [replace(HOSTILE, id="2606.99997", title=title)])
    with client(site, engine) as c:
        page = c.get("/papers/2606.99997").text
    shown = re.search(r"<title>(.*?)</title>", page, re.S)
    assert shown and shown[1] == "TerraDiT-Ω: Terrain diffusion &lt;b&gt;x&lt;/b&gt; · paperfeed"


def test_a_pasted_abstract_is_searched_by_its_beginning(site: Settings, engine: Engine) -> None:
    # A long query (an abstract pasted into the box) used to get a bare 400 page.
    with client(site, engine) as c:
        words = "attention " * 800
        got = c.get("/search", params={"q": words, "mode": "keyword"})
        assert got.status_code == 200
        assert "its first 500 characters were searched" in got.text
        box = re.search(r'<input type="search" name="q" value="([^"]*)"', got.text)
        assert box and 0 < len(box[1]) <= 500 and box[1].endswith("attention")
        short = c.get("/search", params={"q": "attention", "mode": "keyword"})
        assert "characters were searched" not in short.text


def test_a_query_of_punctuation_alone_lists_nothing_and_says_why(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        for q in ["*", "(((", '"', "%", "-"]:
            got = c.get("/search", params={"q": q, "mode": "hybrid"})
            assert got.status_code == 200, q
            assert "has no words to search for" in got.text, q
            assert 'class="card' not in got.text and "Best matches" not in got.text, q
        words = c.get("/search", params={"q": "the", "mode": "keyword"}).text
        assert "has no words to search for" not in words


def test_an_error_page_keeps_the_readers_header(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        sign_up(c, "erring")
        missing = c.get("/papers/2601.99998")
        assert missing.status_code == 404 and 'href="/users/erring"' in missing.text
        assert "Sign up" not in missing.text
        wrong = c.put("/about")
        assert wrong.status_code == 405 and 'href="/users/erring"' in wrong.text
        assert "Not this way" in wrong.text
        bad = c.get("/papers/date/2026-02-30")
        assert bad.status_code == 400 and 'href="/users/erring"' in bad.text
    with client(site, engine) as anon:
        assert "Sign up" in anon.get("/papers/2601.99998").text


def test_the_search_page_says_what_its_filters_do(site: Settings, engine: Engine) -> None:
    """Found clicking through the search page: filters that cannot match said nothing, a
    lower-case category matched nothing (the suggestion that keeps filters and "Newest matches"
    are driven in Chromium, tests/browser/test_search_in_chromium.py)."""
    with client(site, engine) as c:
        base = {"q": "attention", "mode": "keyword"}
        upper = c.get("/search", params=base | {"category": "cs.CR"}).text
        lower = c.get("/search", params=base | {"category": "cs.cr"}).text
        assert f'data-id="{HOSTILE_ID}"' in upper and f'data-id="{HOSTILE_ID}"' in lower
        assert 'name="category" value="cs.CR"' in lower  # shown as arXiv spells it
        unknown = c.get("/search", params=base | {"category": "cs.XY"}).text
        assert "&#39;cs.XY&#39; is not an arXiv category." in unknown
        reversed_ = c.get("/search", params=base | {"since": "2026-07-01", "until": "2026-06-01"})
        assert "From (2026-07-01) is after Until (2026-06-01)" in reversed_.text
        bare = c.get("/search", params={"q": "", "category": "cs.CR"}).text
        assert "Type words to search in cs.CR" in bare and 'href="/categories/cs.CR"' in bare
        moved = c.get("/categories/cs.cr", follow_redirects=False)
        assert moved.status_code == 301 and moved.headers["location"] == "/categories/cs.CR"


def test_day_week_and_month_switch_around_a_day_with_papers(site: Settings, engine: Engine) -> None:
    """Week 27 runs from 29 June to 5 July: from it, Month opened June and Day 29 June (no
    papers), not the July day the reader came from."""
    from dataclasses import replace

    with engine.begin() as conn:
        upsert_papers(conn, [replace(HOSTILE, id="2607.00001", listing_date=date(2026, 7, 1))])
    with client(site, engine) as c:
        week = c.get("/papers/week/2026-W27").text
        links = dict(re.findall(r'<a href="([^"]+)"[^>]*>(Day|Week|Month)</a>', week))
        assert set(links) == {
            "/papers/date/2026-07-01",
            "/papers/week/2026-W27",
            "/papers/month/2026-07",
        }
        month = c.get("/papers/month/2026-06").text  # June: its last day with papers
        links = {
            name: href
            for href, name in re.findall(r'<a href="([^"]+)"[^>]*>(Day|Week|Month)</a>', month)
        }
        assert (
            links["Day"] == "/papers/date/2026-06-26" and links["Week"] == "/papers/week/2026-W26"
        )
        day = c.get("/papers/date/2026-06-24").text
        links = {
            name: href
            for href, name in re.findall(r'<a href="([^"]+)"[^>]*>(Day|Week|Month)</a>', day)
        }
        assert links == {
            "Day": "/papers/date/2026-06-24",
            "Week": "/papers/week/2026-W26",
            "Month": "/papers/month/2026-06",
        }


def test_daily_takes_a_date_as_hugging_faces_address_does(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        moved = c.get("/daily", params={"date": DAYS[0].isoformat()}, follow_redirects=False)
        assert moved.status_code == 301
        assert moved.headers["location"] == f"/papers/date/{DAYS[0].isoformat()}"
        assert c.get("/daily", params={"date": "2026-13-40"}).status_code == 400
        assert c.get("/daily").status_code == 200


def test_a_refused_form_leads_back_to_the_page_it_came_from(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        sign_up(c, "returner")
        form = {"kind": "category", "value": "cs.XX", "csrf_token": csrf_token(c, "/")}
        came = {"Referer": "http://testserver/library?page=2"}
        refused = c.post("/me/follow", data=form, headers=came)
        assert refused.status_code == 400 and "is not an arXiv category" in refused.text
        assert '<a href="/library?page=2">Back to the page you came from</a>' in refused.text
        elsewhere = c.post("/me/follow", data=form, headers={"Referer": "https://evil.example/x"})
        assert "Back to the page you came from" not in elsewhere.text


def test_a_semantic_search_that_finds_few_says_why(
    site: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Semantic mode keeps only papers above the model's similarity floor: a one-word query
    listed 6 papers with no word of why (found on the demo)."""
    from paperfeed.search import embed_papers
    from paperfeed.search.service import SearchService

    embed_papers(site, engine)
    monkeypatch.setattr(SearchService, "min_similarity", lambda self: 0.8)
    with client(site, engine) as c:
        few = c.get("/search", params={"q": "model", "mode": "semantic", "category": "cs.CR"})
        assert "(semantic)" in few.text
        assert "Semantic search lists only papers close in meaning" in few.text
        link = re.search(r'try <a href="([^"]+)">hybrid search</a>', few.text)
        assert link and "category=cs.CR" in link[1] and "mode=semantic" not in link[1]
        monkeypatch.setattr(SearchService, "min_similarity", lambda self: -1.0)
        many = c.get("/search", params={"q": "model", "mode": "semantic", "p": "1"})
        assert "Semantic search lists only" not in many.text
