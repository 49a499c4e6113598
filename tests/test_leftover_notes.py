"""Small defects the last round's notes left: addresses in logs, private feed links, empty
author lines, claim emails' width, follow removal, unlisted caching, rating pages, bidi marks."""

from __future__ import annotations

import html as html_text
import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiosmtpd.smtp import SMTP
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from starlette.types import Scope

from paperfeed.digest.compose import Digest, DigestItem
from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.render import DigestRenderer, Links, render_digest
from paperfeed.digest.subscribe import request_subscription
from paperfeed.digest.subscriber import Preferences, Subscriber
from paperfeed.settings import Settings
from paperfeed.store import open_store, upsert_papers
from paperfeed.store.accounts import set_admin, users
from paperfeed.store.community import add_claim, get_comment, thread
from paperfeed.store.digest_tables import outbox
from paperfeed.store.library import new_feed_token, set_rating, user_collections
from paperfeed.web.access import log_target
from paperfeed.web.auth import sign_up as make_account
from paperfeed.web.feeds import listing_feeds
from tests.digest_support import Sink, free_port, smtp_server
from tests.web_support import (
    bearer,
    client,
    csrf_token,
    post_form,
    sign_up,
    stored,
    web_settings,
)

ATOM = "{http://www.w3.org/2005/Atom}"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class NamesTheAddress:
    """An SMTP server that refuses every recipient, naming the address in its reply."""

    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"


def test_delivery_log_lines_mask_the_address_the_store_keeps_it(
    sqlite_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    engine = open_store(sqlite_settings)
    port = free_port()
    update = {"smtp_host": "127.0.0.1", "smtp_port": port, "secret_key": "c" * 32}
    s = sqlite_settings.model_copy(update=update | {"digest_send_rate": 0})
    with smtp_server(NamesTheAddress(), port), caplog.at_level(logging.DEBUG, "paperfeed"):
        row = request_subscription(engine, s, SmtpMailer(s), "ada.lovelace@example.org", {})
    assert row is not None and row.status == "failed"
    lines = [r.getMessage() for r in caplog.records]
    assert any("could not deliver" in line for line in lines), lines
    assert not [line for line in lines if "ada.lovelace@" in line], lines
    (line,) = [line for line in lines if "could not deliver" in line]
    assert f"#{row.id} to a***@example.org, giving up: 550 5.1.1 <a***@example.org>:" in line
    with engine.connect() as conn:  # the store keeps the address and the reply as given
        stored = conn.execute(select(outbox.c.recipient, outbox.c.last_error)).one()
    engine.dispose()
    assert stored.recipient == "ada.lovelace@example.org"
    assert "<ada.lovelace@example.org>" in stored.last_error


def test_the_access_log_masks_an_address_in_a_query() -> None:
    scope: Scope = {"type": "http", "path": "/subscribe", "query_string": b"email=ada%40ex.org"}
    assert log_target(scope) == "/subscribe?email=a***%40ex.org"
    scope["query_string"] = b"q=graph&email=bob@example.org&page=2"
    assert log_target(scope) == "/subscribe?q=graph&email=b***@example.org&page=2"


# --- a private instance's feeds link to themselves with the reader's feed token ----------------


def _links(feed_xml: str) -> dict[str, str]:
    """rel -> the path and query of each Atom link of a feed (an RSS channel's too)."""
    found = {}
    for link in ET.fromstring(feed_xml).iter(f"{ATOM}link"):
        href = urlsplit(link.get("href", ""))
        found[link.get("rel", "")] = href.path + (f"?{href.query}" if href.query else "")
    return found


def test_a_private_feed_s_self_and_next_links_carry_its_token(
    site: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing_feeds, "FEED_SIZE", 3)  # the store's 24 papers: several pages
    make_account(engine, "ada", "correct horse battery")
    with engine.begin() as conn:
        [ada] = conn.scalars(select(users.c.id).where(users.c.username == "ada"))
        token = new_feed_token(conn, ada)
    private = web_settings(site, private=True, signup="closed")
    with client(private, engine) as reader:  # a feed reader: no session, only the token
        for fmt in ("atom", "rss"):
            first = reader.get(f"/feeds/trending.{fmt}?token={token}")
            assert first.status_code == 200, first.text
            links = _links(first.text)
            assert links["self"] == f"/feeds/trending.{fmt}?token={token}", links
            assert links["next"] == f"/feeds/trending.{fmt}?page=2&token={token}", links
            second = reader.get(links["next"])
            assert second.status_code == 200 and _links(second.text)["previous"] == links["self"]
        bib = reader.get(f"/feeds/trending.bib?token={token}").text
        assert f"% next part: {private.public_url}/feeds/trending.bib?page=2&token={token}" in bib
        # a category named in another case is sent on with its token (and page) kept
        moved = reader.get(
            f"/feeds/category/CS.LG.atom?page=2&token={token}", follow_redirects=False
        )
        assert moved.status_code == 301
        assert moved.headers["location"] == f"/feeds/category/cs.LG.atom?page=2&token={token}"
        [pid, *_] = stored(engine)
        comments = reader.get(f"/feeds/papers/{pid}/comments.atom?token={token}")
        assert _links(comments.text)["self"] == f"/feeds/papers/{pid}/comments.atom?token={token}"
        recent = reader.get(f"/feeds/discussions.rss?token={token}")
        assert _links(recent.text)["self"] == f"/feeds/discussions.rss?token={token}"
    with client(web_settings(site), engine) as anyone:  # an open site's links name no token
        assert "token" not in anyone.get(f"/feeds/trending.atom?token={token}").text


# --- a digest's paper without authors has no empty author line ----------------------------------


def _digest_bodies(items: tuple[DigestItem, ...]) -> list[tuple[str, str]]:
    """(plain text, HTML) of a digest of `items`, as render_digest and a digest run make it."""
    s = Settings(secret_key="r" * 32, base_url="https://p.example/", _env_file=None)
    sub = Subscriber(7, "t@example.org", "confirmed", "n", Preferences())
    digest, links = Digest(sub, "daily:x", items), Links("https://p.example", "k", 7, "n")
    out = []
    for mail in (
        render_digest(s, links, digest, NOW),
        DigestRenderer(s).render(links, digest, NOW),
    ):
        parsed = mail.parsed()
        text = parsed.get_body(("plain",)).get_content()
        html = parsed.get_body(("html",)).get_content()
        out.append((text, html))
    return out


def test_a_digest_paper_without_authors_has_no_empty_author_line() -> None:
    items = (
        DigestItem("2611.1", "Named", ("Zoë", "Ada"), "cs.LG", "s", "new in cs.LG", 1.0),
        DigestItem("web-1", "From a web page", (), "", "s", "matches “graphs”", 0.5),
        DigestItem("web-2", "Blank names", (" ", ""), "", "s", "trending", 0.4),
        DigestItem("2611.3", "Category only", (), "cs.CL", "s", "new in cs.CL", 0.3),
    )
    for text, html in _digest_bodies(items):
        assert "1. Named\n   Zoë, Ada · cs.LG\n   Why: new in cs.LG\n" in text
        assert "2. From a web page\n   Why: matches “graphs”\n" in text
        assert "3. Blank names\n   Why: trending\n" in text
        assert "4. Category only\n   cs.CL\n   Why: new in cs.CL\n" in text
        bylines = re.findall(r'<p style="margin:4px 0 0 0;">(.*?)<span class="pf-why"', html)
        assert bylines == ["Zoë, Ada · cs.LG<br>", "", "", "cs.CL<br>"], bylines


# --- claim and notice emails' plain text keeps to 72 columns, as the digest's does -----------

BASE = "http://testserver"


def _too_wide(mail: EmailMessage) -> list[str]:
    """The plain text's lines over 72 columns that could have been broken (a link alone on
    its line, indent aside, cannot)."""
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    return [line for line in text.splitlines() if len(line) > 72 and len(line.split()) > 1]


def _sent_link(mail: EmailMessage, word: str) -> str:
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    [found, *_] = re.findall(rf"{re.escape(BASE)}(/\S*{word}\S*)", text)
    return str(found)


def test_claim_notice_and_confirmation_emails_wrap_at_72_columns(
    site: Settings, engine: Engine, sink: Sink
) -> None:
    update = {"smtp_port": sink.port, "digest_send_rate": 0, "secret_key": "n" * 32}
    s = site.model_copy(update=update | {"base_url": BASE})
    [pid, *_] = sorted(stored(engine))
    reason = "The arXiv listing names a different affiliation for this author, " * 3
    with client(s, engine) as c:
        kay, bob = (
            bearer(c, "kay", "correct horse battery"),
            bearer(c, "bob", "correct horse battery"),
        )
        assert (
            c.post("/api/subscribe", json={"email": "kay@example.org"}, headers=kay).status_code
            == 202
        )
        [confirm] = sink.to("kay@example.org")
        assert c.post(_sent_link(confirm, "confirm")).status_code == 200
        with engine.begin() as conn:
            kay_id = conn.scalar(select(users.c.id).where(users.c.username == "kay"))
            claim = add_claim(conn, int(str(kay_id)), pid, "Katherine Johnson-Okonkwo")
        sign_up(c, "mod", "correct horse battery")
        with engine.begin() as conn:
            set_admin(conn, "mod", True)
        token = csrf_token(c, "/")
        for decision in ("reject", "approve"):
            form = {"decision": decision, "reason": reason, "csrf_token": token}
            assert (
                c.post(f"/admin/claims/{claim}", data=form, follow_redirects=False).status_code
                == 303
            )
        comment = {"body": "How was the data split? " * 6}
        assert c.post(f"/api/papers/{pid}/comments", json=comment, headers=bob).status_code == 201
    mails = sink.to("kay@example.org")
    subjects = [str(m["Subject"]) for m in mails]
    assert len(mails) == 4 and "was rejected" in subjects[1] and "was approved" in subjects[2]
    assert "commented on your paper" in subjects[3], subjects
    for mail in mails:
        assert _too_wide(mail) == [], (mail["Subject"], _too_wide(mail))
    rejected = mails[1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    said = " ".join(rejected.split("The moderator said: ", 1)[1].split("\n\n")[0].split())
    assert said == reason.strip()  # wrapped, not cut


# --- removing a follow or mute: the query or the body, and the 400 says which ----------------


def test_removing_a_follow_with_a_query_and_a_body_says_to_use_one(
    site: Settings, engine: Engine
) -> None:
    follow = {"kind": "category", "value": "cs.LG"}
    with client(site, engine) as c:
        auth = bearer(c, "ada", "correct horse battery")
        assert c.post("/api/me/follows", json=follow, headers=auth).status_code == 201
        for path in ("/api/me/follows", "/api/me/mutes"):
            both = c.request("DELETE", path, params=follow, json=follow, headers=auth)
            assert both.status_code == 400, both.text
            said = both.json()["detail"]
            assert "query parameters" in said and "JSON body" in said and "not both" in said
            half = c.request("DELETE", path, params={"kind": "category"}, json=follow, headers=auth)
            assert half.status_code == 400 and "not both" in half.json()["detail"]
            alone = c.delete(f"{path}?kind=category", headers=auth)
            assert alone.status_code == 400 and alone.json()["detail"].startswith(
                "value is missing"
            )
        assert c.get("/api/me/follows", headers=auth).json() != []  # nothing was removed
        gone = c.request("DELETE", "/api/me/follows", json=follow, headers=auth)
        assert gone.status_code == 200 and gone.json()["removed"] is True
        assert c.get("/api/me/follows", headers=auth).json() == []


# --- what an unlisted link shows is kept by its reader only, never by a shared cache ----------


def _shared(c: TestClient, engine: Engine, name: str, visibility: str, pid: str) -> str:
    """A collection of the signed-in reader's holding `pid`, made `visibility`: its share key."""
    post_form(c, f"/papers/{pid}/save", {"collection": name, "next": "/library"})
    with engine.connect() as conn:
        [found] = [col for col in user_collections(conn, 1) if col.name == name]
    edit = {"name": name, "description": "", "visibility": visibility}
    assert post_form(c, f"/collections/{found.id}/edit", edit).status_code == 303
    return str(found.share_key)


def test_an_unlisted_collection_is_never_kept_by_a_shared_cache(
    site: Settings, engine: Engine
) -> None:
    [pid, *_] = sorted(stored(engine))
    with client(site, engine) as owner:
        sign_up(owner, "collector")
        unlisted = _shared(owner, engine, "Reading group", "unlisted", pid)
        public = _shared(owner, engine, "Open list", "public", pid)
    kinds = ("", "?page=1&order=title", "/feed.atom", "/feed.rss", "/feed.bib", "/feed.ris")
    with client(site, engine) as stranger:  # anyone given the link, signed out
        for tail in (*kinds, "/feed.json"):
            answer = stranger.get(f"/c/{unlisted}{tail}")
            assert answer.status_code == 200, (tail, answer.text)
            said = answer.headers.get("cache-control", "")
            assert "private" in said or "no-store" in said, (tail, said)
            assert "public" not in said, (tail, said)
            assert answer.headers["x-robots-tag"] == "noindex, nofollow", tail
            again = stranger.get(f"/c/{unlisted}{tail}")  # a kept answer says the same
            assert "public" not in again.headers.get("cache-control", ""), tail
        # a public collection's feed may still be kept by shared caches
        assert stranger.get(f"/c/{public}/feed.atom").headers["cache-control"].startswith("public")


# --- /api/me/ratings comes a page at a time without a limit too -------------------------------


def test_ratings_come_fifty_at_a_time_with_a_next_link(site: Settings, engine: Engine) -> None:
    [model, *_] = stored(engine).values()
    copies = [replace(model, id=f"2606.{90000 + n}") for n in range(60)]
    with engine.begin() as conn:
        upsert_papers(conn, copies)
    with client(site, engine) as c:
        auth = bearer(c, "rater", "correct horse battery")
        with engine.begin() as conn:
            rater = int(str(conn.scalar(select(users.c.id).where(users.c.username == "rater"))))
            for paper in copies:
                set_rating(conn, rater, paper.id, 1)
        first = c.get("/api/me/ratings", headers=auth)
        assert first.status_code == 200 and len(first.json()) == 50
        assert first.headers["x-total-count"] == "60"
        [link] = re.findall(r'<([^>]+)>; rel="next"', first.headers["link"])
        rest = c.get(link.removeprefix(site.public_url.rstrip("/")), headers=auth)
        assert len(rest.json()) == 10 and 'rel="next"' not in rest.headers.get("link", "")
        seen = {r["paper"]["id"] for r in first.json() + rest.json()}
        assert seen == {p.id for p in copies}
        assert len(c.get("/api/me/ratings?limit=1000", headers=auth).json()) == 60
        schema = c.get("/openapi.json").json()["paths"]["/api/me/ratings"]["get"]
        [limit] = [q for q in schema["parameters"] if q["name"] == "limit"]
        assert limit["schema"]["default"] == 50 and "50 when left out" in limit["description"]


# --- a right-to-left override survives an edit-and-save unchanged ------------------------------

RLO = "\u202e"  # right-to-left override: its text reads backwards until a U+202C closes it


def _field(page: str, pattern: str) -> str:
    """A form field's text as the browser would send it back (entities read)."""
    found = re.search(pattern, page, re.DOTALL)
    assert found, pattern
    return html_text.unescape(found[1])


def test_form_round_trips_keep_text_with_a_bidi_override_as_typed(
    site: Settings, engine: Engine
) -> None:
    [pid, *_] = sorted(stored(engine))
    typed = f"Results {RLO}reversed here"
    with client(site, engine) as c:
        sign_up(c, "rtl")
        assert post_form(c, f"/papers/{pid}/comments", {"body": typed}).status_code == 303
        with engine.connect() as conn:
            [comment] = thread(conn, pid)
        for _ in range(2):  # open the edit box, save without changing anything
            page = c.get(f"/papers/{pid}").text
            box = _field(page, r'aria-label="Edit comment">(.*?)</textarea>')
            assert box == typed
            assert post_form(c, f"/comments/{comment.id}/edit", {"body": box}).status_code == 303
        with engine.connect() as conn:
            saved = get_comment(conn, comment.id)
        assert saved is not None and saved.body == typed
        # the page's text still closes the override, so what follows it reads as written
        shown = c.get(f"/papers/{pid}").text
        assert "reversed here</p>\n\u202c</div>" in shown
        assert "· edited" not in shown  # saved unchanged: not marked edited
        profile = {"bio": f"About {RLO}me", "affiliation": f"Lab {RLO}X", "display_name": ""}
        assert post_form(c, "/settings/profile", profile).status_code == 303
        for _ in range(2):
            form = c.get("/settings/profile").text
            bio = _field(form, r'<textarea id="bio"[^>]*>(.*?)</textarea>')
            affiliation = _field(form, r'id="affiliation"[^>]*value="([^"]*)"')
            assert (bio, affiliation) == (profile["bio"], profile["affiliation"])
            again = profile | {"bio": bio, "affiliation": affiliation}
            assert post_form(c, "/settings/profile", again).status_code == 303
        # a refused display name comes back in its box exactly as typed
        refused = post_form(c, "/settings/profile", profile | {"display_name": f"Ada {RLO}X"})
        assert refused.status_code == 400 and "text-direction" in refused.text
        shown = _field(refused.text, r'id="display_name"[^>]*value="([^"]*)"')
        assert shown == f"Ada {RLO}X"
