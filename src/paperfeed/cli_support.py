"""What every command module shares: the two consoles and the one way to fail."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from paperfeed.text import terminal_safe

err = Console(stderr=True)
out = Console()


def fail(message: str) -> typer.Exit:
    """Print `error: message` to stderr and return the exit to raise (status 1)."""
    err.print(f"[red]error:[/red] {escape(terminal_safe(message))}", highlight=False)
    return typer.Exit(1)
