"""The first hour of a new user, in headless Chromium: every control a page offers works."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from paperfeed.models import Paper, Signals
from paperfeed.search import embed_papers
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.store.listings import latest_day
from paperfeed.web import community
from paperfeed.web.deps import Site
from tests.browser.conftest import LiveSite, mail_site, sign_up

pytestmark = pytest.mark.browser


def _search_button(page: Page) -> None:
    page.locator("form.search-form").get_by_role("button", name="Search").click()


def _filters(page: Page) -> None:
    filters = page.locator("details.filters")
    if filters.get_attribute("open") is None:
        filters.locator("summary").click()


def test_every_search_form_control_works(page: Page, live_site: LiveSite) -> None:
    with live_site.engine.connect() as conn:
        newest = latest_day(conn)
    assert newest is not None
    since, until = (newest - timedelta(days=30)).isoformat(), newest.isoformat()
    form = "form.search-form"

    def mode(p: Page) -> None:
        p.locator(form).get_by_label("Keyword").check()

    def query(p: Page) -> None:
        p.locator(form).get_by_label("Query").fill("video diffusion")

    def dates(p: Page) -> None:
        _filters(p)
        p.get_by_label("From").fill(since)
        p.get_by_label("Until").fill(until)

    def category(p: Page) -> None:
        _filters(p)
        p.get_by_label("Category").fill("cs.CV")

    def author(p: Page) -> None:
        _filters(p)
        p.get_by_label("Author").fill("Li")

    def sort(p: Page) -> None:
        _filters(p)
        p.get_by_label("Sort").select_option("date")

    controls: dict[str, tuple[Callable[[Page], None], str]] = {
        "mode": (mode, "mode=keyword"),
        "query": (query, "q=video+diffusion"),
        "dates": (dates, f"since={since}"),
        "category": (category, "category=cs.CV"),
        "author": (author, "author=Li"),
        "sort": (sort, "sort=date"),
    }
    for name, (use, expected) in controls.items():
        page.goto(live_site.url + "/search?q=diffusion")
        use(page)
        _search_button(page)
        expect(page).to_have_url(re.compile(re.escape(expected)))
        expect(page.locator("h1"), name).to_have_text("Search")
        expect(page.locator("article.card").first, name).to_be_visible()

    # All at once, then a mistyped date gets a plain answer, not a crash.
    page.goto(live_site.url + "/search?q=diffusion")
    for use, _ in controls.values():
        use(page)
    _search_button(page)
    expect(page.locator("p.sub")).to_contain_text("video diffusion")
    page.goto(live_site.url + "/search?q=diffusion&since=yesterday")
    expect(page.locator("main")).to_contain_text("give a date as YYYY-MM-DD")


def _card_ids(page: Page) -> list[str]:
    return page.locator("article.card").evaluate_all("cards => cards.map(c => c.dataset.id)")


def test_upvote_in_place_and_after_signing_in(page: Page, live_site: LiveSite) -> None:
    with live_site.engine.connect() as conn:
        newest = latest_day(conn)
    listing = f"{live_site.url}/papers/date/{newest}"
    page.set_viewport_size({"width": 1280, "height": 700})
    page.goto(listing)
    order = _card_ids(page)
    target = order[len(order) // 2]  # far enough down that a reload would jump
    card = page.locator(f'article.card[data-id="{target}"]')
    button = card.locator("form.vote button")
    before = int(button.locator(".count").inner_text())

    # A visitor is told why, in place; signing up from there counts the vote.
    card.scroll_into_view_if_needed()
    page.evaluate("window.stayed = true")
    button.click()
    note = card.locator(".vote-note")
    expect(note).to_contain_text("to upvote")
    assert page.evaluate("window.stayed === true")  # no navigation
    note.get_by_role("link", name="create an account").click()
    expect(page.locator("main")).to_contain_text("Sign in to upvote")
    page.get_by_label("User name").fill("voter")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(f"{listing}#card-{target}")  # back at the card upvoted
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button.locator(".count")).to_have_text(str(before + 1))

    # Signed in: voting changes the count where the reader is, with no reload or re-sorting.
    order = _card_ids(page)
    other = page.locator(f'article.card[data-id="{order[-1]}"] form.vote button')
    count = int(other.locator(".count").inner_text())
    other.scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    page.evaluate("window.stayed = true")
    other.click()
    expect(other).to_have_attribute("aria-pressed", "true")
    expect(other.locator(".count")).to_have_text(str(count + 1))
    assert page.evaluate("window.stayed === true") and page.evaluate("window.scrollY") == scrolled
    assert _card_ids(page) == order
    other.click()  # and undone in place
    expect(other).to_have_attribute("aria-pressed", "false")
    expect(other.locator(".count")).to_have_text(str(count))
    page.reload()  # the server agrees
    expect(page.locator(f'article.card[data-id="{order[-1]}"] .count')).to_have_text(str(count))


def test_upvote_form_works_without_javascript(live_site: LiveSite, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_site.url + "/trending")
    target = _card_ids(page)[0]
    button = page.locator(f'article.card[data-id="{target}"] form.vote button')
    before = int(button.locator(".count").inner_text())
    button.click()
    expect(page.locator("main")).to_contain_text("Sign in to upvote")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("User name").fill("plain")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(f"{live_site.url}/trending#card-{target}")  # at the card upvoted
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button.locator(".count")).to_have_text(str(before + 1))
    page.get_by_role("link", name="plain").click()  # the name in the header: the profile
    expect(page.locator("h1")).to_have_text("plain")
    page.get_by_role("link", name="Account").click()
    expect(page.locator("h1")).to_have_text("Your account")
    context.close()


def test_submitting_shows_progress_and_plain_errors(
    page: Page, live_site: LiveSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    real_fetch = community._fetch

    def slow_fetch(site: Site, pid: str) -> Paper:
        release.wait(timeout=60)
        raise community.SubmitError(502, community.UNREACHABLE)

    monkeypatch.setattr(community, "utcnow", lambda: datetime(2016, 6, 2, 9))
    monkeypatch.setattr(community, "_fetch", slow_fetch)
    page.goto(live_site.url + "/signup?next=/submit")
    page.get_by_label("User name").fill("sharer")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("button", name="Sign up").click()
    page.get_by_label("arXiv id or URL").fill("1605.08386")
    page.locator("form.submit-paper button").click()  # the server holds its answer meanwhile
    expect(page.locator("form.submit-paper button")).to_be_disabled()
    progress = page.locator("form.submit-paper .progress")
    expect(progress).to_contain_text("Fetching the paper from arXiv")
    release.set()
    expect(page.get_by_role("alert")).to_have_text(
        "arXiv can't be reached from this server right now. Please try again in a few minutes."
    )
    expect(page.locator("form.submit-paper button")).to_be_enabled()

    # An old paper gets a clear answer, and stays where it was.
    monkeypatch.setattr(community, "_fetch", real_fetch)
    monkeypatch.setattr(community, "utcnow", lambda: datetime(2026, 12, 1, 9))
    page.get_by_label("arXiv id or URL").fill("https://arxiv.org/abs/1605.08386")
    page.locator("form.submit-paper button").click()
    expect(page.get_by_role("alert")).to_contain_text("appeared on arXiv in May 2016")
    expect(page.get_by_role("alert")).to_contain_text("only papers from the last 14 days")


MATH_PAPERS = (
    Paper(
        id="2606.99001",
        title=r"Magic state distillation for $CCZ$ gates with \(T\)-count bounds",
        abstract=(
            r"We distill $CCZ$ magic states for fault-tolerant quantum computation. The output "
            r"fidelity obeys \begin{equation*} F = 1 - O(\epsilon^2) \end{equation*} for input "
            r"error $\epsilon$, and magic state distillation needs few \(T\) gates."
        ),
        authors=("Quinn Qubit",),
        categories=("quant-ph",),
        version=1,
        source="test",
    ),
    Paper(
        id="2606.99002",
        title=r"Cheaper $CCZ$ magic state distillation",
        abstract=(
            r"We distill $CCZ$ magic states for fault-tolerant quantum computation with fewer "
            r"$T$ gates; magic state distillation of $CCZ$ states at output error $\epsilon^2$."
        ),
        authors=("Rita Register",),
        categories=("quant-ph",),
        version=1,
        source="test",
    ),
)


def test_math_is_typeset_wherever_a_title_or_abstract_shows(
    page: Page, live_site: LiveSite
) -> None:
    with live_site.engine.connect() as conn:
        newest = latest_day(conn)
    top = Signals(upvotes=900)  # first on the day's page
    made = [replace(p, listing_date=newest, signals=top) for p in MATH_PAPERS]
    with live_site.engine.begin() as conn:
        upsert_papers(conn, made)
    embed_papers(live_site.settings, live_site.engine)  # before the site's search first loads
    first = f'article.card[data-id="{made[0].id}"]'

    page.goto(f"{live_site.url}/papers/date/{newest}")  # cards
    expect(page.locator(f"{first} h3 .katex").first).to_be_visible()
    expect(page.locator(f"{first} .abstract .katex").first).to_be_visible()
    expect(page.locator(f"{first} h3")).not_to_contain_text("$CCZ$")

    page.goto(f"{live_site.url}/search?q=magic+state+distillation&mode=keyword")  # results
    expect(page.locator(f"{first} h3 .katex").first).to_be_visible()
    expect(page.locator(f"{first} .snippet .katex").first).to_be_visible()
    expect(page.locator(f"{first} .snippet")).not_to_contain_text("$CCZ$")

    page.goto(f"{live_site.url}/papers/{made[0].id}")  # the paper, its equation* and similar
    expect(page.locator("h1 .katex").first).to_be_visible()
    expect(page.locator(".abstract .katex-display").first).to_be_visible()
    similar = page.locator(".similar li", has_text="Cheaper")
    expect(similar.locator(".katex").first).to_be_visible()
    expect(page.locator(".similar")).not_to_contain_text("$CCZ$")


def test_a_preferences_error_keeps_what_was_typed(
    sqlite_settings: Settings, demo_settings: Settings, page: Page
) -> None:
    with mail_site(sqlite_settings, demo_settings, "c") as site:
        site.subscribe(page, "typist@example.org")
        page.click("text=Change what you get")

        typed = {
            "input[name=categories]": "cs.CL, cs.LGG",
            "textarea[name=keywords]": "speech recognition\ndiffusion",
            "textarea[name=searches]": "robots that learn from video",
            "textarea[name=seeds]": "2106.09685",
            "input[name=timezone]": "Mars/Olympus_Mons",
        }
        for selector, value in typed.items():
            page.fill(selector, value)
        page.select_option("select[name=frequency]", "weekly")
        page.click("form.digest-prefs button[type=submit]")
        expect(page.get_by_role("alert")).to_contain_text("unknown time zone")
        for selector, value in typed.items():
            expect(page.locator(selector)).to_have_value(value)
        expect(page.locator("select[name=frequency]")).to_have_value("weekly")

        page.fill("input[name=timezone]", "Europe/Berlin")
        page.click("form.digest-prefs button[type=submit]")
        expect(page.get_by_role("alert")).to_contain_text("Did you mean cs.LG?")
        expect(page.locator("textarea[name=keywords]")).to_have_value(
            typed["textarea[name=keywords]"]
        )
        expect(page.locator("input[name=timezone]")).to_have_value("Europe/Berlin")

        page.fill("input[name=categories]", "cs.CL, cs.LG")
        page.click("form.digest-prefs button[type=submit]")
        expect(page.get_by_role("status")).to_contain_text("Saved")
        expect(page.locator("input[name=categories]")).to_have_value("cs.CL, cs.LG")


def test_a_profile_link_refused_keeps_what_was_typed(page: Page, live_site: LiveSite) -> None:
    sign_up(page, live_site.url, "typist")
    page.goto(live_site.url + "/settings/profile")
    page.get_by_label("Affiliation").fill("Analytical Engines")
    page.get_by_label("About you").fill("Notes on $x^2$ and <b>engines</b>")
    page.get_by_label("Links (http or https, one per line, up to five)").fill(
        "javascript:alert(1)\nhttps://example.org/me"
    )
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("alert")).to_contain_text("Not an http(s) address: javascript:alert(1)")
    expect(page.get_by_label("Affiliation")).to_have_value("Analytical Engines")
    expect(page.get_by_label("About you")).to_have_value("Notes on $x^2$ and <b>engines</b>")
    links = page.get_by_label("Links (http or https, one per line, up to five)")
    links.fill("https://example.org/me")
    page.get_by_role("button", name="Save profile").click()
    expect(page).to_have_url(re.compile(r"/users/typist$"))
    expect(page.locator("main")).to_contain_text("Analytical Engines")


def test_a_pasted_abstract_and_bare_punctuation_in_the_search_form(
    page: Page, live_site: LiveSite
) -> None:
    page.goto(live_site.url + "/search")
    box = page.locator("form.search-form").get_by_label("Query")
    box.fill("We study video diffusion models for robots. " * 30)  # ~1,300 characters
    _search_button(page)
    expect(page.get_by_role("status").first).to_contain_text("first 500 characters were searched")
    expect(page.locator("article.card").first).to_be_visible()
    assert len(box.input_value()) <= 500
    box.fill("(((")
    _search_button(page)
    expect(page.get_by_role("status").first).to_contain_text("has no words to search for")
    expect(page.locator("article.card")).to_have_count(0)


def test_the_keyboard_stays_on_a_toggle_after_pressing_it(page: Page, live_site: LiveSite) -> None:
    """▲, Save and 👍 disabled themselves during the request, and a disabled button drops the
    focus: Enter again did nothing until the reader tabbed back. Focus now stays, and a second
    Enter undoes the first."""
    url = live_site.url
    sign_up(page, url, "keyboarder")
    page.goto(f"{url}/papers/date/2026-06-25")
    card = page.locator("article.card").first
    for selector in (
        "form.vote button",
        "form[data-field=saved] button",
        "form[data-field=rating] button",
    ):
        button = card.locator(selector).first
        button.focus()
        page.keyboard.press("Enter")
        expect(button).to_have_attribute("aria-pressed", "true")
        assert button.evaluate("b => document.activeElement === b"), selector
        page.keyboard.press("Enter")
        expect(button).to_have_attribute("aria-pressed", "false")
        assert button.evaluate("b => document.activeElement === b"), selector
