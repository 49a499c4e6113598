"""The search commands as a user runs them: embed, search, similar, reindex (with --json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.ingest.jobs import demo_files
from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import open_store, upsert_papers

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


def _json(runner: CliRunner, args: list[str]) -> Any:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def _hits(runner: CliRunner, args: list[str], mode: str | None = None) -> list[dict[str, Any]]:
    """The hits of `search --json` (asserting the mode it ran in) or of `similar --json`."""
    body = _json(runner, args)
    if args[0] == "similar":
        return list(body)
    assert body["mode"] == (mode or body["mode"]), body.get("fallback")
    return list(body["hits"])


def test_search_json_in_every_mode(cli: CliRunner) -> None:
    for mode in ("keyword", "semantic", "hybrid"):
        args = ["search", "language model reasoning", "--mode", mode, "--json"]
        hits = _hits(cli, args, mode=mode)  # no silent fallback to keyword
        assert hits and all({"id", "title", "score"} <= set(h) for h in hits)
    default = _hits(cli, ["search", "language model reasoning", "--limit", "3", "--json"], "hybrid")
    assert len(default) == 3


def test_json_says_when_semantic_fell_back(cli: CliRunner, tmp_path: Path) -> None:
    broken = {"PAPERFEED_EMBED_MODEL": str(tmp_path / "no-such-model")}
    result = cli.invoke(
        app, ["search", "language models", "--mode", "semantic", "--json"], env=broken
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout.strip().splitlines()[-1])
    assert body["mode"] == "keyword" and "unavailable" in body["fallback"]
    assert body["hits"]


def test_search_by_id_and_similar(cli: CliRunner) -> None:
    some = _hits(cli, ["search", "models", "--mode", "keyword", "--json"])[4]
    first = _hits(cli, ["search", f"https://arxiv.org/abs/{some['id']}v1", "--json"], "hybrid")[0]
    assert first["id"] == some["id"]
    similar = _hits(cli, ["similar", str(some["id"]), "--json", "--limit", "4"])
    assert len(similar) == 4 and some["id"] not in [h["id"] for h in similar]


def test_piped_output_is_one_line_per_result(cli: CliRunner) -> None:
    hostile = "A \x1b[31mred\x1b[0m title\u202e with a long name that runs well past eighty columns"
    with open_store(Settings()).begin() as conn:
        upsert_papers(conn, [Paper(id="2606.90001", title=hostile, abstract="Red.", source="t")])
    for args in (["search", "models", "-n", "7"], ["search", "red title", "-n", "1"]):
        result = cli.invoke(app, args)
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert len(lines) == int(args[-1]) and all(len(line) > 3 for line in lines)
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "2606.90001" in lines[0] and "eighty columns" in lines[0]
    similar = cli.invoke(app, ["similar", _hits(cli, ["search", "agents", "--json"])[0]["id"]])
    assert similar.exit_code == 0 and len(similar.stdout.splitlines()) == 10


def test_empty_query_and_unknown_paper_say_so(cli: CliRunner) -> None:
    for empty in ("", "   ", '""'):
        result = cli.invoke(app, ["search", empty])
        assert result.exit_code == 1 and "query is empty" in result.output
        assert not result.stdout.strip()
    missing = cli.invoke(app, ["similar", "9999.99999"])
    assert missing.exit_code == 1 and "no paper 9999.99999" in missing.output
    assert "embed" not in missing.output
    with open_store(Settings()).begin() as conn:
        upsert_papers(conn, [Paper(id="2606.90002", title="Fresh", abstract="New.", source="t")])
    fresh = cli.invoke(app, ["similar", "2606.90002"])
    assert fresh.exit_code == 1 and "paperfeed embed" in fresh.output


def test_second_embed_does_nothing_and_reindex_works(cli: CliRunner) -> None:
    again = cli.invoke(app, ["embed"])
    assert again.exit_code == 0 and "embedded 0 papers" in again.output
    rebuilt = cli.invoke(app, ["reindex"])
    assert rebuilt.exit_code == 0 and "indexed" in rebuilt.output


def test_embed_leaves_the_papers_to_the_pipeline_s_embed_job_while_it_runs(
    cli: CliRunner,
) -> None:
    """`paperfeed embed` started a second embedding run beside `serve`'s embed job (`doctor`
    advised it while the job ran): it says the job is at it and does nothing; `doctor` says
    the papers are being embedded, not to run it."""
    from paperfeed.store import jobs as jobs_db

    engine = open_store(Settings())
    with engine.begin() as conn:
        upsert_papers(conn, [Paper(id="2606.90003", title="Waiting", abstract="New.", source="t")])
    with jobs_db.job_lock(engine, "embed", f"{jobs_db.node_name()}:job") as held:
        assert held
        refused = cli.invoke(app, ["embed"])
        doctor = cli.invoke(app, ["doctor"])
    assert refused.exit_code == 1 and "the pipeline's embed job is running now" in refused.output
    assert "embedding them now" in doctor.output and "run `paperfeed embed`" not in doctor.output
    done = cli.invoke(app, ["embed"])  # the job ended: the command embeds
    assert done.exit_code == 0 and "embedded 1 papers" in done.output
    engine.dispose()


def test_bad_input_is_a_clear_error(cli: CliRunner) -> None:
    bad_date = cli.invoke(app, ["search", "x", "--since", "yesterday"])
    assert bad_date.exit_code == 1 and "--since" in bad_date.output
    bad_limit = cli.invoke(app, ["search", "x", "--limit", "0"])
    assert bad_limit.exit_code == 1 and "limit" in bad_limit.output
    unknown = cli.invoke(app, ["similar", "2606.00001"])
    assert unknown.exit_code == 1 and "no paper 2606.00001" in unknown.output
    odd = cli.invoke(app, ["search", "--json", "--", '-"unbalanced ++ :* 😀'])
    assert odd.exit_code == 0, odd.output
    body = json.loads(odd.stdout.strip().splitlines()[-1])
    # Its one searchable word ("unbalanced") is in no paper of the day: nothing, quietly.
    assert body["hits"] == [] and body["total"] == 0 and body["mode"] == "hybrid"
    excluded = cli.invoke(app, ["search", "--json", "--", "-model"])
    body = json.loads(excluded.stdout.strip().splitlines()[-1])
    assert body["mode"] == "keyword" and "nothing to embed" in str(body["fallback"])


def test_filters_that_cannot_match_are_named_as_on_the_search_page(cli: CliRunner) -> None:
    unknown = cli.invoke(app, ["search", "x", "--mode", "keyword", "--category", "zz.QQ"])
    assert unknown.exit_code == 0 and "note: " in unknown.output and "zz.QQ" in unknown.output
    assert "not an arXiv category" in " ".join(unknown.output.split())
    backwards = cli.invoke(
        app, ["search", "x", "--mode", "keyword", "--since", "2026-07-01", "--until", "2026-01-01"]
    )
    assert "is after --until" in " ".join(backwards.output.split())
    lower = cli.invoke(app, ["search", "graph", "--mode", "keyword", "--category", "cs.lg"])
    assert "note:" not in lower.output  # cs.lg is cs.LG


def test_reindex_refuses_while_a_server_of_the_folder_runs(cli: CliRunner) -> None:
    """Reindexing under a running server emptied its searches for many seconds (and for
    minutes when the reindex was killed). It now says to stop the server first; a record
    left by a server that is gone does not stop it."""
    import subprocess
    import sys

    from paperfeed.settings import SERVED_FILE

    stand_in = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "paperfeed"])
    served = Settings().data_dir / SERVED_FILE
    try:
        record = {"listen_url": "http://127.0.0.1:8123", "mailbox": False, "pid": stand_in.pid}
        served.write_text(json.dumps(record))
        refused = cli.invoke(app, ["reindex"])
        assert refused.exit_code == 1
        said = " ".join(refused.output.split())
        assert "a server is serving this data folder (http://127.0.0.1:8123)" in said
        assert "stop it, run `paperfeed reindex`, then start it again" in said
    finally:
        stand_in.kill()
        stand_in.wait()
    done = cli.invoke(app, ["reindex"])
    assert done.exit_code == 0 and "indexed" in done.output
    served.unlink()


def test_search_within_a_conference(cli: CliRunner, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    held = {"2606.88801", "2606.88802"}
    at = [
        Paper(id=pid, title=f"Reasoning with language models {pid}", source="test",
              abstract="Language model reasoning learned from proofs.", authors=("Ada Lovelace",),
              categories=("cs.CL",), comments="Accepted at ICML 2026 (Oral)")
        for pid in sorted(held)
    ]  # fmt: skip
    with open_store(settings).begin() as conn:
        upsert_papers(conn, at)
    assert cli.invoke(app, ["embed"]).exit_code == 0
    for mode in ("keyword", "hybrid", "semantic"):
        for named in ("ICML 2026", "icml-2026"):
            args = ["search", "language model reasoning", "--mode", mode, "--venue", named]
            found = {h["id"] for h in _hits(cli, [*args, "--json"], mode)}
            assert found == held, (mode, found)
    everywhere = _hits(cli, ["search", "language model reasoning", "--limit", "50", "--json"])
    assert {h["id"] for h in everywhere} - held
    bad = cli.invoke(app, ["search", "learning", "--venue", "ICML"])
    assert bad.exit_code == 1 and "names no conference" in bad.output
    assert 'did you mean "ICML 2026"?' in " ".join(bad.output.split())  # the one held here
    none = cli.invoke(app, ["search", "learning", "--venue", "QQQQ"])
    assert none.exit_code == 1 and "did you mean" not in none.output
