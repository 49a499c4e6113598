"""The library page: collections (rename, delete, a paper in several) and the private feed."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree

import pytest
from sqlalchemy import Engine

from paperfeed.search import embed_papers
from paperfeed.settings import Settings
from paperfeed.store.accounts import set_suspended
from paperfeed.store.library import Collection, library, user_collections
from paperfeed.store.library.tables import collections
from paperfeed.util import utcnow
from paperfeed.web import feeds
from tests.web_support import DAYS, bearer, client, csrf_token, on_day, post_form, sign_up


def test_a_collection_is_renamed_in_place_and_deleted_without_losing_papers(
    site: Settings, engine: Engine
) -> None:
    first, second = sorted(on_day(engine, DAYS[0]))[:2]
    with client(site, engine) as c:
        sign_up(c, "collector")
        for pid, name in ((first, "Diffusion"), (first, "Solvers"), (second, "Diffusion")):
            post_form(c, f"/papers/{pid}/save", {"collection": name, "next": "/library"})
        with engine.connect() as conn:
            before = {col.name: col for col in user_collections(conn, 1)}
        assert set(before) == {"Diffusion", "Solvers"}
        old = before["Diffusion"]
        renamed = post_form(
            c,
            f"/collections/{old.id}/edit",
            {"name": "Diffusion inverse solvers", "description": "", "visibility": "unlisted"},
        )
        assert renamed.headers["location"] == f"/library?collection={old.id}"
        clash = post_form(
            c,
            f"/collections/{old.id}/edit",
            {"name": "solvers", "description": "Typed <b>anew</b>", "visibility": "private"},
        )
        assert clash.status_code == 400 and "already have a collection named" in clash.text
        # the collection's page again, its form saying why with what was typed (not a bare
        # error page that lost the description)
        form = re.search(r'<form[^>]*aria-label="Edit collection".*?</form>', clash.text, re.S)
        assert form is not None
        assert 'role="alert"' in form[0] and "Not saved: you already have" in form[0]
        assert (
            'value="solvers"' in form[0] and ">Typed &lt;b&gt;anew&lt;/b&gt;</textarea>" in form[0]
        )
        assert '<option value="private" selected>' in form[0]
        with engine.connect() as conn:
            after = {col.id: col for col in user_collections(conn, 1)}
            assert len(after) == 2 and after[old.id].name == "Diffusion inverse solvers"
            assert (after[old.id].visibility, after[old.id].share_key) == (
                "unlisted",
                old.share_key,
            )
            assert {i.paper_id for i in library(conn, 1, old.id)} == {first, second}
        page = c.get(f"/library?collection={old.id}").text
        assert page.count('aria-label="Take out of Solvers"') == 1  # the paper in two
        back = f"/library?collection={old.id}"
        out = post_form(c, f"/collections/{old.id}/remove", {"paper_id": second, "next": back})
        assert out.headers["location"] == back
        gone = post_form(c, f"/collections/{before['Solvers'].id}/delete", {"confirmed": "1"})
        assert gone.headers["location"] == "/library"
        with engine.connect() as conn:
            assert [col.id for col in user_collections(conn, 1)] == [old.id]
            assert {i.paper_id for i in library(conn, 1)} == {first, second}  # all still saved
            assert {i.paper_id for i in library(conn, 1, old.id)} == {first}
        sign_up(c, "stranger")
        assert post_form(c, f"/collections/{old.id}/delete", {"confirmed": "1"}).status_code == 404
        strange = post_form(c, f"/collections/{old.id}/edit", {"name": "mine now"})
        assert strange.status_code == 404


def test_the_private_feed_says_why_each_paper_is_in_it(site: Settings, engine: Engine) -> None:
    embed_papers(site, engine)
    with client(site, engine) as c:
        sign_up(c, "reader")
        for pid in sorted(on_day(engine, DAYS[2]))[:2]:
            post_form(c, f"/papers/{pid}/rate", {"rating": "1"})
        page = c.get("/for-you").text
        whys = [unescape(w) for w in re.findall(r'<p class="why">Why: (.+?)</p>', page)]
        made = c.get(post_form(c, "/for-you/feed-url", {}).headers["location"]).text
        url = re.search(r'value="[^"]*(/feeds/for-you/[^"]+)" aria-label="Private feed URL"', made)
        assert url and whys
        c.cookies.clear()
        atom = ElementTree.fromstring(c.get(url[1]).content)
        ns = {"a": "http://www.w3.org/2005/Atom"}
        summaries = [e.findtext("a:summary", "", ns) for e in atom.findall("a:entry", ns)]
        assert len(summaries) >= len(whys) >= 3  # the page shows fewer than the feed's 50
        assert [s.split("\n")[0] for s in summaries[: len(whys)]] == [f"Why: {w}" for w in whys]
        # Each window's feed has a title of its own, and the page says which days it ranks.
        titles = [
            ElementTree.fromstring(c.get(url[1] + q).content).findtext("a:title", "", ns)
            for q in ("", "?window=today", "?window=month")
        ]
        assert [t.split(" · ")[0] for t in titles] == [
            "For you, this week",
            "For you, today",
            "For you, this month",
        ]
    newest = max(DAYS)
    week = newest - timedelta(days=6)
    assert f"Papers listed {week.day} {week:%B} – {newest.day} {newest:%B %Y}" in page


def test_an_unreadable_import_file_is_said_on_the_import_form(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        sign_up(c, "importer")
        token = csrf_token(c, "/library/import")
        got = c.post(
            "/library/import",
            data={"csrf_token": token},
            files={"file": ("lib.json", b'{"not": "csl"')},
        )
        assert got.status_code == 400
        assert 'class="error-msg" role="alert">Nothing was imported: ' in got.text
        assert 'action="/library/import"' in got.text  # the form, to try another file


def test_a_shared_collection_gets_a_new_link_and_the_old_one_stops(
    site: Settings, engine: Engine
) -> None:
    first = sorted(on_day(engine, DAYS[0]))[0]
    with client(site, engine) as c:
        sign_up(c, "sharer")
        post_form(c, f"/papers/{first}/save", {"collection": "Shared", "next": "/library"})
        with engine.connect() as conn:
            (col,) = user_collections(conn, 1)
        post_form(c, f"/collections/{col.id}/edit", {"name": "Shared", "visibility": "public"})
        page = c.get(f"/library?collection={col.id}").text
        assert f'href="/c/{col.share_key}"' in page and "New link" in page
        assert c.get(f"/c/{col.share_key}").status_code == 200
        moved = post_form(c, f"/collections/{col.id}/new-link", {})
        assert moved.headers["location"] == f"/library?collection={col.id}"
        with engine.connect() as conn:
            (now,) = user_collections(conn, 1)
        assert now.share_key != col.share_key and now.visibility == "public"
        assert c.get(f"/c/{col.share_key}").status_code == 404
        assert first in c.get(f"/c/{now.share_key}").text
        sign_up(c, "other")
        assert post_form(c, f"/collections/{col.id}/new-link", {}).status_code == 404


def test_a_followed_collections_new_link_and_delete_say_who_loses_it(
    site: Settings, engine: Engine
) -> None:
    """ "New link" dropped every follower without a word, and the delete question named none
    of the editors and followers who lose the collection."""
    first = sorted(on_day(engine, DAYS[0]))[0]
    with client(site, engine) as member, client(site, engine) as c:
        auth = bearer(member, "member")
        sign_up(c, "editor")
        sign_up(c, "lead")
        post_form(c, f"/papers/{first}/save", {"collection": "Group", "next": "/library"})
        with engine.connect() as conn:
            (col,) = user_collections(conn, 3)
        post_form(c, f"/collections/{col.id}/edit", {"name": "Group", "visibility": "unlisted"})
        assert post_form(c, f"/collections/{col.id}/editors", {"username": "editor"}).is_redirect
        followed = member.put(f"/api/me/followed-collections/{col.share_key}", headers=auth)
        assert followed.json()["following"] is True
        asked = post_form(c, f"/collections/{col.id}/new-link", {})
        assert asked.status_code == 200 and "1 reader follows it by that link" in asked.text
        with engine.connect() as conn:
            assert user_collections(conn, 3)[0].share_key == col.share_key  # asked: no change
        delete = post_form(c, f"/collections/{col.id}/delete", {})
        said = unescape(" ".join(delete.text.split()))
        assert "its editors (editor) can no longer edit it" in said
        assert "1 reader following it lose it" in said
        page = unescape(c.get(f"/library?collection={col.id}").text)
        assert "its editors (editor) can no longer edit it" in page  # the JS question too
        made = post_form(c, f"/collections/{col.id}/new-link", {"confirmed": "1"})
        assert made.status_code == 303
        told = unescape(c.get(made.headers["location"]).text)
        assert "New link made" in told and "no longer follow it" in told
        assert member.get("/api/me/followed-collections", headers=auth).json() == []


def test_a_stale_collection_form_keeps_what_changed_elsewhere(
    site: Settings, engine: Engine
) -> None:
    """The library page open, its description changed from another device: saving the form
    with only the visibility changed put the old description back, unsaid."""
    first = sorted(on_day(engine, DAYS[0]))[0]
    with client(site, engine) as c:
        sign_up(c, "lead")
        post_form(c, f"/papers/{first}/save", {"collection": "Group", "next": "/library"})
        with engine.connect() as conn:
            (col,) = user_collections(conn, 1)
        page = c.get(f"/library?collection={col.id}").text
        was = re.findall(r'name="was" value="([^"]*)"', page)
        assert was == ["Group", "", "private"]
        token = csrf_token(c, f"/library?collection={col.id}")
        c.post(  # meanwhile, from another device
            f"/collections/{col.id}/edit",
            data={"name": "Group", "description": "Thursdays 4pm", "csrf_token": token},
        )
        form = {"name": "Group", "description": "", "visibility": "public"}
        saved = c.post(
            f"/collections/{col.id}/edit",
            data={**form, "was": was, "csrf_token": token},
            follow_redirects=False,
        )
        assert saved.status_code == 303
        with engine.connect() as conn:
            (now,) = user_collections(conn, 1)
        assert (now.description, now.visibility) == ("Thursdays 4pm", "public")
        assert "Collection saved." in c.get(saved.headers["location"]).text


def _listed(page: str) -> list[str]:
    return re.findall(r'<article class="library-item" data-id="([^"]+)"', page)


def test_the_library_comes_a_page_at_a_time_by_reading_state_and_found_words(
    site: Settings, engine: Engine
) -> None:
    """A library of thousands (a Zotero import) is not one page of thousands of forms: pages
    of `page_size`, tabs for to read / read with counts, and a search of titles, authors and
    notes; a form on page 2 brings the reader back to page 2."""
    papers = on_day(engine, DAYS[0])
    ids = sorted(papers)[:7]
    assert site.page_size == 5
    with client(site, engine) as c:
        sign_up(c, "hoarder")
        for pid in ids:
            post_form(c, f"/papers/{pid}/save", {})
        for pid in ids[:2]:
            post_form(c, f"/library/{pid}/edit", {"state": "read"})
        post_form(c, f"/library/{ids[3]}/edit", {"note": "Ask Zelda about the proof"})
        first, second = c.get("/library"), c.get("/library?page=2")
        assert len(_listed(first.text)) == 5 and len(_listed(second.text)) == 2
        assert not set(_listed(first.text)) & set(_listed(second.text))
        assert "Page 1 of 2" in first.text and 'href="/library?page=2"' in first.text
        assert "6–7 of 7" in second.text
        assert "All (7)" in first.text and "To read (5)" in first.text and "Read (2)" in first.text
        read = c.get("/library?state=read").text
        assert sorted(_listed(read)) == ids[:2] and "Page 1 of" not in read
        assert _listed(c.get("/library?q=zelda").text) == [ids[3]]  # the note's words
        word = papers[ids[4]].title.split()[0]
        by_title = _listed(c.get(f"/library?q={word}").text)
        assert ids[4] in by_title and all(
            word.lower() in papers[p].title.lower() for p in by_title if p != ids[3]
        )
        author = papers[ids[5]].authors[0].split()[-1]
        assert ids[5] in _listed(c.get(f"/library?q={author}&state=to_read").text)
        assert "Nothing here matches “qqqxqq”." in c.get("/library?q=qqqxqq").text
        by_title = _listed(c.get("/library?order=title&state=to_read").text)
        titles = [papers[p].title.lower() for p in by_title]
        assert len(by_title) == 5 and titles == sorted(titles)
        ordered = c.get("/library?order=title").text  # the state links keep the order
        assert 'href="/library?state=read&amp;order=title">Read (2)' in ordered
        assert c.get("/library?order=random").status_code == 400
        found_in_order = c.get(f"/library?q={word}&order=published")  # words and a join
        assert found_in_order.status_code == 200 and ids[4] in _listed(found_in_order.text)
        assert c.get("/library?state=skimmed").status_code == 400
        # Removing a paper from page 2 comes back to page 2 (or the last page, once empty).
        gone = _listed(second.text)[0]
        back = re.search(r'name="next" value="([^"]+)"', second.text)
        assert back and unescape(back[1]) == "/library?page=2"
        answer = post_form(c, f"/papers/{gone}/save", {"saved": "0", "next": unescape(back[1])})
        assert answer.headers["location"] == "/library?page=2"
        assert len(_listed(c.get("/library?page=2").text)) == 1
        assert len(_listed(c.get("/library?page=9").text)) == 1  # past the end: the last page


def test_a_shared_collection_comes_a_page_at_a_time_and_its_feed_holds_the_newest(
    site: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feeds, "FEED_SIZE", 3)
    ids = sorted(on_day(engine, DAYS[0]))[:7]
    with client(site, engine) as c, client(site, engine) as visitor:
        sign_up(c, "curator")
        for pid in ids:
            post_form(c, f"/papers/{pid}/save", {"collection": "Big"})
        with engine.connect() as conn:
            (col,) = user_collections(conn, 1)
        post_form(c, f"/collections/{col.id}/edit", {"name": "Big", "visibility": "public"})
        first = visitor.get(f"/c/{col.share_key}")
        second = visitor.get(f"/c/{col.share_key}?page=2")
        past = visitor.get(f"/c/{col.share_key}?page=3")
        bib = visitor.get(f"/c/{col.share_key}/feed.bib").text
        atom = ElementTree.fromstring(visitor.get(f"/c/{col.share_key}/feed.atom").content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    newest = [e.findtext("a:id", "", ns) for e in atom.findall("a:entry", ns)]
    assert len(newest) == 3 and all(p in e for p, e in zip(ids[::-1][:3], newest, strict=True))
    cards = re.compile(r'<article class="card[^"]*" data-id="([^"]+)"')
    assert len(cards.findall(first.text)) == 5 and len(cards.findall(second.text)) == 2
    assert "7 papers" in first.text and "Page 1 of 2" in first.text
    assert f'href="/c/{col.share_key}?page=2"' in first.text
    assert past.status_code == 404
    assert all(pid in bib for pid in ids)  # the exports hold them all


def test_for_you_ranks_by_one_collection_on_the_page_and_in_the_api(
    site: Settings, engine: Engine
) -> None:
    ids = sorted(on_day(engine, DAYS[0]))[:2]
    with client(site, engine) as c, client(site, engine) as other:
        auth = bearer(c, "tagger")  # signed up, then a token (the client signed out)
        for pid in ids:
            c.post("/api/me/library", json={"paper_id": pid, "collection": "Mine"}, headers=auth)
        c.post(
            "/signin",
            data={
                "username": "tagger",
                "password": "correct horse battery",
                "csrf_token": csrf_token(c),
            },
        )
        with engine.connect() as conn:
            (col,) = user_collections(conn, 1)
        library_page = c.get(f"/library?collection={col.id}").text
        page = c.get(f"/for-you?window=month&collection={col.id}")
        everything = c.get("/for-you?window=month&collection=")  # the form's first choice
        odd = [c.get(f"/for-you?collection={v}").status_code for v in ("0", "x", "-1")]
        sign_up(other, "snoop")
        snooped = other.get(f"/for-you?collection={col.id}")
        api = c.get(f"/api/me/feed?window=month&collection={col.id}", headers=auth)
        missing = c.get("/api/me/feed?collection=999", headers=auth)
    assert f'href="/for-you?collection={col.id}">Papers like these</a>' in library_page
    assert page.status_code == 200 and "Papers like “Mine”" in page.text
    assert f'<option value="{col.id}" selected>the collection “Mine”</option>' in page.text
    assert f'href="/for-you?window=week&amp;collection={col.id}"' in page.text
    assert len(re.findall(r'<p class="why">', page.text)) >= 3
    assert snooped.status_code == 404 and missing.status_code == 404
    assert everything.status_code == 200 and "Papers for tagger" in everything.text
    assert odd == [404, 400, 400]
    assert api.status_code == 200 and len(api.json()) >= 3
    assert not {i["paper"]["id"] for i in api.json()} & set(ids)
    whys = [i["why"] for i in api.json()]  # the collection's papers, not "your papers"
    assert any(w.endswith(("in this collection", "which this collection is about")) for w in whys)
    assert not any("your library" in w or "your papers" in w for w in whys), whys


def test_a_collections_model_is_shown_and_carried_by_the_private_feed(
    site: Settings, engine: Engine
) -> None:
    ids = sorted(on_day(engine, DAYS[0]))[:3]
    with client(site, engine) as c, client(site, engine) as reader:
        sign_up(c, "tagger")
        post_form(c, f"/papers/{ids[0]}/save", {"collection": "Mine"})
        for pid in ids[1:]:
            post_form(c, f"/papers/{pid}/save", {})
        post_form(c, "/collections", {"name": "Empty"})
        with engine.connect() as conn:
            empty, mine = user_collections(conn, 1)
        learned = c.get(f"/for-you/learned?collection={mine.id}").text
        everything = c.get("/for-you/learned").text
        nothing = c.get(f"/for-you/learned?collection={empty.id}").text
        made = c.get(post_form(c, "/for-you/feed-url", {}).headers["location"]).text
        urls = re.findall(r'value="(http[^"]+/feeds/for-you/[^"]+)"', made)
        assert len(urls) == 3 and urls[1:] == [
            f"{urls[0]}?collection={empty.id}",
            f"{urls[0]}?collection={mine.id}",
        ]
        path = urls[2].split("://", 1)[1].split("/", 1)[1]
        atom = ElementTree.fromstring(reader.get("/" + path).content)
        foreign = reader.get("/" + path.replace(f"collection={mine.id}", "collection=999"))
    assert (
        "What “Mine” taught the model" in learned
        and "Trained on the 1 paper of your collection" in learned
    )
    assert "Trained on 3 papers you saved" in everything
    assert "No papers in “Empty” yet" in nothing
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert atom.findtext("a:title", "", ns).startswith("Papers like “Mine”")
    assert len(atom.findall("a:entry", ns)) >= 3
    assert foreign.status_code == 404


def test_the_librarys_ticked_papers_are_changed_at_once_and_the_page_says_so(
    site: Settings, engine: Engine
) -> None:
    """The library's bulk form: the ticked papers marked read, added to a collection, moved
    out of it, removed; the page it returns to (same page, same filters) says what was done,
    and its own forms do not carry that line on."""
    ids = sorted(on_day(engine, DAYS[0]))[:4]
    with client(site, engine) as c:
        sign_up(c, "sorter")
        for pid in ids:
            post_form(c, f"/papers/{pid}/save", {})
        page = c.get("/library?order=title").text
        assert 'form="bulk"' in page and f'value="{ids[0]}" form="bulk"' in page

        def bulk(data: dict[str, object]) -> Any:
            token = csrf_token(c, "/")
            return c.post(
                "/library/bulk", data=data | {"csrf_token": token}, follow_redirects=False
            )

        done = bulk({"paper_id": ids[:2], "action": "read", "next": "/library?order=title"})
        assert done.status_code == 303
        assert done.headers["location"] == "/library?order=title&did=read&n=2"
        after = c.get(done.headers["location"]).text
        assert "2 papers marked read." in after and "Read (2)" in after
        back = re.search(
            r'id="bulk"[^>]*>\s*<input[^>]*>\s*<input type="hidden" name="next" value="([^"]+)"',
            after,
        )
        assert back and unescape(back[1]) == "/library?order=title"
        added = bulk({"paper_id": ids[1:3], "action": "add", "collection": "Reading group"})
        [group] = [col for col in _collections(engine) if col.name == "Reading group"]
        assert added.headers["location"] == f"/library?did=add&n=2&into={group.id}"
        assert "2 papers added to Reading group." in c.get(added.headers["location"]).text
        inside = c.get(f"/library?collection={group.id}").text
        assert sorted(_listed(inside)) == ids[1:3] and 'name="from_collection"' in inside
        here = f"/library?collection={group.id}"
        moved = bulk(
            {
                "paper_id": [ids[1]],
                "action": "move",
                "collection": "Done",
                "from_collection": str(group.id),
                "next": here,
            }
        )
        assert "1 paper moved to Done." in c.get(moved.headers["location"]).text
        assert _listed(c.get(here).text) == [ids[2]]
        nameless = bulk({"paper_id": ids, "action": "add"})
        nothing = bulk({"action": "read"})
        odd = bulk({"paper_id": ids, "action": "archive"})
        asked = bulk({"paper_id": [ids[0], ids[2]], "action": "remove", "next": "/library"})
        assert asked.status_code == 200  # without JavaScript the server asks first
        assert "Remove 2 papers from your library, with their notes and collections?" in asked.text
        for pid in (ids[0], ids[2]):
            assert f'name="paper_id" value="{pid}"' in asked.text
        assert sorted(_listed(c.get("/library").text)) == sorted(ids)  # nothing removed yet
        removed = bulk({"paper_id": [ids[0], ids[2]], "action": "remove", "confirmed": "1"})
        assert "2 papers removed from your library." in c.get(removed.headers["location"]).text
        assert sorted(_listed(c.get("/library").text)) == sorted([ids[1], ids[3]])
    assert nameless.status_code == 400 and "name the collection" in nameless.text
    assert nothing.status_code == 400 and "tick at least one paper" in nothing.text
    assert odd.status_code in (400, 422)


def test_a_form_problem_shows_the_library_again_with_the_input_kept(
    site: Settings, engine: Engine
) -> None:
    """Without JavaScript, a bulk change with no collection named, an export with nothing
    ticked, and a follow or mute box with what cannot be followed or muted each come back to
    the library page they were sent from (same collection and order), saying what was wrong,
    with what was typed, chosen and ticked still there; nothing is changed."""
    ids = sorted(on_day(engine, DAYS[0]))[:3]
    with client(site, engine) as c:
        sign_up(c, "typist")
        for pid in ids:
            post_form(c, f"/papers/{pid}/save", {})
        post_form(c, "/collections", {"name": "Keep"})
        [keep] = _collections(engine)
        post_form(c, "/library/bulk", {"paper_id": ids, "action": "add", "collection": "Keep"})
        here = f"/library?collection={keep.id}&order=title"

        def sent(path: str, data: dict[str, object]) -> Any:
            token = csrf_token(c, "/")
            return c.post(path, data=data | {"csrf_token": token}, follow_redirects=False)

        nameless = sent("/library/bulk", {"paper_id": ids[:2], "action": "move", "next": here})
        unticked = sent("/library/export-ticked", {"fmt": "bib", "next": here})
        bad_follow = sent("/me/follow", {"kind": "category", "value": "cs.XX", "box": "1"})
        bad_mute = sent("/me/mute", {"kind": "keyword", "value": "$$", "box": "1"})
    for answer in (nameless, unticked, bad_follow, bad_mute):
        assert answer.status_code == 400 and "<title>Your library" in answer.text
    assert "Nothing changed: name the collection to put them in." in nameless.text
    assert "<h1>Keep</h1>" in nameless.text  # the collection it was sent from
    assert '<option value="move" selected>' in nameless.text
    ticked = re.findall(r'value="([^"]+)" form="bulk"[^>]*?( checked)?>', nameless.text)
    assert sorted(ticked) == sorted([(ids[0], " checked"), (ids[1], " checked"), (ids[2], "")])
    assert f'name="next" value="{here.replace("&", "&amp;")}"' in nameless.text
    assert "Nothing exported: tick at least one paper." in unticked.text
    assert "<h1>Keep</h1>" in unticked.text
    assert "Not followed:" in bad_follow.text and "cs.XX" in bad_follow.text
    assert re.search(r'<option value="category" selected>', bad_follow.text)
    assert re.search(
        r'aria-label="What to follow" value="cs.XX"[^>]*aria-invalid="true"', bad_follow.text
    )
    assert "Not muted: a keyword needs a letter or digit" in bad_mute.text
    assert re.search(r'aria-label="What to mute" value="\$\$"', bad_mute.text)
    assert "Not followed" not in bad_mute.text  # the problem is said at its own box
    with engine.connect() as conn:
        assert sorted(i.paper_id for i in library(conn, 1, keep.id)) == ids
        assert len(_collections(engine)) == 1


def _collections(engine: Engine) -> list[Collection]:
    with engine.connect() as conn:
        return list(user_collections(conn, 1))


def test_a_saved_papers_page_shows_and_edits_the_readers_private_note(
    site: Settings, engine: Engine
) -> None:
    """A paper's page, for the reader who saved it: their note (Markdown, inert) and reading
    state, with the form to change them that returns to the paper; nobody else sees it."""
    pid = sorted(on_day(engine, DAYS[0]))[0]
    with client(site, engine) as c, client(site, engine) as other:
        sign_up(c, "annotator")
        unsaved = c.get(f"/papers/{pid}").text
        post_form(c, f"/papers/{pid}/save", {})
        empty = c.get(f"/papers/{pid}").text
        note = "Check **lemma 2** <script>alert(1)</script>"
        done = post_form(
            c, f"/library/{pid}/edit", {"note": note, "state": "read", "next": f"/papers/{pid}"}
        )
        shown = c.get(f"/papers/{pid}").text
        sign_up(other, "passerby")
        theirs = other.get(f"/papers/{pid}").text
    assert 'id="my-note"' not in unsaved
    assert 'id="my-note"' in empty and "<details open>" in empty and "Write a note" in empty
    assert done.headers["location"] == f"/papers/{pid}"
    assert "<strong>lemma 2</strong>" in shown and "<script>alert(1)" not in shown
    assert "(private) · read" in shown and "Edit your note" in shown
    assert 'id="my-note"' not in theirs and "lemma 2" not in theirs


def test_public_collections_are_listed_with_their_owner_and_nothing_else_is(
    site: Settings, engine: Engine
) -> None:
    """/collections lists public collections with papers, newest addition first, a page at a
    time; the owner's profile lists theirs; a collection's page names its owner. Private,
    unlisted and empty collections are not listed, nor a suspended reader's."""
    ids = sorted(on_day(engine, DAYS[0]))[:3]
    with client(site, engine) as c, client(site, engine) as spam:
        sign_up(c, "curator")
        for n, vis in enumerate(("public", "unlisted", "private", "public", "public")):
            post_form(c, "/collections", {"name": f"List {n}", "visibility": vis})
        for n in (0, 1, 2, 4):  # "List 3" stays empty
            post_form(c, f"/papers/{ids[n % 3]}/save", {"collection": f"List {n}"})
        sign_up(spam, "spammer")
        post_form(spam, "/collections", {"name": "Buy now", "visibility": "public"})
        post_form(spam, f"/papers/{ids[0]}/save", {"collection": "Buy now"})
        with engine.begin() as conn:
            set_suspended(conn, 2, True)
        listed = c.get("/collections").text
        names = re.findall(r'<h2><a href="/c/[^"]+">([^<]+)</a></h2>', listed)
        profile = c.get("/users/curator").text
        spam_profile = c.get("/users/spammer").text
        with engine.connect() as conn:
            mine = {col.name: col for col in user_collections(conn, 1)}
        own_view = c.get(f"/c/{mine['List 0'].share_key}").text
        other_view = spam.get(f"/c/{mine['List 0'].share_key}").text
        past_end = c.get("/collections?page=9")
        api = c.get("/api/collections")
        api_page = c.get("/api/collections?limit=1&p=1")
    assert names == ["List 4", "List 0"]  # newest addition first
    assert 'by <a href="/users/curator">curator</a> · 1 paper' in listed
    assert "Public collections" in profile and "List 4" in profile and "List 1" not in profile
    assert "Buy now" not in spam_profile
    assert 'By <a href="/users/curator">curator</a>' in own_view
    assert f'href="/library?collection={mine["List 0"].id}">Edit in your library' in own_view
    assert "Edit in your library" not in other_view
    assert past_end.status_code in (400, 404)
    assert [x["name"] for x in api.json()] == ["List 4", "List 0"]
    assert api.headers["X-Total-Count"] == "2" and [x["name"] for x in api_page.json()] == [
        "List 0"
    ]
    first = api.json()[1]
    assert first["owner"] == "curator" and first["papers"] == 1
    assert first["url"].endswith(f"/c/{mine['List 0'].share_key}")
    assert first["feeds"]["bib"] == first["url"] + "/feed.bib"


def test_a_shared_collection_is_copied_into_another_readers_library(
    site: Settings, engine: Engine
) -> None:
    """A reader copies a shared reading list: its papers are saved (those saved already keep
    their state and note) into a collection of theirs, named as they chose; the library page
    says how many were added; the owner is not offered the copy; a private one is a 404."""
    ids = sorted(on_day(engine, DAYS[0]))[:3]
    with client(site, engine) as owner, client(site, engine) as reader:
        sign_up(owner, "teacher")
        post_form(owner, "/collections", {"name": "Week 1", "visibility": "unlisted"})
        post_form(owner, "/collections", {"name": "Secret"})
        for pid in ids:
            post_form(owner, f"/papers/{pid}/save", {"collection": "Week 1"})
        with engine.connect() as conn:
            week, secret = (
                next(col for col in user_collections(conn, 1) if col.name == n)
                for n in ("Week 1", "Secret")
            )
        own_view = owner.get(f"/c/{week.share_key}").text
        anonymous = reader.get(f"/c/{week.share_key}").text
        sign_up(reader, "student")
        post_form(reader, f"/papers/{ids[0]}/save", {})
        post_form(reader, f"/library/{ids[0]}/edit", {"state": "read", "note": "done already"})
        offered = reader.get(f"/c/{week.share_key}").text
        copied = post_form(reader, f"/c/{week.share_key}/copy", {"name": "Course: week 1"})
        said = reader.get(copied.headers["location"]).text
        again = post_form(reader, f"/c/{week.share_key}/copy", {"name": "Course: week 1"})
        hidden = post_form(reader, f"/c/{secret.share_key}/copy", {})
        with engine.connect() as conn:
            mine = {i.paper_id: i for i in library(conn, 2)}
            (course,) = user_collections(conn, 2)
            in_course = {i.paper_id for i in library(conn, 2, course.id)}
    assert "Copy into your library" not in own_view
    assert "to copy it into your library" in anonymous
    assert 'aria-label="Copy into your library"' in offered and "Copy its 3 papers" in offered
    assert copied.status_code == 303
    assert "3 papers added to Course: week 1." in said
    assert again.headers["location"].endswith("did=add&n=0&into=" + str(course.id))
    assert hidden.status_code == 404
    assert set(mine) == set(ids) and in_course == set(ids) and course.name == "Course: week 1"
    assert (mine[ids[0]].state, mine[ids[0]].note) == ("read", "done already")


def test_the_headers_sign_in_links_come_back_to_the_page(site: Settings, engine: Engine) -> None:
    """Sign in and Sign up in the header carry the page a visitor is on, and signing up there
    returns to it; the home page and the sign-in pages carry nothing."""
    pid = sorted(on_day(engine, DAYS[0]))[0]
    with client(site, engine) as c:
        paper = c.get(f"/papers/{pid}").text
        home = c.get("/").text
        signin = c.get(f"/signin?next=/papers/{pid}").text
        made = c.post(
            "/signup",
            data={
                "username": "returner",
                "password": "correct horse battery",
                "next": f"/papers/{pid}",
                "csrf_token": csrf_token(c, "/signup"),
            },
            follow_redirects=False,
        )
    assert f'href="/signin?next=%2Fpapers%2F{pid}">Sign in</a>' in paper
    assert f'href="/signup?next=%2Fpapers%2F{pid}" class="button">Sign up</a>' in paper
    assert 'href="/signin">Sign in</a>' in home
    assert 'href="/signin">Sign in</a>' in signin  # not "back to the sign-in page"
    assert made.status_code == 303 and made.headers["location"] == f"/papers/{pid}"


def test_the_ticked_papers_are_exported_with_the_readers_notes(
    site: Settings, engine: Engine
) -> None:
    """The bulk bar's export buttons: only the ticked (and saved) papers, with their notes and
    tags, as a download; nothing ticked is a 400 with the reason."""
    ids = sorted(on_day(engine, DAYS[0]))[:3]
    with client(site, engine) as c:
        sign_up(c, "exporter")
        for pid in ids:
            post_form(c, f"/papers/{pid}/save", {})
        post_form(c, f"/library/{ids[1]}/edit", {"note": "Zelda's proof", "state": "read"})
        token = csrf_token(c, "/")
        bib = c.post(
            "/library/export-ticked",
            data={"paper_id": [ids[1], ids[2], "2101.00001"], "fmt": "bib", "csrf_token": token},
        )
        ris = c.post(
            "/library/export-ticked",
            data={"paper_id": [ids[1]], "fmt": "ris", "csrf_token": token},
        )
        none = c.post("/library/export-ticked", data={"fmt": "bib", "csrf_token": token})
        odd = c.post(
            "/library/export-ticked", data={"paper_id": [ids[0]], "fmt": "pdf", "csrf_token": token}
        )
    assert bib.status_code == 200 and "attachment" in bib.headers["content-disposition"]
    assert sorted(re.findall(r"eprint\s*=\s*\{([^}]+)\}", bib.text)) == ids[1:]
    assert "Zelda's proof" in bib.text and "keywords      = {paperfeed:read}" in bib.text
    assert "N1  - Zelda's proof" in ris.text and ris.text.count("ER  -") == 1
    assert none.status_code == 400 and "tick at least one paper" in none.text
    assert odd.status_code in (400, 422)


def test_a_new_collection_named_as_one_of_yours_leaves_that_one_as_it_was(
    site: Settings, engine: Engine
) -> None:
    """ "New collection" with a name in use (any case) made it private, blanked its description
    and broke its shared link. It now leads to that collection, unchanged, and says so."""
    with client(site, engine) as c:
        sign_up(c, "grouper")
        made = post_form(
            c,
            "/collections",
            {"name": "Reading group", "description": "Papers for Friday", "visibility": "public"},
        )
        with engine.connect() as conn:
            [before] = user_collections(conn, 1)
        assert made.headers["location"] == f"/library?collection={before.id}"
        again = post_form(c, "/collections", {"name": "reading GROUP", "visibility": "private"})
        assert again.headers["location"] == f"/library?collection={before.id}&exists=1"
        with engine.connect() as conn:
            assert user_collections(conn, 1) == [before]  # description, visibility, link kept
        page = c.get(again.headers["location"]).text
        assert "You already have a collection named “Reading group”: here it is, unchanged." in page
        assert c.get(f"/c/{before.share_key}").status_code == 200


def test_what_undoes_much_asks_first_without_javascript_too(site: Settings, engine: Engine) -> None:
    """Deleting a collection, forgetting the ratings, a new or revoked private feed URL, and an
    admin's suspend or make-admin acted at once without JavaScript (or always): each now
    answers with a page asking the question, whose button posts the same form, answered."""
    pid = sorted(on_day(engine, DAYS[0]))[0]
    with client(site, engine) as c:
        sign_up(c, "asker")
        post_form(c, f"/papers/{pid}/save", {"collection": "Keep me"})
        post_form(c, f"/papers/{pid}/rate", {"rating": "1"})
        with engine.connect() as conn:
            [kept] = user_collections(conn, 1)
        post_form(c, "/for-you/feed-url", {})  # the first URL: nothing to lose, no question
        questions = {
            f"/collections/{kept.id}/delete": "Delete the collection “Keep me”?",
            "/for-you/reset": "Forget all your 👍 and 👎 ratings?",
            "/for-you/feed-url": "Make a new private feed URL?",
        }
        for url, question in questions.items():
            page = post_form(c, url, {})
            assert page.status_code == 200 and question in page.text, url
            assert f'action="{url}"' in page.text and 'name="confirmed" value="1"' in page.text
        revoke = post_form(c, "/for-you/feed-url", {"revoke": "1"})
        assert "Revoke your private feed URL?" in revoke.text
        assert 'name="revoke" value="1"' in revoke.text
        with engine.connect() as conn:  # nothing was done by asking
            assert user_collections(conn, 1) == [kept]
        assert "Keep me" in c.get("/library").text and "You have one" in c.get("/library").text
        gone = post_form(c, f"/collections/{kept.id}/delete", {"confirmed": "1"})
        assert gone.status_code == 303


def test_a_collection_download_keeps_its_own_name(site: Settings, engine: Engine) -> None:
    """A name the slug cannot spell ("日本語の論文 & Łódź") is the file's name too (RFC 6266)."""
    pid = sorted(on_day(engine, DAYS[0]))[0]
    with client(site, engine) as c:
        sign_up(c, "yuki")
        post_form(c, "/collections", {"name": "日本語の論文 & Łódź", "visibility": "unlisted"})
        post_form(c, f"/papers/{pid}/save", {"collection": "日本語の論文 & Łódź"})
        [col] = _collections(engine)
        got = c.get(f"/c/{col.share_key}/feed.bib")
        plain = c.get("/library/export.bib")
    assert got.status_code == 200, got.text
    disposition = got.headers["content-disposition"]
    assert disposition.startswith(f"attachment; filename=\"{col.slug}.bib\"; filename*=UTF-8''")
    assert unquote(disposition.split("''", 1)[1]) == "日本語の論文 & Łódź.bib"
    assert plain.headers["content-disposition"] == 'attachment; filename="library.bib"'


def test_a_collection_may_not_be_named_as_an_export_marks_a_rating(
    site: Settings, engine: Engine
) -> None:
    """A collection named "paperfeed:liked" was exported as that tag and imported back as a 👍,
    the collection gone: such names are refused, from the API, the forms and a rename; a
    collection that has one already keeps it."""
    first, second = sorted(on_day(engine, DAYS[0]))[:2]
    with client(site, engine) as c:
        auth = bearer(c, "marker")
        for name in ("paperfeed:liked", "Paperfeed: disliked", "PAPERFEED:read"):
            refused = c.post(
                "/api/me/library", json={"paper_id": first, "collection": name}, headers=auth
            )
            assert refused.status_code == 400, name
            assert "may not start with “paperfeed:”" in refused.json()["detail"]
    with client(site, engine) as c:
        sign_up(c, "former")
        post_form(c, f"/papers/{second}/save", {"collection": "Kept", "next": "/library"})
        made = post_form(c, "/collections", {"name": "paperfeed:liked", "visibility": "private"})
        assert made.status_code == 400 and "may not start with" in made.text
        with engine.connect() as conn:
            [kept] = user_collections(conn, 2)
        renamed = post_form(
            c,
            f"/collections/{kept.id}/edit",
            {"name": "paperfeed:to read", "description": "", "visibility": "private"},
        )
        assert renamed.status_code == 400 and "may not start with" in renamed.text
        with engine.connect() as conn:
            assert [col.name for col in user_collections(conn, 2)] == ["Kept"]
            assert [item.paper_id for item in library(conn, 2)] == [second]
        with engine.begin() as conn:  # one made before such names were refused is found
            old = {"user_id": 2, "name": "paperfeed:liked", "slug": "paperfeed-liked"}
            old |= {"description": "", "visibility": "private", "share_key": "old-key"}
            conn.execute(collections.insert().values(**old, created_at=utcnow()))
        kept_too = post_form(
            c, f"/papers/{first}/save", {"collection": "paperfeed:liked", "next": "/library"}
        )
        assert kept_too.status_code == 303
        with engine.connect() as conn:
            names = {item.paper_id: item.collections for item in library(conn, 2)}
        assert names[first] == ("paperfeed:liked",)


def test_a_script_fetching_the_library_export_gets_401_not_the_sign_in_page(
    site: Settings, engine: Engine
) -> None:
    """A backup script whose token had expired was sent to the sign-in page (303, then 200 of
    HTML), and saved that as its .bib; its 400 and 404 were pages too. With a bearer token (any:
    revoked, mistyped) the answers are the API's: 401 saying why, errors as JSON; a browser
    without a session is still led to sign in."""
    pid = sorted(on_day(engine, DAYS[0]))[0]
    with client(site, engine) as c:
        auth = bearer(c, "backer")
        assert c.post("/api/me/library", json={"paper_id": pid}, headers=auth).status_code == 201
        mine = c.get("/library/export.bib", headers=auth)
        assert mine.status_code == 200 and pid in mine.text
        for fmt in ("bib", "ris", "json"):
            stale = c.get(
                f"/library/export.{fmt}",
                headers={"Authorization": "Bearer pf_revoked"},
                follow_redirects=False,
            )
            assert stale.status_code == 401, fmt
            assert stale.headers["content-type"] == "application/json"
            assert "not valid" in stale.json()["detail"]
            assert 'error="invalid_token"' in stale.headers["www-authenticate"]
        odd = c.get("/library/export.bib?collection=abc", headers=auth)
        assert odd.status_code in (400, 422) and "detail" in odd.json()
        gone = c.get("/library/export.bib?collection=987654", headers=auth)
        assert gone.status_code == 404 and "detail" in gone.json()
        scheme = c.get("/api/me/library", headers={"Authorization": "Token abc"})
        assert scheme.status_code == 401
        assert "Authorization: Bearer TOKEN" in scheme.json()["detail"]
        c.cookies.clear()
        browser = c.get("/library/export.bib", follow_redirects=False)
        assert browser.status_code == 303
        assert browser.headers["location"].endswith("/signin?next=/library/export.bib")
        basic = c.get(  # a proxy's Basic authentication in front: still a browser
            "/library/export.bib", headers={"Authorization": "Basic dTpw"}, follow_redirects=False
        )
        assert basic.status_code == 303
