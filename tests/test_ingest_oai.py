"""OAI-PMH harvesting against recorded arXiv responses served by a local HTTP server."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from paperfeed.ingest.http import PoliteClient
from paperfeed.ingest.oai import OaiError, OaiSource, parse_page
from paperfeed.ingest.run import SourceError, run_source
from paperfeed.settings import Settings
from paperfeed.store import get_paper
from tests.replay import Reply, Request, fixture_bytes, replay

RAW_PAGE = fixture_bytes("oai", "arXivRaw-mikesaelim", "ListRecordsResponse.xml")
LAST_PAGE = fixture_bytes("oai", "arXiv-hepcrawl", "arxiv-physics-hep-th.xml")
TOKEN = "726959|1001"


def two_pages(req: Request) -> Reply:
    return Reply(LAST_PAGE if req.params.get("resumptionToken") == TOKEN else RAW_PAGE)


def harvest(engine: Engine, url: str, **kw: object) -> tuple[object, list[float]]:
    sleeps: list[float] = []
    client = PoliteClient(
        delay=float(kw.pop("delay", 0.0)), retries=int(kw.pop("retries", 2)), sleep=sleeps.append
    )  # type: ignore[call-overload]
    source = OaiSource(url + "/oai", client, **kw)  # type: ignore[arg-type]
    return run_source(engine, source), sleeps


def test_harvest_follows_resumption_tokens(engine: Engine) -> None:
    with replay(two_pages) as server:
        report, _ = harvest(engine, server.url, prefix="arXivRaw")
    assert [r.params.get("resumptionToken") for r in server.requests] == [None, TOKEN]
    assert server.requests[0].params["metadataPrefix"] == "arXivRaw"
    assert report.inserted == 6 + 3 and report.skipped == 0  # type: ignore[attr-defined]
    with engine.connect() as conn:
        raw = get_paper(conn, "0704.0471")
        plain = get_paper(conn, "1412.8323")
    assert raw is not None and raw.versions[0].number == 1 and raw.versions[0].created is not None
    assert raw.doi and raw.doi.startswith("10.1103/PhysRevC.76.024606")
    assert plain is not None and plain.authors == ("Philipp A Hoehn",)
    assert plain.categories[0] == "quant-ph" and plain.license


def test_rerun_is_idempotent(engine: Engine) -> None:
    with replay(two_pages) as server:
        harvest(engine, server.url)
        report, _ = harvest(engine, server.url, from_=None)
    assert report.inserted == 0 and report.updated == 0 and report.unchanged == 9  # type: ignore[attr-defined]


def test_next_run_starts_where_the_last_ended(engine: Engine) -> None:
    with replay(two_pages) as server:
        harvest(engine, server.url, set_spec="cs")
        harvest(engine, server.url, set_spec="cs")
    first, again = server.requests[0].params, server.requests[2].params
    assert "from" not in first and first["set"] == "cs"
    assert again["from"] == "2015-01-06"  # the first page's responseDate


def test_503_retry_after_is_honoured_and_requests_are_spaced(engine: Engine) -> None:
    calls = {"n": 0}

    def flaky(req: Request) -> Reply:
        calls["n"] += 1
        if calls["n"] == 1:
            return Reply(b"busy", 503, {"Retry-After": "7"}, "text/plain")
        return two_pages(req)

    with replay(flaky) as server:
        report, sleeps = harvest(engine, server.url, delay=3.0)
    assert report.inserted == 9  # type: ignore[attr-defined]
    assert 7.0 in sleeps
    assert len(server.requests) == 3 and all(s <= 7.0 for s in sleeps)
    assert any(2.0 < s <= 3.0 for s in sleeps)  # the polite gap before the second page


def test_interrupted_harvest_resumes_from_the_saved_token(engine: Engine) -> None:
    state = {"fail": True}

    def broken_second_page(req: Request) -> Reply:
        if req.params.get("resumptionToken") and state["fail"]:
            return Reply(b"down", 503, {}, "text/plain")
        return two_pages(req)

    with replay(broken_second_page) as server:
        with pytest.raises(SourceError, match="503"):
            harvest(engine, server.url, retries=0)
        state["fail"] = False
        report, _ = harvest(engine, server.url)
    assert server.requests[-1].params.get("resumptionToken") == TOKEN
    assert report.inserted == 3  # type: ignore[attr-defined]


BAD_TOKEN = fixture_bytes("oai", "arXivRaw-mikesaelim", "ErrorResponseBadResumptionToken.xml")


def test_an_expired_token_starts_the_window_again_instead_of_failing_every_run(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """arXiv's tokens expire: a harvest interrupted one day and run again the next sent the
    stored token, was told badResumptionToken, kept the token, and failed so at every run. The
    window is harvested again from its start (what was stored stays), and the log says why."""
    state = {"fail": True, "expired": False}

    def server_side(req: Request) -> Reply:
        token = req.params.get("resumptionToken")
        if token and state["fail"]:
            return Reply(b"down", 503, {}, "text/plain")
        if token and state["expired"]:
            state["expired"] = False  # the token the repository gives now works
            return Reply(BAD_TOKEN)
        return two_pages(req)

    with replay(server_side) as server:
        with pytest.raises(SourceError, match="503"):
            harvest(engine, server.url, retries=0, from_=date(2015, 1, 1), set_spec="cs")
        state.update(fail=False, expired=True)
        report, _ = harvest(engine, server.url, from_=date(2015, 1, 1), set_spec="cs")
        again, _ = harvest(engine, server.url, from_=date(2015, 1, 1), set_spec="cs")
    sent = [(r.params.get("resumptionToken"), r.params.get("from")) for r in server.requests]
    assert sent[2:] == [
        (TOKEN, None),  # the stored token: expired
        (None, "2015-01-01"),  # the window again from its start
        (TOKEN, None),  # and its next page, with the token given now
        (None, "2015-01-01"),  # a later run: nothing left to resume
        (TOKEN, None),
    ]
    assert report.inserted == 3 and report.unchanged == 6  # type: ignore[attr-defined]
    assert again.inserted == 0 and again.unchanged == 9  # type: ignore[attr-defined]
    assert "resumptionToken has expired" in caplog.text


def test_a_harvest_without_from_resumes_its_interrupted_run(engine: Engine) -> None:
    """The scheduled harvest (no --from) never resumed from its stored token: it started again
    from the last complete harvest's day, although the README says it resumes."""
    state = {"fail": False}

    def server_side(req: Request) -> Reply:
        if req.params.get("resumptionToken") and state["fail"]:
            return Reply(b"down", 503, {}, "text/plain")
        return two_pages(req)

    with replay(server_side) as server:
        harvest(engine, server.url, set_spec="cs")  # a complete harvest: the next starts later
        state["fail"] = True
        with pytest.raises(SourceError, match="503"):
            harvest(engine, server.url, retries=0, set_spec="cs")
        state["fail"] = False
        report, _ = harvest(engine, server.url, set_spec="cs")
    assert server.requests[2].params["from"] == "2015-01-06"
    assert server.requests[-1].params.get("resumptionToken") == TOKEN
    assert len(server.requests) == 5  # resumed: the window's first page was not asked again
    assert report.unchanged == 3  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "name,code",
    [
        ("ErrorResponseBadArgument.xml", "badArgument"),
        ("ErrorResponseBadResumptionToken.xml", "badResumptionToken"),
        ("ErrorResponseBadVerb.xml", "badVerb"),
        ("ErrorResponseIdDoesNotExist.xml", "idDoesNotExist"),
    ],
)
def test_oai_errors_become_one_clear_error(name: str, code: str) -> None:
    with pytest.raises(OaiError, match=code) as info:
        parse_page(fixture_bytes("oai", "arXivRaw-mikesaelim", name))
    assert info.value.code == code


def test_no_records_match_is_an_empty_harvest(sqlite_settings: Settings) -> None:
    page = parse_page(
        fixture_bytes("oai", "arXivRaw-mikesaelim", "ErrorResponseNoRecordsMatch.xml")
    )
    assert page.items == [] and page.token is None


def test_deleted_records_mark_papers_withdrawn(engine: Engine) -> None:
    deleted = LAST_PAGE.replace(
        b"<header>\n <identifier>oai:arXiv.org:1412.8323</identifier>",
        b'<header status="deleted">\n <identifier>oai:arXiv.org:1412.8323</identifier>',
    )
    assert deleted != LAST_PAGE
    with replay(lambda r: Reply(LAST_PAGE)) as server:
        harvest(engine, server.url)
    with replay(lambda r: Reply(deleted)) as server:
        report, _ = harvest(engine, server.url, from_=None)
    assert report.withdrawn == 1  # type: ignore[attr-defined]
    with engine.connect() as conn:
        paper = get_paper(conn, "1412.8323")
    assert paper is not None and paper.withdrawn


def test_unreachable_server_is_one_clear_error(engine: Engine) -> None:
    with pytest.raises(SourceError, match="cannot reach"):
        harvest(engine, "http://127.0.0.1:9", retries=0)


def test_malformed_record_is_reported_and_the_rest_go_in(engine: Engine) -> None:
    broken = RAW_PAGE.replace(b"<id>0704.0471</id>", b"<id>not-an-id</id>", 1)
    with replay(lambda r: Reply(LAST_PAGE if r.params.get("resumptionToken") else broken)) as s:
        report, _ = harvest(engine, s.url, retries=0)
    assert report.skipped == 1 and report.inserted == 5 + 3  # type: ignore[attr-defined]
    assert report.errors[0].where == "oai:arXiv.org:0704.0471"  # type: ignore[attr-defined]


def test_cli_harvest_uses_the_configured_base_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from paperfeed.cli import app

    with replay(two_pages) as server:
        monkeypatch.setenv("PAPERFEED_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("PAPERFEED_OAI_BASE_URL", server.url + "/oai")
        monkeypatch.setenv("PAPERFEED_REQUEST_DELAY", "0")
        result = CliRunner().invoke(
            app, ["harvest", "--set", "cs", "--from", "2014-10-01", "--json"]
        )
    assert result.exit_code == 0, result.output
    assert '"inserted": 9' in result.output.splitlines()[-1]
    assert server.requests[0].params["from"] == "2014-10-01"


def test_a_repeated_token_stops_instead_of_looping(engine: Engine) -> None:
    with replay(lambda r: Reply(RAW_PAGE)) as server, pytest.raises(SourceError, match="repeated"):
        harvest(engine, server.url, retries=0)


def test_alternating_tokens_are_detected(engine: Engine) -> None:
    calls = []

    def a_b_a(req: Request) -> Reply:  # A -> B -> A -> ... would never end
        calls.append(req)
        if len(calls) > 10:  # so that a harvester that misses the loop still ends (and fails)
            return Reply(LAST_PAGE)
        token = req.params.get("resumptionToken")
        nxt = b"B" if token == "A" else b"A"
        return Reply(RAW_PAGE.replace(TOKEN.encode(), nxt))

    with replay(a_b_a) as server, pytest.raises(SourceError, match="repeated resumptionToken"):
        harvest(engine, server.url, retries=0)
    assert [r.params.get("resumptionToken") for r in server.requests] == [None, "A", "B"]
    with engine.connect() as conn:  # the pages before the loop are kept
        assert get_paper(conn, "0704.0471") is not None


HTML_PAGE = b"""<?xml version="1.0"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Maintenance</title></head>
<body><p>arXiv is down for maintenance.</p></body></html>"""


def test_an_html_page_with_status_200_fails_the_harvest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from paperfeed.cli import app

    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PAPERFEED_DATABASE_URL", raising=False)
    monkeypatch.setenv("PAPERFEED_REQUEST_DELAY", "0")
    cases = [
        (HTML_PAGE, "text/xml", "the response is not an OAI-PMH document (its root is <html>)"),
        (b"<!doctype html><html>Down<br></html>", "text/html", "with an HTML page, not OAI-PMH"),
    ]
    for body, content_type, message in cases:
        with replay(lambda r, b=body, t=content_type: Reply(b, content_type=t)) as server:
            monkeypatch.setenv("PAPERFEED_OAI_BASE_URL", server.url + "/oai")
            result = CliRunner().invoke(app, ["harvest", "--json"])
        assert result.exit_code == 1 and message in result.output, result.output


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">]>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>&lol9;</responseDate>
</OAI-PMH>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>&secret;</responseDate>
</OAI-PMH>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE OAI-PMH SYSTEM "http://127.0.0.1:9/evil.dtd">
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"></OAI-PMH>"""


@pytest.mark.parametrize(
    "body", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD], ids=["laughs", "entity", "dtd"]
)
def test_xml_entity_attacks_are_refused_with_a_clear_error(engine: Engine, body: bytes) -> None:
    with replay(lambda r: Reply(body)) as server, pytest.raises(SourceError) as info:
        harvest(engine, server.url, retries=0)
    assert "the OAI-PMH response was refused: it declares a DTD or XML entities" in str(info.value)
    assert len(server.requests) == 1


def test_a_gzip_bomb_response_is_refused_in_bounded_memory(engine: Engine) -> None:
    import gzip

    bomb = gzip.compress(b"<" * 20_000_000)  # 20 MB that arrive as ~20 KB

    with replay(lambda r: Reply(bomb, headers={"Content-Encoding": "gzip"})) as server:
        client = PoliteClient(delay=0.0, retries=0, max_bytes=1_000_000)
        with pytest.raises(SourceError, match="sent more than 1,000,000 bytes; refused"):
            run_source(engine, OaiSource(server.url + "/oai", client))


def test_an_absurd_arxivraw_version_skips_only_its_record(engine: Engine) -> None:
    page = RAW_PAGE.replace(
        b'<version version="v1">', b'<version version="v' + b"9" * 25 + b'">', 1
    )
    assert page != RAW_PAGE
    with replay(lambda r: Reply(LAST_PAGE if r.params.get("resumptionToken") else page)) as s:
        report, _ = harvest(engine, s.url, retries=0, prefix="arXivRaw")
    assert report.skipped == 1 and report.inserted == 5 + 3  # type: ignore[attr-defined]
    assert report.errors[0].where == "0704.0471"  # type: ignore[attr-defined]
    assert "out of range" in report.errors[0].reason  # type: ignore[attr-defined]
