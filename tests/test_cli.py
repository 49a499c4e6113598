"""The command line as a user runs it: help everywhere, JSON output, clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.settings import Settings
from tests.replay import FIXTURES

runner = CliRunner()


def _command_paths() -> list[list[str]]:
    root = get_command(app)
    paths: list[list[str]] = []
    for name, cmd in root.commands.items():  # type: ignore[attr-defined]
        paths.append([name])
        for sub in getattr(cmd, "commands", {}):
            paths.append([name, sub])
    return paths


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p))
def test_every_command_has_help(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_help_lists_each_command_in_sentences_not_its_source_lines() -> None:
    """The command list kept the docstrings' line breaks: "(the⏎ other commands …"."""
    wide = runner.invoke(app, ["--help"], env={"COLUMNS": "250"}).output
    [migrate] = [line for line in wide.splitlines() if "│ migrate " in line]
    assert "(the other commands and the site migrate it too when they open it" in migrate
    jobs = runner.invoke(app, ["jobs", "--help"], env={"COLUMNS": "250"}).output
    [run] = [line for line in jobs.splitlines() if "│ run " in line]
    assert "a source that fails is retried after" in run


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PAPERFEED_DATABASE_URL", raising=False)
    return tmp_path


def test_ingest_json_summary_is_the_last_line(data_dir: Path) -> None:
    bad = data_dir / "bad.json"
    good = (FIXTURES / "snapshot" / "arxiv-metadata-oai-snapshot.head200.json").read_text()
    bad.write_text(good.splitlines()[0] + "\n[1, 2]\n")
    result = runner.invoke(app, ["ingest", "snapshot", str(bad), "--json"])
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["read"] == 2 and summary["inserted"] == 1 and summary["skipped"] == 1
    assert summary["errors"] == [{"where": f"{bad}:2", "reason": "a JSON object was expected"}]


def test_unreadable_file_is_one_clear_error(data_dir: Path) -> None:
    result = runner.invoke(app, ["ingest", "listing", str(data_dir / "missing.jsonl")])
    assert result.exit_code == 1
    assert "cannot read" in result.output and "Traceback" not in result.output


def test_init_demo_then_stats_and_show(data_dir: Path) -> None:
    assert runner.invoke(app, ["init", "--demo"]).exit_code == 0
    stats = json.loads(runner.invoke(app, ["stats", "--json"]).output)
    again = runner.invoke(app, ["init", "--demo"])  # a store with papers: said, not mixed
    assert (
        again.exit_code == 1
        and "already holds" in again.output
        and "--into-existing" in again.output
    )
    assert runner.invoke(app, ["init", "--demo", "--into-existing"]).exit_code == 0
    assert stats["papers"] > 2000 and stats["last_listing_date"] == "2026-07-01"
    missing = runner.invoke(app, ["show", "2303.14567"])
    assert missing.exit_code == 1 and "no paper 2303.14567" in missing.output
    bad = runner.invoke(app, ["show", "nonsense"])
    assert bad.exit_code == 1 and "not an arXiv id" in bad.output


def test_bad_dates_are_refused(data_dir: Path) -> None:
    result = runner.invoke(app, ["harvest", "--from", "2026-13-01"])
    assert result.exit_code == 1 and "YYYY-MM-DD" in result.output


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("PAPERFEED_SMTP_CONNECTIONS", "0", "greater than or equal to 1"),
        ("PAPERFEED_SMTP_CONNECTIONS", "many", "valid integer"),
        ("PAPERFEED_DIGEST_SEND_RATE", "-1", "greater than or equal to 0"),
        # A schedule that cannot be read would stop every job and digest at each tick.
        ("PAPERFEED_PIPELINE_TIME", "25:99", "no time of day: give HH:MM"),
        ("PAPERFEED_PIPELINE_TIME", "8pm", "give a time as HH:MM"),
        ("PAPERFEED_PIPELINE_TIMEZONE", "Mars/Base", "no time zone name"),
        ("PAPERFEED_PIPELINE_DAYS", "funday", "name days as mon,tue"),
        ("PAPERFEED_SMTP_PORT", "99999", "less than or equal to 65535"),
        ("PAPERFEED_MAIL_FROM", "garbage", "give an address like"),
        # A database no driver here speaks printed 80 lines of traceback, doctor's included.
        ("PAPERFEED_DATABASE_URL", "mysql://u@db/papers", "'mysql' is no database"),
        ("PAPERFEED_TRUSTED_PROXIES", "10.0.0.0/33", "'10.0.0.0/33' is no IP address"),
    ],
)
def test_a_bad_setting_is_named_without_a_traceback(
    data_dir: Path, name: str, value: str, says: str, tmp_path: Path
) -> None:
    """The console script, as installed, with a bad PAPERFEED_* value in its environment."""
    import os
    import subprocess
    import sys

    script = Path(sys.executable).parent / "paperfeed"
    env = {**os.environ, name: value}
    done = subprocess.run(
        [str(script), "digest", "status"], env=env, capture_output=True, text=True, timeout=120
    )
    said = " ".join(done.stderr.split())
    assert done.returncode == 2 and f"error: {name}: " in said and says in said, said
    assert "Value error" not in said
    assert "Traceback" not in done.stderr and repr(value) in said


def test_a_refused_database_url_does_not_show_its_password(data_dir: Path) -> None:
    """The refused URL was echoed whole, password and all, into a terminal or a journal."""
    import os
    import subprocess
    import sys

    script = Path(sys.executable).parent / "paperfeed"
    env = {**os.environ, "PAPERFEED_DATABASE_URL": "mysql://lab:hunter2@db.example/papers"}
    done = subprocess.run(
        [str(script), "stats"], env=env, capture_output=True, text=True, timeout=120
    )
    said = " ".join(done.stderr.split())
    assert done.returncode == 2 and "'mysql://lab:***@db.example/papers'" in said, said
    assert "hunter2" not in done.stderr + done.stdout


@pytest.mark.parametrize("driver", ["", "+psycopg2", "+asyncpg", "+pg8000", "+psycopg"])
@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_a_postgresql_url_naming_another_driver_uses_the_one_shipped(
    scheme: str, driver: str
) -> None:
    """postgresql+psycopg2:// (as other SQLAlchemy apps write it) stopped every command with a
    traceback: no module named 'psycopg2'. Any driver named means psycopg 3, the one shipped."""
    url = f"{scheme}{driver}://lab@db.example:5432/papers"
    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    assert settings.sqlalchemy_url == "postgresql+psycopg://lab@db.example:5432/papers"


def test_the_command_line_starts_without_the_web_stack_or_scikit_learn() -> None:
    # Every `paperfeed` command imports the CLI; only serving loads FastAPI and uvicorn, and
    # only ranking loads scikit-learn and SciPy (together over a second of start-up).
    import subprocess
    import sys

    code = (
        "import sys, paperfeed.cli; "
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'sklearn', 'scipy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def _paperfeed(args: list[str], env: dict[str, str], stdin: str = "") -> tuple[int, str]:
    """The console script as installed: its exit status and what it wrote to stderr."""
    import os
    import subprocess
    import sys

    script = Path(sys.executable).parent / "paperfeed"
    done = subprocess.run(
        [str(script), *args],
        env={k: v for k, v in os.environ.items() if k != "PAPERFEED_DATABASE_URL"} | env,
        input=stdin.encode("utf-8", "surrogateescape"),  # "\udcff": the byte 0xff
        capture_output=True,
        timeout=120,
    )
    return done.returncode, done.stderr.decode("utf-8", "replace")


def test_a_store_that_cannot_be_used_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    not_a_db = tmp_path / "d1"
    not_a_db.mkdir()
    (not_a_db / "paperfeed.db").write_text("hello\n")
    a_file = tmp_path / "plain-file"
    a_file.write_text("x")
    cases = [
        ({"PAPERFEED_DATA_DIR": str(not_a_db)}, 1, "file is not a database"),
        # Not a URL of a database paperfeed speaks: a bad setting (exit 2), named.
        ({"PAPERFEED_DATABASE_URL": "garbage"}, 2, "is no database paperfeed can use"),
        ({"PAPERFEED_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}, 1, "connection"),
        ({"PAPERFEED_DATA_DIR": str(a_file / "d")}, 1, "Not a directory"),
    ]
    for env, status, says in cases:
        code, said = _paperfeed(["stats"], env)
        said = " ".join(said.split())
        assert code == status and "Traceback" not in said and says in said, (env, said)


def test_a_file_of_another_kind_is_refused_not_stored(tmp_path: Path) -> None:
    env = {"PAPERFEED_DATA_DIR": str(tmp_path / "data")}
    page = tmp_path / "saved.html"
    page.write_text("<!DOCTYPE html>\n<html>\n<body>\n<div>nav</div>\n</body>\n</html>\n")
    code, said = _paperfeed(["ingest", "page", str(page)], env)
    assert code == 1 and "is an HTML or XML page" in " ".join(said.split())
    snapshot = FIXTURES / "snapshot" / "arxiv-metadata-oai-snapshot.head200.json"
    code, said = _paperfeed(["ingest", "page", str(snapshot)], env)
    assert code == 1 and "holds JSON" in " ".join(said.split())
    code, said = _paperfeed(["ingest", "listing", str(snapshot)], env)
    assert code == 1 and "no record could be read as listing" in " ".join(said.split())
    code, said = _paperfeed(["stats", "--json"], env)
    assert code == 0


def test_serve_and_harvest_and_user_add_check_their_arguments(tmp_path: Path) -> None:
    env = {"PAPERFEED_DATA_DIR": str(tmp_path / "data")}
    assert _paperfeed(["serve", "--port", "70000"], env)[0] == 2
    assert _paperfeed(["serve", "--workers", "0"], env)[0] == 2
    code, said = _paperfeed(["harvest", "--from", "2026-07-01", "--until", "2026-06-01"], env)
    assert code == 1 and "is after --until" in said
    code, said = _paperfeed(["user", "add", "frank", "--password-stdin"], env, "pw\udcff\n")
    assert code == 1 and "not UTF-8" in said and "Traceback" not in said


def test_an_unusable_data_folder_or_target_store_is_named(tmp_path: Path) -> None:
    """The console script: the setting or option at fault is named, not only an errno."""
    import os
    import subprocess
    import sys

    script = str(Path(sys.executable).parent / "paperfeed")
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    base = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")}
    base["COLUMNS"] = "1000"  # one line however long the path
    done = subprocess.run(
        [script, "stats"], env=base | {"PAPERFEED_DATA_DIR": str(a_file)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    said = " ".join(done.stderr.split())
    assert done.returncode == 1 and f"PAPERFEED_DATA_DIR={a_file} cannot be the data folder" in said
    done = subprocess.run(
        [script, "migrate-store", "--to", "foo://bar"],
        env=base | {"PAPERFEED_DATA_DIR": str(tmp_path / "data")},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    said = " ".join(done.stderr.split())
    assert done.returncode == 1 and "--to 'foo://bar': cannot open that store" in said, said
    assert "Traceback" not in done.stderr


def test_every_command_s_options_and_arguments_say_what_they_are() -> None:
    """`subscribe --help` listed --category, --keyword and --author with no words at all."""
    import typer

    def commands(cmd: Any, path: str) -> list[tuple[str, Any]]:
        subs = getattr(cmd, "commands", None)  # a group (typer's own click, or click's)
        if subs:
            return [pair for n, sub in subs.items() for pair in commands(sub, f"{path} {n}")]
        return [(path, cmd)]

    found = commands(typer.main.get_command(app), "paperfeed")
    assert len(found) > 30 and any(path == "paperfeed subscribe" for path, _ in found)
    silent = [
        (path, param.name)
        for path, cmd in found
        for param in cmd.params
        if not str(getattr(param, "help", "") or "").strip()
    ]
    assert silent == []
