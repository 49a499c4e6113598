"""The admin action log: what an admin changed, logged, listed and searched by name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, func, insert, or_, select

from paperfeed.store.jobs.tables import admin_actions
from paperfeed.util import utcnow


@dataclass(frozen=True)
class AdminAction:
    """One change an admin made."""

    who: str
    action: str
    target: str
    at: datetime


def record_action(conn: Connection, who: str, action: str, target: str) -> None:
    """Log a change an admin made."""
    values = {"who": who, "action": action, "target": target, "at": utcnow()}
    conn.execute(insert(admin_actions).values(**values))


def _about(part: str) -> ColumnElement[bool]:
    """Admin actions done by, or to, a name holding `part` (any case)."""
    part = part.lower()
    who = func.lower(admin_actions.c.who).contains(part, autoescape=True)
    return or_(who, func.lower(admin_actions.c.target).contains(part, autoescape=True))


def recent_actions(
    conn: Connection, limit: int = 50, offset: int = 0, about: str = ""
) -> list[AdminAction]:
    """The newest admin actions, newest first; with `about`, those by or on a name holding it."""
    query = select(admin_actions).order_by(admin_actions.c.id.desc()).limit(limit).offset(offset)
    if about:
        query = query.where(_about(about))
    return [AdminAction(r.who, r.action, r.target, r.at) for r in conn.execute(query)]


def count_actions(conn: Connection, about: str = "") -> int:
    """How many admin actions `recent_actions` pages through."""
    query = select(func.count()).select_from(admin_actions)
    return int(conn.execute(query.where(_about(about)) if about else query).scalar_one())
