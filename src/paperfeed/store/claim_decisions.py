"""Author claims decided in bulk: a moderator approves or rejects the claims one account made
on one name at once, and each claimant is told once for the batch, not once a paper."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from paperfeed.store.community import (
    Claim,
    ClaimGroup,
    CommentError,
    claim_queue,
    decide_claim,
    get_claim,
    notifications,
)
from paperfeed.store.papers import author_key
from paperfeed.util import utcnow

MAX_DECISIONS = 200  # claims one request may decide: more than one account's batch


@dataclass(frozen=True)
class DecisionReport:
    """What deciding several claims did, claim ids in the order asked."""

    decided: tuple[Claim, ...] = ()  # approved or rejected now
    already: tuple[int, ...] = ()  # decided (or withdrawn) before: left as they were
    refused: tuple[int, ...] = ()  # the name is approved for another account already
    missing: tuple[int, ...] = ()  # no such claim


@dataclass(frozen=True)
class ClaimBatch:
    """The claims one account made on one author name (under any spelling) waiting together."""

    username: str
    author: str
    claims: tuple[Claim, ...]  # oldest first
    rivals: frozenset[int] = frozenset()  # ids of those another account claims too


def claim_batches(groups: Sequence[ClaimGroup]) -> list[ClaimBatch]:
    """The queue's waiting claims by account and author name, batches of two or more only,
    the longest waiting first."""
    found: dict[tuple[int, str], list[Claim]] = {}
    rivals: set[int] = set()
    for group in groups:
        for claim in group.waiting:
            found.setdefault((claim.user_id, author_key(claim.author)), []).append(claim)
            if len(group.claims) > 1:
                rivals.add(claim.id)
    return [
        ClaimBatch(cs[0].username, cs[0].author, tuple(cs), frozenset(c.id for c in cs) & rivals)
        for cs in found.values()
        if len(cs) > 1
    ]


def rivalled(conn: Connection, claim_ids: Sequence[int]) -> list[Claim]:
    """The waiting claims of `claim_ids` on a name of a paper that another account claims too
    (waiting or approved), oldest first."""
    wanted = set(claim_ids)
    found = [c for g in claim_queue(conn) if len(g.claims) > 1 for c in g.waiting]
    return sorted((c for c in found if c.id in wanted), key=lambda c: c.id)


def decide_claims(
    conn: Connection, claim_ids: Sequence[int], approve: bool, reason: str
) -> DecisionReport:
    """Approve or reject each waiting claim of `claim_ids`; each claimant gets one
    notification for all of theirs decided here."""
    done: dict[str, list[int]] = {"already": [], "refused": [], "missing": []}
    decided: list[Claim] = []
    for claim_id in dict.fromkeys(claim_ids):
        claim = get_claim(conn, claim_id)
        if claim is None or claim.status != "pending":
            done["missing" if claim is None else "already"].append(claim_id)
            continue
        try:
            now = decide_claim(conn, claim_id, approve, reason, notify=False)
        except CommentError:  # approved for another account meanwhile
            done["refused"].append(claim_id)
            continue
        decided.append(now or claim)
    _tell_once(conn, decided)
    return DecisionReport(tuple(decided), *(tuple(done[k]) for k in done))


def _tell_once(conn: Connection, decided: Sequence[Claim]) -> None:
    """One notification per claimant and outcome: about the first claim, counting them all."""
    first: dict[tuple[int, str], Claim] = {}
    counts: dict[tuple[int, str], int] = {}
    for claim in decided:
        key = (claim.user_id, claim.status)
        first.setdefault(key, claim)
        counts[key] = counts.get(key, 0) + 1
    now = utcnow()
    for key, claim in first.items():
        new = {"user_id": claim.user_id, "claim_id": claim.id, "created_at": now, "seen": False}
        batch = counts[key] if counts[key] > 1 else 0  # a batch of one reads as a single claim
        conn.execute(
            notifications.insert().values(kind=f"claim_{claim.status}", papers=batch, **new)
        )
