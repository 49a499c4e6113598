"""What serve checks and says before it listens: the base URL and proxies, the data folder,
the port, and where links lead."""

from __future__ import annotations

import errno
import os
import socket
from typing import TYPE_CHECKING, NoReturn

import typer

from paperfeed.cli_support import err
from paperfeed.settings import Settings
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
