"""A Korean name written with a space and without one ("김 민수", "김민수") is one author: one
key, one author page, one follow; the romanised "Kim Minsu" stays another author; old stores
are keyed again by a migration."""

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

REKEYED = "0035"  # the migration that keys these names again
BEFORE = "0034"  # the one before it
SPACED, JOINED, ROMAN = "김 민수", "김민수", "Kim Minsu"
PAGE = "/authors/" + quote(JOINED)


def test_a_korean_name_with_or_without_a_space_has_one_key() -> None:
    assert author_key(SPACED) == author_key(JOINED) == author_key("김\u3000민수") == JOINED
    assert author_key("남궁 민수") == "남궁민수"  # a family name of two syllables
    assert author_key("김 민수 (Minsu Kim)") == "김민수 minsu kim"
    assert author_key("ᄀ\u1175ᆷ 민수") == JOINED  # conjoining jamo, composed by NFKC
    assert author_key(ROMAN) == "kim minsu" != author_key(JOINED)  # romanised: another author
    assert author_key("김민수") != author_key("김민서")
    assert author_key("山田 太郎") == "山田太郎"  # as before
    for name in (SPACED, "김 민수 (Minsu Kim)"):
        assert author_key(author_key(name)) == author_key(name), name  # a key's key is itself
    assert author_url(SPACED) == author_url(JOINED) == PAGE


def _papers(engine: Engine) -> None:
    spaced = replace(HOSTILE, id="2606.88811", authors=(SPACED, "Ann Lee"), code_links=())
    joined = replace(HOSTILE, id="2606.88812", authors=(JOINED,), code_links=())
    roman = replace(HOSTILE, id="2606.88813", authors=(ROMAN,), code_links=())
    with engine.begin() as conn:
        upsert_papers(conn, [spaced, joined, roman])


def test_both_spellings_lead_to_one_author_page(settings: Settings, engine: Engine) -> None:
    _papers(engine)
    with engine.begin() as conn:
        minsu = create_user(conn, "minsu", "hash").id
        decide_claim(conn, add_claim(conn, minsu, "2606.88811", SPACED), True, "")
    with client(web_settings(settings), engine) as c:
        for pid in ("2606.88811", "2606.88812"):  # each paper page links its name to one page
            assert f'href="{PAGE}"' in c.get(f"/papers/{pid}").text, pid
        page = c.get(PAGE)
        assert page.status_code == 200
        assert "2606.88811" in page.text and "2606.88812" in page.text
        assert "2606.88813" not in page.text  # Kim Minsu: another author, another page
        assert 'href="/users/minsu">minsu</a>' in page.text  # the claim shows there
        old = c.get("/authors/" + quote("김-민수") + "?page=2", follow_redirects=False)
        assert old.status_code == 301 and old.headers["location"] == PAGE + "?page=2"
        roman = c.get("/authors/kim-minsu").text
        assert "2606.88813" in roman and "2606.88811" not in roman


def _age(engine: Engine) -> int:
    """The store as the migration before finds it: spaced keys in papers, follows and mutes."""
    with engine.begin() as conn:
        conn.execute(
            update(paper_authors).where(paper_authors.c.name == SPACED).values(name_key=SPACED)
        )
        user = create_user(conn, "ada", "hash").id
        add_interest(conn, user, "follow", "author", SPACED, SPACED)
        add_interest(conn, user, "follow", "author", JOINED, JOINED)  # the same author twice
        add_interest(conn, user, "follow", "author", "이 영희 ~ 김 민수; ann lee", "이 영희")
        add_interest(conn, user, "follow", "author", "ann lee", "Ann Lee")
        add_interest(conn, user, "follow", "author", "kim minsu", ROMAN)
        add_interest(conn, user, "mute", "author", "박 지성", "박 지성")
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
        assert "2606.88811" not in c.get(PAGE).text  # what old stores showed: two authors

    migrate(engine)
    keys, followed, muted = _state(engine, user)
    assert keys[SPACED] == keys[JOINED] == JOINED
    assert keys["Ann Lee"] == "ann lee" and keys[ROMAN] == "kim minsu"
    assert followed == ["ann lee", "kim minsu", JOINED, "이영희 ~ 김민수; ann lee"]
    assert muted == ["박지성"]
    with engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert version >= REKEYED
    with client(web_settings(settings), engine) as c:
        page = c.get(PAGE).text
        assert "2606.88811" in page and "2606.88812" in page

    with engine.begin() as conn:  # run again: nothing changes
        conn.execute(text(f"UPDATE alembic_version SET version_num = '{BEFORE}'"))
    migrate(engine)
    assert _state(engine, user) == (keys, followed, muted)
