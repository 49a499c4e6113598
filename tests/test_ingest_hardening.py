"""One bad record never aborts an ingest or loses its batch: each is stored or reported."""

from __future__ import annotations

import gzip
import json
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import hypothesis
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from paperfeed.ingest.jobs import ingest_files
from paperfeed.ingest.run import Item, ReadCheckpoint, run_source
from paperfeed.ingest.validate import BadRecord, check_paper, is_category
from paperfeed.latex import decode_prose
from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import get_paper
from paperfeed.text import has_lone_surrogate, xml_safe
from tests.replay import FIXTURES

SNAPSHOT = FIXTURES / "snapshot" / "arxiv-metadata-oai-snapshot.head200.json"
HF = FIXTURES / "hf" / "daily_papers.2024-10-25.first4.json"


def _listing(i: int, **extra: object) -> str:
    record = {"id": f"2601.{i:05d}", "title": f"Paper {i}", "summary": "s", "authors": ["A B"]}
    return json.dumps(record | extra)


def _stored(engine: Engine, pid: str) -> Paper | None:
    with engine.connect() as conn:
        return get_paper(conn, pid)


def test_hostile_listing_records_are_skipped_and_the_rest_stored(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    lines = [_listing(i) for i in range(3000)]
    lines[2499] = '{"id": "2601.99991", "title": "bad \\ud800"}'
    lines[2500] = json.dumps({"id": "2601.99992v99999999999999999999", "title": "big"})
    lines[2501] = "[" * 50_000
    path = tmp_path / "2026-01-05.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report, failed = ingest_files(
        engine, settings.model_copy(update={"batch_size": 500}), "listing", [path]
    )
    assert not failed and report.inserted == 2997 and report.skipped == 3
    reasons = {e.where: e.reason for e in report.errors}
    assert "lone surrogate" in reasons["2601.99991"]
    assert "(no paper has that version)" in reasons[f"{path}:2501"]  # not an id: 7+ digits
    assert reasons[f"{path}:2502"] == "invalid JSON: nested too deeply"
    assert _stored(engine, "2601.02999") is not None and _stored(engine, "2601.99991") is None


def test_hostile_hf_entries_are_skipped(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    elements = json.loads(HF.read_text())
    hostile = {"upvotes": ["__INF__", 1e30, -3, "12"], "githubStars": [10**30, -1]}
    cases = [(k, v) for k, values in hostile.items() for v in values]
    for n, (key, value) in enumerate(cases):
        element = json.loads(json.dumps(elements[0]))
        element["paper"]["id"] = f"2410.{90000 + n}"
        element["paper"][key] = value
        elements.append(element)
    path = tmp_path / "hf.json"
    path.write_text(json.dumps(elements).replace('"__INF__"', "1e999"))
    report, failed = ingest_files(engine, settings, "hf", [path])
    assert not failed and report.inserted == 4 and report.skipped == len(cases)
    reasons = [e.reason for e in report.errors]
    assert all("upvotes" in r or "githubStars" in r for r in reasons), reasons
    assert sum("out of range" in r for r in reasons) == 4  # 1e30, -3, 10**30, -1


def test_hostile_snapshot_versions_are_skipped(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    lines = SNAPSHOT.read_text().splitlines()[:10]
    record = json.loads(lines[3])
    record["versions"][0]["version"] = "v" + "9" * 25
    lines[3] = json.dumps(record)
    record = json.loads(lines[4])
    record["versions"][0]["version"] = "v" + "9" * 5000  # past Python's int-parsing limit
    lines[4] = json.dumps(record)
    path = tmp_path / "snap.json"
    path.write_text("\n".join(lines) + "\n")
    report, failed = ingest_files(engine, settings, "snapshot", [path])
    assert not failed and report.inserted == 8 and report.skipped == 2
    assert report.errors[0].where == "0704.0004" and "out of range" in report.errors[0].reason
    assert report.errors[1].where == f"{path}:5" and "version" in report.errors[1].reason


def test_xml_forbidden_characters_are_cleaned_at_ingest(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "2026-01-05.jsonl"
    path.write_text(_listing(1, title="A\ufffe B\uffff\x00 C\x1b", authors=["X\x07 Y"]) + "\n")
    report, _ = ingest_files(engine, settings, "listing", [path])
    paper = _stored(engine, "2601.00001")
    assert report.inserted == 1 and paper is not None
    assert paper.title == "A B C" and paper.authors == ("X Y",)


def test_bad_categories_are_dropped_with_a_note(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    lines = SNAPSHOT.read_text().splitlines()[:1]
    record = json.loads(lines[0])
    record["categories"] = "cs.AI},note={x}}@preamble{x} hep-ph math.CO"
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(record) + "\n")
    report, _ = ingest_files(engine, settings, "snapshot", [path])
    paper = _stored(engine, "0704.0001")
    assert paper is not None and paper.categories == ("hep-ph", "math.CO")
    assert report.inserted == 1 and len(report.warnings) == 1
    assert report.warnings[0].where == "0704.0001"
    assert "dropped category 'cs.AI},note={x}}@preamble{x}'" in report.warnings[0].reason


class _Papers:
    name = "papers"

    def __init__(self, papers: list[Paper]) -> None:
        self.papers = papers

    def items(self, read_checkpoint: ReadCheckpoint) -> Iterator[Item]:
        yield from self.papers


def test_a_record_the_database_refuses_does_not_lose_its_batch(sqlite_settings: Settings) -> None:
    from paperfeed.store import open_store

    engine = open_store(sqlite_settings)
    with engine.begin() as conn:  # a real refusal from the database, for one id only
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON papers WHEN NEW.id = '2601.00005' "
            "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END"
        )
    papers = [Paper(id=f"2601.{i:05d}", title=f"P {i}") for i in range(10)]
    report = run_source(engine, _Papers(papers), batch_size=100)
    assert report.inserted == 9 and report.skipped == 1
    assert report.errors[0].where == "2601.00005"
    assert "refused by a trigger" in report.errors[0].reason
    assert _stored(engine, "2601.00009") is not None and _stored(engine, "2601.00005") is None


def test_a_damaged_gzip_fails_the_run_but_keeps_what_came_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from paperfeed.cli import app

    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PAPERFEED_DATABASE_URL", raising=False)
    cut = tmp_path / "cut.json.gz"
    cut.write_bytes(gzip.compress(SNAPSHOT.read_bytes())[:20000])
    result = CliRunner().invoke(app, ["ingest", "snapshot", str(cut), "--json"])
    assert result.exit_code == 1
    assert f"{cut} is damaged (truncated or corrupt)" in result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    readable = zlib.decompressobj(wbits=31).decompress(cut.read_bytes())
    assert summary["inserted"] == readable.count(b"\n") > 0  # every whole line before the cut


@pytest.mark.parametrize("kind", ["listing", "snapshot"])
def test_a_line_over_the_cap_is_skipped_and_the_rest_stored(
    sqlite_settings: Settings, tmp_path: Path, kind: str
) -> None:
    from paperfeed.ingest.files import MAX_LINE_CHARS
    from paperfeed.store import open_store

    engine = open_store(sqlite_settings)
    lines = [{"id": f"2601.0000{i}", "title": f"P {i}"} for i in range(1, 4)]
    lines[1]["title"] = "x" * (MAX_LINE_CHARS + 1000)
    path = tmp_path / "2026-01-05.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    report, failed = ingest_files(engine, sqlite_settings, kind, [path])
    assert not failed and report.inserted == 2 and report.skipped == 1
    assert report.errors[0].where == f"{path}:2"
    assert "over the 10,000,000 limit" in report.errors[0].reason


def test_reading_a_huge_line_stays_in_bounded_memory(tmp_path: Path) -> None:
    import tracemalloc

    from paperfeed.ingest.files import MAX_LINE_CHARS, bounded_lines, open_bytes

    path = tmp_path / "huge.jsonl"
    with path.open("w") as handle:
        handle.write("a\n")
        for _ in range(6):  # 60 MB on one line
            handle.write("b" * MAX_LINE_CHARS)
        handle.write("\nc\n")
    tracemalloc.start()
    try:
        with open_bytes(path) as raw:
            lines = list(bounded_lines(raw))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines == [b"a\n", 6 * MAX_LINE_CHARS + 1, b"c\n"]
    assert peak < 3 * MAX_LINE_CHARS  # a few buffers of the cap, never the 60 MB line


@pytest.mark.parametrize("kind", ["listing", "snapshot"])
def test_line_ends_and_bytes_that_are_not_utf8_read_as_in_text_mode(
    sqlite_settings: Settings, tmp_path: Path, kind: str
) -> None:
    # JSON lines are read as bytes: CRLF and lone CR still end lines (numbered as before), and
    # a byte that is not UTF-8 becomes U+FFFD instead of losing the record.
    from paperfeed.store import get_paper, open_store

    engine = open_store(sqlite_settings)
    records = [json.dumps({"id": f"2601.0000{i}", "title": f"P {i}"}).encode() for i in range(4)]
    records[2] = records[2].replace(b"P 2", b"P \xff 2")
    path = tmp_path / "2026-01-05.jsonl"
    path.write_bytes(
        records[0] + b"\r\n" + records[1] + b"\r" + records[2] + b"\n{bad\r\n" + records[3]
    )
    report, failed = ingest_files(engine, sqlite_settings, kind, [path])
    assert not failed and report.inserted == 4 and report.skipped == 1
    assert report.errors[0].where == f"{path}:4"
    with engine.connect() as conn:
        stored = get_paper(conn, "2601.00002")
    assert stored is not None and stored.title == "P \ufffd 2"


@contextmanager
def _packed(path: Path, packing: str) -> Iterator[IO[bytes]]:
    """A writable stream into a gzip file, or into the one member of a zip archive."""
    if packing == "gzip":
        with gzip.open(path, "wb", compresslevel=9) as handle:
            yield handle
        return
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("listing.jsonl", "w") as member,
    ):
        yield member


@pytest.mark.parametrize("packing", ["gzip", "zip"])
def test_a_compression_bomb_is_refused(
    settings: Settings, engine: Engine, tmp_path: Path, packing: str
) -> None:
    bomb = tmp_path / f"bomb.{packing}"
    with _packed(bomb, packing) as handle:
        handle.write((_listing(1) + "\n").encode())
        chunk = b" " * (1 << 20)
        for _ in range(100):  # 100 MB of spaces: about 100 KB compressed
            handle.write(chunk)
    report, failed = ingest_files(engine, settings, "listing", [bomb])
    assert len(failed) == 1 and f"refused as a {packing} bomb" in failed[0]
    assert report.inserted == 1  # the record before the bomb is kept


def test_deeply_nested_hf_file_is_one_clear_error(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "hf.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    report, failed = ingest_files(engine, settings, "hf", [path])
    assert failed == [f"{path}: invalid JSON: nested too deeply"] and report.inserted == 0


_ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=20)


@hypothesis.settings(max_examples=300, deadline=None)
@given(
    title=_ANY_TEXT,
    authors=st.lists(_ANY_TEXT, max_size=3),
    categories=st.lists(st.sampled_from(["cs.AI", "hep-th", "x}@y"]) | _ANY_TEXT, max_size=3),
    doi=st.none() | _ANY_TEXT,
)
@hypothesis.example(title="\\i", authors=[], categories=[], doi=None)  # TeX for ı (found)
@hypothesis.example(title="\\'a", authors=[], categories=[], doi=None)  # a TeX accent
def test_checked_papers_hold_only_xml_text(
    title: str, authors: list[str], categories: list[str], doi: str | None
) -> None:
    paper = Paper(
        id="2601.00001", title=title, authors=tuple(authors), categories=tuple(categories), doi=doi
    )
    try:
        clean, notes = check_paper(paper)
    except BadRecord as exc:
        assert "surrogate" in str(exc) or not decode_prose(xml_safe(title)).strip()
        return
    texts = [clean.title, *clean.authors, *clean.categories, clean.doi or ""]
    assert all(xml_safe(t) == t and not has_lone_surrogate(t) for t in texts)
    # a TeX accent in the title is stored as its letter (\'a is á), as every source's is
    assert clean.title == decode_prose(xml_safe(title))
    assert all(is_category(c) for c in clean.categories)
    assert len(notes) == len({xml_safe(c) for c in categories} - set(clean.categories))
