"""Attacks on the morning's changes: a site under a path (PrefixMount, sign-in `next`, the
calendar's redirect, cookie paths), Hugging Face and alphaXiv addresses, umlauts in the index."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.arxiv_ids import BadArxivId, parse_arxiv_id
from paperfeed.settings import Settings
from paperfeed.text import spelled_out_words
from paperfeed.web.app import create_app
from tests.web_support import (
    DAYS,
    client,
    csrf_token,
    fill_store,
    on_day,
    web_settings,
)

PREFIX = "/papers"
ORIGIN = "http://testserver"
# Ways to name another site where a local path is expected (browsers read "/\\" as "//" and
# drop tabs and line breaks from addresses).
ELSEWHERE = (
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "/%2F/evil.example",
    "%2F%2Fevil.example",
)
HUGE_VERSION = "v" + "9" * 5000  # int() refuses 4,300 digits and more


@pytest.fixture
def under(
    sqlite_settings: Settings, tmp_path: Path, open_migrated: Callable[[Settings], Engine]
) -> Iterator[tuple[Settings, Engine]]:
    """A store of real papers, its site served under PREFIX."""
    s = web_settings(sqlite_settings, base_url=ORIGIN + PREFIX, secret_key="s" * 32)
    engine = open_migrated(s)
    fill_store(engine, s, tmp_path / "listings")
    yield s, engine
    engine.dispose()


def _stays_under_the_path(location: str) -> bool:
    """Whether a browser following this Location stays on this site, under its path."""
    cleaned = "".join(c for c in location if c not in "\t\r\n").replace("\\", "/")
    reached = urlsplit(urljoin(ORIGIN + PREFIX + "/here", cleaned))
    return reached.netloc == "testserver" and (reached.path + "/").startswith(PREFIX + "/")


# --- 1. addresses: a version no paper has is refused, not a server error ------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"2606.99999{HUGE_VERSION}",
        f"https://huggingface.co/papers/2606.99999{HUGE_VERSION}",
        f"hf.co/papers/2606.99999{HUGE_VERSION}",
        f"https://www.alphaxiv.org/abs/2606.99999{HUGE_VERSION}",
        "2606.99999v1000000",
    ],
)
def test_an_address_with_a_version_no_paper_has_is_not_an_arxiv_id(text: str) -> None:
    with pytest.raises(BadArxivId, match="no paper has that version") as refused:
        parse_arxiv_id(text)
    assert len(str(refused.value)) < 200  # a pasted page is not said back whole


def test_a_version_written_with_many_zeros_is_read_as_its_number() -> None:
    padded = "https://arxiv.org/abs/2606.99999v" + "0" * 5000 + "2"
    assert parse_arxiv_id(padded) == ("2606.99999", 2)


def test_an_address_with_an_enormous_version_is_not_found_or_refused_never_a_500(
    site: Settings, engine: Engine
) -> None:
    """'/papers/2606.99999v999…' (5,000 digits), a Hugging Face address with it, /abs/ and
    the API answered 500 (int() of over 4,300 digits raises ValueError)."""
    here = next(iter(on_day(engine, DAYS[0])))
    big = f"{here}{HUGE_VERSION}"
    pages = [
        f"/papers/{big}",
        f"/papers/{big}/bibtex",
        f"/abs/{big}",
        f"/papers/https://hf.co/papers/{big}",
        f"/api/papers/{big}",
    ]
    with client(site, engine) as c:
        found = {path[:30]: c.get(path, follow_redirects=False).status_code for path in pages}
        fine = c.get(f"/papers/https://hf.co/papers/{here}v2", follow_redirects=False)
    assert set(found.values()) == {404}, found
    assert fine.status_code == 301 and fine.headers["location"] == f"/papers/{here}?v=2"


# --- 2. umlauts in the index: linear in the text -------------------------------------------------


def test_umlaut_words_are_found_past_a_long_run_of_letters_without_scanning_it_again() -> None:
    """An abstract with a long run of letters (a sequence, a hash) and one umlaut word: each
    letter of the run was scanned to its end again (16,000 letters took 2 s, 300,000 minutes
    in the index's refresh); a word is now looked at from its start only."""
    run = "ACGT" * 75_000
    text = f"Sequence {run} décodé by Gödel's Müller_Søren"
    assert spelled_out_words(text) == ["Goedel", "Mueller", "Soeren"]
    assert spelled_out_words("Über Schrödinger-Brücken") == [
        "Ueber",
        "Schroedinger",
        "Bruecken",
    ]


# --- 3. the site under a path: redirects, paths and cookies stay there -------------------------


@pytest.mark.parametrize("target", ELSEWHERE)
def test_signing_in_under_the_path_never_leads_to_another_site(
    under: tuple[Settings, Engine], target: str
) -> None:
    s, engine = under
    with TestClient(create_app(s, engine), base_url=ORIGIN, follow_redirects=False) as c:
        token = csrf_token(c, f"{PREFIX}/signup")
        made = c.post(
            f"{PREFIX}/signup",
            data={"username": "reader", "password": "correct horse battery"}
            | {"csrf_token": token, "next": target},
        )
        c.cookies.clear()
        token = csrf_token(c, f"{PREFIX}/signin")
        signed = c.post(
            f"{PREFIX}/signin",
            data={"username": "reader", "password": "correct horse battery"}
            | {"csrf_token": token, "next": target},
        )
        again = c.get(f"{PREFIX}/signin", params={"next": target})  # signed in: it redirects
    for answer in (made, signed, again):
        assert answer.status_code == 303, answer.text[:300]
        assert _stays_under_the_path(answer.headers["location"]), answer.headers["location"]
    session = [v for v in signed.headers.get_list("set-cookie") if v.startswith("pf_session=")]
    assert session and f"Path={PREFIX};" in session[0]  # not sent to /papersX or the host's root


@pytest.mark.parametrize(
    "path",
    [
        f"{PREFIX}//evil.example/",
        f"{PREFIX}///evil.example/",
        f"{PREFIX}/\\evil.example/",
        f"{PREFIX}/%5Cevil.example/",
        f"{PREFIX}/%2F%2Fevil.example/",
        f"{PREFIX}%2F%2Fevil.example/",
        f"{PREFIX}/%09/evil.example/",
        f"{PREFIX}/..//evil.example/",
        "//evil.example/",
    ],
)
def test_a_path_crafted_to_redirect_elsewhere_stays_under_the_path(
    under: tuple[Settings, Engine], path: str
) -> None:
    s, engine = under
    with TestClient(create_app(s, engine), base_url=ORIGIN, follow_redirects=False) as c:
        answer = c.get(path)
    assert answer.status_code in (307, 308, 404), answer.status_code
    if answer.status_code != 404:
        assert _stays_under_the_path(answer.headers["location"]), answer.headers["location"]


def test_paths_beside_the_prefix_or_climbing_out_of_it_reach_nothing(
    under: tuple[Settings, Engine],
) -> None:
    """/papersX is another site's; '..' does not climb from the path into a page of the site
    nor around its checks (the admin page asks a visitor to sign in either way)."""
    s, engine = under
    with TestClient(create_app(s, engine), base_url=ORIGIN, follow_redirects=False) as c:
        beside = [c.get(p) for p in ("/papersX/daily", "/papers-old/daily", "/papersdaily")]
        climbed = [c.get(p) for p in (f"{PREFIX}/../daily", f"{PREFIX}/%2e%2e/daily")]
        admin = c.get(f"{PREFIX}/daily/../admin")
        c.cookies.clear()
        cookies = c.get(f"{PREFIX}/").headers.get_list("set-cookie")
    assert all(r.status_code == 404 and "<html" not in r.text for r in beside)
    assert all(r.status_code == 404 for r in climbed)
    assert admin.status_code in (303, 404)
    if admin.status_code == 303:
        assert admin.headers["location"] == f"{PREFIX}/signin?next=/admin"
    assert cookies and all(f"Path={PREFIX};" in v for v in cookies), cookies


@pytest.mark.parametrize(
    "query",
    [
        {"date": "//evil.example"},
        {"date": "2026-06-25\r\nLocation: https://evil.example"},
        {"date": "2026-06-25/../../evil"},
        {"date": "2026-06-25", "sort": "new\r\nSet-Cookie: x=1"},
        {"date": "2026-06-25", "sort": '"><script>alert(1)</script>'},
    ],
)
def test_the_calendar_refuses_what_is_not_a_day_or_a_sort(
    under: tuple[Settings, Engine], query: dict[str, str]
) -> None:
    s, engine = under
    with TestClient(create_app(s, engine), base_url=ORIGIN, follow_redirects=False) as c:
        answer = c.get(f"{PREFIX}/daily", params=query)
    assert answer.status_code == 400
    assert "location" not in answer.headers and "x=1" not in answer.headers.get("set-cookie", "")
    assert "<script>alert(1)" not in answer.text


def test_the_calendar_leads_to_the_day_under_the_path_keeping_the_sort(
    under: tuple[Settings, Engine],
) -> None:
    s, engine = under
    day = DAYS[1].isoformat()
    with TestClient(create_app(s, engine), base_url=ORIGIN, follow_redirects=False) as c:
        went = c.get(f"{PREFIX}/daily", params={"date": day, "sort": "new"})
        page = c.get(went.headers["location"])
    assert went.status_code == 301
    assert went.headers["location"] == f"{PREFIX}/papers/date/{day}?sort=new"
    assert page.status_code == 200
    assert f'action="{PREFIX}/daily"' in page.text and f'value="{day}"' in page.text


def test_an_error_page_never_links_back_to_another_site_named_in_the_referer(
    under: tuple[Settings, Engine],
) -> None:
    """The error page's 'Back to the page you came from' reads the Referer: a path of this
    origin that is '//evil.example' under the prefix, or outside it, is no way back."""
    s, engine = under
    with TestClient(create_app(s, engine), base_url=ORIGIN, follow_redirects=False) as c:
        pages = [
            c.get(f"{PREFIX}/nothing-here", headers={"referer": f"{ORIGIN}{came}"}).text
            for came in (
                f"{PREFIX}//evil.example/x",
                f"{PREFIX}/\\evil.example/x",
                "//evil.example/x",
                "/papersX/x",
            )
        ]
    for html in pages:
        assert "evil.example" not in html and "papersX" not in html
