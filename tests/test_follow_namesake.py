"""Following one author among several who share a name (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.recommend import namesakes
from paperfeed.recommend.service import Recommender
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.store.accounts import create_user
from paperfeed.store.community import find_user_id
from paperfeed.store.library import (
    NamedPaper,
    add_interest,
    interests,
    namesake_value,
    papers_under_name,
    remove_interest,
)
from tests.web_support import bearer, client, post_form, sign_up, web_settings

NEW = date(2026, 6, 26)  # the newest listing day
OLD = NEW - timedelta(days=90)  # outside every For you window
REASON = "by Yang Li, whom you follow"


def _paper(pid: str, day: date, category: str, *authors: str) -> Paper:
    words = "graph neural networks" if category == "cs.LG" else "galaxy rotation curves"
    return Paper(
        id=pid,
        title=f"On {words} {pid}",
        abstract=f"We study {words} and report what {pid} finds.",
        authors=authors,
        categories=(category,),
        version=1,
        source="test",
        listing_date=day,
    )


# Two people named Yang Li who never wrote with the same person: one in machine learning
# (with Ann Smith and Bo Chen), one in astronomy (with Carl Wu and Dana Park).
PAPERS = [
    _paper("2603.00001", OLD, "cs.LG", "Yang Li", "Ann Smith"),
    _paper("2603.00002", OLD, "cs.LG", "Yang Li", "Ann Smith", "Bo Chen"),
    _paper("2603.00003", OLD, "astro-ph.GA", "Yang Li", "Carl Wu"),
    _paper("2603.00004", OLD, "astro-ph.GA", "Carl Wu", "Yang Li", "Dana Park"),
    # New: the learner writes with Bo Chen and a newcomer, then with the newcomer alone.
    _paper("2606.00001", NEW, "cs.LG", "Yang Li", "Bo Chen", "Eve Newman"),
    _paper("2606.00002", NEW, "cs.LG", "Eve Newman", "Yang Li", "Finn Other"),
    _paper("2606.00003", NEW, "astro-ph.GA", "Dana Park", "Yang Li"),  # the astronomer
    _paper("2606.00004", NEW, "cs.LG", "Gus Apart", "Hal Else"),  # nobody's
]
LEARNER_NEW = {"2606.00001", "2606.00002"}
ASTRONOMER_NEW = "2606.00003"


def _fill(engine: Engine) -> None:
    with engine.begin() as conn:
        upsert_papers(conn, PAPERS)


def _reasons(engine: Engine, user_id: int) -> dict[str, str]:
    """The For you feed of the newest week as an uncached recommender ranks it: why by id."""
    with engine.connect() as conn:
        feed = Recommender(engine).feed(conn, user_id, NEW - timedelta(days=6), NEW, 20)
    return {r.id: r.why for r in feed}


def _groups(page: str) -> list[str]:
    """The follow page's groups, as HTML."""
    return [g.split("</section>")[0] for g in page.split('class="namesake"')[1:]]


def _anchors(page: str) -> list[str]:
    return re.findall(r'name="anchor" value="([^"]*)"', page)


def _user(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        found = find_user_id(conn, name)
    assert found is not None
    return int(found[0])


# --- the grouping, pure ---------------------------------------------------------------------


def _named(pid: str, *authors: str, category: str = "cs.LG") -> NamedPaper:
    keys = tuple((a, a.lower()) for a in authors)
    return NamedPaper(pid, pid, (category,), keys)


def test_papers_joined_through_shared_coauthors_are_one_group() -> None:
    found = namesakes.groups(
        [
            _named("a1", "Yang Li", "Ann"),
            _named("b1", "Yang Li", "Carl", category="astro-ph.GA"),
            _named("a2", "Bo", "Yang Li"),
            _named("a3", "Yang Li", "Ann", "Bo"),  # joins a1 and a2 through Ann and Bo
            _named("s1", "Yang Li", "Solo", category="math.AG"),
            _named("s2", "Yang Li", "Lone", category="math.AG"),
            _named("s3", "Yang Li", category="math.AG"),  # no co-author at all
        ],
        "yang li",
    )
    assert [[p.id for p in g.papers] for g in found] == [
        ["a1", "a2", "a3"],
        ["s1", "s2", "s3"],  # sharing no co-author: grouped by primary category
        ["b1"],
    ]
    assert [g.by_category for g in found] == [False, True, True]
    assert found[0].coauthors == (("Ann", "ann", 2), ("Bo", "bo", 2))
    assert found[0].anchor == "ann" and found[1].keys == {"solo", "lone"}
    assert namesakes.label("Yang Li", found[0]) == "Yang Li (with Ann, Bo)"


def test_a_followed_namesake_grows_with_those_who_write_with_them() -> None:
    papers = [
        _named("1", "Yang Li", "Ann"),
        _named("2", "Yang Li", "Ann", "Eve"),  # Eve joins through Ann
        _named("3", "Yang Li", "Eve", "Finn"),  # Finn through Eve
        _named("4", "Yang Li", "Carl"),  # another Yang Li
    ]
    assert namesakes.circle(papers, "yang li", frozenset({"ann"})) == {"ann", "eve", "finn"}
    assert namesakes.circle(papers, "yang li", frozenset({"carl"})) == {"carl"}


# --- the store and the ranker ---------------------------------------------------------------


def test_following_one_yang_li_brings_only_their_papers(engine: Engine) -> None:
    _fill(engine)
    with engine.begin() as conn:
        reader = create_user(conn, "reader", "not a real hash").id
        value = namesake_value("yang li", ["ann smith", "bo chen"])
        assert add_interest(conn, reader, "follow", "author", value, "Yang Li (with Ann Smith)")
    why = _reasons(engine, reader)
    assert {pid for pid, w in why.items() if w == REASON} == LEARNER_NEW  # Finn's paper too
    assert why[ASTRONOMER_NEW] != REASON
    ranked = list(why)
    assert max(ranked.index(p) for p in LEARNER_NEW) < ranked.index(ASTRONOMER_NEW)

    with engine.begin() as conn:  # every Yang Li, as before
        add_interest(conn, reader, "follow", "author", "yang li", "Yang Li")
    why = _reasons(engine, reader)
    assert {pid for pid, w in why.items() if w == REASON} == LEARNER_NEW | {ASTRONOMER_NEW}


def test_the_store_keeps_a_namesake_in_the_follows_value(engine: Engine) -> None:
    _fill(engine)
    with engine.begin() as conn:
        reader = create_user(conn, "reader", "not a real hash").id
        named = papers_under_name(conn, "yang li")
        value = namesake_value("yang li", ["carl wu", "x" * 600, "dana park"])
        add_interest(conn, reader, "follow", "author", value, "Yang Li (with Carl Wu)")
        add_interest(conn, reader, "follow", "author", "yang li", "Yang Li")
        # Removed by the value as an author name folds it (the form and the API fold it).
        assert remove_interest(conn, reader, "follow", "author", "yang li carl wu")
        kept = [i.value for i in interests(conn, reader, "follow")]
    assert value == "yang li ~ carl wu" and kept == ["yang li"]  # an anchor too long: left out
    assert [p.id for p in named][:3] == ["2606.00003", "2606.00002", "2606.00001"]
    assert named[0].authors == (("Dana Park", "dana park"), ("Yang Li", "yang li"))
    assert named[0].categories == ("astro-ph.GA",)


def test_muting_the_name_ends_each_follow_of_it_and_following_one_ends_the_mute(
    engine: Engine,
) -> None:
    with engine.begin() as conn:
        reader = create_user(conn, "reader", "not a real hash").id
        one = namesake_value("yang li", ["ann smith"])
        add_interest(conn, reader, "follow", "author", one, "Yang Li (with Ann Smith)")
        add_interest(conn, reader, "follow", "author", "yang liu", "Yang Liu")
        add_interest(conn, reader, "mute", "author", "yang li", "Yang Li")
        assert [i.value for i in interests(conn, reader, "follow")] == ["yang liu"]
        add_interest(conn, reader, "follow", "author", one, "Yang Li (with Ann Smith)")
        assert interests(conn, reader, "mute") == []


# --- the pages --------------------------------------------------------------------------------


def _site(settings: Settings, engine: Engine) -> Settings:
    _fill(engine)
    return web_settings(settings)


def _follow_page(c: TestClient) -> str:
    page = c.get("/follow/author/yang-li")
    assert page.status_code == 200, page.text
    return page.text


def test_the_follow_page_offers_each_yang_li_and_the_library_says_which(
    settings: Settings, engine: Engine
) -> None:
    site = _site(settings, engine)
    with client(site, engine) as c:
        sign_up(c, "reader")
        page = _follow_page(c)
        assert "following a name follows every paper under it" not in page  # fixed
        assert page.count(">Follow this Yang Li</button>") == 2
        assert ">Follow every Yang Li</button>" in page
        learner, astronomer = _groups(page)
        assert "Bo Chen" in learner and "Carl Wu" not in learner and "cs.LG" in learner
        assert "Carl Wu" in astronomer and "Ann Smith" not in astronomer
        anchor = _anchors(learner)[0]
        answer = post_form(c, "/follow/author/yang-li/namesake", {"anchor": anchor})
        assert answer.status_code == 303

        page = _follow_page(c)
        learner, astronomer = _groups(page)
        assert ">Unfollow this Yang Li</button>" in learner
        assert ">Follow this Yang Li</button>" in astronomer
        library = c.get("/library").text
        assert "author: Yang Li (with Ann Smith, Bo Chen)" in library
        # The author page says one Yang Li is followed, and leads to where it is managed.
        author_page = c.get("/authors/yang-li").text
        assert 'href="/follow/author/yang-li">Following one Yang Li · manage</a>' in author_page

        reader = _user(engine, "reader")
        why = _reasons(engine, reader)
        assert {p for p, w in why.items() if w == REASON} == LEARNER_NEW
        for_you = c.get("/for-you?window=week").text
        cards = dict(
            re.findall(r'data-id="([^"]+)".*?<p class="why">Why: ([^<]*)</p>', for_you, re.S)
        )
        assert cards[ASTRONOMER_NEW] != REASON and cards["2606.00001"] == REASON

        # Unfollowed from the library's list: the form sends the follow's value back.
        value = re.search(r'name="value" value="(yang li ~ [^"]*)"', library)
        assert value is not None
        post_form(c, "/me/follow", {"kind": "author", "value": value[1], "undo": "1"})
        assert "Yang Li (with" not in c.get("/library").text


def test_muting_a_name_says_it_ended_the_follow_of_one_namesake(
    settings: Settings, engine: Engine
) -> None:
    """Muting "Yang Li" on the author page silently ended the follow of the one Yang Li the
    reader had chosen: the page said only "Muted author “Yang Li”."."""
    site = _site(settings, engine)
    with client(site, engine) as c:
        sign_up(c, "reader")
        learner, _astronomer = _groups(_follow_page(c))
        post_form(c, "/follow/author/yang-li/namesake", {"anchor": _anchors(learner)[0]})
        muted = post_form(
            c, "/me/mute", {"kind": "author", "value": "Yang Li", "next": "/authors/yang-li"}
        )
        assert muted.status_code == 303
        page = c.get(muted.headers["location"]).text
        said = " ".join(page.split())
        assert "Muted author “Yang Li”. This ended your follow of it (a mute hides every" in said
        assert "Yang Li (with" not in c.get("/library").text
        again = post_form(c, "/me/follow", {"kind": "category", "value": "cs.LG"})
        assert "This ended" not in " ".join(c.get(again.headers["location"]).text.split())


def test_the_api_lists_a_namesake_follow_and_removes_it_by_its_value(
    settings: Settings, engine: Engine
) -> None:
    site = _site(settings, engine)
    with client(site, engine) as c:
        auth = bearer(c, "reader")
        reader = _user(engine, "reader")
        with engine.begin() as conn:
            value = namesake_value("yang li", ["carl wu", "dana park"])
            add_interest(conn, reader, "follow", "author", value, "Yang Li (with Carl Wu)")
        listed = c.get("/api/me/follows", headers=auth).json()
        assert listed == [{"kind": "author", "value": value, "label": "Yang Li (with Carl Wu)"}]
        gone = c.request(
            "DELETE", "/api/me/follows", params={"kind": "author", "value": value}, headers=auth
        )
        assert gone.status_code == 200, gone.text
        assert c.get("/api/me/follows", headers=auth).json() == []


def test_following_a_namesake_refuses_what_is_not_there(settings: Settings, engine: Engine) -> None:
    site = _site(settings, engine)
    with client(site, engine) as c:
        sign_up(c, "reader")
        nobody = post_form(c, "/follow/author/yang-li/namesake", {"anchor": "<b>nobody</b>"})
        assert nobody.status_code == 400 and "<b>nobody" not in nobody.text
        assert "no paper by Yang Li here has the co-author" in nobody.text
        missing = post_form(c, "/follow/author/no-such-person/namesake", {"anchor": "ann smith"})
        assert missing.status_code == 404
        assert c.get("/library").text.count("author: ") == 0
        # One group only: the page is as it was, one button for the name.
        single = c.get("/follow/author/gus-apart").text
        assert "Follow this" not in single and ">Follow Gus Apart</button>" in single


def test_a_followed_namesake_can_be_unfollowed_where_the_name_has_one_group(
    settings: Settings, engine: Engine
) -> None:
    site = _site(settings, engine)
    with client(site, engine) as c:
        sign_up(c, "reader")
        with engine.begin() as conn:
            value = namesake_value("gus apart", ["hal else"])
            add_interest(conn, _user(engine, "reader"), "follow", "author", value, "Gus Apart")
        page = c.get("/follow/author/gus-apart").text
        assert ">Unfollow this Gus Apart</button>" in page
        assert ">Follow every Gus Apart</button>" in page
        sent = (
            'name="value" value="gus apart ~ hal else"><input type="hidden" name="undo" value="1"'
        )
        assert sent in page
        post_form(c, "/me/follow", {"kind": "author", "value": "gus apart ~ hal else", "undo": "1"})
        assert ">Follow Gus Apart</button>" in c.get("/follow/author/gus-apart").text
