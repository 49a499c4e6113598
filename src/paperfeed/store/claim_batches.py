"""Author claims in bulk: an author claims the papers an author page lists under her name at
once, each a claim of its own that moderators decide as a single one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from paperfeed.store.accounts import users
from paperfeed.store.community import (
    LIVE_CLAIMS,
    Claim,
    ClaimedAlready,
    CommentError,
    add_claim,
    author_claims,
    author_lists,
    claimed_place,
    claims_for_papers,
)
from paperfeed.store.papers import author_key
from paperfeed.store.tables import paper_authors, papers

MAX_BATCH = 100  # papers one request may claim: more than an author page shows at once


@dataclass(frozen=True)
class BatchReport:
    """What claiming several papers did, paper ids in the order asked."""

    claimed: tuple[str, ...] = ()  # new claims, waiting for a moderator
    yours: tuple[str, ...] = ()  # claimed by this account already (waiting or approved)
    others: tuple[str, ...] = ()  # approved for another account
    unlisted: tuple[str, ...] = ()  # no such paper, or it lists no author of this name


@dataclass(frozen=True)
class ClaimState:
    """Where one listed paper stands for a reader who may claim it: `open` to claim, `yours`
    (`status` waiting or approved) or `taken` by `username`."""

    state: str
    status: str = ""
    username: str = ""


def name_places(conn: Connection, key: str, paper_ids: Sequence[str]) -> dict[str, int]:
    """Where each paper's newest version first lists an author whose name key is `key`."""
    if not paper_ids:
        return {}
    query = (
        select(paper_authors.c.paper_id, func.min(paper_authors.c.position))
        .where(paper_authors.c.paper_id.in_(list(paper_ids)), paper_authors.c.name_key == key)
        .group_by(paper_authors.c.paper_id)
    )
    return {str(pid): int(at) for pid, at in conn.execute(query)}


def claim_states(
    conn: Connection, user_id: int, key: str, paper_ids: Sequence[str]
) -> dict[str, ClaimState]:
    """Each listed paper's state for the reader claiming the author of name key `key`."""
    places = name_places(conn, key, paper_ids)
    names = author_lists(conn, places)
    states = {pid: ClaimState("open") for pid in places}
    for claim in claims_for_papers(conn, sorted(places)):
        if claim.status in LIVE_CLAIMS and _at(names, claim) == places[claim.paper_id]:
            states[claim.paper_id] = _state(states[claim.paper_id], claim, user_id)
    return states


def _state(now: ClaimState, claim: Claim, user_id: int) -> ClaimState:
    """A paper's state with one more live claim of its author weighed in."""
    if claim.user_id == user_id:
        return ClaimState("yours", claim.status)
    if claim.status == "approved" and now.state == "open":
        return ClaimState("taken", claim.status, claim.username)
    return now  # another account's claim that waits: she may claim too, moderators choose


def _at(names: dict[str, list[str]], claim: Claim) -> int | None:
    return claimed_place(names.get(claim.paper_id, ()), claim.author, claim.position)


def claim_papers(conn: Connection, user_id: int, key: str, paper_ids: Sequence[str]) -> BatchReport:
    """Claim, for the user, the author of name key `key` on each paper (its first such
    author), each claim waiting for a moderator as a single one does."""
    wanted = list(dict.fromkeys(paper_ids))
    places = name_places(conn, key, wanted)
    names = author_lists(conn, places)
    done: dict[str, list[str]] = {"claimed": [], "yours": [], "others": [], "unlisted": []}
    for pid in wanted:
        done[_claim_one(conn, user_id, pid, names, places)].append(pid)
    return BatchReport(*(tuple(done[k]) for k in ("claimed", "yours", "others", "unlisted")))


def _claim_one(
    conn: Connection, user_id: int, pid: str, names: dict[str, list[str]], places: dict[str, int]
) -> str:
    """Claim one paper's author; which part of the report it goes to."""
    if pid not in places:
        return "unlisted"
    try:
        add_claim(conn, user_id, pid, names[pid][places[pid]], places[pid])
    except ClaimedAlready:
        return "yours"
    except CommentError:  # approved for another account
        return "others"
    return "claimed"


def claimed_totals(conn: Connection, usernames: Sequence[str]) -> dict[str, int]:
    """How many papers each account is an approved author of, under any spelling, as a
    visitor sees its profile (papers a moderator hid left out)."""
    if not usernames:
        return {}
    query = (
        select(users.c.username, func.count(func.distinct(author_claims.c.paper_id)))
        .join(users, users.c.id == author_claims.c.user_id)
        .join(papers, papers.c.id == author_claims.c.paper_id)
        .where(users.c.username.in_(list(usernames)), author_claims.c.status == "approved")
        .where(papers.c.hidden.is_(False))
        .group_by(users.c.username)
    )
    return {str(name): int(n) for name, n in conn.execute(query)}


def claimed_spellings(conn: Connection, claims: Sequence[Claim]) -> list[str]:
    """The names approved claims stand under in their papers' newest versions, one per name
    key (José García and Jose Garcia are one author page), the first claimed first."""
    approved = sorted((c for c in claims if c.status == "approved"), key=lambda c: c.id)
    names = author_lists(conn, {c.paper_id: 0 for c in approved})
    found: dict[str, str] = {}
    for claim in approved:
        at = _at(names, claim)
        name = names[claim.paper_id][at] if at is not None else claim.author
        found.setdefault(author_key(name), name)
    return [name for key, name in found.items() if key]


def shown_claims(conn: Connection, claims: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Of each account's claimed papers, those a visitor sees (a paper a moderator hid left
    out); an account left with none is left out."""
    hidden = select(papers.c.id).where(
        papers.c.id.in_(sorted({p for ps in claims.values() for p in ps})),
        papers.c.hidden.is_(True),
    )
    gone = {str(pid) for pid in conn.execute(hidden).scalars()}
    kept = {name: [p for p in pids if p not in gone] for name, pids in claims.items()}
    return {name: pids for name, pids in kept.items() if pids}
