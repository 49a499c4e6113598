"""CLI commands of the site: serve, demo (the README's run command) and admin."""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from sqlalchemy import Connection, Engine

from paperfeed.cli_support import err
from paperfeed.secret import InsecureSettings, secret_key
from paperfeed.settings import Settings, record_served
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
from paperfeed.store.listings import has_papers
from paperfeed.store.password_links import emails_in_use, end_mailed_links, set_email
from paperfeed.web.baseurl import (
    address,
    ignored_forwarded_allow_ips,
    path_problem,
    proxied_locally,
    same_address,
    untrusted_tls_proxy,
)

if TYPE_CHECKING:
    from paperfeed.web.reuseport import Reservation

# The web stack (uvicorn, FastAPI, the app) is imported by the commands that serve, so that
# every other `paperfeed` command starts without it (web/server.py).

HostOpt = Annotated[str, typer.Option(help="Address to listen on.")]
PortOpt = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]
WorkersOpt = Annotated[
    int, typer.Option(min=1, max=64, help="Worker processes (each keeps its own caches).")
]
DigestsOpt = Annotated[
    bool,
    typer.Option("--digests/--no-digests", help="Also send due email digests on schedule."),
]

CLI = "command line"  # who made a change, in the admin log, when it came from these commands

JobsOpt = Annotated[
    bool, typer.Option("--jobs/--no-jobs", help="Run the daily pipeline on schedule here.")
]


def _serve(
    host: str, port: int, workers: int, digests: bool = True, jobs: bool = True, demo: bool = False
) -> None:
    settings = Settings()
    try:
        secret_key(settings)
    except InsecureSettings as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from exc
    _check_proxy_settings(settings)
    from paperfeed.web import reuseport, server

    _check_port(host, port)
    _check_writable(settings)
    reservation = _reserve_port(host, port) if workers > 1 and reuseport.SUPPORTED else None
    listen = listen_url(host, port)
    settings = _as_listening(settings, listen, demo)
    err.print(f"paperfeed at {listen}{settings.root_path}/", highlight=False)  # under its path
    _explain_links(settings, host, listen)
    record_served(settings, listen)
    if jobs:
        stop = _start_jobs(settings, digests)
    else:
        stop = _start_digests(settings) if digests else (lambda: None)
    # uvicorn re-raises SIGTERM once it has shut down: end with SystemExit, so cleanup runs.
    signal.signal(signal.SIGTERM, _stop_on_signal)
    try:
        server.run_uvicorn(host, port, workers, reservation)
    finally:
        stop()
        record_served(settings, None)
        if reservation is not None:
            reservation.close()


def _check_proxy_settings(settings: Settings) -> None:
    """Refuse a base URL that cannot be served (a query, a path with `..`); name
    FORWARDED_ALLOW_IPS as ignored, and an https site's TLS proxy as untrusted, each in one line."""
    problem = path_problem(settings.base_url) if settings.base_url else None
    if problem:
        err.print(f"error: {problem}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    ignored = ignored_forwarded_allow_ips(os.environ, settings.trusted_proxies)
    untrusted = untrusted_tls_proxy(settings.base_url, settings.trusted_proxies)
    if ignored:
        label = "note:" if settings.trusted_proxies.strip() else "warning:"
        err.print(f"{label} {ignored}", markup=False, highlight=False, soft_wrap=True)
    elif untrusted:
        err.print(f"warning: {untrusted}", markup=False, highlight=False, soft_wrap=True)


def _check_writable(settings: Settings) -> None:
    """The data folder takes the server's files (its indexes, where it listens, SQLite's
    store): a read-only or foreign one is said in one line, before the server says where
    it listens."""
    folder = settings.data_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-check-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        why = exc.strerror or str(exc)
        err.print(
            f"[red]error:[/red] the data folder {folder} cannot be written ({why}): the server "
            "keeps its indexes there. Give it a writable folder (PAPERFEED_DATA_DIR) or fix "
            "its permissions.",
            highlight=False,
        )
        raise typer.Exit(1) from exc


def _stop_on_signal(_signum: int, _frame: object) -> None:
    # A stop asked for and carried out: status 0, as `--workers 2` (uvicorn's supervisor) ends;
    # one process used to end with 143.
    raise SystemExit(0)


def listen_url(host: str, port: int) -> str:
    """The address to put in links for a server listening on host:port."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def _as_listening(settings: Settings, listen: str, demo: bool) -> Settings:
    """Settings of this server (and, through the environment, of its worker processes)."""
    update: dict[str, object] = {"listen_url": listen}
    os.environ["PAPERFEED_LISTEN_URL"] = listen
    if demo and not settings.smtp_configured:
        update["mailbox"] = True  # the demo's mail stays on this machine, readable on a page
        os.environ["PAPERFEED_MAILBOX"] = "true"
    return settings.model_copy(update=update)


def _explain_links(settings: Settings, host: str, listen: str) -> None:
    base = settings.base_url
    if base and proxied_locally(base, host):
        pass  # behind a reverse proxy on this machine, as docs/deploy.md sets it up
    elif base and not same_address(base, listen):
        local = address(base)[0] in ("127.0.0.1", "localhost", "::1", host)
        err.print(
            f"{'[yellow]warning:[/yellow]' if local else 'note:'} links in emails and feeds use "
            f"PAPERFEED_BASE_URL={base}, but this server listens on {listen}",
            highlight=False,
            soft_wrap=True,
        )
    elif not base and host in ("0.0.0.0", "::"):
        err.print(
            f"note: links in emails and feeds use {listen}; set PAPERFEED_BASE_URL to the "
            "address visitors use",
            highlight=False,
            soft_wrap=True,
        )
    if settings.mailbox:
        err.print(
            "no SMTP server configured: mail is kept in the demo mailbox, "
            f"{listen}{settings.root_path}/demo/mailbox",
            highlight=False,
            soft_wrap=True,
        )


def _check_port(host: str, port: int) -> None:
    """Fail at once, before printing any address, when another program has the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((host, port))
        except OSError as exc:
            _port_taken(host, port, exc)


def _reserve_port(host: str, port: int) -> Reservation:
    """The port held for workers with a socket each (also failing before any address shows)."""
    from paperfeed.web.reuseport import reserve

    try:
        return reserve(host, port)
    except OSError as exc:
        _port_taken(host, port, exc)


def _port_taken(host: str, port: int, exc: OSError) -> NoReturn:
    if exc.errno == errno.EADDRINUSE:
        hint = "is another server using the port? pass --port"
    elif exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT) or isinstance(exc, socket.gaierror):
        hint = f"{host} is no address of this machine: pass --host 127.0.0.1 or 0.0.0.0"
    elif exc.errno == errno.EACCES:
        hint = "ports below 1024 need privileges: pass --port 8000 or put a proxy in front"
    else:
        hint = "pass another --host or --port"
    err.print(
        f"[red]error:[/red] cannot listen on {host}:{port}: {exc.strerror or exc} ({hint})",
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(1) from exc


Stopper = Callable[[], object]  # ends a background loop of `serve`'s


def _start_digests(settings: Settings) -> Stopper:
    """Send due email digests on schedule in this process, as cron + `digest run` would."""
    from paperfeed.digest import run_scheduler_forever  # the digest stack loads only when used

    stop = threading.Event()
    args = (settings, open_store(settings), stop)
    threading.Thread(target=run_scheduler_forever, args=args, name="digests", daemon=True).start()
    return stop.set


def _start_jobs(settings: Settings, digests: bool) -> Stopper:
    """The daily pipeline (and due digests, held for late sources) in this process; stopping
    waits for the job under way to end (an embedding run after its batch)."""
    from paperfeed.pipeline import start_scheduler

    return start_scheduler(settings, open_store(settings), digests).close


def serve(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    workers: WorkersOpt = 1,
    digests: DigestsOpt = True,
    jobs: JobsOpt = True,
) -> None:
    """Serve the site (pages, JSON API, feeds) from the configured store."""
    open_store(Settings()).dispose()
    _serve(host, port, workers, digests, jobs)


def demo(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    workers: WorkersOpt = 1,
    digests: DigestsOpt = True,
) -> None:
    """Fill an empty store with the bundled real papers, then serve the site."""
    _check_port(host, port)  # before minutes of loading
    settings = Settings()
    engine = open_store(settings)
    with engine.connect() as conn:
        empty = not has_papers(conn)
    if empty:
        from paperfeed.pipeline import load_demo

        err.print("loading the bundled sample of real papers…", highlight=False)
        report = load_demo(engine, settings)
        err.print(f"stored {report.inserted:,} papers", highlight=False)
    else:
        err.print(
            "this store holds papers already: serving them as they are (the sample is loaded "
            "into an empty store only; a new PAPERFEED_DATA_DIR gives one)",
            highlight=False,
        )
    engine.dispose()
    _serve(host, port, workers, digests, jobs=False, demo=True)  # the demo stays the sample


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
    lift: Annotated[bool, typer.Option("--lift", help="Lift the suspension instead.")] = False,
) -> None:
    """Suspend an account (sign-in refused, sessions dead), or --lift it."""
    engine = open_store(Settings())
    with engine.begin() as conn:
        set_suspended(conn, _found(conn, username), not lift)
        record_action(conn, CLI, "unsuspend" if lift else "suspend", username)
    typer.echo(f"{username} is {'no longer ' if lift else ''}suspended")


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


def register(app: typer.Typer) -> None:
    """Add serve, demo, admin and user to the `paperfeed` command."""
    app.command()(serve)
    app.command()(demo)
    app.command()(admin)
    app.add_typer(user_app, name="user")
