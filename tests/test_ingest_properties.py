"""Every source, any record, any bytes: each record is stored or reported, the run never aborts."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from paperfeed.ingest.arxiv_api import ArxivApiSource
from paperfeed.ingest.http import PoliteClient
from paperfeed.ingest.jobs import ingest_files
from paperfeed.ingest.oai import OaiSource
from paperfeed.ingest.run import Report, Source, SourceError, run_source
from paperfeed.settings import Settings
from paperfeed.text import xml_safe
from tests.replay import ReplayServer, Reply, replay

PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# Any code point, lone surrogates included (what a JSON "\ud800" escape decodes to).
WILD = st.one_of(
    st.text(st.characters(codec=None, exclude_categories=()), max_size=30),
    st.sampled_from(["bad \ud800", "\udfff", "x\ufffe\uffff", "nul\x00", "[/bold]", "}{@"]),
)
NUMBER = st.one_of(
    st.integers(),
    st.integers(min_value=10**18, max_value=10**40),
    st.floats(),
    st.sampled_from([1e999, -1e999, 1e30, -1.0, 0.5]),
)
SCALAR = st.one_of(st.none(), st.booleans(), NUMBER, WILD)
ANY_JSON = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(WILD, inner, max_size=3),
    max_leaves=6,
)
VERSION = st.one_of(
    st.integers(min_value=-5, max_value=10**30).map(lambda n: f"v{n}"),
    st.sampled_from(["v" + "9" * 25, "v" + "9" * 5000, "v1", "v2"]),
    WILD,
)
RFC822 = st.one_of(WILD, st.just("Mon, 2 Apr 2007 19:18:42 GMT"))
ISO = st.one_of(WILD, st.just("2024-10-22T17:59:30.000Z"))
_numbers = itertools.count(1)


def _unique_id(version: str | None) -> str:
    # Ids unique across examples, so each valid record is exactly one insert.
    n = next(_numbers)
    return f"{2601 + n // 99999}.{n % 99999 + 1:05d}" + (version or "")


ID = st.one_of(st.none().map(lambda _: _unique_id(None)), VERSION.map(_unique_id), WILD)


@pytest.fixture
def store(sqlite_settings: Settings, open_migrated: Callable[[Settings], Engine]) -> Engine:
    return open_migrated(sqlite_settings)


def _every_record_accounted(report: Report, extra: int = 0) -> None:
    stored = report.inserted + report.updated + report.unchanged
    assert report.read == report.skipped + stored + report.withdrawn + extra, report
    assert len(report.errors) == report.skipped


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / f"{next(_numbers)}-{name}"
    path.write_bytes(data)
    return path


listing_records = st.fixed_dictionaries(
    {"id": ID, "title": WILD},
    optional={"summary": WILD, "authors": st.lists(WILD) | ANY_JSON, "categories": ANY_JSON},
)


@PROPERTY
@given(records=st.lists(listing_records | ANY_JSON, max_size=6))
def test_listing_any_record(
    store: Engine, sqlite_settings: Settings, tmp_path: Path, records: list[object]
) -> None:
    text = "".join(json.dumps(r) + "\n" for r in records)
    path = _write(tmp_path, "2026-01-05.jsonl", text.encode())
    report, failed = ingest_files(store, sqlite_settings, "listing", [path])
    assert not failed and report.read == len(records)
    _every_record_accounted(report)


snapshot_records = st.fixed_dictionaries(
    {"id": ID, "title": WILD},
    optional={
        "abstract": WILD,
        "authors": WILD,
        "authors_parsed": st.lists(st.lists(WILD, max_size=3), max_size=2) | ANY_JSON,
        "versions": st.lists(
            st.fixed_dictionaries({"version": VERSION, "created": RFC822}), max_size=2
        )
        | ANY_JSON,
        "categories": WILD,
        "update_date": ISO,
        "doi": WILD,
        "journal-ref": ANY_JSON,
    },
)


@PROPERTY
@given(records=st.lists(snapshot_records | ANY_JSON, max_size=6))
def test_snapshot_any_record(
    store: Engine, sqlite_settings: Settings, tmp_path: Path, records: list[object]
) -> None:
    text = "".join(json.dumps(r) + "\n" for r in records)
    report, failed = ingest_files(
        store, sqlite_settings, "snapshot", [_write(tmp_path, "snap.json", text.encode())]
    )
    assert not failed and report.read == len(records)
    _every_record_accounted(report)


hf_elements = st.fixed_dictionaries(
    {
        "paper": st.fixed_dictionaries(
            {"id": ID, "title": WILD},
            optional={
                "upvotes": SCALAR,
                "githubStars": SCALAR,
                "summary": WILD,
                "authors": ANY_JSON,
                "publishedAt": ISO,
            },
        )
    },
    optional={"publishedAt": WILD, "submittedBy": ANY_JSON, "githubRepo": SCALAR},
)


@PROPERTY
@given(elements=st.lists(hf_elements | ANY_JSON, max_size=6))
def test_hf_any_element(
    store: Engine, sqlite_settings: Settings, tmp_path: Path, elements: list[object]
) -> None:
    path = _write(tmp_path, "hf.json", json.dumps(elements).encode())
    report, failed = ingest_files(store, sqlite_settings, "hf", [path])
    assert not failed and report.read == len(elements)
    _every_record_accounted(report)


@PROPERTY
@given(data=st.binary(max_size=400), kind=st.sampled_from(["listing", "snapshot", "hf", "page"]))
def test_any_bytes_in_any_file_kind(
    store: Engine, sqlite_settings: Settings, tmp_path: Path, data: bytes, kind: str
) -> None:
    for body in (data, b"\x1f\x8b" + data):  # plain, and (broken) gzip
        path = _write(tmp_path, "2026-01-05.jsonl", body)
        report, failed = ingest_files(store, sqlite_settings, kind, [path])
        assert len(failed) <= 1 and len(report.errors) >= len(failed)
        if kind in ("listing", "snapshot"):
            assert report.inserted == 0 and report.skipped == report.read


class _Body:
    """The replayed response, changed by each example."""

    def __init__(self) -> None:
        self.body = b""

    def reply(self, _request: object) -> Reply:
        return Reply(self.body)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[ReplayServer, _Body]]:
    body = _Body()
    with replay(body.reply) as server:
        yield server, body


def _run(engine: Engine, source: Source) -> Report | None:
    try:
        return run_source(engine, source)
    except SourceError:
        return None  # a whole response refused, with its message: also an allowed outcome


OAI_NS = "http://www.openarchives.org/OAI/2.0/"
RAW_NS = "http://arxiv.org/OAI/arXivRaw/"
oai_records = st.fixed_dictionaries(
    {
        "id": ID,
        "title": WILD,
        "deleted": st.booleans(),
        "versions": st.lists(st.tuples(VERSION, RFC822), max_size=3),
        "categories": WILD,
        "authors": WILD,
    }
)


def _oai_page(records: list[dict[str, object]]) -> bytes:
    root = ET.Element(f"{{{OAI_NS}}}OAI-PMH")
    listing = ET.SubElement(root, f"{{{OAI_NS}}}ListRecords")
    for r in records:
        record = ET.SubElement(listing, f"{{{OAI_NS}}}record")
        header = ET.SubElement(record, f"{{{OAI_NS}}}header")
        ET.SubElement(header, f"{{{OAI_NS}}}identifier").text = xml_safe(f"oai:arXiv.org:{r['id']}")
        if r["deleted"]:
            header.set("status", "deleted")
            continue
        meta = ET.SubElement(
            ET.SubElement(record, f"{{{OAI_NS}}}metadata"), f"{{{RAW_NS}}}arXivRaw"
        )
        for key in ("id", "title", "categories", "authors"):
            ET.SubElement(meta, f"{{{RAW_NS}}}{key}").text = xml_safe(str(r[key]))
        for number, date in r["versions"]:  # type: ignore[attr-defined]
            version = ET.SubElement(meta, f"{{{RAW_NS}}}version", version=xml_safe(number))
            ET.SubElement(version, f"{{{RAW_NS}}}date").text = xml_safe(date)
    return ET.tostring(root)


HUGE_VERSION = {
    "id": "2601.99990",
    "title": "T",
    "deleted": False,
    "versions": [("v" + "9" * 25, "Mon, 2 Apr 2007 19:18:42 GMT")],
    "categories": "cs.AI",
    "authors": "A",
}


@PROPERTY
@example(records=[HUGE_VERSION, HUGE_VERSION | {"id": "2601.99989", "versions": []}], junk=None)
@given(records=st.lists(oai_records, max_size=5), junk=st.none() | st.binary(max_size=300))
def test_oai_any_record_and_any_bytes(
    store: Engine,
    served: tuple[ReplayServer, _Body],
    records: list[dict[str, object]],
    junk: bytes | None,
) -> None:
    server, body = served
    body.body = _oai_page(records) if junk is None else junk
    client = PoliteClient(delay=0.0, retries=0)
    report = _run(store, OaiSource(server.url, client, prefix="arXivRaw", name="oai-prop"))
    client.close()
    if junk is None:
        assert report is not None and report.read == len(records)
        # A deletion counts as withdrawn only when the paper is stored; else it is a no-op.
        deleted = sum(bool(r["deleted"]) for r in records)
        stored = report.inserted + report.updated + report.unchanged
        assert 0 <= report.read - report.skipped - stored <= deleted, report


ATOM_NS = "http://www.w3.org/2005/Atom"
api_entries = st.fixed_dictionaries(
    {"id": ID, "title": WILD, "published": ISO, "category": WILD, "author": WILD}
)


def _atom_feed(entries: list[dict[str, str]]) -> bytes:
    root = ET.Element(f"{{{ATOM_NS}}}feed")
    for e in entries:
        entry = ET.SubElement(root, f"{{{ATOM_NS}}}entry")
        ET.SubElement(entry, f"{{{ATOM_NS}}}id").text = xml_safe(f"http://arxiv.org/abs/{e['id']}")
        for key in ("title", "published"):
            ET.SubElement(entry, f"{{{ATOM_NS}}}{key}").text = xml_safe(e[key])
        ET.SubElement(entry, f"{{{ATOM_NS}}}category", term=xml_safe(e["category"]))
        author = ET.SubElement(entry, f"{{{ATOM_NS}}}author")
        ET.SubElement(author, f"{{{ATOM_NS}}}name").text = xml_safe(e["author"])
    return ET.tostring(root)


@PROPERTY
@example(
    entries=[
        {
            "id": "2601.99988v" + "9" * 25,
            "title": "T",
            "published": "",
            "category": "",
            "author": "",
        }
    ],
    junk=None,
)
@given(entries=st.lists(api_entries, max_size=5), junk=st.none() | st.binary(max_size=300))
def test_arxiv_api_any_entry_and_any_bytes(
    store: Engine,
    served: tuple[ReplayServer, _Body],
    entries: list[dict[str, str]],
    junk: bytes | None,
) -> None:
    server, body = served
    body.body = _atom_feed(entries) if junk is None else junk
    client = PoliteClient(delay=0.0, retries=0)
    report = _run(store, ArxivApiSource(server.url, client, query="all:x", limit=10))
    client.close()
    if junk is None:
        assert report is not None and report.read == len(entries)
        _every_record_accounted(report)
