"""The arXiv API source against recorded real responses (2026 and 2016 formats)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from paperfeed.ingest.arxiv_api import ArxivApiError, ArxivApiSource, parse_feed
from paperfeed.ingest.http import PoliteClient
from paperfeed.ingest.run import run_source
from paperfeed.models import RecordError
from paperfeed.pipeline import add_papers
from paperfeed.settings import Settings
from paperfeed.store import get_paper
from tests.replay import FIXTURES, Reply, Request, arxiv_api_handler, replay

XML = FIXTURES / "arxiv-api" / "recorded-2026" / "xml"
LEGACY = FIXTURES / "arxiv-api" / "legacy-2016"


def _one(prefix: str) -> bytes:
    return next(XML.glob(prefix + "*.xml")).read_bytes()


def test_entry_fields_are_parsed() -> None:
    feed = parse_feed(_one("q_testing_s0_m100_"))
    assert feed.total == 214881 and len(feed.papers) == 100
    with_doi = [p for p in feed.papers if getattr(p, "doi", None)]
    assert len(with_doi) == 32
    first = feed.papers[0]
    assert not isinstance(first, Exception) and first.categories and first.authors


def test_legacy_format_is_parsed() -> None:
    feed = parse_feed((LEGACY / "id_list-1111.2011v2.xml").read_bytes())
    paper = feed.papers[0]
    assert getattr(paper, "id", None) == "1111.2011" and getattr(paper, "version", None) == 2


def test_http_400_error_entry_is_a_clear_message() -> None:
    with pytest.raises(ArxivApiError, match="incorrect id format for abc"):
        parse_feed(_one("id_abc_"))


def test_add_by_id_and_url_stores_papers(settings: Settings, engine: Engine) -> None:
    with replay(arxiv_api_handler) as server:
        settings.arxiv_api_url = server.url + "/api/query"
        report = add_papers(engine, settings, ["1605.08386", "1707.08567"])
    assert report.inserted == 2
    with engine.connect() as conn:
        paper = get_paper(conn, "1605.08386")
    assert paper is not None and paper.title == "Heat-bath random walks with Markov bases"
    assert paper.categories == ("math.CO", "math.ST") and paper.version == 1


def test_unknown_ids_are_reported_not_fatal(settings: Settings, engine: Engine) -> None:
    with replay(arxiv_api_handler) as server:
        settings.arxiv_api_url = server.url + "/api/query"
        report = add_papers(engine, settings, ["0808.05394"])
    assert report.inserted == 0 and report.skipped == 1
    assert report.errors[0].reason == "not found on arXiv"


def test_query_pages_with_start_and_max_results(engine: Engine) -> None:
    def pages(req: Request) -> Reply:
        start, size = req.params["start"], req.params["max_results"]
        return Reply(_one(f"q_testing_s{start}_m{size}_"))

    with replay(pages) as server:
        client = PoliteClient(delay=0.0, retries=0)
        source = ArxivApiSource(server.url, client, query="testing", limit=30, page_size=10)
        report = run_source(engine, source)
    assert [r.params["start"] for r in server.requests] == ["0", "10", "20"]
    assert report.inserted == 30


def test_cli_add_accepts_urls_with_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from paperfeed.cli import app

    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PAPERFEED_REQUEST_DELAY", "0")
    with replay(arxiv_api_handler) as server:
        monkeypatch.setenv("PAPERFEED_ARXIV_API_URL", server.url + "/api/query")
        added = CliRunner().invoke(app, ["add", "https://arxiv.org/abs/1707.08567v2", "--json"])
    assert added.exit_code == 0, added.output
    shown = CliRunner().invoke(app, ["show", "1707.08567", "--json"])
    assert shown.exit_code == 0 and '"id": "1707.08567"' in shown.output
    bad = CliRunner().invoke(app, ["add", "not-an-id"])
    assert bad.exit_code == 1 and "not an arXiv id" in bad.output


def test_add_stores_only_the_papers_asked_for(settings: Settings, engine: Engine) -> None:
    both = next(XML.glob("id_0808.05394_1707.08567_s0_m100_*.xml")).read_bytes()
    extra = _one("id_1605.08386_").replace(b"</feed>", b"".join(_entries(both)) + b"</feed>")
    with replay(lambda r: Reply(extra)) as server:
        settings.arxiv_api_url = server.url + "/api/query"
        report = add_papers(engine, settings, ["1605.08386"])
    assert report.inserted == 1 and report.skipped == 1
    assert report.errors[0] == RecordError(
        "1707.08567", "the arXiv API returned it unasked; not stored"
    )
    with engine.connect() as conn:
        assert get_paper(conn, "1605.08386") is not None and get_paper(conn, "1707.08567") is None


def _entries(feed: bytes) -> list[bytes]:
    import re

    return re.findall(rb"<entry>.*?</entry>", feed, re.S)


@pytest.mark.parametrize(
    "body,message",
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
            b'<feed xmlns="http://www.w3.org/2005/Atom"><title>&b;</title></feed>',
            "the arXiv API response was refused: it declares a DTD or XML entities",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<feed xmlns="http://www.w3.org/2005/Atom"><title>&x;</title></feed>',
            "the arXiv API response was refused: it declares a DTD or XML entities",
        ),
        (b"<html><body>Rate limited</body></html>", "not an Atom feed (its root is <html>)"),
    ],
    ids=["expansion", "external", "html"],
)
def test_hostile_api_responses_are_refused(engine: Engine, body: bytes, message: str) -> None:
    with replay(lambda r: Reply(body)) as server:
        client = PoliteClient(delay=0.0, retries=0)
        with pytest.raises(ArxivApiError) as info:
            run_source(engine, ArxivApiSource(server.url, client, ids=["1605.08386"]))
    assert message in str(info.value)
