"""The search commands as a user runs them: embed, search, similar, reindex (with --json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.ingest.jobs import demo_files

DAY = "2026-06-25"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner whose store (SQLite) holds one real listing day, embedded with the fast model."""
    for key in ("PAPERFEED_DATABASE_URL", "PAPERFEED_EMBED_ON_INGEST"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PAPERFEED_EMBED_MODEL", "static")
    runner = CliRunner()
    listing = next(p for p in demo_files()[0] if p.name.startswith(DAY))
    assert runner.invoke(app, ["ingest", "listing", str(listing)]).exit_code == 0
    embedded = runner.invoke(app, ["embed"])
    assert embedded.exit_code == 0, embedded.output
    assert "embedded" in embedded.output
    return runner


def _hits(runner: CliRunner, args: list[str]) -> list[dict[str, object]]:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout.strip().splitlines()[-1])
    assert isinstance(hits, list)
    return hits


def test_search_json_in_every_mode(cli: CliRunner) -> None:
    for mode in ("keyword", "semantic", "hybrid"):
        hits = _hits(cli, ["search", "language model reasoning", "--mode", mode, "--json"])
        assert hits and all({"id", "title", "score"} <= set(h) for h in hits)
    default = _hits(cli, ["search", "language model reasoning", "--limit", "3", "--json"])
    assert len(default) == 3


def test_search_by_id_and_similar(cli: CliRunner) -> None:
    some = _hits(cli, ["search", "", "--mode", "keyword", "--json"])[4]  # empty: newest papers
    first = _hits(cli, ["search", f"https://arxiv.org/abs/{some['id']}v1", "--json"])[0]
    assert first["id"] == some["id"]
    similar = _hits(cli, ["similar", str(some["id"]), "--json", "--limit", "4"])
    assert len(similar) == 4 and some["id"] not in [h["id"] for h in similar]


def test_second_embed_does_nothing_and_reindex_works(cli: CliRunner) -> None:
    again = cli.invoke(app, ["embed"])
    assert again.exit_code == 0 and "embedded 0 papers" in again.output
    rebuilt = cli.invoke(app, ["reindex"])
    assert rebuilt.exit_code == 0 and "indexed" in rebuilt.output


def test_bad_input_is_a_clear_error(cli: CliRunner) -> None:
    bad_date = cli.invoke(app, ["search", "x", "--since", "yesterday"])
    assert bad_date.exit_code == 1 and "--since" in bad_date.output
    bad_limit = cli.invoke(app, ["search", "x", "--limit", "0"])
    assert bad_limit.exit_code == 1 and "limit" in bad_limit.output
    unknown = cli.invoke(app, ["similar", "2606.00001"])
    assert unknown.exit_code == 1 and "no stored vector" in unknown.output
    odd = cli.invoke(app, ["search", "--json", "--", '-"unbalanced C++ :* 😀'])
    assert odd.exit_code == 0, odd.output
    assert isinstance(json.loads(odd.stdout.strip().splitlines()[-1]), list)
