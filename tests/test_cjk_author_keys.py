"""A Chinese or Japanese name written with a space and without one ("山田 太郎", "山田太郎") is
one author: one key, one author page, one follow; old stores are keyed again by a migration."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

from sqlalchemy import Engine, select, text, update

from paperfeed.settings import Settings
from paperfeed.store import migrate, upsert_papers
from paperfeed.store.accounts import create_user
from paperfeed.store.community import add_claim, decide_claim
from paperfeed.store.library import add_interest, follows, mutes
from paperfeed.store.papers import author_key
from paperfeed.store.tables import paper_authors
from paperfeed.web.render import author_url
from tests.web_support import HOSTILE, client, web_settings

REKEYED = "0028"  # the migration that keys these names again
BEFORE = "0027"  # the one before it
SPACED, JOINED = "山田 太郎", "山田太郎"
PAGE = "/authors/" + quote(JOINED)


def test_a_cjk_name_with_or_without_a_space_has_one_key_latin_names_keep_theirs() -> None:
    assert author_key(SPACED) == author_key(JOINED) == author_key("山田\u3000太郎") == JOINED
    assert author_key("山田・太郎") == JOINED
    assert author_key("王 伟") == author_key("王伟") == "王伟"
    assert author_key("张伟") != author_key("章伟")  # still two authors
    assert author_key("Zhang Wei") == "zhang wei"
    assert author_key("Łukasz Işık") == "lukasz isik"
    assert author_key("李 明 (Ming Li)") == "李明 ming li"
    for name in (SPACED, "李 明 (Ming Li)", "山田・太郎", "Мария Иванова"):
        assert author_key(author_key(name)) == author_key(name), name  # a key's key is itself
    assert author_url(SPACED) == author_url(JOINED) == PAGE


def _papers(engine: Engine) -> None:
    spaced = replace(HOSTILE, id="2606.88801", authors=(SPACED, "Ann Lee"), code_links=())
    joined = replace(HOSTILE, id="2606.88802", authors=(JOINED,), code_links=())
    with engine.begin() as conn:
        upsert_papers(conn, [spaced, joined])


def test_both_spellings_lead_to_one_author_page(settings: Settings, engine: Engine) -> None:
    _papers(engine)
    with engine.begin() as conn:
        yamada = create_user(conn, "yamada", "hash").id
        decide_claim(conn, add_claim(conn, yamada, "2606.88801", SPACED), True, "")
    with client(web_settings(settings), engine) as c:
        for pid in ("2606.88801", "2606.88802"):  # each paper page links its name to one page
            assert f'href="{PAGE}"' in c.get(f"/papers/{pid}").text, pid
        page = c.get(PAGE)
        assert page.status_code == 200
        assert "2606.88801" in page.text and "2606.88802" in page.text
        assert 'href="/users/yamada">yamada</a>' in page.text  # the claim shows there
        old = c.get("/authors/" + quote("山田-太郎"), follow_redirects=False)
        assert old.status_code == 301 and old.headers["location"] == PAGE  # an old link
        assert (
            c.get("/authors/" + quote("山田-太郎") + "?page=2", follow_redirects=False).headers[
                "location"
            ]
            == PAGE + "?page=2"
        )
        assert c.get("/authors/ann-lee").status_code == 200  # Latin slugs as they were
        assert c.get("/authors/Ann-Lee", follow_redirects=False).status_code == 404


def _age(engine: Engine) -> int:
    """The store as the migration before finds it: spaced keys in papers, follows and mutes."""
    with engine.begin() as conn:
        conn.execute(
            update(paper_authors).where(paper_authors.c.name == SPACED).values(name_key=SPACED)
        )
        user = create_user(conn, "ada", "hash").id
        add_interest(conn, user, "follow", "author", SPACED, SPACED)
        add_interest(conn, user, "follow", "author", JOINED, JOINED)  # the same author twice
        add_interest(conn, user, "follow", "author", "王 伟 ~ 山田 太郎; ann lee", "王 伟")
        add_interest(conn, user, "follow", "author", "ann lee", "Ann Lee")
        add_interest(conn, user, "mute", "author", "李 明", "李 明")
        conn.execute(text(f"UPDATE alembic_version SET version_num = '{BEFORE}'"))
    return user


def _state(engine: Engine, user: int) -> tuple[dict[str, str], list[str], list[str]]:
    with engine.connect() as conn:
        keys = dict(conn.execute(select(paper_authors.c.name, paper_authors.c.name_key)).all())
        mine = follows.c.user_id == user
        followed = sorted(conn.scalars(select(follows.c.value).where(mine)))
        muted = sorted(conn.scalars(select(mutes.c.value).where(mutes.c.user_id == user)))
    return keys, followed, muted


def test_the_migration_keys_old_rows_again_once(settings: Settings, engine: Engine) -> None:
    _papers(engine)
    user = _age(engine)
    with client(web_settings(settings), engine) as c:
        assert "2606.88801" not in c.get(PAGE).text  # what old stores showed: two authors

    migrate(engine)
    keys, followed, muted = _state(engine, user)
    assert keys[SPACED] == keys[JOINED] == JOINED
    assert keys["Ann Lee"] == "ann lee"
    assert followed == ["ann lee", JOINED, "王伟 ~ 山田太郎; ann lee"]
    assert muted == ["李明"]
    with engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert version >= REKEYED
    with client(web_settings(settings), engine) as c:
        page = c.get(PAGE).text
        assert "2606.88801" in page and "2606.88802" in page

    with engine.begin() as conn:  # run again: nothing changes
        conn.execute(text(f"UPDATE alembic_version SET version_num = '{BEFORE}'"))
    migrate(engine)
    assert _state(engine, user) == (keys, followed, muted)
