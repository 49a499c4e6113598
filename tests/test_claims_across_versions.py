"""An author's claim across a paper's versions: a new version read through the arXiv API that
moves, respells or drops her name; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.pipeline import add_papers
from paperfeed.settings import Settings
from paperfeed.store.accounts import set_admin
from paperfeed.store.community import claimed_place
from tests.replay import Reply, Request, arxiv_api_handler, replay
from tests.web_support import client, csrf_token, sign_in_as, web_settings

PID = "1605.08386"  # recorded: v1 by Caprice Stanley, Tobias Windisch
PASSWORD = "correct horse battery"


@pytest.fixture
def s(settings: Settings) -> Settings:
    return web_settings(settings).model_copy(update={"secret_key": "v" * 32})


@pytest.fixture
def c(s: Settings, engine: Engine) -> Iterator[TestClient]:
    with client(s, engine) as test_client:
        yield test_client


def _ingest(engine: Engine, s: Settings, version: int, authors: tuple[str, ...]) -> None:
    """Read the paper through the arXiv API: its recorded v1, or that entry as a later version
    with a new title and these authors."""

    def handler(req: Request) -> Reply:
        feed = arxiv_api_handler(req).body
        if version == 1:
            return Reply(feed)
        names = "".join(f"<author><name>{name}</name></author>" for name in authors)
        feed = re.sub(rb"(<author>.*</author>)", names.encode(), feed, flags=re.S)
        feed = feed.replace(b"v1</id>", f"v{version}</id>".encode())
        return Reply(feed.replace(b"Heat-bath random walks", b"Heat-bath walks"))

    with replay(handler) as server:
        report = add_papers(engine, s.model_copy(update={"arxiv_api_url": server.url}), [PID])
    assert report.inserted + report.updated == 1, report


def _claim(c: TestClient, who: str, author: str) -> int:
    data = {"author": author, "csrf_token": sign_in_as(c, who)}
    assert c.post(f"/papers/{PID}/claim", data=data, follow_redirects=False).status_code == 303
    return max(map(int, re.findall(r'/claims/(\d+)/withdraw"', c.get(f"/papers/{PID}").text)))


def _decide(c: TestClient, claim: int) -> int:
    data = {"decision": "approve", "csrf_token": sign_in_as(c, "moderator")}
    return c.post(f"/admin/claims/{claim}", data=data, follow_redirects=False).status_code


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _byline(c: TestClient) -> str:
    return c.get(f"/papers/{PID}").text.split('id="authors"')[1].split("</p>")[0]


def _claim_box(c: TestClient) -> str:
    return c.get(f"/papers/{PID}").text.split('id="claim"')[1].split("</details>")[0]


def _member(c: TestClient, slug: str) -> str:
    hero = c.get(f"/authors/{slug}").text.split('class="hero"')[1].split("</section>")[0]
    return _text(hero)


@pytest.fixture
def claimed(c: TestClient, s: Settings, engine: Engine) -> None:
    """Tobias's claim on v1, approved."""
    _ingest(engine, s, 1, ())
    sign_in_as(c, "moderator", new=True)
    with engine.begin() as conn:
        set_admin(conn, "moderator", True)
    sign_in_as(c, "tobias", new=True)
    assert _decide(c, _claim(c, "tobias", "Tobias Windisch")) == 303
    assert 'href="/users/tobias"' in _byline(c).split("Tobias Windisch")[1]
    assert "tobias on paperfeed claimed 1 of these papers" in _member(c, "tobias-windisch")


@pytest.mark.usefixtures("claimed")
def test_a_claim_follows_a_respelled_and_moved_name(
    c: TestClient, s: Settings, engine: Engine
) -> None:
    _ingest(engine, s, 2, ("Caprice Stanley", "Ann Newcomer", "T. Windisch"))
    sign_in_as(c, "tobias")
    byline = _byline(c)
    assert "T. Windisch" in byline and "Tobias Windisch" not in byline
    assert 'href="/users/tobias"' in byline.split("T. Windisch")[1]  # still marked as hers
    assert "approved: you are shown as T. Windisch" in _text(_claim_box(c))
    # The author page of the name as this version spells it counts her claim (the old name's
    # page went with the old version).
    assert "tobias on paperfeed claimed 1 of these papers" in _member(c, "t-windisch")
    assert "Claimed by tobias" in _text(c.get("/authors/t-windisch").text)
    assert c.get("/authors/tobias-windisch").status_code == 404
    # A rival account is not offered her name and cannot claim it.
    sign_in_as(c, "rival", new=True)
    assert '<option value="2">T. Windisch</option>' not in _claim_box(c)
    data = {"author": "T. Windisch", "csrf_token": csrf_token(c, "/")}
    refused = c.post(f"/papers/{PID}/claim", data=data, follow_redirects=False)
    assert refused.status_code == 409 and "claimed by tobias" in refused.text


@pytest.mark.usefixtures("claimed")
def test_a_version_without_her_name_says_her_claim_shows_nowhere(
    c: TestClient, s: Settings, engine: Engine
) -> None:
    _ingest(engine, s, 3, ("Caprice Stanley", "Ann Newcomer"))
    sign_in_as(c, "tobias")
    assert "/users/tobias" not in _byline(c)
    box = _claim_box(c)
    said = "approved, but you are shown as none of this paper's authors: its newest version"
    assert said in _text(box) and "no longer lists Tobias Windisch" in _text(box)
    assert '<option value="1">Ann Newcomer</option>' in box  # she may claim another name
    assert "claimed" not in _member(c, "caprice-stanley")


@pytest.mark.parametrize(
    ("authors", "author", "position", "place"),
    [
        (("José García", "Ann Lee"), "José García", 0, 0),
        (("Ann Lee", "José García"), "José García", 0, 1),  # moved
        (("Ann Lee", "Jose Garcia"), "José García", 0, 1),  # unaccented
        (("Ann Lee", "J. García"), "José García", 0, 1),  # initial
        (("J. García", "José A. García"), "José García", 1, 1),  # two alike: its place
        (("J. García", "José A. García"), "José García", 5, None),  # two alike, neither
        (("Ana García", "Ann Lee"), "José García", 0, None),  # another García
        (("García", "Ann Lee"), "José García", 0, None),  # a family name alone
        ((), "José García", 0, None),
    ],
)
def test_a_claimed_name_is_found_in_a_new_author_list(
    authors: tuple[str, ...], author: str, position: int, place: int | None
) -> None:
    assert claimed_place(authors, author, position) == place
