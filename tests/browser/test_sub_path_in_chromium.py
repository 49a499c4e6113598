"""The site served under a path (PAPERFEED_BASE_URL=http://host/papers) in real Chromium: a reader
signs up and in, searches, saves, rates, upvotes and comments, and the browser never asks for an
address outside the path nor logs an error."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request, expect

from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.web.app import create_app
from tests.digest_support import copy_newest_papers, free_port, serve
from tests.web_support import web_settings

pytestmark = pytest.mark.browser
PREFIX = "/papers"


def test_a_reader_goes_through_the_site_under_its_path(
    page: Page, sqlite_settings: Settings, demo_settings: Settings
) -> None:
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    root = host + PREFIX
    s = web_settings(sqlite_settings, base_url=root, secret_key="p" * 32, page_size=20)
    engine = open_store(s)
    copy_newest_papers(demo_settings, engine, 1)
    outside: list[str] = []
    errors: list[str] = []

    def asked(request: Request) -> None:
        if not request.url.startswith(root + "/"):
            outside.append(request.url)

    def console(message: ConsoleMessage) -> None:
        # A visitor's upvote is answered 401 (with where to sign in) by design; Chromium logs it.
        if message.type == "error" and "status of 401" not in message.text:
            errors.append(message.text)

    try:
        with serve(create_app(s, engine), port):
            page.goto(host + "/")  # the host's root leads to the site
            expect(page).to_have_url(root + "/")
            page.on("request", asked)
            page.on("console", console)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            _through_the_site(page, root)
    finally:
        engine.dispose()
    assert outside == [] and errors == [], (outside, errors)


def _through_the_site(page: Page, root: str) -> None:
    # A visitor's upvote asks them to sign up (the script's link), then counts once they are in.
    page.locator("article.card h3 a").first.click()
    page.wait_for_url(re.compile(re.escape(root) + r"/papers/[^/?#]+$"))
    paper_url = page.url
    assert paper_url.startswith(root + "/papers/")
    page.locator("form.vote button").click()
    page.get_by_role("alert").get_by_role("link", name="create an account").click()
    expect(page).to_have_url(re.compile(re.escape(f"{root}/signup?next=")))
    page.get_by_label("User name").fill("reader")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(paper_url)
    expect(page.locator("form.vote button")).to_have_attribute("aria-pressed", "true")

    # Sign out and in again from the header.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("User name").fill("reader")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Library")
    ).to_be_visible()

    # Search with the search page's own box and button; open the first result.
    page.goto(f"{root}/search")
    search = page.get_by_role("search", name="Search with options")
    search.get_by_label("Query").fill("learning")
    search.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(re.escape(f"{root}/search?q=learning&")))
    page.get_by_role("main").locator("article.card h3 a").first.click()
    page.wait_for_url(re.compile(re.escape(root) + r"/papers/[^/?#]+$"))
    saved = page.url[len(root.split(PREFIX)[0]) :]  # its path: /papers/papers/<id>
    assert saved.startswith(PREFIX + "/papers/")

    # Save, rate and upvote in place; then comment.
    card = page.get_by_role("main")
    card.locator(".personal button.save-btn").first.click()
    expect(card.locator(".personal button.save-btn").first).to_have_attribute(
        "aria-pressed", "true"
    )
    card.get_by_role("button", name="More like this").first.click()
    more = card.get_by_role("button", name="More like this").first
    expect(more).to_have_attribute("aria-pressed", "true")
    card.locator("form.vote button").first.click()
    expect(card.locator("form.vote button").first).to_have_attribute("aria-pressed", "true")
    page.locator("#comment-body").fill("Read under a path, and it works.")
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_role("paragraph").filter(has_text="Read under a path")).to_be_visible()

    # The library holds the saved paper; the navigation marks where the reader is.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    expect(page).to_have_url(f"{root}/library")
    expect(page.locator(f'main h3 a[href="{saved}"]')).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Library")).to_have_attribute("aria-current", "page")
