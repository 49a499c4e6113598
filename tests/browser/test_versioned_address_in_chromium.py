"""A librarian follows a citation's versioned address and a reader on the lab's plain-http
address copies a comment's link, in Chromium."""

from __future__ import annotations

from datetime import datetime

from playwright.sync_api import Browser, Route, expect

from paperfeed.models import Paper, Version
from paperfeed.store import upsert_papers
from paperfeed.store.accounts import create_user
from paperfeed.store.community import add_comment
from tests.browser.conftest import LiveSite
from tests.web_support import HOSTILE_ID

CITED = "2401.00001"


def test_a_citations_versioned_address_says_which_version_it_meant(
    live_site: LiveSite, browser: Browser
) -> None:
    """/papers/2401.00001v1 showed the latest version without a word; the page now says which
    version the citation meant, when it was submitted, and links to it on arXiv."""
    paper = Paper(
        id=CITED,
        title="A paper revised once",
        authors=("Ada Lovelace",),
        version=2,
        versions=(Version(1, datetime(2024, 1, 12, 18)), Version(2, datetime(2024, 5, 3, 9))),
        source="test",
    )
    with live_site.engine.begin() as conn:
        upsert_papers(conn, [paper])
    context = browser.new_context()
    context.route(  # arXiv, offline: its page of the version the reader follows
        "https://arxiv.org/**",
        lambda route: route.fulfill(body="<title>arXiv v1</title>", content_type="text/html"),
    )
    page = context.new_page()
    page.goto(f"{live_site.url}/papers/{CITED}v1")
    assert page.url == f"{live_site.url}/papers/{CITED}?v=1"
    notice = page.locator("#asked-version")
    expect(notice).to_have_text(
        "You followed a link to version 1 (12 Jan 2024); this page shows the latest, version 2. "
        "Version 1 on arXiv"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("A paper revised once")
    notice.get_by_role("link", name="Version 1 on arXiv").click()
    expect(page).to_have_url(f"https://arxiv.org/abs/{CITED}v1")
    page.goto(f"{live_site.url}/papers/{CITED}v7")
    expect(page.locator("#asked-version")).to_have_text(
        "arXiv has no version 7 of this paper; the latest is version 2."
    )
    expect(page.locator("#asked-version a")).to_have_count(0)
    page.goto(f"{live_site.url}/papers/{CITED}")  # the page itself: no notice
    expect(page.locator("#asked-version")).to_have_count(0)
    context.close()


def test_a_comments_copy_link_works_on_a_plain_http_address(
    live_site: LiveSite, browser: Browser
) -> None:
    """On the lab's http://paperfeed.lan there is no clipboard API (no secure context): "Copy
    link" copies the comment's whole address the older way, and says so."""
    with live_site.engine.begin() as conn:
        user = create_user(conn, "journalist", "unused-hash")
        number = add_comment(conn, HOSTILE_ID, user.id, "A quotable remark.", None)
    port = live_site.url.rsplit(":", 1)[1]
    lan = f"http://paperfeed.lan:{port}"
    context = browser.new_context()

    def from_live_site(route: Route) -> None:
        route.fulfill(response=route.fetch(url=route.request.url.replace(lan, live_site.url)))

    context.route(f"{lan}/**", from_live_site)
    page = context.new_page()
    page.goto(f"{lan}/papers/{HOSTILE_ID}")
    assert page.evaluate("window.isSecureContext") is False
    comment = page.locator(f"#c{number}")
    comment.get_by_role("button", name="Copy link").click()
    expect(comment.get_by_role("status")).to_have_text("Copied.")
    expect(comment.get_by_role("textbox", name="Link address")).to_have_count(0)  # taken away
    context.close()
    reader = browser.new_context(permissions=["clipboard-read"])  # read it back where one may
    try:
        check = reader.new_page()
        check.goto(live_site.url + "/about")
        copied = check.evaluate("navigator.clipboard.readText()")
    finally:
        reader.close()
    assert copied == f"{lan}/papers/{HOSTILE_ID}?comment={number}#c{number}"
