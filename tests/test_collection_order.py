"""A course's reading list in its lecturer's order: papers moved to a place in a collection
keep it on its shared page, in its feeds and exports and in the API, for readers signed out."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, text

from paperfeed.settings import Settings
from paperfeed.store import migrate
from paperfeed.store.library import collection_paper_ids, user_collections
from tests.test_shared_lists import bearer_of
from tests.test_store_migrations import _alembic
from tests.web_support import DAYS, client, on_day, post_form, sign_up


def _reading_list(c: TestClient, engine: Engine, ids: list[str]) -> tuple[int, str]:
    """The lecturer's unlisted "Week by week" collection holding `ids`, put in one at a time:
    its id and its link's key."""
    for pid in ids:
        post_form(c, f"/papers/{pid}/save", {"collection": "Week by week", "next": "/"})
    with engine.connect() as conn:
        (course,) = user_collections(conn, 1)
    edit = {"name": course.name, "description": "Read **before** class", "visibility": "unlisted"}
    assert post_form(c, f"/collections/{course.id}/edit", edit).status_code == 303
    return course.id, course.share_key


def _shown(page: str) -> list[str]:
    return re.findall(r'<article class="card" data-id="([^"]+)"', page)


def _in_order_of(body: str, ids: list[str]) -> list[str]:
    """`ids` in the order they first appear in `body`."""
    return sorted(ids, key=lambda pid: body.index(pid))


def test_a_lecturers_order_holds_on_the_page_in_feeds_exports_and_the_api(
    site: Settings, engine: Engine
) -> None:
    ids = sorted(on_day(engine, DAYS[0]))[:4]
    with client(site, engine) as lecturer, client(site, engine) as student:
        sign_up(lecturer, "lecturer")
        course, key = _reading_list(lecturer, engine, ids)
        assert _shown(student.get(f"/c/{key}").text) == ids[::-1]  # newest added first
        # the list's own order, before any move: as they were put in
        assert _shown(lecturer.get(f"/c/{key}?order=list").text) == ids
        moved = post_form(lecturer, f"/c/{key}/move", {"paper_id": ids[3], "to": "1"})
        assert moved.status_code == 303
        assert moved.headers["location"] == f"/c/{key}?order=list#note-{ids[3]}"
        post_form(lecturer, f"/c/{key}/move", {"paper_id": ids[0], "to": "3"})  # down two
        post_form(lecturer, f"/c/{key}/note", {"paper_id": ids[3], "note": "Read sections 1–3"})
        wanted = [ids[3], ids[1], ids[0], ids[2]]

        page = student.get(f"/c/{key}").text  # signed out: the lecturer's order by default
        assert _shown(page) == wanted and "Read sections 1–3" in page
        assert "Move up" not in page and "/move" not in page  # no controls for readers
        assert '<ol class="cards list-order" start="1">' in page
        assert _shown(student.get(f"/c/{key}?order=added").text) == ids[::-1]  # still asked
        for fmt in ("bib", "ris", "json", "atom", "rss"):
            body = student.get(f"/c/{key}/feed.{fmt}").text
            assert _in_order_of(body, ids) == wanted, fmt
        csl = json.loads(student.get(f"/c/{key}/feed.json").text)
        assert "Read sections 1–3" in json.dumps(csl[0], ensure_ascii=False)  # the first's note

        auth = {"Authorization": bearer_of(lecturer, "lecturer")}
        listed = lecturer.get(f"/api/me/library?collection={course}&order=list", headers=auth)
        assert [i["paper"]["id"] for i in listed.json()] == wanted
        path = f"/api/me/collections/{course}/papers/{ids[2]}/position"
        put = lecturer.put(path, json={"position": 99}, headers=auth)  # past the end: last
        assert put.json() == {"paperId": ids[2], "position": 4}
        put = lecturer.put(path, json={"position": 2}, headers=auth)
        assert put.json() == {"paperId": ids[2], "position": 2}
        assert _shown(student.get(f"/c/{key}").text) == [ids[3], ids[2], ids[1], ids[0]]


def test_new_papers_go_last_and_a_copy_keeps_the_order(site: Settings, engine: Engine) -> None:
    ids = sorted(on_day(engine, DAYS[0]))[:4]
    with client(site, engine) as lecturer, client(site, engine) as student:
        sign_up(lecturer, "lecturer")
        _, key = _reading_list(lecturer, engine, ids[:3])
        post_form(lecturer, f"/c/{key}/move", {"paper_id": ids[2], "to": "1"})
        post_form(lecturer, f"/papers/{ids[3]}/save", {"collection": "Week by week", "next": "/"})
        wanted = [ids[2], ids[0], ids[1], ids[3]]
        assert _shown(student.get(f"/c/{key}").text) == wanted
        sign_up(student, "student")
        copied = post_form(student, f"/c/{key}/copy", {"name": "My course"})
        assert copied.status_code == 303
        with engine.connect() as conn:
            mine = [c for c in user_collections(conn, 2) if c.name == "My course"][0]
            assert collection_paper_ids(conn, mine.id, "list") == wanted


def test_moves_that_cannot_be_made_are_refused_plainly(site: Settings, engine: Engine) -> None:
    ids = sorted(on_day(engine, DAYS[0]))[:3]
    with client(site, engine) as lecturer, client(site, engine) as student:
        sign_up(lecturer, "lecturer")
        course, key = _reading_list(lecturer, engine, ids[:2])
        sign_up(student, "student")
        assert (
            post_form(student, f"/c/{key}/move", {"paper_id": ids[0], "to": "2"}).status_code == 404
        )
        missing = post_form(lecturer, f"/c/{key}/move", {"paper_id": ids[2], "to": "1"})
        assert missing.status_code == 404
        for to in ("0", "", "two", "-1"):
            bad = post_form(lecturer, f"/c/{key}/move", {"paper_id": ids[0], "to": to})
            assert bad.status_code == 400, to  # the site's plain form refusal
        assert (
            post_form(lecturer, "/c/nope/move", {"paper_id": ids[0], "to": "1"}).status_code == 404
        )
        assert lecturer.get(f"/c/{key}?order=sideways").status_code == 400
        auth = {"Authorization": bearer_of(lecturer, "lecturer")}
        assert lecturer.get("/api/me/library?order=list", headers=auth).status_code == 400
        path = f"/api/me/collections/{course}/papers/{ids[0]}/position"
        assert lecturer.put(path, json={"position": 0}, headers=auth).status_code == 422
        assert lecturer.put(path, json={"place": 1}, headers=auth).status_code == 422
        with engine.connect() as conn:
            assert collection_paper_ids(conn, course, "list") == ids[:2]  # nothing moved


def test_a_store_0039_made_gets_its_lists_in_the_order_they_were_filled_and_twice_is_harmless(
    site: Settings, engine: Engine
) -> None:
    ids = sorted(on_day(engine, DAYS[0]))[:4]
    with client(site, engine) as lecturer:
        sign_up(lecturer, "lecturer")
        course, key = _reading_list(lecturer, engine, ids[:3])
        _alembic(engine, "downgrade", "0039")  # as that version left it: no order of its own
        assert "position" not in {
            c["name"] for c in inspect(engine).get_columns("collection_items")
        }
        with engine.begin() as conn:  # the papers added last to first: ids nor rows will do
            at = conn.execute(text("SELECT max(added_at) FROM collection_items")).scalar_one()
            for n, pid in enumerate(ids[:3]):
                conn.execute(
                    text("UPDATE collection_items SET added_at = :at WHERE paper_id = :p"),
                    {"at": _stamp(at) - timedelta(days=n), "p": pid},
                )
        migrate(engine)
        with engine.begin() as conn:
            assert collection_paper_ids(conn, course, "list") == ids[2::-1]  # earliest first
        post_form(lecturer, f"/papers/{ids[3]}/save", {"collection": "Week by week", "next": "/"})
        post_form(lecturer, f"/c/{key}/move", {"paper_id": ids[0], "to": "2"})
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0039'"))
        migrate(engine)  # again: the arranged list is left as it is
        assert _shown(lecturer.get(f"/c/{key}").text) == [ids[2], ids[0], ids[1], ids[3]]


def _stamp(value: object) -> datetime:
    """A stored time as SQLite (text) or PostgreSQL (a datetime) hands it back."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
