"""Data migrations bring stores made by older versions up to what the code now expects."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Engine, select, text, update

from paperfeed.settings import Settings
from paperfeed.store import migrate, upsert_papers
from paperfeed.store.accounts import create_user
from paperfeed.store.library import add_interest, follows, mutes
from paperfeed.store.tables import paper_authors
from tests.web_support import HOSTILE, client, web_settings

# Keys as stores ingested before author keys transliterated hold them (the letters dropped).
OLD_KEYS = {"Bartłomiej Cupiał": "bart omiej cupia", "Søren Kierkegaard": "s ren kierkegaard"}


def _age(engine: Engine) -> int:
    """Make the store look as 0010 left it: old keys in papers, follows and mutes."""
    with engine.begin() as conn:
        for name, key in OLD_KEYS.items():
            conn.execute(
                update(paper_authors).where(paper_authors.c.name == name).values(name_key=key)
            )
        user = create_user(conn, "ada", "hash").id
        add_interest(conn, user, "follow", "author", "bart omiej cupia", "Bartłomiej Cupiał")
        add_interest(conn, user, "follow", "author", "s ren kierkegaard", "Søren Kierkegaard")
        add_interest(conn, user, "follow", "author", "soren kierkegaard", "Soren Kierkegaard")
        add_interest(conn, user, "mute", "author", "s ren kierkegaard", "Søren Kierkegaard")
        conn.execute(text("UPDATE alembic_version SET version_num = '0010'"))
    return user


def test_0011_recomputes_old_author_keys(settings: Settings, engine: Engine) -> None:
    site = web_settings(settings)
    authors = ("Bartłomiej Cupiał", "Søren Kierkegaard", "José Núñez", "Ada Lovelace")
    paper = replace(HOSTILE, id="2606.77777", authors=authors, code_links=())
    with engine.begin() as conn:
        upsert_papers(conn, [paper])
    user = _age(engine)
    with client(site, engine) as c:
        assert c.get("/authors/bartlomiej-cupial").status_code == 404  # what old stores showed

    migrate(engine)
    with engine.connect() as conn:
        keys = dict(conn.execute(select(paper_authors.c.name, paper_authors.c.name_key)).all())
        followed = conn.execute(select(follows.c.value).where(follows.c.user_id == user)).all()
        muted = conn.execute(select(mutes.c.value).where(mutes.c.user_id == user)).all()
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert version == "0011"
    assert keys == {
        "Bartłomiej Cupiał": "bartlomiej cupial",
        "Søren Kierkegaard": "soren kierkegaard",
        "José Núñez": "jose nunez",
        "Ada Lovelace": "ada lovelace",
    }
    assert sorted(v for (v,) in followed) == ["bartlomiej cupial", "soren kierkegaard"]
    assert [v for (v,) in muted] == ["soren kierkegaard"]
    with client(site, engine) as c:
        for slug in ("bartlomiej-cupial", "soren-kierkegaard"):
            page = c.get(f"/authors/{slug}")
            assert page.status_code == 200 and "2606.77777" in page.text, slug
