"""The site's HTML pages, accounts, upvotes, submissions and safety, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import secrets
from dataclasses import replace
from datetime import date, datetime
from html import escape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from paperfeed.models import Paper
from paperfeed.search import embed_papers
from paperfeed.secret import InsecureSettings
from paperfeed.settings import Settings
from paperfeed.store import get_paper, upsert_papers
from paperfeed.store.accounts import set_admin, users
from paperfeed.store.digests import find_subscriber, get_interests
from paperfeed.web import community, csrf
from paperfeed.web.app import create_app
from paperfeed.web.periods import day_period
from paperfeed.web.render import author_slug
from tests.replay import arxiv_api_handler, replay
from tests.web_support import (
    DAYS,
    HOSTILE,
    HOSTILE_ID,
    client,
    csrf_token,
    fill_store,
    on_day,
    post_form,
    sign_up,
    stored,
    untokened,
    web_settings,
)

_IDS_RE = re.compile(r'<article class="card[^"]*" data-id="([^"]+)"')


def card_ids(html: str) -> list[str]:
    """Paper ids of the cards on a page, in order."""
    return _IDS_RE.findall(html)


def all_card_ids(c: TestClient, path: str) -> list[str]:
    """Card ids over every page of a listing."""
    ids: list[str] = []
    page = 1
    while True:
        response = c.get(f"{path}?page={page}")
        if response.status_code == 404:
            return ids
        assert response.status_code == 200
        ids += card_ids(response.text)
        page += 1


def test_home_is_the_newest_day_with_cards_navigation_feeds_and_subscribe(
    site: Settings, engine: Engine
) -> None:
    newest = max(DAYS)
    with client(site, engine) as c:
        page = c.get("/")
        assert page.status_code == 200
        html = page.text
        assert f"<h1>{newest:%b} {newest.day}</h1>" in html
        assert set(all_card_ids(c, "/")) == set(on_day(engine, newest))
        assert 'href="/papers/date/2026-06-25"' in html  # previous day with papers
        assert '<link rel="alternate" type="application/atom+xml"' in html
        assert re.search(r'<form method="post" action="/subscribe"[^>]*>', html)
        assert 'type="email" name="email"' in html


def test_day_week_and_month_views_cover_their_days(site: Settings, engine: Engine) -> None:
    everything = {pid for day in DAYS for pid in on_day(engine, day)}
    with client(site, engine) as c:
        assert set(all_card_ids(c, "/papers/date/2026-06-25")) == set(on_day(engine, DAYS[1]))
        assert set(all_card_ids(c, "/papers/week/2026-W26")) == everything
        assert set(all_card_ids(c, "/papers/month/2026-06")) == everything
        assert all_card_ids(c, "/papers/month/2026-05") == []
        # Week and month arrows lead to the nearest periods with papers, and no further.
        week, month = c.get("/papers/week/2026-W26").text, c.get("/papers/month/2026-06").text
        assert not re.search(r'rel="(prev|next)" href="/papers/week/[-W0-9]+"', week)
        assert not re.search(r'rel="(prev|next)" href="/papers/month/[-0-9]+"', month)
        earlier = Paper("2604.00001", "An April paper", "On graphs.", ("A. Author",), ("cs.LG",))
        with engine.begin() as conn:
            upsert_papers(conn, [replace(earlier, listing_date=date(2026, 4, 20))])
        week = c.get("/papers/week/2026-W26").text
        assert 'rel="prev" href="/papers/week/2026-W17"' in week
        assert not re.search(r'rel="next" href="/papers/week/[-W0-9]+"', week)
        back = c.get("/papers/week/2026-W17").text
        assert 'rel="next" href="/papers/week/2026-W26"' in back
        assert not re.search(r'rel="prev" href="/papers/week/[-W0-9]+"', back)
        month = c.get("/papers/month/2026-06").text
        assert 'rel="prev" href="/papers/month/2026-04"' in month


def test_cards_show_authors_abstract_categories_upvotes_and_code(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        html = c.get("/papers/date/2026-06-25").text
    block = html[html.index(f'data-id="{HOSTILE_ID}"') :]
    block = block[: block.index("</article>")]
    assert f'href="/authors/{author_slug(HOSTILE.authors[0])}"' in block
    assert 'href="/categories/cs.CR"' in block
    assert 'href="https://github.com/example/hostile"' in block
    assert f'<span class="count">{HOSTILE.signals.upvotes}</span>' in block  # type: ignore[union-attr]
    assert "<em>depth</em>" in block


BAD_PAGES = [
    ("/papers/date/2026-02-30", 400, "no date of the calendar"),
    ("/papers/date/yesterday", 400, "2026-07-01"),
    ("/papers/week/2026-W60", 400, "no week of the calendar"),
    ("/papers/month/2026-13", 400, "no month of the calendar"),
    ("/papers/date/1066-10-14", 400, "outside"),
    ("/?page=0", 400, "page"),
    ("/?page=99999999999999999999", 400, "page"),
    ("/?page=abc", 400, "page"),
    ("/?page=40", 404, "last page"),
    ("/papers/9999.99999", 404, "no paper"),
    ("/papers/not-an-id", 404, "not an arXiv id"),
    ("/authors/nobody-at-all", 404, "no papers"),
    ("/authors/Bad%20Slug", 404, "not an author"),
    ("/categories/xx.YY", 404, "no papers"),
    ("/categories/%3Cscript%3E", 404, "not a category"),
    ("/search?q=x&mode=psychic", 400, "mode"),
    ("/search?q=x&since=2026-99-01", 400, "since"),
    ("/search?q=" + "x" * 10_001, 400, "q"),  # a pasted abstract is cut, not refused
    ("/no/such/page", 404, "nothing at"),
]


def test_bad_requests_get_a_4xx_page_with_a_message(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        for path, status, words in BAD_PAGES:
            response = c.get(path)
            assert response.status_code == status, path
            assert words in response.text, path
            assert response.headers["content-type"].startswith("text/html"), path


def test_paper_page_has_everything_a_reader_needs(site: Settings, engine: Engine) -> None:
    paper = next(p for p in on_day(engine, DAYS[0]).values() if len(p.authors) > 1)
    with client(site, engine) as c:
        html = c.get(f"/papers/{paper.id}").text
        assert c.get(f"/papers/{paper.id}v1", follow_redirects=False).headers["location"] == (
            f"/papers/{paper.id}?v=1"
        )
    assert escape(paper.title, quote=False) in html
    for name in paper.authors:
        shown = f'<a href="/authors/{author_slug(name)}"><bdi>{escape(name, quote=False)}</bdi></a>'
        assert shown in html  # each name isolated: right-to-left names keep the list's order
    assert f'href="https://arxiv.org/abs/{paper.id}"' in html
    assert f'href="https://arxiv.org/pdf/{paper.id}"' in html
    for category in paper.categories:
        assert f'href="/categories/{category}"' in html
    assert f"eprint        = {{{paper.id}}}" in html  # the cite box
    assert 'action="/papers/' + paper.id + '/upvote"' in html
    assert 'data-katex="/static/v/' in html  # KaTeX, fetched by site.js for a formula
    assert "Similar papers" in html


def test_math_renderer_is_bundled_not_fetched(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        html = c.get(f"/papers/{HOSTILE_ID}").text
        sources = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
        assert sources and all(s.startswith("/static/") for s in sources)
        for source in sources:
            assert c.get(source).status_code == 200
        css = c.get("/static/katex/katex.min.css").text
        font = re.search(r"url\((fonts/[^)]+\.woff2)\)", css)
        assert font and c.get(f"/static/katex/{font[1]}").status_code == 200


def test_untrusted_text_renders_inert(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        pages = [c.get(p).text for p in (f"/papers/{HOSTILE_ID}", "/papers/date/2026-06-25")]
        pages.append(c.get("/search?q=attention+enough&mode=keyword").text)
    for html in pages:
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(" in html
        assert "<b>Bold</b>" not in html
    assert "&lt;img src=x onerror=" in pages[0]


def test_security_headers_on_pages(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        headers = c.get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"


def test_author_and_category_pages_list_newest_first_with_feeds(
    site: Settings, engine: Engine
) -> None:
    papers = stored(engine)
    category = "cs.CV"
    in_category = [p for p in papers.values() if category in p.categories]
    author = next(a for p in on_day(engine, DAYS[2]).values() for a in p.authors)
    with client(site, engine) as c:
        ids = all_card_ids(c, f"/categories/{category}")
        html = c.get(f"/authors/{author_slug(author)}").text
        feed = c.get(f"/feeds/category/{category}.atom")
    assert set(ids) == {p.id for p in in_category}
    days = [papers[i].listing_date for i in ids]
    assert days == sorted(days, reverse=True)  # type: ignore[type-var]
    assert {p.id for p in papers.values() if author in p.authors} <= set(card_ids(html))
    assert f'href="/feeds/author/{author_slug(author)}.atom"' in html
    assert feed.status_code == 200


def test_trending_page_and_the_documented_formula(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    custom = web_settings(settings, trending_gravity=1.25, trending_code_weight=0.75)
    fill_store(engine, custom, tmp_path / "listings")
    with client(custom, engine) as c:
        trending = c.get("/trending").text
        about = c.get("/about").text
    assert card_ids(trending)
    assert "^ 1.25" in about and "0.75 × (1 if the paper links code" in about
    assert 'href="/about#trending"' in trending


def test_sign_up_sign_in_sign_out(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        sign_up(c, "alice", "a long password")
        assert "alice" in c.get("/").text
        with engine.connect() as conn:
            stored_hash = conn.scalar(select(users.c.password_hash))
        assert (
            stored_hash
            and stored_hash.startswith("$argon2")
            and "a long password" not in stored_hash
        )
        token = csrf_token(c, "/")
        assert (
            c.post("/signout", data={"csrf_token": token}, follow_redirects=False).status_code
            == 303
        )
        assert "Sign in" in c.get("/").text
        bad = c.post(
            "/signin",
            data={"username": "alice", "password": "wrong password", "csrf_token": token},
        )
        assert bad.status_code == 400 and "wrong user name or password" in bad.text
        good = c.post(
            "/signin",
            data={"username": "ALICE", "password": "a long password", "csrf_token": token},
            follow_redirects=False,
        )
        assert good.status_code == 303 and "pf_session" in c.cookies


def test_signing_in_over_a_session_ends_it(site: Settings, engine: Engine) -> None:
    """Someone signing in on a browser left signed in as another reader ended only the cookie:
    the earlier session stayed valid in the store for its 30 days."""
    with client(site, engine) as c:
        sign_up(c, "alice", "a long password")
        alices = c.cookies["pf_session"]
        sign_up(c, "bobby", "another long password")  # over alice's session, same browser
        assert c.cookies["pf_session"] != alices and "bobby" in c.get("/account").text
    with client(site, engine) as other:  # the earlier cookie, kept or copied elsewhere
        other.cookies.set("pf_session", alices)
        page = other.get("/account", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/signin")


BAD_ACCOUNTS = [
    ("al", "a long password", "3 to 32"),
    ("a<script>", "a long password", "3 to 32"),
    ("bob", "short", "at least 8 characters"),
    ("alice", "another password", "taken"),
]


def test_sign_up_refuses_bad_accounts(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        sign_up(c, "alice")
        c.cookies.delete("pf_session")
        token = csrf_token(c, "/signup")
        for username, password, message in BAD_ACCOUNTS:
            form = {"username": username, "password": password, "csrf_token": token}
            response = c.post("/signup", data=form)
            assert response.status_code == 400 and message in response.text, username


@pytest.mark.parametrize("https", [False, True])
def test_session_cookie_flags(site: Settings, engine: Engine, https: bool) -> None:
    with client(site, engine, https=https) as c:
        token = csrf_token(c, "/signup")
        response = c.post(
            "/signup",
            data={"username": "carol", "password": "a long password", "csrf_token": token},
            follow_redirects=False,
        )
    cookie = next(v for v in response.headers.get_list("set-cookie") if v.startswith("pf_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert ("Secure" in cookie) is https


FORMS = [
    ("/signup", {"username": "mallory", "password": "a long password"}),
    ("/signin", {"username": "mallory", "password": "a long password"}),
    ("/signout", {}),
    ("/submit", {"paper": "1605.08386"}),
    (f"/papers/{HOSTILE_ID}/upvote", {"up": "1"}),
    (f"/papers/{HOSTILE_ID}/moderate", {"hidden": "1", "featured": "0"}),
]


def test_every_form_needs_the_csrf_token(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        sign_up(c, "alice")
        for path, data in FORMS:
            missing = c.post(path, data=data, follow_redirects=False)
            forged = c.post(path, data=data | {"csrf_token": "0" * 64}, follow_redirects=False)
            assert missing.status_code == forged.status_code == 403, path
            assert "reload" in forged.text, path


def _count(html: str, paper_id: str) -> int:
    block = html[html.index(f'data-id="{paper_id}"') :]
    match = re.search(r'<span class="count">(\d+)</span>', block)
    assert match
    return int(match[1])


def test_upvotes_one_per_user_undoable_and_reorder_the_day(site: Settings, engine: Engine) -> None:
    day = DAYS[0]
    path = f"/papers/date/{day.isoformat()}"
    with client(site, engine) as alice, client(site, engine) as bob:
        sign_up(alice, "alice")
        sign_up(bob, "bob")
        last = card_ids(alice.get(path).text)[-1]
        before = _count(alice.get(path).text, last)
        for _ in range(2):  # a second upvote by the same user changes nothing
            post_form(alice, f"/papers/{last}/upvote", {"up": "1", "next": path})
        post_form(bob, f"/papers/{last}/upvote", {"up": "1", "next": path})
        page = alice.get(path).text
        assert card_ids(page)[0] == last and _count(page, last) == before + 2
        assert 'aria-pressed="true"' in page[page.index(f'data-id="{last}"') :][:800]
        post_form(alice, f"/papers/{last}/upvote", {"up": "0", "next": path})
        assert _count(alice.get(path).text, last) == before + 1


def test_anonymous_upvote_asks_to_sign_in(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        response = post_form(c, f"/papers/{HOSTILE_ID}/upvote", {"up": "1", "next": "/trending"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/signin?next=%2Ftrending&vote={HOSTILE_ID}"


def test_redirects_stay_on_this_site(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        sign_up(c, "alice")
        for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
            response = post_form(c, f"/papers/{HOSTILE_ID}/upvote", {"up": "1", "next": target})
            assert response.headers["location"] == "/"


def test_admin_hides_and_features_papers(site: Settings, engine: Engine) -> None:
    day = "/papers/date/2026-06-25"
    with client(site, engine) as admin, client(site, engine) as visitor:
        sign_up(admin, "root")
        form = {"hidden": "0", "featured": "1"}
        assert post_form(admin, f"/papers/{HOSTILE_ID}/moderate", form).status_code == 403
        with engine.begin() as conn:
            set_admin(conn, "root", True)
        target = card_ids(visitor.get(day).text)[-1]
        post_form(admin, f"/papers/{target}/moderate", form)
        page = visitor.get(day).text
        assert card_ids(page)[0] == target and "Featured" in page
        post_form(admin, f"/papers/{target}/moderate", {"hidden": "1", "featured": "0"})
        assert target not in card_ids(visitor.get(day).text)
        gone = visitor.get(f"/papers/{target}")
        assert gone.status_code == 404 and "a moderator took it down" in gone.text
        assert "submit it" not in gone.text  # a paper taken down is not offered for resubmitting
        assert visitor.get(f"/api/papers/{target}").status_code == 404
        assert "hidden from listings" in admin.get(f"/papers/{target}").text


def test_submit_fetches_from_arxiv_and_credits_the_submitter(
    site: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(community, "utcnow", lambda: datetime(2016, 6, 2, 9))  # a week after v1
    with replay(arxiv_api_handler) as server:
        fetching = site.model_copy(update={"arxiv_api_url": server.url})
        with client(fetching, engine) as c:
            assert "Sign in to submit" in c.get("/submit").text
            sign_up(c, "dana")
            done = post_form(c, "/submit", {"paper": "https://arxiv.org/abs/1605.08386v1"})
            assert done.headers["location"] == "/papers/1605.08386"
            with engine.connect() as conn:
                assert get_paper(conn, "1605.08386") is not None
            assert (
                'Submitted by <a href="/users/dana">dana</a>'
                in c.get(done.headers["location"]).text
            )
            arxiv_day = date(2016, 5, 26)  # its v1: listed there, not on the day it was submitted
            page = c.get(f"/papers/date/{arxiv_day}").text
            assert card_ids(page) == ["1605.08386"]
            assert 'submitted by <a href="/users/dana">dana</a>' in page
            assert day_period(arxiv_day).heading in page
            again = post_form(c, "/submit", {"paper": "1605.08386"})
            assert again.status_code == 409 and "already submitted by dana" in again.text
            bad = post_form(c, "/submit", {"paper": "not a paper"})
            assert bad.status_code == 400 and "arXiv id" in bad.text
            missing = post_form(c, "/submit", {"paper": "0000.00000"})
            assert missing.status_code == 404 and "arXiv has no paper" in missing.text
        assert any(r.params.get("id_list") == "1605.08386" for r in server.requests)


def test_submit_reports_an_unreachable_arxiv(
    site: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(community, "utcnow", lambda: datetime(2016, 6, 2, 9))
    closed = site.model_copy(
        update={"arxiv_api_url": "http://127.0.0.1:9/api/query", "http_retries": 0}
    )
    with client(closed, engine) as c:
        sign_up(c, "erin")
        response = post_form(c, "/submit", {"paper": "1605.08386"})
    assert response.status_code == 502 and "be reached from this server right now" in response.text


def test_rate_limits_on_sign_in_sign_up_and_submit(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    strict = web_settings(settings, auth_rate_limit=3, submit_rate_limit=2)
    fill_store(engine, strict, tmp_path / "listings")
    with client(strict, engine) as c:
        token = csrf_token(c, "/signin")
        form = {"username": "nobody", "password": "guess guess", "csrf_token": token}
        codes = [c.post("/signin", data=form).status_code for _ in range(4)]
        assert codes == [400, 400, 400, 429]
        bad = form | {"username": "x"}  # too short a name: refused, and counted
        assert [c.post("/signup", data=bad).status_code for _ in range(3)] == [400] * 3
        limited = c.post("/signup", data=form | {"username": "newbie"})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    with client(strict, engine) as c:  # another process (a second worker): the same limits
        again = c.post("/signup", data=form | {"username": "newbie2", "csrf_token": csrf_token(c)})
        assert again.status_code == 429  # counted in the store, not in one worker's memory
    lenient = web_settings(settings, submit_rate_limit=2)  # sign-ups allowed again
    with client(lenient, engine) as c:
        sign_up(c, "frank")
        codes = [post_form(c, "/submit", {"paper": "nonsense"}).status_code for _ in range(3)]
        assert codes == [400, 400, 429]


def test_refuses_to_start_without_a_secret_outside_dev_mode(
    sqlite_settings: Settings,
) -> None:
    with pytest.raises(InsecureSettings, match="SECRET_KEY"):
        create_app(sqlite_settings.model_copy(update={"dev_mode": False, "secret_key": None}))
    with pytest.raises(InsecureSettings, match="too weak"):
        create_app(sqlite_settings.model_copy(update={"dev_mode": False, "secret_key": "k" * 40}))
    key = secrets.token_hex(32)  # as `openssl rand -hex 32` prints
    app = create_app(sqlite_settings.model_copy(update={"dev_mode": False, "secret_key": key}))
    assert app.state.site.secret == key.encode()


def test_dev_secret_survives_restarts(sqlite_settings: Settings) -> None:
    first = create_app(sqlite_settings).state.site.secret
    second = create_app(sqlite_settings).state.site.secret
    assert first == second and len(first) >= 32


def test_search_page_modes_filters_pages_and_fallback(site: Settings, engine: Engine) -> None:
    papers = stored(engine)
    target = next(p for p in papers.values() if p.id != HOSTILE_ID)
    word = max(re.findall(r"[A-Za-z]{6,}", target.title), key=len)
    with client(site, engine) as c:
        keyword = c.get(f"/search?q={word}&mode=keyword").text
        assert target.id in card_ids(keyword) and "<mark>" in keyword
        fallback = c.get(f"/search?q={word}&mode=semantic").text
        assert "Showing keyword results" in fallback and target.id in card_ids(fallback)
        embed_papers(site, engine)
        semantic = c.get(f"/search?q={target.title}&mode=semantic").text
        assert "Showing keyword results" not in semantic and target.id in card_ids(semantic)
        other = next(
            cat for p in papers.values() for cat in p.categories if cat not in target.categories
        )
        filtered = c.get(f"/search?q={word}&mode=keyword&category={other}").text
        assert target.id not in card_ids(filtered)
        first = card_ids(c.get("/search?q=learning&mode=keyword").text)
        second = card_ids(c.get("/search?q=learning&mode=keyword&page=2").text)
        assert len(first) == site.page_size and second and not set(first) & set(second)
        assert c.get("/search?q=learning&page=500").status_code == 404
        assert 'value="hybrid" checked' in c.get("/search").text


def test_similar_papers_on_the_paper_page(site: Settings, engine: Engine) -> None:
    embed_papers(site, engine)
    paper = next(iter(on_day(engine, DAYS[0]).values()))
    with client(site, engine) as c:
        html = c.get(f"/papers/{paper.id}").text
    similar = html[html.index("Similar papers") :]
    links = re.findall(r'<li><a href="/papers/([^"]+)">', similar)
    assert links and paper.id not in links and set(links) <= set(stored(engine))


def test_cached_pages_follow_the_data(site: Settings, engine: Engine) -> None:
    path = "/papers/date/2026-06-25"
    with client(site, engine) as visitor, client(site, engine) as voter:
        first = visitor.get(path).text
        assert untokened(visitor.get(path).text) == untokened(first)
        sign_up(voter, "gina")
        post_form(voter, f"/papers/{HOSTILE_ID}/upvote", {"up": "1"})
        assert _count(visitor.get(path).text, HOSTILE_ID) == _count(first, HOSTILE_ID) + 1


def test_page_cache_checks_other_processes_only_every_so_often(
    site: Settings, engine: Engine
) -> None:
    path = "/papers/date/2026-06-25"
    lazy = site.model_copy(update={"page_cache_check_seconds": 3600.0})
    with client(lazy, engine) as visitor, client(site, engine) as voter:
        before = _count(visitor.get(path).text, HOSTILE_ID)
        sign_up(voter, "gina")
        post_form(voter, f"/papers/{HOSTILE_ID}/upvote", {"up": "1"})
        assert _count(visitor.get(path).text, HOSTILE_ID) == before  # another process: not yet
        sign_up(visitor, "hugo")
        post_form(visitor, f"/papers/{HOSTILE_ID}/upvote", {"up": "1"})
        visitor.cookies.delete("pf_session")
        assert _count(visitor.get(path).text, HOSTILE_ID) == before + 2  # its own write: at once


def test_docs_and_openapi_are_served_locally(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        docs = c.get("/docs").text
        schema = c.get("/openapi.json").json()
    assert "/static/swagger/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    for path in (
        "/api/daily_papers",
        "/api/papers/search",
        "/api/papers/{paper_id}",
        "/api/submit",
    ):
        assert path in schema["paths"]


def test_every_post_form_carries_the_visitors_token(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        sign_up(c, "hana")
        token = csrf_token(c, "/")
        paths = ["/", "/trending", f"/papers/{HOSTILE_ID}", "/categories/cs.CR", "/submit"]
        for path in paths:
            forms = re.findall(r'<form method="post".*?</form>', c.get(path).text, re.S)
            assert forms, path
            for form in forms:  # the token masked afresh per answer (BREACH)
                sent = re.search(r'name="csrf_token" value="([^"]+)"', form)
                assert sent and csrf.unmask(sent[1]) == csrf.unmask(token), (path, form[:200])


def test_subscribe_call_to_action_reaches_the_digest(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        for path in ("/", "/trending"):
            form = re.search(
                r'<form method="post" action="/subscribe".*?</form>', c.get(path).text, re.S
            )
            assert form and 'name="email"' in form[0], path
        response = post_form(c, "/subscribe", {"email": "reader@example.org"})
        assert response.status_code == 200 and "Check your inbox" in response.text
        # A category's, an author's and a search's page subscribe to that one thing.
        paper = next(iter(on_day(engine, DAYS[0]).values()))
        category, author = paper.categories[0], paper.authors[0]
        pages = {
            f"/categories/{category}": ("categories", category),
            f"/authors/{author_slug(author)}": ("authors", author),
            f"/search?q={paper.title.split()[0]}": ("searches", paper.title.split()[0]),
        }
        for n, (path, (field, value)) in enumerate(pages.items()):
            form = re.search(
                r'<form method="post" action="/subscribe".*?</form>', c.get(path).text, re.S
            )
            assert form and f'name="{field}" value="{escape(value)}"' in form[0], path
            address = f"reader{n}@example.org"
            sent = post_form(c, "/subscribe", {"email": address, field: value})
            assert sent.status_code == 200, sent.text
            with engine.connect() as conn:
                row = find_subscriber(conn, address)
                assert row is not None
                found = get_interests(conn, [int(row["id"])]).get(int(row["id"]), [])
            assert any(value.lower() in str(r.value).lower() for r in found), (path, found)


def test_an_empty_store_explains_how_to_fill_it(settings: Settings, engine: Engine) -> None:
    with client(web_settings(settings), engine) as c:
        home = c.get("/")
        assert home.status_code == 200 and "paperfeed demo" in home.text
        assert c.get("/trending").status_code == 200
        assert c.get("/api/daily_papers").json() == []
        assert c.get("/feeds/daily.atom").status_code == 200


def test_a_full_width_arxiv_id_opens_the_paper(site: Settings, engine: Engine) -> None:
    paper = next(iter(on_day(engine, DAYS[0]).values()))
    wide = paper.id.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789."})
    with client(site, engine) as c:
        page = c.get(f"/papers/{wide}")
        found = c.get("/search", params={"q": wide})
    assert page.status_code == 200 and escape(paper.title, quote=False) in page.text
    assert found.status_code == 200 and f'data-id="{paper.id}"' in found.text
