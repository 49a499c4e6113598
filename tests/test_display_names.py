"""Display names: a real name in any script, set at /settings/profile, shown beside the handle
on the profile, comments and claims (the handle stays the identity); on SQLite and
PostgreSQL, with migration 0019 adding them to an older store."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, select, text, update

from paperfeed.settings import Settings
from paperfeed.store import get_paper, migrate
from paperfeed.store.accounts import create_user, set_admin, set_suspended, users
from paperfeed.store.community import (
    add_claim,
    decide_claim,
    get_profile,
    save_profile,
    user_notifications,
)
from paperfeed.store.db import _MIGRATIONS as MIGRATIONS
from paperfeed.store.tables import papers
from paperfeed.text import display_name
from tests.web_support import bearer, client, csrf_token, sign_up

PASSWORD = "correct horse battery"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("  Ada   Lovelace ", "Ada Lovelace"),
        ("مریم میرزاخانی", "مریم میرزاخانی"),  # right to left, with a joiner-free script
        ("李白", "李白"),
        ("Zoe\u0308", "Zoë"),  # composed (NFC), as typed by another keyboard
        ("\u0915\u094d\u200d\u0937", "\u0915\u094d\u200d\u0937"),  # a joiner some scripts need
        ("", ""),
        ("x" * 80, "x" * 80),
    ],
)
def test_a_display_name_is_kept_trimmed_in_any_script(typed: str, kept: str) -> None:
    assert display_name(typed) == kept


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("Ada\u202eecalevoL", "text-direction"),
        ("Ada\u2066x", "text-direction"),
        ("Ada\nLovelace", "line-break"),
        ("Ada\x00", "control"),
        ("Ad\x85a", "control"),
        ("x" * 81, "at most 80"),
        ("@admin", "start with"),
        ("＠admin", "start with"),
        ("\u3164", "visible"),
        ("\u0301\u0301", "visible"),
    ],
)
def test_a_display_name_that_hides_or_fakes_is_refused(typed: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        display_name(typed)


def _profile(c: TestClient, name: str, **more: str) -> object:
    data = {"csrf_token": csrf_token(c, "/settings/profile"), "display_name": name} | more
    return c.post("/settings/profile", data=data, follow_redirects=False)


def _first_paper(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.scalar(select(papers.c.id).order_by(papers.c.id).limit(1)))


def test_set_at_the_profile_and_shown_beside_the_handle(site: Settings, engine: Engine) -> None:
    pid = _first_paper(engine)
    with client(site, engine) as c:
        sign_up(c, "ada", PASSWORD)
        done = _profile(c, "  Ада Lovelace ", bio="Numbers.")
        assert done.status_code == 303, done.text  # type: ignore[attr-defined]
        form = c.get("/settings/profile").text
        assert 'name="display_name" maxlength="80" value="Ада Lovelace"' in form
        page = c.get("/users/ada").text
        assert (
            '<bdi class="display-name">Ада Lovelace</bdi> <span class="handle">@ada</span>' in page
        )
        assert "<title>Ада Lovelace (@ada)" in page
        assert TestClient(c.app).get("/api/users/ada").json()["displayName"] == "Ада Lovelace"
        said = c.post(
            f"/api/papers/{pid}/comments",
            json={"body": "A remark."},
            headers={"X-CSRF-Token": csrf_token(c, "/")},
        )
        assert said.status_code == 201, said.text
        avatar = c.get(said.json()["author"]["avatarUrl"].removeprefix(site.public_url))
        assert avatar.status_code == 200 and avatar.headers["content-type"].startswith("image/svg")
        assert said.json()["author"] == {
            "name": "ada",
            "displayName": "Ада Lovelace",
            "avatarUrl": f"{site.public_url}/avatars/ada.svg",  # absolute, as the API's others
            "isAuthor": False,
        }
        shown = '<bdi class="display-name">Ада Lovelace</bdi> <span class="handle">@ada</span>'
        assert shown in c.get(f"/papers/{pid}").text
        assert shown in c.get("/discussions").text
        listed = c.get(f"/api/papers/{pid}/comments").json()
        assert listed[0]["author"]["displayName"] == "Ада Lovelace"
        cleared = _profile(c, "")  # optional: cleared, the handle alone again
        assert cleared.status_code == 303  # type: ignore[attr-defined]
        assert "display-name" not in c.get(f"/papers/{pid}").text


def test_a_display_name_copying_a_handle_shows_the_real_handle(
    site: Settings, engine: Engine
) -> None:
    """mallory calls herself "ada": readers see "ada @mallory", mentions of @ada still reach
    ada, and text typed as a name stays text."""
    pid = _first_paper(engine)
    with client(site, engine) as c:
        bearer(c, "ada", PASSWORD)
        sign_up(c, "mallory", PASSWORD)
        assert _profile(c, "ada").status_code == 303  # type: ignore[attr-defined]
        with engine.begin() as conn:  # a day old: new accounts' mentions tell nobody
            old = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=2)
            conn.execute(update(users).where(users.c.username == "mallory").values(created_at=old))
        token = {"X-CSRF-Token": csrf_token(c, "/")}
        said = c.post(f"/api/papers/{pid}/comments", json={"body": "Hi @ada"}, headers=token)
        assert said.status_code == 201, said.text
        page = c.get(f"/papers/{pid}").text
        assert '<bdi class="display-name">ada</bdi> <span class="handle">@mallory</span>' in page
        assert re.search(r'<a class="who" href="/users/mallory">', page)
        assert 'href="/users/ada"' in said.json()["html"]  # the mention is by handle
        with engine.connect() as conn:
            ada_id = conn.execute(select(users.c.id).where(users.c.username == "ada")).scalar_one()
            [told] = user_notifications(conn, ada_id)
        assert told.comment is not None and told.comment.username == "mallory"
        assert _profile(c, "<script>alert(1)</script>").status_code == 303  # type: ignore[attr-defined]
        page = c.get(f"/papers/{pid}").text
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; </bdi>" not in page
        assert '<bdi class="display-name">&lt;script&gt;alert(1)&lt;/script&gt;</bdi>' in page


def test_refused_names_keep_the_form_and_say_why(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        sign_up(c, "ada", PASSWORD)
        refused = _profile(c, "Ada\u202eecalevoL", bio="kept as typed")
        assert refused.status_code == 400  # type: ignore[attr-defined]
        text = unescape(refused.text)  # type: ignore[attr-defined]
        assert "A display name cannot hold control, line-break or text-direction marks." in text
        assert 'aria-describedby="name-problem"' in refused.text  # type: ignore[attr-defined]
        assert "kept as typed" in text
        too_long = _profile(c, "x" * 81)
        assert too_long.status_code == 400  # type: ignore[attr-defined]
        assert "at most 80 characters" in too_long.text  # type: ignore[attr-defined]
        huge = _profile(c, "x" * 5000)
        assert huge.status_code == 400  # type: ignore[attr-defined]
        forged = c.post("/settings/profile", data={"display_name": "Eve"})
        assert forged.status_code == 403
    with engine.connect() as conn:
        uid = conn.execute(select(users.c.id).where(users.c.username == "ada")).scalar_one()
        assert get_profile(conn, uid).display_name == ""


def test_a_suspended_accounts_display_name_is_hidden_like_its_bio(
    site: Settings, engine: Engine
) -> None:
    pid = _first_paper(engine)
    with client(site, engine) as c:
        sign_up(c, "ada", PASSWORD)
        assert _profile(c, "Ada Lovelace", bio="Numbers.").status_code == 303  # type: ignore[attr-defined]
        with engine.begin() as conn:
            uid = conn.execute(select(users.c.id).where(users.c.username == "ada")).scalar_one()
            first = get_paper(conn, pid)
            assert first is not None
            claim = add_claim(conn, uid, pid, first.authors[0], 0)
        sign_up(c, "mod", PASSWORD)
        with engine.begin() as conn:
            set_admin(conn, "mod", True)
        queue = c.get("/admin/community").text
        assert (
            '<bdi class="display-name">Ada Lovelace</bdi> <span class="handle">@ada</span>' in queue
        )
        with engine.begin() as conn:
            decide_claim(conn, claim, True, "")
        assert 'title="claimed by Ada Lovelace (@ada)"' in c.get(f"/papers/{pid}").text
        with engine.begin() as conn:
            set_suspended(conn, uid, True)
    with client(site, engine) as reader:
        page = reader.get("/users/ada").text
        assert "Ada Lovelace" not in page and "Numbers." not in page
        assert reader.get("/api/users/ada").json()["displayName"] == ""


def _alembic(engine: Engine, action: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, action)(config, revision)


def test_0019_adds_display_names_to_a_store_0018_made(engine: Engine) -> None:
    """A store as 0018 left it keeps its profiles; each then has no display name, and one can
    be set; down again drops the column."""
    _alembic(engine, "downgrade", "0018")
    assert "display_name" not in {c["name"] for c in inspect(engine).get_columns("profiles")}
    with engine.begin() as conn:
        uid = create_user(conn, "ada", "hash").id
        row = {"user_id": uid, "bio": "Numbers.", "affiliation": "", "links": ""}
        conn.execute(
            text(
                "INSERT INTO profiles (user_id, bio, affiliation, links, notify_replies,"
                " notify_email) VALUES (:user_id, :bio, :affiliation, :links, :on, :on)"
            ),
            row | {"on": True},
        )
    migrate(engine)
    with engine.begin() as conn:
        assert get_profile(conn, uid).display_name == ""
        save_profile(conn, uid, display_name="Ada Lovelace")
        assert get_profile(conn, uid).bio == "Numbers."
        assert get_profile(conn, uid).display_name == "Ada Lovelace"
    _alembic(engine, "downgrade", "0018")
    assert "display_name" not in {c["name"] for c in inspect(engine).get_columns("profiles")}
    migrate(engine)
