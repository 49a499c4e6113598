"""Author claims: users asking to be recognised as a paper's author, and deciding them."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select, update

from paperfeed.store.accounts import bump_revision, users
from paperfeed.store.community.tables import author_claims, notifications, profiles
from paperfeed.store.community.threads import CommentError
from paperfeed.store.papers import author_key
from paperfeed.store.tables import paper_authors
from paperfeed.util import utcnow

CLAIM_STATES = ("pending", "approved", "rejected", "withdrawn", "revoked")
LIVE_CLAIMS = ("pending", "approved")  # the states a claimant may withdraw from


@dataclass(frozen=True)
class Claim:
    """A user's claim to be one of a paper's authors."""

    id: int
    username: str
    user_id: int
    paper_id: str
    author: str
    status: str
    reason: str
    created_at: datetime
    decided_at: datetime | None = None  # approved, rejected, withdrawn or revoked then
    position: int = 0  # which of the paper's authors (from 0): namesakes may share a paper
    display_name: str = ""  # the claimant's, shown beside the handle ("" when suspended)


@dataclass(frozen=True)
class ClaimGroup:
    """The claims on one author name of one paper that a moderator weighs together: those
    waiting, beside any approved one (only one account can be approved)."""

    paper_id: str
    author: str
    claims: tuple[Claim, ...]  # oldest first
    position: int = 0  # the author's place in the paper's list

    @property
    def approved(self) -> Claim | None:
        """The approved claim of the group, if one is."""
        return next((c for c in self.claims if c.status == "approved"), None)

    @property
    def waiting(self) -> tuple[Claim, ...]:
        """The claims of the group awaiting a decision."""
        return tuple(c for c in self.claims if c.status == "pending")


class ClaimedAlready(CommentError):
    """The user already has a pending or approved claim to that author name on that paper."""


def _claim(row: object) -> Claim:
    r = row._mapping  # type: ignore[attr-defined]
    return Claim(
        r["id"],
        r["username"],
        r["user_id"],
        r["paper_id"],
        r["author"],
        r["status"],
        r["reason"],
        r["created_at"],
        r["decided_at"],
        r["position"],
        "" if r["suspended_at"] else str(r["display_name"] or ""),
    )


_CLAIMS = (
    select(author_claims, users.c.username, users.c.suspended_at, profiles.c.display_name)
    .join(users, users.c.id == author_claims.c.user_id)
    .outerjoin(profiles, profiles.c.user_id == author_claims.c.user_id)
)
# The claims that stand: a suspended account's claims leave the site and the queue with it,
# and return if the suspension is lifted.
_STANDING = users.c.suspended_at.is_(None)


def claims_for_papers(conn: Connection, paper_ids: Sequence[str]) -> list[Claim]:
    """Every claim on the given papers."""
    if not paper_ids:
        return []
    query = _CLAIMS.where(author_claims.c.paper_id.in_(list(paper_ids)), _STANDING)
    return [_claim(r) for r in conn.execute(query.order_by(author_claims.c.id))]


def claims_by_user(conn: Connection, user_id: int) -> list[Claim]:
    """A user's claims, newest first."""
    query = _CLAIMS.where(author_claims.c.user_id == user_id).order_by(author_claims.c.id.desc())
    return [_claim(r) for r in conn.execute(query)]


def get_claim(conn: Connection, claim_id: int) -> Claim | None:
    """One claim by id."""
    row = conn.execute(_CLAIMS.where(author_claims.c.id == claim_id)).first()
    return _claim(row) if row else None


def pending_claims(conn: Connection) -> list[Claim]:
    """Claims awaiting an admin."""
    query = _CLAIMS.where(author_claims.c.status == "pending", _STANDING)
    query = query.order_by(author_claims.c.id)
    return [_claim(r) for r in conn.execute(query)]


def claim_queue(conn: Connection) -> list[ClaimGroup]:
    """The claims awaiting an admin, grouped by paper and author name (rival accounts' claims
    together, with the approved one of the name when there is one), the longest waiting
    first."""
    waiting = pending_claims(conn)
    keys = list(dict.fromkeys((c.paper_id, c.author, c.position) for c in waiting))
    if not keys:
        return []
    query = _CLAIMS.where(
        author_claims.c.paper_id.in_(sorted({key[0] for key in keys})),
        author_claims.c.status.in_(LIVE_CLAIMS),
        _STANDING,
    )
    found: dict[tuple[str, str, int], list[Claim]] = {key: [] for key in keys}
    for claim in map(_claim, conn.execute(query.order_by(author_claims.c.id))):
        found.get((claim.paper_id, claim.author, claim.position), []).append(claim)
    return [ClaimGroup(k[0], k[1], tuple(found[k]), k[2]) for k in keys]


def approved_claims(conn: Connection, limit: int = 200) -> list[Claim]:
    """Approved claims, the most recently approved first (for admins to review or revoke)."""
    query = _CLAIMS.where(author_claims.c.status == "approved")
    order = (author_claims.c.decided_at.desc(), author_claims.c.id.desc())
    return [_claim(r) for r in conn.execute(query.order_by(*order).limit(limit))]


def claims_as_author(conn: Connection, key: str) -> dict[str, list[str]]:
    """Approved claims of the author whose name key (`author_key`) is `key` in the paper's
    newest version: user name -> the papers each claimed as that author (an author page lists
    several namesakes' papers; each claim is of its own paper; a version that spells the name
    otherwise takes the claim to that name's page)."""
    listed = select(paper_authors.c.paper_id).where(paper_authors.c.name_key == key)
    query = _CLAIMS.where(
        author_claims.c.status == "approved", _STANDING, author_claims.c.paper_id.in_(listed)
    )
    claims = [_claim(r) for r in conn.execute(query.order_by(author_claims.c.id))]
    names = author_lists(conn, {c.paper_id for c in claims})
    found: dict[str, list[str]] = {}
    for claim in claims:
        at = claimed_place(names.get(claim.paper_id, ()), claim.author, claim.position)
        if at is not None and author_key(names[claim.paper_id][at]) == key:
            found.setdefault(claim.username, []).append(claim.paper_id)
    return found


def author_lists(conn: Connection, paper_ids: Collection[str]) -> dict[str, list[str]]:
    """The papers' author names in their newest versions, in order."""
    query = select(paper_authors.c.paper_id, paper_authors.c.name).where(
        paper_authors.c.paper_id.in_(sorted(paper_ids))
    )
    found: dict[str, list[str]] = {}
    for pid, name in conn.execute(query.order_by(paper_authors.c.position)):
        found.setdefault(str(pid), []).append(str(name))
    return found


def claimed_place(authors: Sequence[str], author: str, position: int) -> int | None:
    """Where a claim of `author` at `position` stands in the paper's (newest) author list: that
    place while it holds the name, else the name's place (a version reordered the authors), else
    the same name spelled otherwise (Jose Garcia, J. García for José García) at that place or
    alone in the list; None when this version lists no such name."""
    if position < len(authors) and authors[position] == author:
        return position
    if author in authors:
        return authors.index(author)
    for alike in (_same_key, _variant):
        places = [at for at, name in enumerate(authors) if alike(author, name)]
        if position in places:
            return position
        if len(places) == 1 or (places and alike is _same_key):
            return places[0]
    return None


def _same_key(one: str, other: str) -> bool:
    return author_key(one) == author_key(other)


def _variant(one: str, other: str) -> bool:
    """Two spellings of one name: the same family name and given names that agree as far as
    the shorter goes, initials included (J. García, José García; not Ana García)."""
    *given, family = author_key(one).split() or [""]
    *given_other, family_other = author_key(other).split() or [""]
    if not (family and family == family_other and given and given_other):
        return False
    return all(a.startswith(b) or b.startswith(a) for a, b in zip(given, given_other, strict=False))


def add_claim(
    conn: Connection, user_id: int, paper_id: str, author: str, position: int | None = None
) -> int:
    """Ask to be recognised as an author of a paper (the one at `position` in its list; by
    default the first of that name); refuses duplicates and others' authors."""
    if position is None:
        position = _first_position(conn, paper_id, author)
    same_author = _same_author(conn, paper_id, author, position)
    for claim in claims_for_papers(conn, [paper_id]):
        if not same_author(claim):
            continue  # another author of the paper, a namesake included
        if claim.status not in LIVE_CLAIMS:
            continue  # rejected, withdrawn or revoked: over
        if claim.user_id != user_id:
            if claim.status == "approved":
                raise CommentError(f"{author} on this paper is claimed by {claim.username}")
            continue  # another account's claim waits too: the moderators choose between them
        raise ClaimedAlready(f"you already claimed {author} on this paper ({claim.status})")
    values = {
        "user_id": user_id,
        "paper_id": paper_id,
        "author": author,
        "position": position,
        "status": "pending",
        "reason": "",
        "created_at": utcnow(),
    }
    new_id = conn.execute(author_claims.insert().values(**values)).inserted_primary_key[0]  # type: ignore[index]
    bump_revision(conn)
    return int(new_id)


def _first_position(conn: Connection, paper_id: str, author: str) -> int:
    """Where the paper lists `author` first (0 when it does not)."""
    query = select(func.min(paper_authors.c.position)).where(
        paper_authors.c.paper_id == paper_id, paper_authors.c.name == author
    )
    return int(conn.execute(query).scalar() or 0)


def decide_claim(
    conn: Connection, claim_id: int, approve: bool, reason: str, notify: bool = True
) -> Claim | None:
    """Approve or reject a claim and tell its user (a notification, unless `notify` is off: a
    batch tells once); returns the claim as decided, or None when there is no such claim."""
    row = conn.execute(_CLAIMS.where(author_claims.c.id == claim_id)).first()
    if row is None:
        return None
    status = "approved" if approve else "rejected"
    if row.status not in (*LIVE_CLAIMS, "rejected"):
        raise CommentError(f"{row.username}'s claim as {row.author} was {row.status}")
    if approve and _rival_approved(conn, row):
        raise CommentError(
            f"{row.author} on {row.paper_id} is approved for another account already;"
            " reject that claim first"
        )
    now = utcnow()
    query = update(author_claims).where(author_claims.c.id == claim_id)
    conn.execute(query.values(status=status, reason=reason, decided_at=now))
    claim = replace(_claim(row), status=status, reason=reason, decided_at=now)
    if notify and _claim(row).status != status:  # deciding the same way again tells nobody twice
        new = {"user_id": claim.user_id, "claim_id": claim_id, "created_at": now, "seen": False}
        conn.execute(notifications.insert().values(kind=f"claim_{status}", **new))
    bump_revision(conn)
    return claim


def withdraw_claim(conn: Connection, claim_id: int, user_id: int) -> Claim:
    """The claimant takes back a pending or approved claim (the paper leaves their profile);
    they may claim again later. Refuses another's claim and one already over."""
    claim = get_claim(conn, claim_id)
    if claim is None or claim.user_id != user_id:
        raise CommentError(f"you have no claim {claim_id}")
    return _end_claim(conn, claim, "withdrawn", "", LIVE_CLAIMS)


def revoke_claim(conn: Connection, claim_id: int, reason: str) -> Claim | None:
    """An admin undoes an approved claim, saying why, and its user is told (a notification);
    returns the claim as revoked, or None when there is no such claim."""
    claim = get_claim(conn, claim_id)
    if claim is None:
        return None
    revoked = _end_claim(conn, claim, "revoked", reason, ("approved",))
    new = {"user_id": claim.user_id, "claim_id": claim_id, "created_at": revoked.decided_at}
    conn.execute(notifications.insert().values(kind="claim_revoked", seen=False, **new))
    return revoked


def _end_claim(
    conn: Connection, claim: Claim, status: str, reason: str, allowed: Sequence[str]
) -> Claim:
    """Move a claim from one of the `allowed` states to `status` (in one guarded update, so a
    second click or a parallel request finds it moved already)."""
    now = utcnow()
    query = update(author_claims).where(
        author_claims.c.id == claim.id, author_claims.c.status.in_(list(allowed))
    )
    if conn.execute(query.values(status=status, reason=reason, decided_at=now)).rowcount == 0:
        now_is = get_claim(conn, claim.id)
        state = now_is.status if now_is else "gone"
        raise CommentError(f"the claim as {claim.author} on {claim.paper_id} is {state} already")
    bump_revision(conn)
    return replace(claim, status=status, reason=reason, decided_at=now)


def _rival_approved(conn: Connection, row: Row[Any]) -> bool:
    """True when another account's claim on the same author of the same paper is approved."""
    same_author = _same_author(conn, row.paper_id, row.author, row.position)
    query = _CLAIMS.where(
        author_claims.c.paper_id == row.paper_id,
        author_claims.c.status == "approved",
        author_claims.c.user_id != row.user_id,
    )
    return any(same_author(_claim(r)) for r in conn.execute(query))


def _same_author(
    conn: Connection, paper_id: str, author: str, position: int
) -> Callable[[Claim], bool]:
    """Whether a claim on the paper is of this author: the same name and place, or, in the
    paper's newest version, the same place (a version that respelled or moved the name)."""
    names = author_lists(conn, [paper_id]).get(paper_id, [])
    place = claimed_place(names, author, position)

    def same(claim: Claim) -> bool:
        if (claim.author, claim.position) == (author, position):
            return True
        return place is not None and claimed_place(names, claim.author, claim.position) == place

    return same


def is_claimed_author(conn: Connection, user_id: int, paper_id: str) -> bool:
    """True when the user is an approved author of the paper."""
    query = select(author_claims.c.id).where(
        author_claims.c.user_id == user_id,
        author_claims.c.paper_id == paper_id,
        author_claims.c.status == "approved",
    )
    return conn.execute(query).first() is not None
