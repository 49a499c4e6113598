"""Cards' counts on both databases: whose upvotes and comments count, read in one pass."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine

from paperfeed.models import Paper, Version
from paperfeed.store import accounts, community, upsert_papers
from paperfeed.store.accounts import vote_counts
from paperfeed.store.card_rows import _rows_query, card_rows
from paperfeed.store.erasure import delete_account

BASE = Paper(
    id="2501.00001",
    title="A paper",
    abstract="We study things.",
    authors=("Ada Lovelace",),
    categories=("cs.LG",),
    version=1,
    versions=(Version(1, datetime(2025, 1, 2, 10, 0)),),
    published=datetime(2025, 1, 2, 10, 0),
    source="listing",
    listing_date=date(2025, 1, 3),
)
IDS = [f"2501.{n:05d}" for n in range(1, 31)]
P1, P2, P3 = IDS[:3]


def _fill(engine: Engine) -> dict[str, int]:
    """30 papers; votes and comments by readers in good standing, suspended and deleted."""
    with engine.begin() as conn:
        upsert_papers(conn, [replace(BASE, id=pid, title=f"Paper {pid}") for pid in IDS])
        who = {n: accounts.create_user(conn, n, "x").id for n in ("alice", "bob", "sus", "gone")}
        for name, pid in [("alice", P1), ("bob", P1), ("sus", P1), ("gone", P1), ("sus", P2)]:
            accounts.set_vote(conn, who[name], pid, True)
        accounts.set_vote(conn, who["alice"], P3, True)
        community.add_comment(conn, P1, who["alice"], "shown", None)
        hidden = community.add_comment(conn, P1, who["bob"], "hidden by a moderator", None)
        community.set_comment_hidden(conn, hidden, True)
        community.add_comment(conn, P1, who["sus"], "by a suspended account", None)
        community.add_comment(conn, P1, who["gone"], "stays, by a deleted account", None)
        removed = community.add_comment(conn, P1, who["alice"], "deleted", None)
        community.delete_comment(conn, removed)
        community.add_comment(conn, P3, who["bob"], "shown", None)
        accounts.add_submission(conn, P3, who["bob"], date(2025, 1, 3))
        accounts.set_suspended(conn, who["sus"], True)
        delete_account(conn, who["gone"])
    return who


def _counts(conn: Connection, user_id: int | None) -> dict[str, tuple[int, int, bool]]:
    rows = card_rows(conn, [P1, P2, P1, P3, "2501.99999", *IDS[3:]], user_id).rows
    return {pid: (r.upvotes, r.comments, r.upvoted) for pid, r in rows.items()}


def test_cards_count_only_votes_and_comments_readers_see(engine: Engine) -> None:
    who = _fill(engine)
    with engine.connect() as conn:
        # Twelve times on one connection: PostgreSQL plans a statement prepared by the driver
        # anew (a generic plan) after its first uses; the answers must not change with the plan.
        answers = [_counts(conn, who["alice"]) for _ in range(12)]
        anonymous = _counts(conn, None)
        submitted = card_rows(conn, [P3], None).rows[P3].submission
    mine = answers[0]
    assert all(a == mine for a in answers)
    assert set(mine) == set(IDS)  # the unknown id is absent, the repeated one once
    # P1: alice and bob count; the suspended voter does not; the deleted account's vote went.
    # Its comments: alice's and the deleted account's (kept in the thread); not the hidden,
    # the suspended author's, nor the deleted one.
    assert mine[P1] == (2, 2, True)
    assert mine[P2] == (0, 0, False)
    assert mine[P3] == (1, 1, True)
    assert all(mine[pid] == (0, 0, False) for pid in IDS[3:])
    assert anonymous[P1] == (2, 2, False) and anonymous[P3] == (1, 1, False)
    assert submitted is not None and submitted.username == "bob"
    with engine.connect() as conn:
        assert vote_counts(conn, [P1, P2, P3]) == {P1: 2, P3: 1}
        shown = [c.body for c in community.thread(conn, P1)]
    assert shown[:2] == ["shown", "stays, by a deleted account"]
    assert "hidden by a moderator" not in shown and "by a suspended account" not in shown


def test_lifting_a_suspension_brings_its_votes_and_comments_back(engine: Engine) -> None:
    who = _fill(engine)
    with engine.begin() as conn:
        accounts.set_suspended(conn, who["sus"], False)
    with engine.connect() as conn:
        counts = _counts(conn, who["sus"])
    assert counts[P1] == (3, 3, True)
    assert counts[P2] == (1, 0, True)


def _plan_nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node] + [n for child in node.get("Plans", []) for n in _plan_nodes(child)]


@pytest.mark.parametrize("backend", ["postgres"])
def test_postgresql_counts_cards_once_not_once_per_paper(engine: Engine) -> None:
    """A collection's 100 cards took 25-50 ms on PostgreSQL: each paper's votes and comments
    were counted by a subplan run once per paper, each looping over the accounts."""
    who = _fill(engine)
    with engine.connect() as conn:  # a store never analysed: the planner guesses
        query = _rows_query("postgresql", True).compile(dialect=conn.dialect)
        params = query.construct_params({"ids": IDS, "user_id": who["alice"]})
        sql = f"EXPLAIN (ANALYZE, FORMAT JSON) {query}"
        plan = conn.exec_driver_sql(sql, params).scalar_one()[0]["Plan"]
    nodes = _plan_nodes(plan)
    per_row = [n for n in nodes if n.get("Parent Relationship") == "SubPlan"]
    assert [n["Actual Loops"] for n in per_row if n["Actual Loops"] > 1] == []
    tables = {n.get("Relation Name") for n in nodes}
    assert {"votes", "comments"} <= tables
    assert plan["Actual Rows"] == len(IDS)
