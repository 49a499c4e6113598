"""The access log, read by a privacy-conscious reader: the words searched for are not written
unless the operator keeps them (PAPERFEED_ACCESS_LOG_QUERIES), and client addresses can be
written shortened (PAPERFEED_ACCESS_LOG_ADDRESSES=short). The lines read are the ones the site
writes to standard error. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.web.app import create_app
from tests.web_support import client

WORDS = "quantum gravity"


def _lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().err.splitlines()


def _searching(c: TestClient) -> None:
    """A reader searches (by words, by author, as a feed and by the API), then follows the
    search page's Sign in link, which leads back to the search."""
    page = c.get("/search", params={"q": WORDS, "mode": "keyword", "author": "Hawking"})
    assert page.status_code == 200
    assert c.get("/feeds/search.atom", params={"q": WORDS}).status_code == 200
    assert c.get("/api/papers/search", params={"q": WORDS}).status_code == 200
    [signin] = re.findall(r'href="(/signin\?next=[^"]+)"', page.text)
    assert "quantum" in unescape(signin)  # the link back names the search
    assert c.get(unescape(signin)).status_code == 200


def test_the_words_searched_for_are_not_written_by_default(
    site: Settings, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert site.access_log_queries == "redact-search"
    with client(site, engine) as c:
        _lines(capsys)
        _searching(c)
        lines = _lines(capsys)
    asked = [x for x in lines if '"GET /' in x]
    assert len(asked) == 4, lines
    assert not any(word in x.lower() for x in asked for word in ("quantum", "gravity", "hawking"))
    # What debugging needs stays: the path, the other parameters, the status.
    assert '"GET /search?q=[redacted]&mode=keyword&author=[redacted]" 200' in asked[0]
    assert '"GET /feeds/search.atom?q=[redacted]" 200' in asked[1]
    assert '"GET /api/papers/search?q=[redacted]" 200' in asked[2]
    assert (
        '"GET /signin?next=/search%3Fq%3D[redacted]%26mode%3Dkeyword%26author%3D[redacted]"'
        in (asked[3])
    )


def test_an_operator_can_keep_the_words_or_name_the_parameters(
    site: Settings, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = site.model_copy(update={"access_log_queries": "keep"})
    with client(kept, engine) as c:
        _lines(capsys)
        c.get("/search", params={"q": WORDS, "author": "Hawking"})
        [line] = [x for x in _lines(capsys) if '"GET /search' in x]
    assert "q=quantum+gravity&author=Hawking" in line
    named = site.model_copy(update={"access_log_queries": "author,category"})
    with client(named, engine) as c:
        _lines(capsys)
        c.get("/search", params={"q": WORDS, "author": "Hawking", "category": "gr-qc"})
        c.get("/preferences", params={"token": "signed-link-secret"})  # always redacted
        lines = _lines(capsys)
    [search] = [x for x in lines if '"GET /search' in x]
    assert "q=quantum+gravity&author=[redacted]&category=[redacted]" in search
    [signed] = [x for x in lines if '"GET /preferences' in x]
    assert "token=[redacted]" in signed and "signed-link-secret" not in signed


def test_json_lines_redact_alike(
    site: Settings, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    as_json = site.model_copy(update={"access_log": "json"})
    with client(as_json, engine) as c:
        _lines(capsys)
        c.get("/search", params={"q": WORDS, "sort": "date"})
        lines = _lines(capsys)
    [entry] = [json.loads(x[x.index("{") :]) for x in lines if '"/search' in x]
    assert entry["path"] == "/search?q=[redacted]&sort=date" and entry["status"] == 200


@pytest.mark.parametrize(
    ("address", "written"),
    [
        ("203.0.113.77", "203.0.113.0"),
        ("2001:db8:1234:5678:9abc:def0:1234:5678", "2001:db8:1234::"),
        ("::ffff:198.51.100.9", "198.51.100.0"),
    ],
)
def test_client_addresses_are_shortened_when_asked(
    site: Settings,
    engine: Engine,
    capsys: pytest.CaptureFixture[str],
    address: str,
    written: str,
) -> None:
    for style, shown in (("full", address), ("short", written)):
        chosen = site.model_copy(update={"access_log_addresses": style, "access_log": "json"})
        with TestClient(create_app(chosen, engine), client=(address, 40000)) as c:
            _lines(capsys)
            assert c.get("/about").status_code == 200
            lines = _lines(capsys)
        [entry] = [json.loads(x[x.index("{") :]) for x in lines if '"/about"' in x]
        assert entry["client"] == shown
    plain = site.model_copy(update={"access_log_addresses": "short"})
    with TestClient(create_app(plain, engine), client=(address, 40000)) as c:
        _lines(capsys)
        c.get("/about")
        [line] = [x for x in _lines(capsys) if '"GET /about"' in x]
    assert f' {written} "GET /about"' in line and address not in line


@pytest.mark.parametrize("value", ["", "q;author", "q author", "q,<script>"])
def test_a_setting_that_names_no_parameters_is_refused(value: str) -> None:
    asked: dict[str, Any] = {"access_log_queries": value, "_env_file": None}
    with pytest.raises(ValidationError, match="keep, redact-search"):
        Settings(**asked)
    with pytest.raises(ValidationError, match="'full' or 'short'"):
        Settings(**(asked | {"access_log_queries": "q", "access_log_addresses": "half"}))
