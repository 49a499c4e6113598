"""A librarian follows a citation's versioned address (/papers/2401.00001v1): the page says
which version the link meant, and when it was submitted, instead of silently showing the latest;
author and collection pages name their canonical address, as paper pages do."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.models import Paper, Version
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.store.accounts import create_user
from paperfeed.store.library import ensure_collection, save_paper
from tests.web_support import client, web_settings

BASE = "https://papers.example.org/lab"
CITED = "2401.00001"  # three versions
UNVERSIONED = "2401.00002"  # versions not known (as Hugging Face's records come)
_NOTICE_RE = re.compile(r'<p class="notice" id="asked-version">(.*?)</p>', re.S)
_CANONICAL_RE = re.compile(r'<link rel="canonical" href="([^"]*)">')


def _papers() -> list[Paper]:
    dated = (
        Version(1, datetime(2024, 1, 12, 18, 0)),
        Version(2, datetime(2024, 3, 5, 9, 30)),
        Version(3, datetime(2024, 6, 1, 12, 0)),
    )
    cited = Paper(
        id=CITED,
        title="Cited <b>Paper</b>",
        authors=("Ada Lovelace", "山田 太郎"),
        version=3,
        versions=dated,
        source="test",
    )
    more = [
        Paper(id=f"2402.0000{n}", title=f"More {n}", authors=("Ada Lovelace",), source="test")
        for n in range(1, 6)
    ]
    return [cited, Paper(id=UNVERSIONED, title="No versions", source="test"), *more]


@pytest.fixture
def lab(
    settings: Settings, open_migrated: Callable[[Settings], Engine]
) -> Iterator[tuple[Settings, Engine]]:
    """A site served under a path, holding a paper of three versions and its author's others."""
    s = web_settings(settings, base_url=BASE, secret_key="s" * 32)
    engine = open_migrated(s)
    with engine.begin() as conn:
        upsert_papers(conn, _papers())
    yield s, engine
    engine.dispose()


def _notice(html: str) -> str:
    found = _NOTICE_RE.findall(html)
    assert len(found) <= 1
    return " ".join(unescape(re.sub(r"<[^>]+>", "", found[0])).split()) if found else ""


def _moved(c: TestClient, path: str) -> str:
    answer = c.get(path, follow_redirects=False)
    assert answer.status_code == 301, (path, answer.status_code)
    return str(answer.headers["location"])


def test_a_versioned_address_leads_to_the_page_which_says_which_version_it_meant(
    lab: tuple[Settings, Engine],
) -> None:
    s, engine = lab
    with client(s, engine) as c:
        assert _moved(c, f"/lab/papers/{CITED}v1") == f"/lab/papers/{CITED}?v=1"
        assert _moved(c, f"/lab/papers/{CITED}V2/") == f"/lab/papers/{CITED}?v=2"
        assert _moved(c, f"/lab/abs/{CITED}v2") == f"/lab/papers/{CITED}?v=2"
        assert _moved(c, f"/lab/pdf/{CITED}v1.pdf") == f"/lab/papers/{CITED}?v=1"
        assert _moved(c, f"/lab/abs/{CITED}") == f"/lab/papers/{CITED}"
        # the rest of the address is kept (it was dropped): a comment's own link, say
        kept = _moved(c, f"/lab/papers/{CITED}v1?sort=new&comment=7")
        assert kept == f"/lab/papers/{CITED}?sort=new&comment=7&v=1"
        old = c.get(f"/lab/papers/{CITED}v1")
        latest = c.get(f"/lab/papers/{CITED}v3").text
        missing = c.get(f"/lab/papers/{CITED}v9").text
        plain = c.get(f"/lab/papers/{CITED}").text
    assert old.status_code == 200 and str(old.url).endswith(f"/lab/papers/{CITED}?v=1")
    assert _notice(old.text) == (
        "You followed a link to version 1 (12 Jan 2024); this page shows the latest, version 3. "
        "Version 1 on arXiv"
    )
    assert f'<a href="https://arxiv.org/abs/{CITED}v1" rel="noopener">Version 1 on arXiv</a>' in (
        old.text
    )
    assert _notice(latest) == (
        "You followed a link to version 3 (1 Jun 2024); this page shows it, the latest version. "
        "Version 3 on arXiv"
    )
    # no pretending: the page says arXiv has no such version, and links to none
    assert _notice(missing) == "arXiv has no version 9 of this paper; the latest is version 3."
    assert f"arxiv.org/abs/{CITED}v9" not in missing
    assert _notice(plain) == ""
    # every form of the page names the one unversioned address as canonical
    for html in (old.text, latest, missing, plain):
        assert _CANONICAL_RE.findall(html) == [f"{BASE}/papers/{CITED}"]
        assert f'<meta property="og:url" content="{BASE}/papers/{CITED}">' in html


def test_a_version_of_a_paper_whose_versions_are_unknown_or_a_bad_one(
    lab: tuple[Settings, Engine],
) -> None:
    s, engine = lab
    with client(s, engine) as c:
        unknown = c.get(f"/lab/papers/{UNVERSIONED}v2").text
        bad = [c.get(f"/lab/papers/{CITED}?v={v}") for v in ("x", "0", "1000000", "1.5")]
        too_long = c.get(f"/lab/papers/{CITED}v1234567")
    assert _notice(unknown) == (
        "You followed a link to version 2; this page shows the version stored here. "
        "Version 2 on arXiv"
    )
    assert [r.status_code for r in bad] == [400] * 4
    assert all("<p>v: Input should be" in r.text for r in bad)  # a page saying what was wrong
    assert too_long.status_code == 404 and "is not an arXiv id" in too_long.text


def test_the_api_says_which_version_a_versioned_id_named(lab: tuple[Settings, Engine]) -> None:
    s, engine = lab
    with client(s, engine) as c:
        old = c.get(f"/lab/api/papers/{CITED}v1").json()
        missing = c.get(f"/lab/api/papers/{CITED}v9").json()
        unknown = c.get(f"/lab/api/papers/{UNVERSIONED}v2").json()
        plain = c.get(f"/lab/api/papers/{CITED}").json()
    assert old["id"] == CITED and old["version"] == 3  # the answer is the latest, as it was
    assert old["askedVersion"] == {
        "number": 1,
        "exists": True,
        "submittedAt": "2024-01-12T18:00:00.000Z",
        "latest": 3,
        "arxivUrl": f"https://arxiv.org/abs/{CITED}v1",
    }
    assert missing["askedVersion"] == {
        "number": 9,
        "exists": False,
        "submittedAt": None,
        "latest": 3,
        "arxivUrl": None,
    }
    assert unknown["askedVersion"]["exists"] is None and unknown["askedVersion"]["latest"] is None
    assert "askedVersion" not in plain
    assert {k: v for k, v in old.items() if k != "askedVersion"} == plain


def test_author_and_collection_pages_name_their_canonical_address(
    lab: tuple[Settings, Engine],
) -> None:
    """They had none: a crawler took /authors/ada-lovelace?page=1&x=y for a page of its own."""
    s, engine = lab
    with engine.begin() as conn:
        owner = create_user(conn, "librarian", "unused-hash")
        shared = ensure_collection(conn, owner.id, "Cited", visibility="public")
        save_paper(conn, owner.id, CITED, "Cited")
    with client(s, engine) as c:
        pages = {
            "/lab/authors/ada-lovelace": f"{BASE}/authors/ada-lovelace",
            "/lab/authors/ada-lovelace?page=1&utm_source=x": f"{BASE}/authors/ada-lovelace",
            "/lab/authors/ada-lovelace?page=2": f"{BASE}/authors/ada-lovelace?page=2",
            "/lab/authors/山田太郎": f"{BASE}/authors/%E5%B1%B1%E7%94%B0%E5%A4%AA%E9%83%8E",
            f"/lab/c/{shared.share_key}?page=1": f"{BASE}/c/{shared.share_key}",
            f"/lab/c/{shared.share_key}?order=title": f"{BASE}/c/{shared.share_key}?order=title",
        }
        found = {}
        for path in pages:
            answer = c.get(path)
            assert answer.status_code == 200, path
            found[path] = _CANONICAL_RE.findall(answer.text)
    assert found == {path: [link] for path, link in pages.items()}
