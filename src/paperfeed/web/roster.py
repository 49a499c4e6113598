"""Accounts made in bulk from a roster (CSV lines `username,email[,role]`): each is made without
a password and mailed a single-use link to set one, which expires; the same links, asked for on
/signin/forgot, reset a forgotten password. The CLI (`paperfeed user import`) and /admin call this.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import Connection, Engine, select

from paperfeed.digest.subscriber import BadInput, normalise_email
from paperfeed.settings import Settings
from paperfeed.store.accounts import create_user, set_admin, users
from paperfeed.store.jobs import record_action
from paperfeed.store.password_links import (
    NO_PASSWORD,
    accounts_of_email,
    create_link,
    emails_in_use,
    set_email,
)
from paperfeed.web.account_mail import may_mail, send_mail
from paperfeed.web.auth import USERNAME_RE

log = logging.getLogger(__name__)
ROLES = ("member", "admin")  # admins are the site's moderators too
RESET_LASTS = timedelta(hours=1)
MAX_LINES = 1000
_NAME_RULE = "3 to 32 characters: letters a-z (no accents), digits, '-' or '_'"


@dataclass(frozen=True)
class Entry:
    """One roster line as read: its number in the file, the account asked for."""

    line: int
    username: str
    email: str
    role: str


@dataclass(frozen=True)
class Outcome:
    """What became of one roster line, in words."""

    line: int
    username: str
    said: str
    ok: bool


def _entry(line: int, row: list[str], seen: dict[str, int]) -> Entry | str:
    """The line's account, or why it is refused."""
    cells = [c.strip() for c in row]
    if len(cells) not in (2, 3):
        return "expected username,email[,role]"
    name, address, role = cells[0], cells[1], (cells[2].lower() if len(cells) == 3 else "member")
    if not USERNAME_RE.match(name):
        return f"the user name has {_NAME_RULE}"
    try:
        email = normalise_email(address)[1]
    except BadInput as exc:
        return str(exc)
    if role not in ROLES:
        return f"the role is {' or '.join(ROLES)}, not {role[:20]!r}"
    for key in (name.lower(), email):
        if key in seen:
            return f"{key!r} is on line {seen[key]} too"
        seen[key] = line
    return Entry(line, name, email, role)


def read_roster(text: str) -> list[Entry | Outcome]:
    """Each non-blank line of the roster, read (a first line `username,email...` is a header)."""
    reader = csv.reader(io.StringIO(text))
    try:
        rows = list(reader)
    except csv.Error:  # a cell over the csv module's 128 KB: no name or address is so long
        return [Outcome(reader.line_num, "", "refused: a cell is over 128 KB", False)]
    out: list[Entry | Outcome] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, 1):
        if not any(c.strip() for c in row):
            continue
        if number == 1 and row[0].strip().lower() in ("username", "user", "name"):
            continue
        got = _entry(number, row, seen)
        name = row[0].strip()[:32] if row else ""
        out.append(Outcome(number, name, f"refused: {got}", False) if isinstance(got, str) else got)
    return out


def _taken(conn: Connection, entries: list[Entry]) -> dict[int, str]:
    """Lines whose user name or address an account holds already, and why."""
    keys = [e.username.lower() for e in entries]
    names = {
        str(k)
        for k in conn.execute(select(users.c.name_key).where(users.c.name_key.in_(keys))).scalars()
    }
    emails = emails_in_use(conn, [e.email for e in entries])
    out: dict[int, str] = {}
    for e in entries:
        if e.username.lower() in names:
            out[e.line] = "refused: the user name is taken"
        elif e.email in emails:
            out[e.line] = "refused: an account has this address already"
    return out


def import_roster(engine: Engine, settings: Settings, text: str, by: str) -> list[Outcome]:
    """Make every roster account and mail each its welcome link, or, when any line is refused,
    make none (saying why per line)."""
    read = read_roster(text)
    if len(read) > MAX_LINES:
        return [Outcome(0, "", f"refused: more than {MAX_LINES} lines; split the file", False)]
    entries = [r for r in read if isinstance(r, Entry)]
    with engine.begin() as conn:
        taken = _taken(conn, entries)
        if taken or len(entries) < len(read) or not entries:
            return _nothing_made(read, taken)
        links = [(e, _make(conn, settings, e, by)) for e in entries]
    return [_mail_welcome(engine, settings, e, token) for e, token in links]


def _nothing_made(read: list[Entry | Outcome], taken: dict[int, str]) -> list[Outcome]:
    if not read:
        return [Outcome(0, "", "refused: no accounts in the file", False)]
    held = "not made: the file has refused lines (fix them and import it again)"
    return [
        r if isinstance(r, Outcome) else Outcome(r.line, r.username, taken.get(r.line, held), False)
        for r in read
    ]


def _make(conn: Connection, settings: Settings, entry: Entry, by: str) -> str:
    user = create_user(conn, entry.username, NO_PASSWORD)
    set_email(conn, user.id, entry.email)
    if entry.role == "admin":
        set_admin(conn, entry.username, True)
    record_action(conn, by, "add user", f"{entry.username} ({entry.role}, from a roster)")
    return create_link(conn, user.id, "welcome", timedelta(days=settings.invite_days))


def set_password_url(settings: Settings, token: str) -> str:
    """The address of a set-password link."""
    return f"{settings.public_url}/password/set?{urlencode({'token': token})}"


def _mail_welcome(engine: Engine, settings: Settings, entry: Entry, token: str) -> Outcome:
    url = set_password_url(settings, token)
    days = settings.invite_days
    text = (
        f"An account on {settings.public_url} was made for you: user name {entry.username}.\n\n"
        f"Choose your password here (the link works once, for {days} day"
        f"{'' if days == 1 else 's'}):\n\n{url}\n"
    )
    sent = send_mail(engine, settings, entry.email, "Your new account: choose a password", text)
    role = " admin" if entry.role == "admin" else ""
    if sent is None:
        return Outcome(
            entry.line, entry.username, f"made{role}; link mailed to {entry.email}", True
        )
    said = f"made{role}; the mail failed ({sent}): give them this link yourself: {url}"
    return Outcome(entry.line, entry.username, said, True)


def mail_reset_links(engine: Engine, settings: Settings, email: str) -> None:
    """Mail a reset link to each account with this address (none: nothing happens; nor when
    the address had its hour's reset mails: the last link mailed keeps working)."""
    key = email.lower()
    if not may_mail(engine, settings, "reset", key):
        return
    with engine.begin() as conn:
        tokens = [
            (i, create_link(conn, i, "reset", RESET_LASTS)) for i in accounts_of_email(conn, key)
        ]
        names = {
            i: n
            for i, n in conn.execute(
                select(users.c.id, users.c.username).where(users.c.id.in_([i for i, _ in tokens]))
            )
        }
    for user_id, token in tokens:
        text = (
            f"Someone (we hope you) asked to set a new password for the account {names[user_id]} "
            f"on {settings.public_url}.\n\nSet it here (the link works once, for an hour):\n\n"
            f"{set_password_url(settings, token)}\n\nDid not ask? Ignore this mail: your "
            "password stays as it is.\n"
        )
        send_mail(engine, settings, key, "Set a new password", text)
