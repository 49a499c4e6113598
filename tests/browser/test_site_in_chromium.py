"""A reader's path through the site in real headless Chromium, with the README's screenshots."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Page, Route, ViewportSize, expect
from sqlalchemy import select

from paperfeed.models import Paper
from paperfeed.store import get_paper, get_papers
from paperfeed.store.listings import latest_day
from paperfeed.store.tables import papers
from paperfeed.web import community
from paperfeed.web.periods import day_period
from tests.browser.conftest import LiveSite, sign_up
from tests.web_support import HOSTILE, HOSTILE_ID

pytestmark = pytest.mark.browser
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def _newest_with_math(site: LiveSite) -> Paper:
    with site.engine.connect() as conn:
        day = latest_day(conn)
        ids = list(conn.scalars(select(papers.c.id).where(papers.c.listing_date == day)))
        found = get_papers(conn, ids)
    with_math = [p for p in found.values() if re.search(r"\$[^$]+\$", p.abstract)]
    return max(with_math, key=lambda p: (p.abstract.count("$"), p.id))  # the most math to show


def _no_dialogs(page: Page) -> list[str]:
    seen: list[str] = []

    def record(dialog: Dialog) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return seen


def test_read_sign_up_upvote_search_and_submit(
    page: Page, live_site: LiveSite, screenshots: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(community, "utcnow", lambda: datetime(2016, 6, 2, 9))  # 1605.08386 is new
    url = live_site.url
    dialogs = _no_dialogs(page)
    page.set_viewport_size(DESKTOP)

    # The home page: the newest day of real papers.
    page.goto(url + "/")
    with live_site.engine.connect() as conn:
        newest = latest_day(conn)
    assert newest is not None
    expect(page.locator("h1")).to_have_text(day_period(newest).heading)
    expect(page.locator("article.card").first).to_be_visible()
    page.screenshot(path=str(screenshots / "home.png"))

    # Open a paper from its card; its LaTeX is typeset by the bundled KaTeX.
    first = page.locator("article.card h3 a").first
    title = first.inner_text()
    first.click()
    expect(page.locator("h1")).to_have_text(title)
    paper = _newest_with_math(live_site)
    page.goto(f"{url}/papers/{paper.id}")
    expect(page.locator(".abstract .katex").first).to_be_visible()
    page.screenshot(path=str(screenshots / "paper.png"))

    # Upvoting asks a visitor to sign up, then brings them back to the paper, vote counted.
    vote = page.locator("form.vote button")
    before = int(vote.locator(".count").inner_text())
    vote.click()
    page.get_by_role("alert").get_by_role("link", name="create an account").click()
    page.get_by_label("User name").fill("reader")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(f"{url}/papers/{paper.id}")
    expect(page.locator("form.vote button")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("form.vote .count")).to_have_text(str(before + 1))

    # Search from the header box and find the paper by its title.
    page.get_by_label("Search papers").fill(paper.title)
    page.get_by_label("Search papers").press("Enter")
    expect(page.locator("article.card").first).to_be_visible()
    expect(page.locator(f'article.card[data-id="{paper.id}"]')).to_be_visible()
    assert page.locator("article.card mark").count() > 0
    page.get_by_label("Search papers").fill("video diffusion models")
    page.get_by_label("Search papers").press("Enter")
    expect(page.locator("article.card mark").first).to_be_visible()
    page.screenshot(path=str(screenshots / "search.png"))

    # Submit a paper by arXiv URL: fetched from (a replay of) the arXiv API, listed on its day.
    page.get_by_role("link", name="Submit").click()
    page.get_by_label("arXiv id or URL").fill("https://arxiv.org/abs/1605.08386")
    page.get_by_role("button", name="Submit").click()
    expect(page).to_have_url(f"{url}/papers/1605.08386")
    expect(page.locator("p.credit")).to_contain_text("Submitted by reader")
    with live_site.engine.connect() as conn:
        submitted = get_paper(conn, "1605.08386")
    assert submitted is not None and submitted.listing_date == date(2016, 5, 26)
    page.goto(f"{url}/papers/date/2016-05-26")
    card = page.locator('article.card[data-id="1605.08386"]')
    expect(card.locator("h3")).to_have_text(re.sub(r"\s+", " ", submitted.title))
    expect(card).to_contain_text("submitted by reader")
    assert dialogs == []


def test_hostile_text_stays_inert(page: Page, live_site: LiveSite) -> None:
    dialogs = _no_dialogs(page)
    page.goto(f"{live_site.url}/papers/{HOSTILE_ID}")
    expect(page.locator("h1")).to_contain_text("<script>alert('title')</script>")
    page.goto(f"{live_site.url}/papers/date/{HOSTILE.listing_date}")
    expect(page.locator(f'article.card[data-id="{HOSTILE_ID}"]')).to_be_visible()
    page.wait_for_load_state("load")
    assert dialogs == []
    assert page.evaluate("document.querySelectorAll('main img').length") == 0


def test_pages_fit_a_phone(page: Page, live_site: LiveSite) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/", "/trending", "/search?q=diffusion", f"/papers/{HOSTILE_ID}"):
        page.goto(live_site.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, path


# Controls that must read on one line: the menu, For you's windows, search's modes, the pager.
_ONE_LINE = (
    "header.top nav a, nav.days a, fieldset.modes legend, fieldset.modes label, nav.pager > *"
)


def test_a_signed_in_readers_pages_fit_a_phone(page: Page, live_site: LiveSite) -> None:
    """Signed in, the menu has more links (For you, Library, Discussions): every one stays on
    the screen and on one line, and so do For you's windows and the search form's modes."""
    page.set_viewport_size({"width": 390, "height": 844})
    sign_up(page, live_site.url, "phone")
    # A long collection name is an option of For you's "Rank by" menu.
    page.goto(live_site.url + "/library")
    form = page.get_by_role("form", name="New collection")
    form.get_by_label("Name").fill("Efficient attention for long-context language models " * 3)
    form.get_by_role("button", name="New collection").click()
    paths = ("/", "/for-you", "/library", "/search?q=diffusion", f"/papers/{HOSTILE_ID}")
    for path in paths:
        page.goto(live_site.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, path
        menu = page.locator("header.top nav a")
        expect(menu.filter(has_text="Discussions")).to_have_count(1)
        broken = page.evaluate(
            """(sel) => [...document.querySelectorAll(sel)].filter((el) => {
                 const r = el.getBoundingClientRect();
                 const line = parseFloat(getComputedStyle(el).lineHeight) || 24;
                 return r.right > window.innerWidth + 0.5 || r.left < -0.5 || r.height > 1.6 * line;
               }).map((el) => el.textContent.trim())""",
            _ONE_LINE,
        )
        assert broken == [], (path, broken)
    page.goto(live_site.url + "/for-you")
    expect(page.locator("nav.days a")).to_have_count(4)
    page.goto(live_site.url + "/search?q=learning&mode=keyword&page=2")  # both pager links
    expect(page.locator("nav.pager a")).to_have_count(2)
    pager = page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)].filter((el) => {
             const line = parseFloat(getComputedStyle(el).lineHeight) || 24;
             return el.getBoundingClientRect().height > 1.6 * line;
           }).map((el) => el.textContent.trim())""",
        "nav.pager > *",
    )
    assert pager == []


def test_pages_work_without_javascript(live_site: LiveSite, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_site.url + "/")
    page.locator("article.card h3 a").first.click()
    expect(page.get_by_role("heading", name="Abstract")).to_be_visible()
    page.get_by_label("Search papers").fill("graph neural network")
    page.get_by_label("Search papers").press("Enter")
    expect(page.locator("article.card").first).to_be_visible()
    context.close()


def test_the_copy_bibtex_button_puts_the_entry_on_the_clipboard(
    live_site: LiveSite,
    browser,  # type: ignore[no-untyped-def]
) -> None:
    """With JavaScript, Cite has a Copy button; without it the button is not shown (the box's
    text can still be selected)."""
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(f"{live_site.url}/papers/{HOSTILE_ID}")
    page.get_by_role("link", name="Cite").click()
    page.get_by_role("button", name="Copy BibTeX").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#bibtex").text_content()
    assert copied.startswith("@misc{") and f"eprint        = {{{HOSTILE_ID}}}" in copied
    expect(page.get_by_role("button", name="Copy BibTeX")).to_be_visible(timeout=5000)  # resets
    context.close()
    plain = browser.new_context(java_script_enabled=False)
    page = plain.new_page()
    page.goto(f"{live_site.url}/papers/{HOSTILE_ID}")
    expect(page.locator("#bibtex")).to_be_visible()
    expect(page.locator("button[data-copy]:visible")).to_have_count(0)  # Cite has two
    plain.close()


def test_copy_bibtex_works_on_a_plain_http_address(
    live_site: LiveSite,
    browser,  # type: ignore[no-untyped-def]
) -> None:
    """A site served on the lab's network (http://<host>, not this machine and not https) is no
    secure context: the clipboard API is missing there, and Copy falls back to selecting the
    text and copying it the older way. The address is routed to the live site."""
    port = live_site.url.rsplit(":", 1)[1]
    lan = f"http://paperfeed.lan:{port}"
    context = browser.new_context()

    def from_live_site(route: Route) -> None:
        route.fulfill(response=route.fetch(url=route.request.url.replace(lan, live_site.url)))

    context.route(f"{lan}/**", from_live_site)
    page = context.new_page()
    page.goto(f"{lan}/papers/{HOSTILE_ID}")
    assert page.evaluate("window.isSecureContext") is False
    assert page.evaluate("navigator.clipboard === undefined")
    page.get_by_role("link", name="Cite").click()
    page.get_by_role("button", name="Copy BibTeX").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    expected = page.locator("#bibtex").text_content()
    selected = page.evaluate("window.getSelection().toString()")
    assert expected and selected.strip() == expected.strip()  # selected for the user to see
    context.close()
    reader = browser.new_context(permissions=["clipboard-read"])  # read it back where one may
    try:
        check = reader.new_page()
        check.goto(live_site.url + "/about")
        copied = check.evaluate("navigator.clipboard.readText()")
        assert copied.strip() == expected.strip() and copied.startswith("@misc{")
    finally:
        reader.close()
