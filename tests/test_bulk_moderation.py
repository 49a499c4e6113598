"""Bulk moderation: a spam wave's reported comments hidden, or their reports dismissed, many at
once from the moderation queue (asked first), each logged on its own line; on SQLite and
PostgreSQL."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from paperfeed.settings import Settings
from paperfeed.store.accounts import create_user, set_admin
from paperfeed.store.community import add_comment, count_open_reports, get_comment, report_comment
from paperfeed.store.jobs import recent_actions
from paperfeed.store.tables import papers
from paperfeed.web.auth import hash_new_password
from tests.web_support import client, csrf_token, sign_up

PASSWORD = "correct horse battery"


def _wave(engine: Engine, spam: int = 60) -> tuple[str, list[int], int]:
    """Two spam accounts' reported comments (the oldest first) and an honest reported one."""
    hashed = hash_new_password(PASSWORD)
    with engine.begin() as conn:
        pid = str(conn.scalar(select(papers.c.id).order_by(papers.c.id).limit(1)))
        ids = {n: create_user(conn, n, hashed).id for n in ("sp4m", "b0t", "honest", "reader")}
        wave = []
        for i in range(spam):
            who = ids["sp4m" if i % 2 else "b0t"]
            cid = add_comment(conn, pid, who, f"Cheap pills {i} <script>x()</script>", None)
            report_comment(conn, cid, ids["reader"], "spam")
            wave.append(cid)
        honest = add_comment(conn, pid, ids["honest"], "A fair point, badly put.", None)
        report_comment(conn, honest, ids["reader"], "rude?")
    return pid, wave, honest


def _moderator(c: TestClient, engine: Engine) -> str:
    sign_up(c, "mod", PASSWORD)
    with engine.begin() as conn:
        set_admin(conn, "mod", True)
    return csrf_token(c, "/admin/community")


def _post(c: TestClient, pairs: list[tuple[str, str]], follow: bool = True) -> Any:
    """Post the bulk form's fields (names may repeat, as a form's boxes do)."""
    form: dict[str, list[str]] = {}
    for name, value in pairs:
        form.setdefault(name, []).append(value)
    return c.post("/admin/community/bulk", data=form, follow_redirects=follow)


def _ticked(ids: list[int]) -> list[tuple[str, str]]:
    return [("ids", str(i)) for i in ids]


def _hidden(engine: Engine, ids: list[int]) -> list[bool]:
    with engine.connect() as conn:
        return [bool((got := get_comment(conn, i)) and got.hidden) for i in ids]


def _log(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [(a.who, a.action, a.target) for a in recent_actions(conn, 500)]


def test_ticked_comments_are_hidden_after_a_question_each_logged(
    site: Settings, engine: Engine
) -> None:
    pid, wave, honest = _wave(engine)
    with client(site, engine) as c:
        token = _moderator(c, engine)
        queue = c.get("/admin/community").text
        boxes = [int(i) for i in re.findall(r'name="ids" value="(\d+)" form="bulk"', queue)]
        assert boxes == wave[:50]  # one box for each report on the page, the longest waiting
        assert 'action="/admin/community/bulk"' in queue and "Select all on this page" in queue
        picked = wave[:3]
        asked = _post(c, [("csrf_token", token), ("action", "hide"), *_ticked(picked)], False)
        assert asked.status_code == 200  # without JavaScript: a page asks first
        text = unescape(asked.text)
        assert "Hide 3 reported comments (by b0t, sp4m)?" in text
        assert re.findall(r'name="ids" value="(\d+)"', asked.text) == [str(i) for i in picked]
        assert _hidden(engine, picked) == [False] * 3 and _log(engine) == []
        data = [("csrf_token", token), ("action", "hide"), ("confirmed", "1"), *_ticked(picked)]
        done = _post(c, data, False)
        assert (
            done.status_code == 303
            and done.headers["location"] == "/admin/community?page=1#reports"
        )
        assert _hidden(engine, picked) == [True] * 3
        assert _hidden(engine, [wave[3], honest]) == [False, False]
        names = ["b0t", "sp4m", "b0t"]
        expected = [
            ("mod", "hide", f"comment {i} by {n} on {pid}")
            for i, n in zip(picked, names, strict=True)
        ]
        assert sorted(_log(engine)) == sorted(expected)  # one line each, naming author and paper
        after = c.get("/admin/community")
        assert "3 reported comments hidden; each is in the admin log." in after.text
        assert f'id="r{picked[0]}"' not in after.text and "<script>x()" not in after.text
        with engine.connect() as conn:
            assert count_open_reports(conn) == 58


def test_select_all_dismisses_the_page_and_keeps_the_comments(
    site: Settings, engine: Engine
) -> None:
    """Without JavaScript "Select all on this page" sends the page's ids; the reports are
    dismissed, the comments stay, and page 2 then starts where page 1 ended."""
    pid, wave, honest = _wave(engine)
    with client(site, engine) as c:
        token = _moderator(c, engine)
        queue = c.get("/admin/community").text
        page_ids = re.findall(r'name="page_ids" value="(\d+)"', queue)
        assert page_ids == [str(i) for i in wave[:50]]
        data = [("csrf_token", token), ("action", "dismiss"), ("all", "1"), ("page", "1")]
        data += [("page_ids", i) for i in page_ids]
        asked = _post(c, data, False)
        assert "Dismiss the reports on 50 reported comments" in unescape(asked.text)
        done = _post(c, [*data, ("confirmed", "1")], False)
        assert done.status_code == 303
        with engine.connect() as conn:
            assert count_open_reports(conn) == 11
        assert _hidden(engine, wave[:50]) == [False] * 50  # dismissed, not hidden
        logged = _log(engine)
        assert len(logged) == 50 and {a for _, a, _ in logged} == {"dismiss reports on"}
        assert ("mod", "dismiss reports on", f"comment {wave[0]} by b0t on {pid}") in logged
        rest = re.findall(r'name="ids" value="(\d+)"', c.get("/admin/community").text)
        assert rest == [str(i) for i in [*wave[50:], honest]]


def test_handled_meanwhile_is_left_alone_and_said(site: Settings, engine: Engine) -> None:
    """Two moderators on one wave: what the other already handled is skipped, not hidden."""
    _pid, wave, _honest = _wave(engine, spam=4)
    with client(site, engine) as c:
        token = _moderator(c, engine)
        first = [("csrf_token", token), ("action", "dismiss"), ("confirmed", "1")]
        assert _post(c, [*first, *_ticked(wave[:2])]).status_code == 200
        again = [("csrf_token", token), ("action", "hide"), ("confirmed", "1"), *_ticked(wave)]
        done = _post(c, again)
        assert _hidden(engine, wave) == [False, False, True, True]
        assert "2 of those ticked were no longer waiting" in unescape(done.text)
        assert len(_log(engine)) == 4  # two dismissals, two hides: none twice


def test_non_admins_forged_and_malformed_posts_are_refused(site: Settings, engine: Engine) -> None:
    _pid, wave, _honest = _wave(engine, spam=3)
    ok = [("action", "hide"), ("confirmed", "1"), *_ticked(wave)]
    with client(site, engine) as c:
        sign_up(c, "nosy", PASSWORD)
        token = csrf_token(c, "/")
        refused = _post(c, [("csrf_token", token), *ok])
        assert refused.status_code == 403 and "only an admin" in refused.text
    with client(site, engine) as c:
        token = _moderator(c, engine)
        forged = _post(c, ok)  # no form token: another site's form
        assert forged.status_code == 403 and "came from another site" in forged.text
        wrong = _post(c, [("csrf_token", "x" * 40), *ok])
        assert wrong.status_code == 403
        signed = [("csrf_token", token), ("confirmed", "1")]
        none = _post(c, [*signed, ("action", "hide")])
        assert none.status_code == 400 and "tick the reported comments" in unescape(none.text)
        bad = [
            [*signed, ("action", "delete"), *_ticked(wave)],
            [*signed, ("action", "hide"), ("ids", "abc")],
            [*signed, ("action", "hide"), ("ids", "0")],
            [*signed, ("action", "hide"), ("ids", str(2**40))],
            [*signed, ("action", "hide"), *_ticked(list(range(1, 52)))],  # more than a page
            [*signed, ("action", "hide"), ("all", "2"), *_ticked(wave)],
        ]
        for data in bad:
            got = _post(c, data)
            assert got.status_code == 400, (data, got.status_code, got.text)
    with client(site, engine) as anonymous:
        gone = _post(anonymous, ok, False)
        assert gone.status_code in (303, 401, 403)
    assert _hidden(engine, wave) == [False] * 3 and _log(engine) == []
