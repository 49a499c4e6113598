"""A reader's marks on a page's papers and comments, looked up in one statement however many."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import Engine

from paperfeed.models import Paper, Version
from paperfeed.store import accounts, community, library, upsert_papers

BASE = Paper(
    id="2502.00001",
    title="A paper",
    abstract="We study things.",
    authors=("Ada Lovelace",),
    categories=("cs.LG",),
    version=1,
    versions=(Version(1, datetime(2025, 2, 2, 10, 0)),),
    published=datetime(2025, 2, 2, 10, 0),
    source="listing",
    listing_date=date(2025, 2, 3),
)
IDS = [f"2502.{n:05d}" for n in range(1, 6)]
# More values than either database takes as bound parameters of one statement (SQLite 32,766,
# PostgreSQL 65,535): each used to be one parameter.
MANY = 70_000


def test_a_readers_votes_ratings_and_saves_among_many_ids(engine: Engine) -> None:
    with engine.begin() as conn:
        upsert_papers(conn, [replace(BASE, id=pid) for pid in IDS])
        reader = accounts.create_user(conn, "reader", "x").id
        other = accounts.create_user(conn, "other", "x").id
        said = [community.add_comment(conn, IDS[0], other, f"c{n}", None) for n in range(4)]
        community.set_comment_vote(conn, reader, said[1], True)
        community.set_comment_vote(conn, reader, said[3], True)
        community.set_comment_vote(conn, other, said[2], True)
        library.set_rating(conn, reader, IDS[0], 1)
        library.set_rating(conn, reader, IDS[2], -1)
        library.set_rating(conn, other, IDS[1], 1)
        library.save_papers(conn, reader, [IDS[1], IDS[4]])
    comment_ids = [*range(10**6, 10**6 + MANY), *said]
    paper_ids = [f"2601.{n:05d}" for n in range(MANY)] + IDS
    with engine.connect() as conn:
        assert community.voted_comments(conn, reader, said) == {said[1], said[3]}
        assert community.voted_comments(conn, reader, comment_ids) == {said[1], said[3]}
        assert community.voted_comments(conn, reader, []) == set()
        assert library.user_ratings(conn, reader, IDS[:2]) == {IDS[0]: 1}
        assert library.user_ratings(conn, reader, paper_ids) == {IDS[0]: 1, IDS[2]: -1}
        assert library.user_ratings(conn, reader, []) == {}
        assert library.user_ratings(conn, reader) == {IDS[0]: 1, IDS[2]: -1}
        assert library.saved_ids(conn, reader, paper_ids) == {IDS[1], IDS[4]}
        assert library.saved_ids(conn, reader, [IDS[0], IDS[4], IDS[4]]) == {IDS[4]}
        assert library.saved_ids(conn, reader, []) == set()
