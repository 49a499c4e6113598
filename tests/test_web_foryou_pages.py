"""Personal pages without JavaScript: save, rate, notes, collections, mutes, For you, feeds."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace
from html import unescape
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed import categories
from paperfeed.recommend.service import follows_of
from paperfeed.search import embed_papers
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.store.library import library, user_collections
from tests.web_support import (
    DAYS,
    HOSTILE,
    HOSTILE_ID,
    client,
    csrf_token,
    on_day,
    post_form,
    sign_up,
    stored,
)

TEX_TITLE = "TerraDiT-$\\Omega$: <b>terrain</b>"


def _first(engine: Engine) -> str:
    return sorted(on_day(engine, DAYS[0]))[0]


def test_save_rate_note_and_collection_forms(site: Settings, engine: Engine) -> None:
    pid = _first(engine)
    with client(site, engine) as c:
        sign_up(c, "reader")
        day = f"/papers/date/{DAYS[0].isoformat()}"
        assert 'action="/papers/' in c.get(day).text and ">Save</button>" in c.get(day).text
        saved = post_form(c, f"/papers/{pid}/save", {"saved": "1", "next": day})
        assert saved.status_code == 303 and saved.headers["location"] == day
        assert 'aria-pressed="true" data-on="Saved"' in c.get(day).text
        as_json = c.post(
            f"/papers/{pid}/rate",
            data={"rating": "1", "csrf_token": csrf_token(c, "/")},
            headers={"Accept": "application/json"},
        )
        assert as_json.json() == {"id": pid, "rating": 1}
        post_form(
            c, f"/library/{pid}/edit", {"state": "read", "note": "**great** <script>x</script>"}
        )
        post_form(c, "/collections", {"name": "Graph stuff", "visibility": "public"})
        page = c.get("/library").text
        assert "<strong>great</strong>" in page and "<script>x" not in page
        bad = post_form(c, f"/library/{pid}/edit", {"state": "skimmed"})
        assert bad.status_code == 400 and "reading state" in bad.text
    with engine.connect() as conn:
        [item] = library(conn, 1)
        assert (item.state, item.note) == ("read", "**great** <script>x</script>")
        assert [col.name for col in user_collections(conn, 1)] == ["Graph stuff"]


def test_notes_typeset_math_and_keep_headings(site: Settings, engine: Engine) -> None:
    """A note's maths reaches KaTeX (a `.math` span), its `#` a heading below the card's h3."""
    pid = _first(engine)
    note = "# Key idea\n\n## Why\n\nInline $x^2 < y$, `$code$`, then $$\\int_0^1 f$$ <script>x"
    with client(site, engine) as c:
        sign_up(c, "scribe")
        post_form(c, f"/papers/{pid}/save", {})
        post_form(c, f"/library/{pid}/edit", {"state": "read", "note": note})
        page = c.get("/library").text
    shown = page.split('<div class="note')[1].split("</div>")[0]
    assert "<h4>Key idea</h4>" in shown and "<h5>Why</h5>" in shown
    assert '<span class="math">$x^2 &lt; y$</span>' in shown
    assert '<span class="math">$$\\int_0^1 f$$</span>' in shown
    assert "<code>$code$</code>" in shown  # code stays code
    assert "<script" not in shown


def test_public_collection_page_and_exports(site: Settings, engine: Engine) -> None:
    pid = _first(engine)
    with client(site, engine) as c, client(site, engine) as anon:
        sign_up(c, "curator")
        post_form(c, f"/papers/{pid}/save", {"collection": "Shared reading"})
        with engine.connect() as conn:
            col = user_collections(conn, 1)[0]
        assert anon.get(f"/c/{col.share_key}").status_code == 404  # private until shared
        shared = {"name": "Shared reading", "visibility": "unlisted"}
        post_form(c, f"/collections/{col.id}/edit", shared)
        page = anon.get(f"/c/{col.share_key}")
        assert page.status_code == 200 and "Shared reading" in page.text and pid in page.text
        for fmt, needle in (
            ("atom", "<feed"),
            ("rss", "<rss"),
            ("bib", "@"),
            ("ris", "TY  -"),
            ("json", '"URL"'),
        ):
            answer = anon.get(f"/c/{col.share_key}/feed.{fmt}")
            assert answer.status_code == 200 and needle in answer.text and pid in answer.text
            assert answer.headers["x-robots-tag"] == "noindex, nofollow"  # unlisted
        assert page.headers["x-robots-tag"] == "noindex, nofollow"
        assert '<meta name="robots" content="noindex, nofollow">' in page.text
        post_form(c, f"/collections/{col.id}/edit", shared | {"visibility": "public"})
        public = anon.get(f"/c/{col.share_key}")
        assert public.status_code == 200 and "x-robots-tag" not in public.headers
        assert 'name="robots"' not in public.text
        assert "x-robots-tag" not in anon.get(f"/c/{col.share_key}/feed.atom").headers


def test_mutes_hide_papers_from_daily_with_a_count_and_a_show_link(
    site: Settings, engine: Engine
) -> None:
    day = f"/papers/date/{DAYS[1].isoformat()}"
    with client(site, engine) as c:
        sign_up(c, "muter")
        assert HOSTILE_ID in c.get(day).text
        post_form(c, "/me/mute", {"kind": "author", "value": HOSTILE.authors[0]})
        hidden = c.get(day).text
        assert HOSTILE_ID not in hidden and "1 hidden by your mutes" in hidden
        assert HOSTILE_ID in c.get(day + "?show_muted=1").text


def test_for_you_page_learned_page_reset_and_private_feed(site: Settings, engine: Engine) -> None:
    embed_papers(site, engine)
    with client(site, engine) as c:
        sign_up(c, "fan")
        assert "Nothing to rank yet" in c.get("/for-you").text
        for pid in sorted(on_day(engine, DAYS[2]))[:2]:
            post_form(c, f"/papers/{pid}/rate", {"rating": "1"})
        page = c.get("/for-you?window=month").text
        assert page.count('class="why"') >= 3
        assert c.get("/for-you?window=year").status_code == 400
        learned = c.get("/for-you/learned").text
        assert "Strongest terms" in learned
        assert 'data-confirm="Forget all your 👍 and 👎 ratings?' in learned  # asked in the page
        done = post_form(c, "/for-you/reset", {"confirmed": "1"})
        assert done.headers["location"] == "/for-you/learned?reset=2"
        after = c.get(done.headers["location"]).text
        assert "Reset: 2 ratings forgotten" in after and "nothing to learn from" in after
        post_form(c, f"/papers/{HOSTILE_ID}/save", {})
        making = post_form(c, "/for-you/feed-url", {})
        assert making.status_code == 303 and making.headers["location"] == "/for-you/feed-url"
        made = c.get("/for-you/feed-url")
        url = re.search(r'value="([^"]+)" aria-label="Private feed URL"', made.text)
        assert url and "/feeds/for-you/" in url[1] and made.headers["cache-control"] == "no-store"
        path = "/feeds/for-you/" + url[1].split("/feeds/for-you/")[1]
        reloaded = c.get("/for-you/feed-url").text  # a reload shows the same URL, made once
        assert re.search(r'value="([^"]+)" aria-label="Private feed URL"', reloaded)[1] == url[1]  # type: ignore[index]
        # Without the browser's note of it (another browser, or ten minutes on), the page leads
        # to the library's section, which says the URL exists and asks before a new one or a
        # revoke ends it.
        c.cookies.delete("feed_url_once", path="/for-you/feed-url")
        again = c.get("/for-you/feed-url", follow_redirects=False)
        assert again.status_code == 303 and again.headers["location"] == "/library#private-feed"
        section = c.get("/library").text.split('id="private-feed"')[1]
        assert "You have one" in section and section.count("data-confirm=") == 2
        c.cookies.clear()
        feed = c.get(path)
        assert feed.status_code == 200 and "<entry>" in feed.text
        sign_up(c, "fan2")
        post_form(c, "/for-you/feed-url", {"revoke": "1", "confirmed": "1"})
    with client(site, engine) as c:
        assert c.get(path).status_code == 200  # fan2's revoke leaves fan's URL alone


def test_learned_page_lists_a_paper_once_with_all_its_signals(
    site: Settings, engine: Engine
) -> None:
    """Saved, rated 👍 and upvoted is one paper the model leans on, not three papers."""
    embed_papers(site, engine)
    pid = _first(engine)
    with client(site, engine) as c:
        sign_up(c, "keen")
        post_form(c, f"/papers/{pid}/save", {})
        post_form(c, f"/papers/{pid}/rate", {"rating": "1"})
        post_form(c, f"/papers/{pid}/upvote", {"up": "1"})
        page = c.get("/for-you/learned").text
    assert "Trained on 1 paper " in page and "paper signal" not in page
    leaned = page.split("Papers it leans on most")[1].split("</ol>")[0]
    assert leaned.count("<li>") == 1 and leaned.count(f'href="/papers/{pid}"') == 1
    assert "weight 1.00" in leaned and "saved, 👍, upvoted" in leaned


def test_learned_page_typesets_math_in_titles(site: Settings, engine: Engine) -> None:
    """A title's LaTeX is left for KaTeX in a `.math` element, as list pages do."""
    with engine.begin() as conn:
        upsert_papers(conn, [replace(HOSTILE, id="2606.99998", title=TEX_TITLE)])
    embed_papers(site, engine)
    with client(site, engine) as c:
        sign_up(c, "texfan")
        post_form(c, "/papers/2606.99998/save", {})
        page = c.get("/for-you/learned").text
    leaned = page.split("Papers it leans on most")[1].split("Start again")[0]
    assert 'class="math">TerraDiT-$\\Omega$: &lt;b&gt;terrain&lt;/b&gt;</a>' in leaned


def test_follow_author_page_shows_coauthors_first(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        sign_up(c, "follower")
        page = c.get("/follow/author/mallory-o-hara")
        assert page.status_code == 200 and "co-authors" in page.text
        assert "Eve &lt;b&gt;Bold&lt;/b&gt;" in page.text  # the co-author, escaped
        post_form(
            c, "/me/follow", {"kind": "author", "value": HOSTILE.authors[0], "next": "/library"}
        )
        assert "Unfollow" in c.get("/follow/author/mallory-o-hara").text


def test_home_is_for_you_once_a_reader_has_signals(site: Settings, engine: Engine) -> None:
    pid = _first(engine)

    def heading(page: str) -> str:
        return page.split("<h1", 1)[1].split("</h1>", 1)[0]

    with client(site, engine) as c:
        sign_up(c, "newcomer")
        assert "Papers for newcomer" not in heading(c.get("/").text)  # no signals yet
        # A 👎 or a mute alone says what to leave out, not what to rank towards: the home page
        # stays the daily list (it was an empty For you page, even once both were undone).
        post_form(c, f"/papers/{pid}/rate", {"rating": "-1"})
        post_form(c, "/me/mute", {"kind": "keyword", "value": "transformer"})
        assert "Papers for newcomer" not in heading(c.get("/").text)
        assert 'class="card' in c.get("/").text
        post_form(c, f"/papers/{pid}/rate", {"rating": "0"})
        post_form(c, "/me/mute", {"kind": "keyword", "value": "transformer", "undo": "1"})
        assert "Papers for newcomer" not in heading(c.get("/").text)
        post_form(c, f"/papers/{pid}/rate", {"rating": "1"})
        assert "Papers for newcomer" in heading(c.get("/").text)
        daily = c.get("/daily").text
        assert 'href="/daily"' in daily and "Papers for" not in heading(daily)
        c.cookies.clear()
        assert heading(c.get("/").text) == heading(c.get("/daily").text)


NOTE = "Key idea: {message passing} & 50% faster.\n\nCheck the appendix, section #3."


def test_library_export_carries_your_notes_collections_and_reading_state(
    site: Settings, engine: Engine
) -> None:
    """Leaving for Zotero (or backing up) loses nothing you wrote: BibTeX `annote`/`keywords`,
    RIS N1/KW and CSL-JSON note/keyword, read back by the libraries that read those formats."""
    import bibtexparser
    import rispy

    noted, plain = sorted(on_day(engine, DAYS[2]))[:2]
    with client(site, engine) as c, client(site, engine) as anon:
        sign_up(c, "leaver")
        post_form(c, f"/papers/{noted}/save", {"collection": "GNN reading"})
        post_form(c, f"/papers/{plain}/save", {})
        post_form(c, f"/library/{noted}/edit", {"note": NOTE, "state": "read"})
        with engine.connect() as conn:
            shared = user_collections(conn, 1)[0]
        made_public = {"name": "GNN reading", "visibility": "public"}
        post_form(c, f"/collections/{shared.id}/edit", made_public)
        bib, ris, csl = (c.get(f"/library/export.{fmt}") for fmt in ("bib", "ris", "json"))
        public = anon.get(f"/c/{shared.share_key}/feed.bib").text
    assert {r.status_code for r in (bib, ris, csl)} == {200}
    # Each downloads as a file (a browser would show the JSON in the tab otherwise).
    assert [r.headers["content-disposition"] for r in (bib, ris, csl)] == [
        f'attachment; filename="library.{ext}"' for ext in ("bib", "ris", "json")
    ]

    entries = {
        e.fields_dict["eprint"].value: e for e in bibtexparser.parse_string(bib.text).entries
    }
    annote = entries[noted].fields_dict["annote"].value
    assert "{message passing}" in annote and r"50\% faster" in annote and "\n\n" in annote
    assert entries[noted].fields_dict["keywords"].value == "GNN reading, paperfeed:read"
    assert entries[plain].fields_dict["keywords"].value == "paperfeed:to read"
    assert "annote" not in entries[plain].fields_dict

    records = {r["urls"][0].rsplit("/", 1)[1]: r for r in rispy.loads(ris.text)}
    assert "Check the appendix, section #3." in records[noted]["notes"][-1]
    assert records[noted]["keywords"] == ["GNN reading", "paperfeed:read"]

    items = {i["id"]: i for i in json.loads(csl.text)}
    assert items[noted]["note"] == NOTE
    assert items[noted]["keyword"] == "GNN reading, paperfeed:read"
    assert "note" not in items[plain]

    assert noted in public and "annote" not in public and "keywords" not in public  # private


def _import(c: TestClient, data: bytes, name: str, **form: str) -> Any:
    token = csrf_token(c, "/library/import")
    return c.post(
        "/library/import", data={"csrf_token": token, **form}, files={"file": (name, data)}
    )


def _kept(engine: Engine, user_id: int) -> dict[str, tuple[str, str, set[str]]]:
    with engine.connect() as conn:
        items = library(conn, user_id)
    return {i.paper_id: (i.state, i.note, set(i.collections)) for i in items}


def test_an_export_imported_elsewhere_brings_back_notes_collections_and_reading_state(
    site: Settings, engine: Engine
) -> None:
    """Moving to another paperfeed (or another account) through any of the three exports keeps
    what the reader wrote: notes, collections (from tags, when asked) and what they have read."""
    noted, plain, third = sorted(on_day(engine, DAYS[2]))[:3]
    with client(site, engine) as c:
        sign_up(c, "leaver")
        post_form(c, f"/papers/{noted}/save", {"collection": "GNN reading"})
        post_form(c, f"/papers/{noted}/save", {"collection": "Reading group, week 3"})
        post_form(c, f"/papers/{plain}/save", {})
        post_form(c, f"/papers/{third}/save", {"collection": "GNN reading"})
        post_form(c, f"/library/{noted}/edit", {"note": NOTE, "state": "read"})
        exports = {fmt: c.get(f"/library/export.{fmt}").content for fmt in ("bib", "ris", "json")}
    mine = _kept(engine, 1)
    assert mine[noted] == ("read", NOTE, {"GNN reading", "Reading group, week 3"})
    for n, (fmt, data) in enumerate(exports.items(), start=2):
        with client(site, engine) as c:
            sign_up(c, f"arriver{fmt}")
            page = _import(c, data, f"library.{fmt}", tags_as_collections="true")
            again = _import(c, data, f"library.{fmt}", tags_as_collections="true")
            plainly = _import(c, data, f"library.{fmt}")  # without filing by tags
        # Its tags are filed already: no "import again … to file them" (it said so).
        assert plainly.status_code == 200 and "to file them" not in plainly.text, fmt
        assert page.status_code == 200, page.text
        assert "1 note added to yours; 1 paper marked read." in page.text
        assert "Filed into 2 collections by their tags" in page.text
        assert again.status_code == 200  # the same file again: matched, nothing added twice
        assert "matched and saved" in again.text and "note added" not in again.text  # once
        kept = _kept(engine, n)
        # A comma in a collection's name survives every format (braced in BibTeX, quoted in
        # CSL-JSON's keyword list, a KW line of its own in RIS).
        assert kept[noted] == ("read", NOTE, {"GNN reading", "Reading group, week 3"}), fmt
        assert kept[plain] == ("to_read", "", set()), fmt
        assert kept[third] == ("to_read", "", {"GNN reading"}), fmt


def test_an_import_adds_notes_to_yours_and_offers_tags_it_did_not_use(
    site: Settings, engine: Engine
) -> None:
    a, b = sorted(on_day(engine, DAYS[1]))[:2]
    zotero = json.dumps(
        [
            {
                "title": "x",
                "URL": f"https://arxiv.org/abs/{a}",
                "note": f"arXiv: {a}",
                "keyword": "Computer Science - Machine Learning, to read",
            },
            {
                "title": "y",
                "URL": f"https://arxiv.org/abs/{b}",
                "note": "From the *reading group*",
                "keyword": "read",
            },
        ]
    ).encode()
    with client(site, engine) as c:
        sign_up(c, "zotero")
        post_form(c, f"/papers/{b}/save", {})
        post_form(c, f"/library/{b}/edit", {"note": "My own thoughts."})
        page = _import(c, zotero, "zotero.json")
    assert page.status_code == 200
    kept = _kept(engine, 1)
    assert kept[a] == ("to_read", "", set())  # Zotero's "arXiv: id" line is no note
    assert kept[b] == ("read", "My own thoughts.\n\nFrom the *reading group*", set())
    text = page.text
    assert "The entries carry 1 tag (Computer Science - Machine Learning)" in text
    assert "Filed into" not in text


def test_a_new_reader_starts_for_you_by_ticking_categories(site: Settings, engine: Engine) -> None:
    """Issue 11's cold start: the empty For you page offers the store's common categories of
    the last month (primary or cross-listed, as category pages count them; most first); ticking
    some follows them, and For you ranks at once, saying why."""
    embed_papers(site, engine)
    papers = stored(engine)
    newest = max(p.listing_date for p in papers.values() if p.listing_date)
    recent = [p for p in papers.values() if p.listing_date and (newest - p.listing_date).days < 30]
    counts = Counter(c for p in recent for c in set(p.categories))
    assert counts != Counter(p.categories[0] for p in recent if p.categories)  # cross-lists count
    with client(site, engine) as c:
        sign_up(c, "newcomer")
        page = c.get("/for-you").text
        offered = re.findall(r'name="category" value="([^"]+)"', page)
        assert offered == sorted(counts, key=lambda k: (-counts[k], k))[:16]
        first, second = offered[:2]
        named = f"{first} · {categories.name_of(first)}" if categories.name_of(first) else first
        assert f'{named} <span class="muted">({counts[first]:,})</span>' in page
        assert "cs.CV · Computer Vision and Pattern Recognition" in c.get("/categories/cs.CV").text
        nothing = post_form(c, "/for-you/start", {"category": []})  # type: ignore[dict-item]
        assert nothing.headers["location"] == "/for-you?window=month&pick=1"
        again = c.get(nothing.headers["location"]).text
        assert "Nothing followed: tick at least one category" in again
        assert re.findall(r'name="category" value="([^"]+)"', again) == offered
        for bad, why in (
            (["cs.XX"], "not an arXiv category"),
            (["x" * 65], "is not an arXiv category"),
            (["cs.CV"] * 101, "at most 100 items"),
        ):
            answer = post_form(c, "/for-you/start", {"category": bad})  # type: ignore[dict-item]
            assert 400 <= answer.status_code < 500 and why in answer.text, re.findall(
                r"<main.*?</main>", answer.text, re.S
            )
        answer = post_form(c, "/for-you/start", {"category": [first, second.lower()]})  # type: ignore[dict-item]
        assert answer.status_code == 303 and answer.headers["location"] == "/for-you?window=month"
        with engine.connect() as conn:
            assert follows_of(conn, 1).categories == {first, second}
        ranked = c.get("/for-you?window=month").text
    assert 'name="category"' not in ranked  # the list is there now, the offer is gone
    assert re.search(rf"Why: in ({first}|{second}), which you follow", ranked)


def test_a_category_is_followed_or_muted_as_arxiv_spells_it(site: Settings, engine: Engine) -> None:
    """ "cs.cv" typed in the library's box (or sent to the API) used to be kept as typed and
    matched no paper; a name that is no category was kept too. Both now get what they meant."""
    with client(site, engine) as c:
        sign_up(c, "typist")
        assert (
            post_form(c, "/me/follow", {"kind": "category", "value": " cs.cv "}).status_code == 303
        )
        bad = post_form(c, "/me/mute", {"kind": "category", "value": "cs.ML"})
        assert bad.status_code == 400 and "Did you mean stat.ML?" in bad.text
        assert (
            "is not an arXiv category"
            in post_form(c, "/me/follow", {"kind": "category", "value": "<b>x</b>"}).text
        )
        token = c.post(
            "/api/login", json={"username": "typist", "password": "correct horse battery"}
        ).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        made = c.post("/api/me/mutes", json={"kind": "category", "value": "CS.CR"}, headers=auth)
        assert made.status_code == 201 and made.json()["value"] == "cs.CR"
        nope = c.post("/api/me/follows", json={"kind": "category", "value": "cs.XX"}, headers=auth)
        assert nope.status_code == 400 and "not an arXiv category" in nope.json()["detail"]
        page = c.get("/categories/cs.CV").text
        assert 'aria-pressed="true">Following · unfollow</button>' in page
        assert ">Mute</button>" in page
        author = "/authors/mallory-o-hara"
        assert ">Follow this author…</a>" in c.get(author).text
        post_form(c, "/me/mute", {"kind": "author", "value": HOSTILE.authors[0], "next": author})
        muted = c.get(author).text
        assert 'aria-pressed="true">Muted · unmute</button>' in muted
        assert "1 hidden by your mutes" in muted and HOSTILE_ID not in muted.split("</main>")[0]
        post_form(c, "/me/follow", {"kind": "author", "value": HOSTILE.authors[0]})
        assert ">Following · manage</a>" in c.get(author).text
    with engine.connect() as conn:
        follows = follows_of(conn, 1)
    assert follows.categories == {"cs.CV"} and follows.muted_categories == {"cs.CR"}
    assert follows.authors == {"mallory o hara"} and not follows.muted_authors  # one or other


def test_a_learned_term_is_followed_or_muted_from_the_learned_page(
    site: Settings, engine: Engine
) -> None:
    """Each strongest term has follow (a saved search) and mute buttons that return to the
    page, which then offers to undo them; the library lists them like any other."""
    embed_papers(site, engine)
    with client(site, engine) as c:
        sign_up(c, "tuner")
        for pid in sorted(on_day(engine, DAYS[2]))[:2]:
            post_form(c, f"/papers/{pid}/rate", {"rating": "1"})
        page = c.get("/for-you/learned").text
        terms = re.findall(r'name="value" value="([^"]+)"', page.split("Strongest terms")[1])
        assert len(terms) >= 4, page  # two buttons per term
        first, second = unescape(terms[0]), unescape(terms[2])
        assert f'aria-label="follow “{terms[0]}”"' in page
        followed = post_form(
            c,
            "/me/follow",
            {"kind": "search", "value": first, "next": "/for-you/learned"},
        )
        post_form(c, "/me/mute", {"kind": "keyword", "value": second, "next": "/for-you/learned"})
        after = c.get("/for-you/learned").text
        library_page = c.get("/library").text
    assert followed.status_code == 303 and followed.headers["location"] == "/for-you/learned"
    assert f'aria-label="unfollow “{terms[0]}”"' in after
    assert f'aria-label="unmute “{terms[2]}”"' in after
    assert f"search: {terms[0]}" in library_page and f"keyword: {terms[2]}" in library_page


def test_for_you_pages_down_its_ranking(site: Settings, engine: Engine) -> None:
    """For you showed only its first page: its pager reads on down the same ranking."""
    embed_papers(site, engine)

    def cards(html: str) -> list[str]:
        return re.findall(r'<article class="card[^"]*" data-id="([^"]+)"', html)

    with client(site, engine) as c:
        sign_up(c, "reader")
        category = Counter(cat for p in stored(engine).values() for cat in p.categories)
        post_form(c, "/me/follow", {"kind": "category", "value": category.most_common(1)[0][0]})
        first = c.get("/for-you?window=month").text
        assert 'rel="next"' in first and 'rel="prev"' not in first
        nxt = re.search(r'<a rel="next" href="([^"]+)"', first)
        assert nxt and "page=2" in nxt[1]
        second = c.get(nxt[1].replace("&amp;", "&")).text
        assert 'rel="prev"' in second and "Page 2" in second
        one, two = cards(first), cards(second)
        assert len(one) == site.page_size and two and not set(one) & set(two)
        # Read down to the last page (or the 20th): every paper once; past it, a 404.
        seen, page, html = one + two, 2, second
        while (nxt := re.search(r'<a rel="next" href="([^"]+)"', html)) and page < 20:
            page += 1
            html = c.get(nxt[1].replace("&amp;", "&")).text
            seen += cards(html)
        assert len(seen) == len(set(seen)) > 2 * site.page_size
        if page < 20:
            past = c.get(f"/for-you?window=month&page={page + 1}")
            assert past.status_code == 404 and "past the end" in past.text
        assert c.get("/for-you?window=month&page=21").status_code == 400


def test_following_a_filtered_search_says_the_filters_stay_behind(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        sign_up(c, "filterer")
        plain = c.get("/search?q=learning&mode=keyword").text
        assert "Follow this search" in plain and "not this page's filters" not in plain
        filtered = c.get("/search?q=learning&mode=keyword&category=cs.CV").text
        box = filtered.split('class="interests"')[1].split("</div>")[0]
        assert "keeps its words, not this page's filters" in box
        assert "(its words; not this page&#39;s filters)" in filtered


def test_the_learned_page_lists_ratings_to_take_back(site: Settings, engine: Engine) -> None:
    """👎 ratings were listed nowhere: only a reset of all of them could undo one."""
    up, down = sorted(stored(engine))[:2]
    with client(site, engine) as c:
        sign_up(c, "rater")
        post_form(c, f"/papers/{up}/rate", {"rating": "1"})
        post_form(c, f"/papers/{down}/rate", {"rating": "-1"})
        page = c.get("/for-you/learned").text
        listed = page.split('id="ratings"')[1].split("</ul>")[0]
        assert f'href="/papers/{down}"' in listed and f'href="/papers/{up}"' in listed
        assert listed.index(down) < listed.index(up)  # newest first
        assert 'aria-label="less like this">👎' in listed
        back = post_form(
            c, f"/papers/{down}/rate", {"rating": "0", "next": "/for-you/learned#ratings"}
        )
        assert back.status_code == 303 and back.headers["location"] == "/for-you/learned#ratings"
        after = c.get("/for-you/learned").text.split('id="ratings"')[1].split("</ul>")[0]
        assert f'href="/papers/{down}"' not in after and f'href="/papers/{up}"' in after


def test_the_import_page_lists_the_papers_matched_by_title_alone(
    site: Settings, engine: Engine
) -> None:
    """A title match is the one a reader should check: the page lists them, linked."""
    pid = sorted(on_day(engine, DAYS[2]))[0]
    title = stored(engine)[pid].title
    bib = f"@article{{byname, title = {{{title}}}}}\n".encode()
    with client(site, engine) as c:
        sign_up(c, "reviewer")
        page = _import(c, bib, "one.bib")
    assert page.status_code == 200
    assert "1 matched by title alone; check it:" in page.text
    assert f'href="/papers/{pid}"' in page.text.split('class="by-title"')[2]
