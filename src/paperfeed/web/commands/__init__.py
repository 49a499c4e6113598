"""CLI commands of the site: serve, demo (the README's run command) and admin."""

from __future__ import annotations

import typer

from paperfeed.web.commands.accounts import (
    CLI,
    admin,
    user_add,
    user_app,
    user_delete,
    user_import,
    user_invite,
    user_list,
    user_passwd,
    user_suspend,
)
from paperfeed.web.commands.checks import (
    _check_proxy_settings,
    _check_writable,
    _explain_links,
    listen_url,
)
from paperfeed.web.commands.serving import (
    DigestsOpt,
    HostOpt,
    JobsOpt,
    PortOpt,
    Stopper,
    WorkersOpt,
    _start_digests,
    demo,
    serve,
)

__all__ = [
    "CLI",
    "DigestsOpt",
    "HostOpt",
    "JobsOpt",
    "PortOpt",
    "Stopper",
    "WorkersOpt",
    "_check_proxy_settings",
    "_check_writable",
    "_explain_links",
    "_start_digests",
    "admin",
    "demo",
    "listen_url",
    "register",
    "serve",
    "user_add",
    "user_app",
    "user_delete",
    "user_import",
    "user_invite",
    "user_list",
    "user_passwd",
    "user_suspend",
]


def register(app: typer.Typer) -> None:
    """Add serve, demo, admin and user to the `paperfeed` command."""
    app.command()(serve)
    app.command()(demo)
    app.command()(admin)
    app.add_typer(user_app, name="user")
