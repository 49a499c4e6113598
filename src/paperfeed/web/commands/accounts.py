"""The account commands: admin, and user (add, passwd, delete, list, suspend, invite, import)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from sqlalchemy import Connection, Engine

from paperfeed.cli_support import err
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.accounts import (
    end_sessions,
    list_users,
    set_admin,
    set_password_hash,
    set_suspended,
)
from paperfeed.store.community import find_user_id
from paperfeed.store.erasure import delete_account
from paperfeed.store.jobs import record_action
from paperfeed.store.library import has_feed_token, revoke_feed_tokens
from paperfeed.store.password_links import emails_in_use, end_mailed_links, set_email

CLI = "command line"  # who made a change, in the admin log, when it came from these commands


def admin(
    username: Annotated[str, typer.Argument(help="The user to change.")],
    revoke: Annotated[bool, typer.Option(help="Take the admin role away.")] = False,
) -> None:
    """Grant (or --revoke) the admin role, which can hide and feature papers."""
    engine = open_store(Settings())
    with engine.begin() as conn:
        found = set_admin(conn, username, not revoke)
        if found:
            record_action(conn, CLI, "revoke admin" if revoke else "make admin", username)
    if not found:
        err.print(f"[red]error:[/red] no user {username!r}", highlight=False)
        raise typer.Exit(1)
    typer.echo(f"{username} is {'no longer ' if revoke else ''}an admin")


user_app = typer.Typer(help="Manage site accounts.", no_args_is_help=True)


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="The new user's name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    is_admin: Annotated[
        bool, typer.Option("--admin", help="Give the account the admin role.")
    ] = False,
    email: Annotated[
        str,
        typer.Option(
            "--email", help="The account's address, for 'Forgot your password?' (not mailed)."
        ),
    ] = "",
) -> None:
    """Create an account (for scripts and admins); the password is read from stdin."""
    if not password_stdin:
        err.print("[red]error:[/red] pass --password-stdin and the password on stdin")
        raise typer.Exit(2)
    from paperfeed.digest.subscribe import notices_to_account_address
    from paperfeed.web.auth import BadCredentials, sign_up

    engine = open_store(Settings())
    address = _new_address(engine, email) if email else None
    password = _password_from_stdin()
    try:
        made = sign_up(engine, username, password)
    except BadCredentials as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(1) from exc
    with engine.begin() as conn:
        record_action(conn, CLI, "add user", made.username)
        if address:
            set_email(conn, made.id, address)
            notices_to_account_address(conn, made.id, address)
        if is_admin:
            set_admin(conn, username, True)
            record_action(conn, CLI, "make admin", made.username)
    typer.echo(f"created {'admin ' if is_admin else ''}user {username}")


def _new_address(engine: Engine, email: str) -> str:
    """The checked, lower-case address for a new account; exits when it is refused."""
    from paperfeed.digest.subscriber import BadInput, normalise_email

    try:
        address = normalise_email(email)[1]
    except BadInput as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(1) from exc
    with engine.connect() as conn:
        if emails_in_use(conn, [address]):
            err.print("error: an account has this address already", markup=False, highlight=False)
            raise typer.Exit(1)
    return address


def _password_from_stdin() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 (read as surrogates)
        err.print("error: the password is not UTF-8 text", markup=False, highlight=False)
        raise typer.Exit(1) from None
    return password


def _found(conn: Connection, username: str) -> int:
    found = find_user_id(conn, username)
    if found is None:
        err.print(f"error: no user {username!r}", markup=False, highlight=False)
        raise typer.Exit(1)
    return int(found[0])


@user_app.command("passwd")
def user_passwd(
    username: Annotated[str, typer.Argument(help="The account whose password to set.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from standard input.")
    ] = False,
) -> None:
    """Set a new password for an account (one who forgot theirs); its sessions and API tokens
    end, its private feed URL is revoked and links mailed to set a password stop working, as
    when its owner changes the password."""
    if not password_stdin:
        err.print("[red]error:[/red] pass --password-stdin and the new password on stdin")
        raise typer.Exit(2)
    from paperfeed.web.auth import BadCredentials, check_new_account, hash_new_password

    password = _password_from_stdin()
    engine = open_store(Settings())
    with engine.begin() as conn:
        user_id = _found(conn, username)
        try:
            check_new_account(username.lower(), password)
        except BadCredentials as exc:
            err.print(f"error: {exc}", markup=False, highlight=False)
            raise typer.Exit(1) from exc
        set_password_hash(conn, user_id, hash_new_password(password))
        ended = end_sessions(conn, user_id)
        end_mailed_links(conn, user_id)  # reset links mailed before, a waiting address change
        # Whoever knew the old password may have taken the feed URL too (as the site's change).
        had_feed = has_feed_token(conn, user_id)
        revoke_feed_tokens(conn, user_id)
        record_action(conn, CLI, "set password", username)
    feed = "; its private feed URL is revoked (a new one is made on /library)" if had_feed else ""
    typer.echo(f"new password set for {username}; {ended} session(s) signed out{feed}")


@user_app.command("delete")
def user_delete(
    username: Annotated[str, typer.Argument(help="The account to delete.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask first.")] = False,
) -> None:
    """Delete an account as its owner can from /account/delete: private data goes, comments
    stay as "deleted account", the handle stays reserved; logged."""
    engine = open_store(Settings())
    with engine.connect() as conn:
        name = find_user_id(conn, username)
    if name is None:
        err.print(f"error: no user {username!r}", markup=False, highlight=False)
        raise typer.Exit(1)
    if not yes:
        typer.echo(f"Deleting {name[1]} removes its private data for good; its comments stay as")
        typer.echo("'deleted account' and the handle stays reserved.")
        typer.confirm(f"Delete the account {name[1]}?", abort=True)
    with engine.begin() as conn:
        if not delete_account(conn, name[0]):  # deleted meanwhile (from /admin)
            err.print(f"error: no user {username!r}", markup=False, highlight=False)
            raise typer.Exit(1)
        record_action(conn, CLI, "delete account", name[1])
    typer.echo(f"deleted the account {name[1]}")


@user_app.command("list")
def user_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Every account, newest first: name, role, whether suspended, when made."""
    with open_store(Settings()).connect() as conn:
        rows = list_users(conn, limit=100_000)
    if as_json:
        keys = ("username", "is_admin", "suspended")
        out = [{k: getattr(r, k) for k in keys} | {"created_at": str(r.created_at)} for r in rows]
        typer.echo(json.dumps(out))
        return
    for r in rows:
        marks = " ".join(m for m, on in (("admin", r.is_admin), ("suspended", r.suspended)) if on)
        typer.echo(f"{r.username:<32} {r.created_at:%Y-%m-%d}  {marks}".rstrip())


@user_app.command("suspend")
def user_suspend(
    username: Annotated[str, typer.Argument(help="The account to suspend.")],
    lift: Annotated[
        bool,
        typer.Option(
            "--lift",
            help="Lift the suspension instead: its content comes back; its sessions and API "
            "tokens do not (the user signs in again and makes new tokens).",
        ),
    ] = False,
) -> None:
    """Suspend an account (sign-in refused, sessions and API tokens dead), or --lift it."""
    engine = open_store(Settings())
    with engine.begin() as conn:
        set_suspended(conn, _found(conn, username), not lift)
        record_action(conn, CLI, "unsuspend" if lift else "suspend", username)
    typer.echo(f"{username} is {'no longer ' if lift else ''}suspended")
    if lift:
        typer.echo("their sessions and API tokens stay ended: they sign in again, make new tokens")


@user_app.command("invite")
def user_invite(
    days: Annotated[
        int | None,
        typer.Option(min=1, max=365, help="Days the link works (default: PAPERFEED_INVITE_DAYS)."),
    ] = None,
) -> None:
    """Make a single-use invite link (for PAPERFEED_SIGNUP=invite) and print it."""
    from paperfeed.settings import as_served
    from paperfeed.store.invites import create_invite
    from paperfeed.web.invites import invite_url

    settings = as_served(Settings())
    with open_store(settings).begin() as conn:
        token = create_invite(conn, CLI, days or settings.invite_days)
        record_action(conn, CLI, "make invite", f"link for {days or settings.invite_days} days")
    if settings.signup != "invite":
        err.print(
            f"note: sign-up is {settings.signup!r} here; the link works only while "
            "PAPERFEED_SIGNUP=invite",
            highlight=False,
        )
    typer.echo(invite_url(settings, token))


@user_app.command("import")
def user_import(
    roster: Annotated[
        typer.FileText,
        typer.Argument(
            help="CSV file (or - for stdin): username,email[,role] a line, role "
            "member (the default) or admin."
        ),
    ],
) -> None:
    """Make many accounts without passwords, each mailed a single-use link to choose one
    (expiring after PAPERFEED_INVITE_DAYS); if any line is refused, none is made."""
    from paperfeed.settings import as_served
    from paperfeed.web.roster import import_roster

    settings = as_served(Settings())
    outcomes = import_roster(open_store(settings), settings, roster.read(), CLI)
    for o in outcomes:
        where = f"line {o.line}: {o.username}: " if o.line else ""
        typer.echo(f"{where}{o.said}")
    if not any(o.ok for o in outcomes):
        raise typer.Exit(1)
