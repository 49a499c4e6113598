"""Cookies, seen by a privacy-conscious reader: every cookie the site sets or clears over https
is Secure, HttpOnly and SameSite, and the API's answers carry no form cookie (scripts never
need one) while the site's pages still do. SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
from sqlalchemy import Engine

from paperfeed.settings import Settings
from tests.web_support import DAYS, bearer, client, on_day, post_form, sign_up

PASSWORD = "correct horse battery"


def _name_and_attributes(header: str) -> tuple[str, set[str], bool]:
    """A Set-Cookie's name, its attribute names (lower case) and whether it clears the cookie."""
    first, *rest = header.split(";")
    attributes = {part.strip().partition("=")[0].lower() for part in rest}
    cleared = any(part.strip().lower() == "max-age=0" for part in rest)
    return first.partition("=")[0].strip(), attributes, cleared


def test_every_cookie_set_or_cleared_over_https_is_secure_httponly_and_samesite(
    site: Settings, engine: Engine
) -> None:
    seen: list[str] = []

    def note(response: httpx.Response) -> None:
        seen.extend(response.headers.get_list("set-cookie"))

    with client(site, engine, https=True) as c:
        c.event_hooks["response"] = [note]
        sign_up(c, "ada")  # pf_csrf on the first page, pf_session on signing up
        made = post_form(c, "/account/tokens", {"name": "lab bot"})  # the token, once
        assert made.status_code == 303
        assert "lab bot" in c.get(made.headers["location"]).text  # shown, its cookie cleared
        [token] = c.get("/api/me/tokens").json()
        revoked = post_form(c, f"/account/tokens/{token['id']}/revoke", {})  # pf_said
        assert revoked.status_code == 303
        assert "The API token is revoked." in c.get("/account").text  # said, pf_said cleared
        feed = post_form(c, "/for-you/feed-url", {})  # the private feed URL, once
        assert feed.status_code == 303
        gone = post_form(c, "/for-you/feed-url", {"revoke": "1", "confirmed": "1"})
        assert gone.status_code == 200
        assert post_form(c, "/signout", {}).status_code == 303  # pf_session cleared
        sign_up(c, "bea")
        deleted = post_form(c, "/account/delete", {"password": PASSWORD})
        assert deleted.status_code == 303  # pf_session cleared again
    kinds: set[tuple[str, bool]] = set()
    for header in seen:
        name, attributes, cleared = _name_and_attributes(header)
        assert {"secure", "httponly", "samesite"} <= attributes, header
        kinds.add((name, cleared))
    assert kinds == {
        ("pf_csrf", False),
        ("pf_session", False),
        ("pf_session", True),
        ("pf_said", False),
        ("pf_said", True),
        ("api_token_once", False),
        ("api_token_once", True),
        ("feed_url_once", False),
        ("feed_url_once", True),
    }


def test_cookies_are_secure_when_only_the_public_url_says_https(
    site: Settings, engine: Engine
) -> None:
    """Behind a proxy that ends TLS without saying so, the public URL tells the site."""
    https_site = site.model_copy(update={"base_url": "https://papers.example.org"})
    with client(https_site, engine) as c:
        page = c.get("/", headers={"cookie": "pf_said=Note%20saved."})  # shown, then cleared
    assert "Note saved." in page.text
    headers = page.headers.get_list("set-cookie")
    assert {_name_and_attributes(h)[0] for h in headers} == {"pf_csrf", "pf_said"}
    assert all("secure" in _name_and_attributes(h)[1] for h in headers), headers


def test_api_answers_carry_no_form_cookie_and_pages_still_do(
    site: Settings, engine: Engine
) -> None:
    pid = sorted(on_day(engine, DAYS[0]))[0]
    with client(site, engine) as c:
        auth = bearer(c, "ada")
        c.cookies.clear()
        asked = [
            c.get("/api/daily_papers", params={"date": DAYS[0].isoformat()}),
            c.get(f"/api/papers/{pid}"),
            c.get("/api/papers/search", params={"q": "learning"}),
            c.get("/openapi.json"),
            c.get("/api/me/tokens", headers=auth),
            c.post(f"/api/papers/{pid}/upvote", headers=auth),  # a write by bearer token
            c.request("DELETE", f"/api/papers/{pid}/upvote", headers=auth),
        ]
        for answer in asked:
            assert answer.status_code == 200, (answer.request.url, answer.text)
            assert "set-cookie" not in answer.headers, answer.request.url
        assert "pf_csrf" not in c.cookies
        page = c.get("/")
        assert page.headers["set-cookie"].startswith("pf_csrf=")
        search = c.get("/search", params={"q": "learning"})
        assert search.status_code == 200 and "pf_csrf" in c.cookies
