"""Conferences (`/venues`, a venue's page, feed, topics and API): the papers whose arXiv comment
or journal reference says where they appear, kept with each paper (`papers.venue`), on both
databases."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import Engine, create_engine, select, update

from paperfeed.models import Signals
from paperfeed.search import embed_papers
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.store.library import save_paper
from paperfeed.store.tables import papers
from paperfeed.venues import Venue, from_label, from_slug, venue_of
from paperfeed.web.venue_params import VenueNames
from tests.web_support import HOSTILE, bearer, client, sign_up, user_id, web_settings

# id: (comment, journal reference, listing day, upvotes)
SAID = {
    "2606.70001": ("Accepted at ICML 2026 (Oral)", None, date(2026, 6, 24), 1),
    "2606.70002": ("9 pages. ICML 2026 camera ready", None, date(2026, 6, 26), 0),
    "2606.70003": ("Accepted to ICML 2026", None, date(2026, 6, 25), 9),
    "2606.70004": ("Accepted at the ICML 2026 Workshop on Agents", None, date(2026, 6, 25), 0),
    "2606.70005": ("Submitted to ICML 2026", None, date(2026, 6, 25), 50),
    "2606.70006": ("Accepted to Findings of ACL 2026", None, date(2026, 6, 24), 0),
    "2606.70007": ("Submitted to ICML 2026", "NeurIPS 2025", date(2026, 6, 24), 0),
    "2606.70008": ("Extended version of our ICML 2026 paper", None, date(2026, 6, 26), 0),
}
ICML = ["2606.70001", "2606.70002", "2606.70003"]
_CARD = re.compile(r'<article class="card[^"]*" data-id="([^"]+)"')


def _papers() -> list:  # type: ignore[type-arg]
    return [
        replace(
            HOSTILE, id=pid, comments=comment, journal_ref=ref, listing_date=day,
            title=f"Paper {pid}", signals=Signals(upvotes=votes),
        )
        for pid, (comment, ref, day, votes) in SAID.items()
    ]  # fmt: skip


@pytest.fixture
def site(settings: Settings, engine: Engine) -> Settings:
    with engine.begin() as conn:
        upsert_papers(conn, _papers())
    return web_settings(settings)


def _venues(engine: Engine) -> dict[str, str | None]:
    with engine.connect() as conn:
        return dict(conn.execute(select(papers.c.id, papers.c.venue)).all())  # type: ignore[arg-type]


def test_each_paper_keeps_the_venue_its_comment_or_journal_reference_names(
    site: Settings, engine: Engine
) -> None:
    assert _venues(engine) == {
        "2606.70001": "ICML 2026", "2606.70002": "ICML 2026", "2606.70003": "ICML 2026",
        "2606.70004": "ICML 2026 Workshop", "2606.70005": None,
        "2606.70006": "Findings of ACL 2026", "2606.70007": "NeurIPS 2025", "2606.70008": None,
    }  # fmt: skip
    # a new version whose comment says otherwise moves it (and one naming none takes it out)
    first, third = _papers()[0], _papers()[2]
    with engine.begin() as conn:
        upsert_papers(conn, [replace(first, version=2, comments="Accepted at NeurIPS 2026")])
        upsert_papers(conn, [replace(third, version=2, comments="Under review at COLM 2026")])
    held = _venues(engine)
    assert (held["2606.70001"], held["2606.70003"]) == ("NeurIPS 2026", None)


def test_the_conferences_page_lists_each_venue_by_year_with_its_tracks(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        page = c.get("/venues")
        assert page.status_code == 200
        text = page.text
        assert text.index('id="venues-2026"') < text.index('id="venues-2025"')
        assert '<a href="/venues/icml-2026">ICML 2026</a> <span class="muted">(3)</span>' in text
        assert '<a href="/venues/icml-2026-workshop">Workshops</a>' in text
        assert '<a href="/venues/acl-2026-findings">Findings</a>' in text
        assert "ACL 2026" in text and 'href="/venues/acl-2026"' not in text  # no main paper
        assert 'href="/venues/neurips-2025"' in text
        assert 'href="/venues">Conferences</a>' in c.get("/trending").text  # the footer


def test_a_venues_page_lists_its_papers_newest_or_most_upvoted_and_pages(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        newest = c.get("/venues/icml-2026")
        assert newest.status_code == 200
        assert _CARD.findall(newest.text) == ["2606.70002", "2606.70003", "2606.70001"]
        assert "<h1>ICML 2026</h1>" in newest.text and "3 papers" in newest.text
        assert 'href="/venues/icml-2026-workshop">ICML 2026 Workshop</a>' in newest.text
        voted = c.get("/venues/icml-2026?sort=votes")
        assert _CARD.findall(voted.text) == ["2606.70003", "2606.70001", "2606.70002"]
        assert 'href="/feeds/venue/icml-2026.atom?sort=votes"' in voted.text
        assert _CARD.findall(c.get("/venues/icml-2026-workshop").text) == ["2606.70004"]
        # a paper the moderators hid is not listed
        with engine.begin() as conn:
            conn.execute(update(papers).where(papers.c.id == "2606.70003").values(hidden=True))
    with client(site, engine) as c:
        assert _CARD.findall(c.get("/venues/icml-2026").text) == ["2606.70002", "2606.70001"]
        paged = web_settings(site, page_size=1)
    with client(paged, engine) as c:
        second = c.get("/venues/icml-2026?sort=votes&page=2")
        assert _CARD.findall(second.text) == ["2606.70002"]
        assert 'href="/venues/icml-2026?sort=votes">← Previous page' in second.text
        assert c.get("/venues/icml-2026?page=3").status_code == 404


def test_a_conferences_page_links_its_other_years_held_here(site: Settings, engine: Engine) -> None:
    with engine.begin() as conn:  # ICML 2025 and 2016; 2015 is more than ten years before
        upsert_papers(
            conn,
            [
                replace(_papers()[0], id=pid, comments=f"Accepted at ICML {year}")
                for pid, year in (("2606.70091", 2025), ("2606.70092", 2016), ("2606.70093", 2015))
            ],
        )
    years = re.compile(r'<nav class="venue-tracks venue-years" aria-label="Years">(.*?)</nav>')
    with client(site, engine) as c:
        page = c.get("/venues/icml-2026").text
        held = years.findall(page)
        assert len(held) == 1
        assert re.findall(r'href="([^"]+)"', held[0]) == [
            "/venues/icml-2016",
            "/venues/icml-2025",
            "/venues/icml-2026",
        ]
        assert 'aria-current="page"><b>ICML 2026</b>' in held[0] and "(3)" in held[0]
        earlier = c.get("/venues/icml-2025")  # the link leads there, linking back
        assert earlier.status_code == 200 and "<h1>ICML 2025</h1>" in earlier.text
        assert 'href="/venues/icml-2026">ICML 2026</a>' in years.findall(earlier.text)[0]
        assert years.findall(c.get("/venues/icml-2026-workshop").text) == []  # one year only


@pytest.mark.parametrize(
    ("path", "status", "said"),
    [
        ("/venues/icml", 404, "names no conference here"),
        ("/venues/nowhere-2026", 404, "names no conference here"),
        ("/venues/icml-2026-oral", 404, "names no conference here"),
        ("/venues/icml-1999", 404, "no paper here says it is at ICML 1999"),
        ("/venues/icml-1999/topics", 404, "no paper here says it is at ICML 1999"),
        ("/feeds/venue/icml-1999.atom", 404, "no paper here says it is at ICML 1999"),
        ("/api/venues/icml-1999", 404, "no paper here says it is at ICML 1999"),
        ("/api/venues/<script>", 404, "names no conference here"),
        ("/venues/<script>", 404, "names no conference here"),
        ("/venues/icml-2026?sort=best", 400, "sort: use one of newest, votes"),
        ("/api/venues/icml-2026?sort=best", 422, "sort: use one of newest, votes"),
    ],
)
def test_a_venue_not_here_or_a_bad_order_is_a_4xx_saying_why(
    site: Settings, engine: Engine, path: str, status: int, said: str
) -> None:
    with client(site, engine) as c:
        got = c.get(path)
        assert got.status_code == status, got.text
        assert said in got.text
        if "html" in got.headers["content-type"]:
            assert "<script>" not in got.text.split("</header>")[-1]  # inert where shown


def test_a_venues_feed_and_its_bibtex(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        atom = c.get("/feeds/venue/icml-2026.atom")
        assert atom.status_code == 200 and "<title>ICML 2026" in atom.text
        assert atom.text.count("<entry>") == 3
        bib = c.get("/feeds/venue/icml-2026.bib?sort=votes")
        assert bib.status_code == 200
        order = re.findall(r"eprint\s*=\s*\{([^}]+)\}", bib.text)
        assert order == ["2606.70003", "2606.70001", "2606.70002"]


def test_the_api_lists_venues_and_a_venues_papers(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        listed = c.get("/api/venues").json()
        labels = [(v["label"], v["papers"]) for v in listed]
        assert labels == [
            ("ICML 2026", 3), ("ICML 2026 Workshop", 1), ("Findings of ACL 2026", 1),
            ("NeurIPS 2025", 1),
        ]  # fmt: skip
        icml = listed[0]
        assert (icml["name"], icml["year"], icml["track"], icml["slug"]) == (
            "ICML",
            2026,
            "",
            "icml-2026",
        )
        assert icml["url"].endswith("/venues/icml-2026")
        assert icml["feeds"]["atom"].endswith("/feeds/venue/icml-2026.atom")
        items = c.get("/api/venues/icml-2026?sort=votes").json()
        assert [i["paper"]["id"] for i in items] == ["2606.70003", "2606.70001", "2606.70002"]
        assert [i["paper"]["id"] for i in c.get("/api/venues/acl-2026-findings").json()] == [
            "2606.70006"
        ]


def test_a_conferences_challenges_are_its_own_track_everywhere(
    site: Settings, engine: Engine
) -> None:
    """A challenge's report is on the conference's challenges page, listed beside it, in the
    API and the search filter, and not among its main papers; a tutorial is nowhere."""
    said = {
        "2606.70101": "CVPR 2026 SoccerNet Novel View Synthesis Challenge, Rank 1",
        "2606.70102": "Accepted at CVPR 2026",
        "2606.70103": "Accepted to CVPR 2026 Tutorial",
    }
    with engine.begin() as conn:
        upsert_papers(conn, [replace(_papers()[0], id=k, comments=c) for k, c in said.items()])
    assert [_venues(engine)[k] for k in said] == ["CVPR 2026 Challenge", "CVPR 2026", None]
    with client(site, engine) as c:
        index = c.get("/venues").text
        assert '<a href="/venues/cvpr-2026-challenge">Challenges</a>' in index
        main = c.get("/venues/cvpr-2026").text
        assert _CARD.findall(main) == ["2606.70102"]
        assert 'href="/venues/cvpr-2026-challenge">CVPR 2026 Challenge</a>' in main
        page = c.get("/venues/cvpr-2026-challenge")
        assert page.status_code == 200 and "<h1>CVPR 2026 Challenge</h1>" in page.text
        assert _CARD.findall(page.text) == ["2606.70101"]
        listed = {v["label"]: v for v in c.get("/api/venues").json()}
        assert listed["CVPR 2026 Challenge"]["track"] == "Challenge"
        assert listed["CVPR 2026 Challenge"]["papers"] == 1
        found = _found(c, "/api/venues/cvpr-2026-challenge")
        assert found == ["2606.70101"]
        assert _found(c, "/search?q=paper&mode=keyword&venue=cvpr-2026-challenge") == found
        assert '<a href="/venues/cvpr-2026-challenge">CVPR 2026 Challenge</a>' in (
            c.get("/papers/2606.70101").text
        )


def test_a_papers_page_links_its_venue(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        page = c.get("/papers/2606.70001").text
        assert '<a href="/venues/icml-2026">ICML 2026</a> (Oral)' in page
        assert "/venues/" not in c.get("/papers/2606.70005").text.split("<footer>")[0]


def test_a_venue_by_topic_lists_each_of_its_papers_once(site: Settings, engine: Engine) -> None:
    embed_papers(site, engine)
    with client(site, engine) as c:
        page = c.get("/venues/icml-2026/topics")
        assert page.status_code == 200
        rows = re.findall(r'<li><a href="/papers/([^"]+)">', page.text)
        assert sorted(rows) == sorted(ICML)
        assert "<h1>ICML 2026</h1>" in page.text
        assert 'href="/venues/icml-2026">list</a>' in page.text
        listed = c.get("/venues/icml-2026").text
        assert 'href="/venues/icml-2026/topics">by topic</a>' in listed


@pytest.mark.parametrize(
    "venue",
    [Venue("ICML", 2026), Venue("ACL", 2026, "Findings"), Venue("CVPR", 2025, "Workshop"),
     Venue("NeurIPS", 2025), Venue("CoRL", 2026), Venue("Interspeech", 2025),
     Venue("RecSys", 2025), Venue("LREC", 2026, "Workshop"), Venue("ACM MM", 2026),
     Venue("SIGGRAPH Asia", 2025), Venue("ECML PKDD", 2025, "Workshop"), Venue("3DV", 2026),
     Venue("WWW", 2026), Venue("AACL", 2025, "Findings")],
)  # fmt: skip
def test_a_venues_address_and_label_name_it_back(venue: Venue) -> None:
    assert from_slug(venue.slug) == venue and from_label(venue.label) == venue
    said = venue_of(f"Accepted at {venue.label}")
    assert said is not None and said.kept == venue


def test_a_signed_in_reader_gets_a_conference_ranked_by_their_model(
    site: Settings, engine: Engine
) -> None:
    embed_papers(site, engine)
    with client(site, engine) as c:
        anonymous = c.get("/venues/icml-2026?sort=foryou").text
        assert "to see this conference ranked for you" in anonymous
        assert _CARD.findall(anonymous) == ["2606.70002", "2606.70003", "2606.70001"]
        assert ">for you</a>" not in anonymous  # offered to the signed in only
        sign_up(c, "ranker")
        fresh = c.get("/venues/icml-2026?sort=foryou").text
        assert "Nothing to rank by yet" in fresh and 'class="why"' not in fresh
        assert 'href="/venues/icml-2026?sort=foryou"' in c.get("/venues/icml-2026").text
        assert _CARD.findall(fresh) == ["2606.70002", "2606.70003", "2606.70001"]
        with engine.begin() as conn:
            save_paper(conn, user_id(engine, "ranker"), "2606.70001")
        ranked = c.get("/venues/icml-2026?sort=foryou")
        assert ranked.status_code == 200
        shown = _CARD.findall(ranked.text)
        assert sorted(shown) == ["2606.70002", "2606.70003"]  # the saved one left out
        assert ranked.text.count('<p class="why">Why: ') == 2
        assert "Ranked for you by your" in ranked.text
        assert 'aria-current="true"><b>for you</b>' in ranked.text
        # the reader's model is trained once: another page, or the same again, reuses it
        recommender = c.app.state.recommender  # type: ignore[attr-defined]
        trained = recommender.trained
        assert c.get("/venues/icml-2026?sort=foryou&page=2").status_code == 404  # 2 papers
        assert _CARD.findall(c.get("/venues/icml-2026?sort=foryou").text) == shown
        assert recommender.trained == trained
        with engine.begin() as conn:
            for pid in ("2606.70002", "2606.70003"):
                save_paper(conn, user_id(engine, "ranker"), pid)
        every = c.get("/venues/icml-2026?sort=foryou").text
        assert "You have saved or rated every paper of ICML 2026" in every
        assert len(_CARD.findall(every)) == 3


def test_the_api_ranks_a_conference_for_a_token_holder(site: Settings, engine: Engine) -> None:
    embed_papers(site, engine)
    with client(site, engine) as c:
        assert c.get("/api/me/venues/icml-2026").status_code == 401
        auth = bearer(c, "apiranker")
        cold = c.get("/api/me/venues/icml-2026", headers=auth)
        assert cold.status_code == 409 and "nothing to rank by yet" in cold.json()["detail"]
        rated = c.put("/api/me/ratings/2606.70003", json={"rating": 1}, headers=auth)
        assert rated.status_code in (200, 204), rated.text
        ranked = c.get("/api/me/venues/icml-2026?limit=5", headers=auth)
        assert ranked.status_code == 200, ranked.text
        items = ranked.json()
        assert sorted(i["paper"]["id"] for i in items) == ["2606.70001", "2606.70002"]
        assert all(i["why"] for i in items)
        assert len(c.get("/api/me/venues/icml-2026?limit=1", headers=auth).json()) == 1
        assert c.get("/api/me/venues/icml-1999", headers=auth).status_code == 404
        assert c.get("/api/me/venues/nowhere-2026", headers=auth).status_code == 404
        assert c.get("/api/me/venues/icml-2026?limit=0", headers=auth).status_code == 422


def _found(c, path: str) -> list[str]:  # type: ignore[no-untyped-def]
    got = c.get(path)
    assert got.status_code == 200, got.text
    if "json" in got.headers["content-type"]:
        return [item["paper"]["id"] for item in got.json()]
    if "xml" in got.headers["content-type"]:
        return re.findall(r"arxiv\.org/abs/(\d{4}\.\d{5})", got.text)
    return _CARD.findall(got.text)


@pytest.mark.parametrize("mode", ["keyword", "hybrid", "semantic"])
def test_a_search_within_a_conference_finds_only_its_papers(
    site: Settings, engine: Engine, mode: str
) -> None:
    # every paper holds the words "study" and "depth": the conference alone tells them apart
    embed_papers(site, engine)
    with client(site, engine) as c:
        everywhere = set(_found(c, f"/search?q=study+depth&mode={mode}&page=1"))
        assert everywhere - set(ICML), everywhere  # papers at no conference match too
        for path in (
            f"/search?q=study+depth&mode={mode}&venue=icml-2026",
            f"/search?q=study+depth&mode={mode}&venue=icml-2026&page=2",
            f"/api/papers/search?q=study+depth&mode={mode}&venue=icml-2026&limit=50",
            f"/feeds/search.atom?q=study+depth&mode={mode}&venue=icml-2026",
        ):
            if path.endswith("page=2"):  # 5 a page: ICML's 3 fill one
                assert c.get(path).status_code == 404
                continue
            assert sorted(set(_found(c, path))) == ICML, path
        # the workshop's own address is its own: none of the main track's papers
        assert _found(c, f"/search?q=study+depth&mode={mode}&venue=icml-2026-workshop") == [
            "2606.70004"
        ]


def test_a_search_within_a_conference_by_date_walks_only_its_papers(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        walked: list[str] = []
        path = "/api/papers/search?q=study&mode=keyword&sort=date&limit=2&venue=icml-2026"
        while path:
            got = c.get(path)
            assert got.status_code == 200, got.text
            walked += [item["paper"]["id"] for item in got.json()]
            following = got.headers.get("X-Next-Cursor")
            path = f"{path.split('&cursor=')[0]}&cursor={following}" if following else ""
        # newest first: 70002 (Jun 26), 70003 (Jun 25), 70001 (Jun 24)
        assert walked == ["2606.70002", "2606.70003", "2606.70001"]


def test_a_conference_page_searches_its_papers_and_the_search_says_so(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        page = c.get("/venues/icml-2026").text
        form = page.split('class="venue-search"')[1].split("</form>")[0]
        assert 'action="/search"' in form and 'name="venue" value="icml-2026"' in form
        got = c.get("/search?q=study&venue=icml-2026&mode=keyword")
        assert "Searching the papers at" in got.text
        assert 'href="/venues/icml-2026">ICML 2026</a>' in got.text
        assert 'name="venue" value="ICML 2026"' in got.text  # Filters' Conference field
        assert 'href="/search?q=study&amp;mode=keyword">search every paper</a>' in got.text
        assert "<title>study – search at ICML 2026" in got.text
        empty = c.get("/search?venue=icml-2026").text
        assert "Type words to search the papers at ICML 2026" in empty
        # a hidden paper is not searched; a paper's later version at another conference moves
        with engine.begin() as conn:
            conn.execute(update(papers).where(papers.c.id == "2606.70001").values(hidden=True))
            upsert_papers(conn, [replace(_papers()[2], version=2, comments="At ICLR 2026")])
        assert _found(c, "/search?q=study&venue=icml-2026&mode=keyword") == ["2606.70002"]
        assert _found(c, "/search?q=study&venue=iclr-2026&mode=keyword") == ["2606.70003"]


@pytest.mark.parametrize(
    "typed",
    [
        "icml-2026",
        "ICML 2026",
        " icml  2026 ",
        "ICML-2026",
        "icml 2026",
        "ICML '26",
        "ICML 2026 Oral",
    ],
)
def test_a_conference_filter_takes_its_address_or_its_name(
    site: Settings, engine: Engine, typed: str
) -> None:
    with client(site, engine) as c:
        assert sorted(_found(c, f"/search?q=study&mode=keyword&venue={typed}")) == ICML
        api = f"/api/papers/search?q=study&mode=keyword&venue={typed}"
        assert sorted(_found(c, api)) == ICML
    assert from_slug("acl-2026-findings") == Venue("ACL", 2026, "Findings")


def test_the_search_pages_conference_field_says_what_it_takes(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        got = c.get("/search?q=study&venue=ICML")
        assert got.status_code == 200  # a notice on the page, as a bad category's
        said = "Conference: &#39;ICML&#39; names no conference: give a conference and its year"
        assert said in got.text
        assert 'name="venue" value="ICML"' in got.text  # kept in its field to mend
        assert _CARD.findall(got.text) == []
        hostile = c.get("/search?q=study&venue=%3Cscript%3Ealert(1)%3C/script%3E").text
        assert "<script>alert(1)" not in hostile.split("</header>")[-1]
        # "Findings of ACL 2026", as its page calls it
        assert _found(c, "/search?q=study&venue=Findings+of+ACL+2026") == ["2606.70006"]


_MEANT = re.compile(r'<p class="notice meant" role="status">(.*?)</p>', re.S)


@pytest.mark.parametrize(
    ("typed", "offered"),
    [
        ("ICML", ["ICML 2026", "ICML 2026 Workshop"]),  # no year: the main track first
        ("icml workshop", ["ICML 2026 Workshop", "ICML 2026"]),
        ("icml &#39;26", ["ICML 2026", "ICML 2026 Workshop"]),  # papers write it in capitals
        ("ICLM 2026", ["ICML 2026", "ICML 2026 Workshop"]),  # misspelt
        ("findings acl", ["Findings of ACL 2026"]),
        ("NeurIPS", ["NeurIPS 2025"]),
    ],
)
def test_a_conference_naming_none_offers_those_it_may_mean_each_a_link_that_searches_it(
    site: Settings, engine: Engine, typed: str, offered: list[str]
) -> None:
    with client(site, engine) as c:
        got = c.get("/search", params={"q": "study", "venue": typed.replace("&#39;", "'")})
        meant = _MEANT.findall(got.text)
        assert len(meant) == 1, got.text
        links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', meant[0])
        assert meant[0].startswith("Did you mean ")
        assert [label for _, label in links] == offered
        first = c.get(links[0][0].replace("&amp;", "&"))  # the link searches within it
        assert "Searching the papers at" in first.text and _MEANT.findall(first.text) == []
        if offered[0] == "ICML 2026":
            assert sorted(_CARD.findall(first.text)) == ICML
        assert "q=study" in links[0][0]  # the words searched are kept


def test_a_conference_no_paper_here_names_says_so_and_offers_those_held(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        got = c.get("/search?q=study&venue=icml-2019&mode=keyword")
        assert got.status_code == 200 and _CARD.findall(got.text) == []
        meant = _MEANT.findall(got.text)
        assert meant and meant[0].startswith("No paper here says it is at ICML 2019. Did you mean")
        assert ">ICML 2026</a>" in meant[0]
        # a conference with papers but none matching the words: no such notice
        assert _MEANT.findall(c.get("/search?q=zzzzqqq&venue=icml-2026").text) == []
        nothing = c.get("/search?q=study&venue=coling-2019").text  # no COLING here at all
        assert "No paper here says it is at COLING 2019." in nothing
        assert 'href="/venues">Conferences</a> lists every one papers here name.' in nothing
        # the API's and the feed's 400 offer them by address
        for path in ("/api/papers/search?q=study&venue=icml", "/feeds/search.atom?q=s&venue=ICLM"):
            said = c.get(path)
            assert said.status_code == 400
            assert "did you mean icml-2026, icml-2026-workshop?" in said.text, said.text
        assert "did you mean" not in c.get("/api/papers/search?q=s&venue=qqqq-2026").text


def test_the_conference_field_offers_the_conferences_held_read_again_after_a_while(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        page = c.get("/search?q=study").text
        field = re.search(r'<input type="text" name="venue"[^>]*>', page)
        assert field and 'list="venue-names"' in field[0]
        listed = re.search(r'<datalist id="venue-names">(.*?)</datalist>', page, re.S)
        assert listed and re.findall(r'value="([^"]+)"', listed[1]) == [
            "ICML 2026",
            "Findings of ACL 2026",
            "ICML 2026 Workshop",
            "NeurIPS 2025",
        ]
    names = VenueNames(engine, every=3600)
    before = names.current()
    with engine.begin() as conn:
        upsert_papers(conn, [replace(_papers()[0], id="2606.70099", comments="At ICLR 2026")])
    assert names.current() == before  # counted again only after a while
    assert "ICLR 2026" in VenueNames(engine, every=0).current()


def test_the_conference_fields_offers_keep_the_last_list_when_the_store_fails(
    engine: Engine,
) -> None:
    names = VenueNames(engine, every=0)
    with engine.begin() as conn:
        upsert_papers(conn, _papers())
    held = names.current()
    assert "ICML 2026" in held
    broken = VenueNames(create_engine("sqlite://"), every=0)  # no tables: every count fails
    assert broken.current() == []  # no offers, no error: the page is served without them
    names._engine = broken._engine  # the store fails after a good count
    assert names.current() == held


@pytest.mark.parametrize(
    "path",
    [
        "/api/papers/search?q=study&venue=nowhere-2026",
        "/api/papers/search?q=study&venue=icml",
        "/api/papers/search?q=study&venue=icml-26",
        "/feeds/search.atom?q=study&venue=%3Cscript%3E",
        "/api/papers/search?q=study&venue=" + "x" * 65,
    ],
)
def test_a_search_within_no_conference_is_a_4xx_saying_what_it_takes(
    site: Settings, engine: Engine, path: str
) -> None:
    with client(site, engine) as c:
        got = c.get(path)
        assert got.status_code in (400, 422), got.text
        assert "venue" in got.text
        if got.status_code == 400:
            assert "such as icml-2026" in got.text
        if "html" in got.headers["content-type"]:
            assert "<script>" not in got.text.split("</header>")[-1]  # inert where shown


def test_the_venue_queries_are_answered_from_the_venues_index_alone(
    site: Settings, engine: Engine
) -> None:
    # the index holds only the papers naming a venue (the others' inserts skip it), and covers
    # the conferences page's counts and a search's scope
    with engine.connect() as conn:
        ids = conn.execute(select(papers.c.id).where(papers.c.venue == "ICML 2026")).scalars()
        assert sorted(ids) == ICML
        if engine.dialect.name != "sqlite":
            return  # PostgreSQL's plans depend on its statistics; SQLite's on the index alone
        for sql in (
            "SELECT id FROM papers WHERE venue = 'ICML 2026' AND hidden = 0",
            "SELECT venue, count(*) FROM papers WHERE venue IS NOT NULL AND hidden = 0 "
            "GROUP BY venue",
        ):
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            assert "USING COVERING INDEX ix_papers_venue" in plan, plan
        sql = "SELECT count(*) FROM papers INDEXED BY ix_papers_venue WHERE venue IS NOT NULL"
        assert conn.exec_driver_sql(sql).scalar() == 6  # of the 8 papers, those naming a venue
