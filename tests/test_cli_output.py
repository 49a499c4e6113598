"""Stored text reaches the terminal as text: no Rich markup, no escape sequences, no bidi tricks."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import open_store, upsert_papers
from paperfeed.text import terminal_safe

HOSTILE_TITLE = "Zorblax [/bold] [red]x[/red] \x1b[31mred\x1b[0m nul\x00 \u202eevil\u202c bell\x07"
HOSTILE = Paper(
    id="2601.00042",
    title=HOSTILE_TITLE,
    abstract="Abstract \x1b]0;pwned\x07 with [/] and \x9b1m C1 and \u2066isolate\u2069.",
    authors=("Eve \x1b[2J[bold]Clear",),
    categories=("cs.CR",),
    comments="comment [/bold] \r overwritten",
    source="test",
)
_RAW = ("\x1b", "\x00", "\x07", "\x9b", "\r", "\u202e", "\u202c", "\u2066", "\u2069")


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A store (SQLite) holding one paper whose stored text is hostile to terminals."""
    for key in ("PAPERFEED_DATABASE_URL", "PAPERFEED_EMBED_ON_INGEST"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PAPERFEED_EMBED_MODEL", "static")
    engine = open_store(Settings())
    with engine.begin() as conn:  # stored directly, as an older store may hold it
        upsert_papers(conn, [HOSTILE])
    engine.dispose()
    return CliRunner()


def _assert_inert(output: str) -> None:
    assert not [c for c in _RAW if c in output], repr(output)


def test_show_prints_stored_text_as_text(runner: CliRunner) -> None:
    result = runner.invoke(app, ["show", HOSTILE.id])
    assert result.exit_code == 0, repr(result.output)
    _assert_inert(result.output)
    assert "Zorblax [/bold] [red]x[/red] \\x1b[31mred" in result.output  # markup shown literally
    assert "\\u202eevil\\u202c" in result.output and "nul\\x00" in result.output
    assert "Eve \\x1b[2J[bold]Clear" in result.output and "with [/] and \\x9b1m" in result.output


def test_search_prints_titles_as_text(runner: CliRunner) -> None:
    result = runner.invoke(app, ["search", "Zorblax", "--mode", "keyword"])
    assert result.exit_code == 0, repr(result.output)
    _assert_inert(result.output)
    assert "Zorblax [/bold] [red]x[/red]" in result.output and HOSTILE.id in result.output


def test_errors_with_markup_in_them_do_not_crash(runner: CliRunner) -> None:
    result = runner.invoke(app, ["show", "[/bold]\x1b[2J"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "[/bold]\\x1b[2J" in result.output
    _assert_inert(result.output)


def test_terminal_safe_keeps_text_and_makes_controls_visible() -> None:
    assert terminal_safe("Café — 東京\tok\n") == "Café — 東京\tok\n"
    assert terminal_safe("a\x1bb\u202ec\x7f\ud800") == "a\\x1bb\\u202ec\\x7f\\ud800"


def test_ingest_names_skipped_records_and_dropped_categories(
    runner: CliRunner, tmp_path: Path
) -> None:
    import json

    path = tmp_path / "2026-01-05.jsonl"
    records = [
        {"id": "2601.00050", "title": "Fine", "categories": ["cs.AI", "cs.AI},note={x}"]},
        {"id": "2601.00051", "title": "bad \ud800 [/bold]\x1b[2J"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = runner.invoke(app, ["ingest", "listing", str(path)])
    assert result.exit_code == 0, result.output
    assert "skipped 2601.00051: title holds a lone surrogate" in result.output
    assert "note 2601.00050: dropped category 'cs.AI},note={x}'" in result.output
    assert "inserted 1" in result.output
