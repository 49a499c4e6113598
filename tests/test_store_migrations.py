"""Data migrations bring stores made by older versions up to what the code now expects."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, select, text, update

from paperfeed.digest.render import build_message
from paperfeed.settings import Settings
from paperfeed.store import digests, migrate, upsert_papers
from paperfeed.store.accounts import create_user
from paperfeed.store.db import _MIGRATIONS as MIGRATIONS
from paperfeed.store.library import add_interest, follows, mutes
from paperfeed.store.tables import paper_authors
from tests.digest_support import add_outbox_message
from tests.web_support import HOSTILE, client, web_settings

HEAD = "0057"  # the newest migration
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)

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
    assert version == HEAD
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


def _paper_indexes(engine: Engine) -> dict[str, list[str | None]]:
    return {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes("papers")}


def test_0012_indexes_the_change_order_by_stamp_and_id(engine: Engine) -> None:
    """A store as 0011 left it (the index on changed_at alone) gets the (changed_at, id) one."""
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_papers_changed_at_id"))
        conn.execute(text("CREATE INDEX ix_papers_changed_at ON papers (changed_at)"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0011'"))
    migrate(engine)
    indexes = _paper_indexes(engine)
    assert indexes["ix_papers_changed_at_id"] == ["changed_at", "id"]
    assert "ix_papers_changed_at" not in indexes


def test_0012_runs_on_a_store_whose_bulk_load_was_killed(engine: Engine) -> None:
    """A bulk load killed part-way leaves its deferred indexes missing: 0012 still runs."""
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_papers_changed_at_id"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0011'"))
    migrate(engine)
    assert _paper_indexes(engine)["ix_papers_changed_at_id"] == ["changed_at", "id"]


def _outbox_columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("digest_outbox")}


def _wire() -> tuple[str, bytes]:
    mail = build_message(
        Settings(), "ada@example.org", "Grüße", "Zoë’s plain body", "<p>Zoë</p>", NOW, None
    )
    return mail.wire, mail.packed()


def _queued(engine: Engine) -> digests.OutboxRow:
    with engine.connect() as conn:
        (row,) = digests.due_messages(conn, 10)
    return row


def test_0013_keeps_messages_written_before_it_readable(engine: Engine) -> None:
    """A store as 0012 left it (no `packed` column, messages as text) upgrades in place, and
    its queued message is read (and sent) exactly as before."""
    wire, _ = _wire()
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE digest_outbox DROP COLUMN packed"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0012'"))
        kw = {"status": "pending", "attempts": 0, "last_error": None}
        oid = add_outbox_message(conn, "ada@example.org", message=wire, **kw)  # type: ignore[arg-type]
    assert "packed" not in _outbox_columns(engine)
    migrate(engine)
    assert "packed" in _outbox_columns(engine)
    row = _queued(engine)
    assert (row.id, row.message) == (oid, wire)


def test_0013_downgrade_puts_packed_messages_back_as_text(engine: Engine) -> None:
    wire, packed = _wire()
    with engine.begin() as conn:
        kw = {"status": "pending", "attempts": 0, "last_error": None}
        oid = add_outbox_message(conn, "ada@example.org", message="", **kw)  # type: ignore[arg-type]
        conn.execute(update(digests.outbox).where(digests.outbox.c.id == oid).values(packed=packed))
    assert _queued(engine).message == wire  # read from the packed bytes
    _alembic(engine, "downgrade", "0012")
    assert "packed" not in _outbox_columns(engine)
    with engine.connect() as conn:
        kept = conn.execute(text("SELECT message FROM digest_outbox WHERE id = :i"), {"i": oid})
        assert kept.scalar_one() == wire
    migrate(engine)  # and back up: the text row is read as it is
    row = _queued(engine)
    assert (row.id, row.message) == (oid, wire)


def _alembic(engine: Engine, action: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, action)(config, revision)


def _notification_columns(engine: Engine) -> dict[str, bool]:
    columns = inspect(engine).get_columns("notifications")
    return {c["name"]: bool(c["nullable"]) for c in columns}


def test_0014_lets_a_notification_be_about_a_claim_and_goes_back(engine: Engine) -> None:
    """Down to 0013 (every notification about a comment), then up again: a claim decision is
    then told to its user, on both databases."""
    from paperfeed.store.community import add_claim, decide_claim, user_notifications
    from paperfeed.store.tables import papers

    _alembic(engine, "downgrade", "0013")
    assert _notification_columns(engine) == {
        "id": False, "user_id": False, "comment_id": False, "kind": False,
        "created_at": False, "seen": False,
    }  # fmt: skip
    migrate(engine)
    assert _notification_columns(engine)["claim_id"] is True
    assert _notification_columns(engine)["comment_id"] is True
    with engine.begin() as conn:
        upsert_papers(conn, [replace(HOSTILE, id="2606.77778", authors=("Ada Lovelace",))])
        assert conn.execute(select(papers.c.id)).first() is not None
        user = create_user(conn, "ada", "hash").id
        claim = add_claim(conn, user, "2606.77778", "Ada Lovelace")
        decided = decide_claim(conn, claim, False, "no proof")
        assert decided is not None and decided.status == "rejected"
        [told] = user_notifications(conn, user)
    assert told.kind == "claim_rejected" and told.claim is not None
    said = (told.claim.author, told.claim.reason, told.comment)
    assert said == ("Ada Lovelace", "no proof", None)
    _alembic(engine, "downgrade", "0013")  # the claim's notification cannot be kept there
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM notifications")).scalar_one() == 0
    migrate(engine)


def test_0017_adds_the_shared_sign_in_failures_to_a_store_0016_made(
    settings: Settings, engine: Engine
) -> None:
    """A store as 0016 left it (limits counted in each process) upgrades, and its sign-ins are
    then limited through the store; down again drops the table."""
    _alembic(engine, "downgrade", "0016")
    assert "sign_in_failures" not in inspect(engine).get_table_names()
    migrate(engine)
    indexes = {
        ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes("sign_in_failures")
    }
    assert indexes == {
        "ix_sign_in_failures_key_at": ["key", "at"],
        "ix_sign_in_failures_at": ["at"],
    }
    with client(web_settings(settings, auth_rate_limit=1), engine) as c:
        guesses = [
            c.post("/api/login", json={"username": "ada", "password": "guess"}) for _ in "ab"
        ]
    assert [g.status_code for g in guesses] == [401, 429]
    _alembic(engine, "downgrade", "0016")
    assert "sign_in_failures" not in inspect(engine).get_table_names()
    migrate(engine)


def test_a_store_a_newer_version_migrated_is_refused_with_what_to_do(engine: Engine) -> None:
    """An operator rolling back to this version (or one node left on it) gets a sentence, not
    Alembic's "Can't locate revision", from every command, `doctor` and /readyz alike."""
    from paperfeed.store import NewerStoreError
    from paperfeed.store.health import store_problems

    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(NewerStoreError) as refused:
        migrate(engine)
    said = str(refused.value)
    assert f"at 0099, which this version of paperfeed does not know (it ships up to {HEAD})" in said
    assert "a newer version migrated it" in said and "paperfeed restore" in said
    assert store_problems(engine) == [said]  # not "run `paperfeed migrate`": it cannot go back
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0099"


def test_0047_keeps_existing_collections_unsectioned_and_goes_back(engine: Engine) -> None:
    """A store as 0046 left it, with a collection, upgrades: the collection's papers are under
    no section, in their order, and sections may then be added; down again drops them."""
    from paperfeed.store import collection_sections as cs
    from paperfeed.store import library as lib

    ids = ["2606.77781", "2606.77782"]
    with engine.begin() as conn:  # papers as the head writes them (0050 added their venue)
        upsert_papers(conn, [replace(HOSTILE, id=pid) for pid in ids])
    _alembic(engine, "downgrade", "0046")
    assert "collection_sections" not in inspect(engine).get_table_names()
    with engine.begin() as conn:
        user = create_user(conn, "ada", "hash").id
        cid = lib.ensure_collection(conn, user, "Old", visibility="public").id
        lib.add_many_to_collection(conn, cid, ids)  # names no column 0047 adds
    migrate(engine)
    with engine.begin() as conn:
        assert lib.collection_paper_ids(conn, cid, "list") == ids
        assert cs.sections(conn, cid) == [] and cs.paper_sections(conn, cid) == {}
        cs.file_papers(conn, cid, {ids[1]: cs.add_section(conn, cid, "Oral 1").id})
        assert cs.arranged(ids, cs.paper_sections(conn, cid)) == ids
    _alembic(engine, "downgrade", "0046")
    assert "collection_sections" not in inspect(engine).get_table_names()
    columns = {c["name"] for c in inspect(engine).get_columns("collection_items")}
    assert "section_id" not in columns
    with engine.connect() as conn:
        assert lib.collection_paper_ids(conn, cid, "list") == ids  # its papers kept
    migrate(engine)


def test_0050_reads_each_stored_papers_venue_and_goes_back(engine: Engine) -> None:
    """A store as 0049 left it (no venue column) upgrades: each paper whose journal reference
    or comment names a conference gets its label, the others none, and no paper's change time
    moves (the search indexes are not refreshed). Down again drops the column, papers kept."""
    said = {
        "2606.77791": ("Accepted at ICML 2026 (Oral)", None, "ICML 2026"),
        "2606.77792": ("Submitted to ICML 2026", "NeurIPS 2025", "NeurIPS 2025"),
        "2606.77793": ("Accepted to ACL 2026 Findings", None, "Findings of ACL 2026"),
        "2606.77794": ("Submitted to COLM 2026", None, None),
        "2606.77795": (None, None, None),
    }
    with engine.begin() as conn:
        upsert_papers(
            conn,
            [replace(HOSTILE, id=k, comments=c, journal_ref=j) for k, (c, j, _) in said.items()],
        )
    _alembic(engine, "downgrade", "0049")
    assert "venue" not in {c["name"] for c in inspect(engine).get_columns("papers")}
    before = _changed_at(engine)
    migrate(engine)
    with engine.connect() as conn:
        venues = dict(conn.execute(text("SELECT id, venue FROM papers")).all())
    assert venues == {pid: label for pid, (_, _, label) in said.items()}
    assert _changed_at(engine) == before
    indexed = {i["name"] for i in inspect(engine).get_indexes("papers")}
    assert "ix_papers_venue" in indexed
    _alembic(engine, "downgrade", "0049")
    assert len(_changed_at(engine)) == len(said)
    migrate(engine)


def test_0051_reads_each_stored_papers_venue_again(engine: Engine) -> None:
    """A store whose venues were read before conferences of several words were known (as 0050
    left them) upgrades: those papers get their label, a label the reading no longer gives
    goes, the others stay, and no paper's change time moves."""
    said = {
        "2606.77801": ("Accepted by TheWebConf 2026", None, "WWW 2026"),
        "2606.77802": ("Published at SIGGRAPH Asia 2024", None, "SIGGRAPH Asia 2024"),
        "2606.77803": ("Accepted at ICML 2026", None, "ICML 2026"),
        "2606.77804": ("Submitted to ACM Multimedia 2026", None, None),
    }
    older = (  # as the older reading left them (and one it misread)
        "UPDATE papers SET venue = NULL WHERE id IN ('2606.77801', '2606.77802')",
        "UPDATE papers SET venue = 'ACM MM 2026' WHERE id = '2606.77804'",
    )
    _venues_read_again(engine, said, "0050", older)


def test_0052_reads_a_track_named_before_the_year(engine: Engine) -> None:
    """A store whose venues were read before a track between a conference's name and its year
    was (as 0051 left them) upgrades: those papers get their track's label, the others keep
    theirs, and no paper's change time moves; going down leaves the labels."""
    said = {
        "2606.77901": ("Accepted at ACL Findings 2025", None, "Findings of ACL 2025"),
        "2606.77902": ("CVPR EgoVis Workshop 2025", None, "CVPR 2025 Workshop"),
        "2606.77903": ("Accepted at ICML 2026", None, "ICML 2026"),
        "2606.77904": ("Submitted to NAACL SRW 2025", None, None),
    }
    older = ("UPDATE papers SET venue = NULL WHERE id IN ('2606.77901', '2606.77902')",)
    venues = _venues_read_again(engine, said, "0051", older)
    _alembic(engine, "downgrade", "0051")
    with engine.connect() as conn:
        assert dict(conn.execute(text("SELECT id, venue FROM papers")).all()) == venues
    migrate(engine)


def test_0053_reads_full_names_other_years_and_a_conference_named_without_its_year(
    engine: Engine,
) -> None:
    """A store whose venues were read before full names, years before the name, wrapped lines
    and conferences named without a year were (as 0052 left them) upgrades: those papers get
    their label (the one without a year by its listing day, 2026-06-25), a wrapped "submitted
    to" loses its label, the others keep theirs; no change time moves."""
    said = {
        "2606.78001": (
            "Accepted at the IEEE/CVF Conference on Computer Vision and Pattern Recognition "
            "(CVPR) 2026",
            None,
            "CVPR 2026",
        ),
        "2606.78002": ("Accepted at ICML", None, "ICML 2026"),
        "2606.78003": ("Accepted to AAAI-26", None, "AAAI 2026"),
        "2606.78004": ("Submitted to\n  NeurIPS 2025", None, None),
        "2606.78005": ("Accepted at ICLR 2026", None, "ICLR 2026"),
    }
    older = (
        "UPDATE papers SET venue = NULL WHERE id IN ('2606.78001', '2606.78002', '2606.78003')",
        "UPDATE papers SET venue = 'NeurIPS 2025' WHERE id = '2606.78004'",
    )
    _venues_read_again(engine, said, "0052", older)


def test_0054_reads_a_conferences_challenges_and_no_tutorial(engine: Engine) -> None:
    """A store whose venues were read before challenges were a track (as 0053 left them)
    upgrades: a challenge's report moves to the conference's challenges, a tutorial and a PhD
    symposium name no venue, CoNLL "colocated with ACL" is CoNLL's own, a workshop's paper and
    a main one keep theirs; no change time moves."""
    said = {
        "2606.78101": (
            "CVPR 2026 SoccerNet Novel View Synthesis Challenge, Rank 1",
            None,
            "CVPR 2026 Challenge",
        ),
        "2606.78102": ("Accepted to EMNLP 2025 Tutorial", None, None),
        "2606.78103": ("Preprint of a paper accepted at the ESWC 2026 PhD Symposium", None, None),
        "2606.78104": ("Accepted at the ICML 2026 Workshop on Agents", None, "ICML 2026 Workshop"),
        "2606.78105": ("Accepted at ICLR 2026", None, "ICLR 2026"),
        "2606.78106": (
            "To appear in the Proceedings of CoNLL 2026, colocated with ACL 2026",
            None,
            "CoNLL 2026",
        ),
    }
    older = (
        "UPDATE papers SET venue = 'CoNLL 2026 Workshop' WHERE id = '2606.78106'",
        "UPDATE papers SET venue = 'CVPR 2026' WHERE id = '2606.78101'",
        "UPDATE papers SET venue = 'EMNLP 2025' WHERE id = '2606.78102'",
        "UPDATE papers SET venue = 'ESWC 2026' WHERE id = '2606.78103'",
    )
    _venues_read_again(engine, said, "0053", older)


def test_0057_reads_a_workshop_named_in_another_sentence(engine: Engine) -> None:
    """A store whose venues were read before a workshop named in another sentence of the
    comment counted (as 0056 left them) upgrades: those papers move to the conference's
    workshops, a main paper beside another conference's workshop keeps its label; no change
    time moves."""
    said = {
        "2606.78201": (
            "ICCV 2025; OpenSUN3D Workshop; Camera ready version",
            None,
            "ICCV 2025 Workshop",
        ),
        "2606.78202": (
            "Second Workshop on Test-Time Adaptation: Putting Updates to the Test!\n  at ICML "
            "2025, Vancouver, Canada. 2025",
            None,
            "ICML 2025 Workshop",
        ),
        "2606.78203": (
            "Accepted at ICML 2026. Best paper at the NeurIPS 2025 Workshop on X",
            None,
            "ICML 2026",
        ),
    }
    older = ("UPDATE papers SET venue = 'ICCV 2025' WHERE id = '2606.78201'",
             "UPDATE papers SET venue = 'ICML 2025' WHERE id = '2606.78202'")  # fmt: skip
    _venues_read_again(engine, said, "0056", older)


def _venues_read_again(
    engine: Engine,
    said: dict[str, tuple[str, str | None, str | None]],
    below: str,
    older: tuple[str, ...],
) -> dict[str, str | None]:
    """Store the papers (id: comment, journal reference, the label expected), go down to
    `below`, set the labels as the older reading left them (`older`), upgrade, and check each
    paper's label and that no change time moved. Returns the labels."""
    with engine.begin() as conn:
        upsert_papers(
            conn,
            [replace(HOSTILE, id=k, comments=c, journal_ref=j) for k, (c, j, _) in said.items()],
        )
    _alembic(engine, "downgrade", below)
    with engine.begin() as conn:
        for statement in older:
            conn.execute(text(statement))
    before = _changed_at(engine)
    migrate(engine)
    with engine.connect() as conn:
        venues = dict(conn.execute(text("SELECT id, venue FROM papers")).all())
    assert venues == {pid: label for pid, (_, _, label) in said.items()}
    assert _changed_at(engine) == before
    return venues


def _changed_at(engine: Engine) -> dict[str, object]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT id, changed_at FROM papers")).all())
