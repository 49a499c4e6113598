"""Today's new controls for a reader on a keyboard with a screen reader, on a 375 px phone at
200 % zoom and with forced colours, in Chromium: the Cite box's text reference, a comment's
Link, a shared collection's Follow, notes and link to share, the Hub counts' section, the
version notice, the password and email forms, and /admin's Add accounts."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, cast

import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect

from paperfeed.store.accounts import create_user, set_admin
from paperfeed.store.community import add_comment, find_user_id
from paperfeed.store.enrichment import save_artifacts
from paperfeed.store.library import Collection, add_to_collection, ensure_collection
from paperfeed.store.listings import latest_day
from paperfeed.store.password_links import create_link
from paperfeed.store.shared_lists import set_item_note
from tests.browser.a11y_support import violations
from tests.browser.conftest import LiveSite, sign_up
from tests.web_support import HOSTILE_ID, on_day

pytestmark = pytest.mark.browser
# WCAG 2.2 AA (tap targets among them) and Deque's best practices, not only the default set.
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE_ZOOMED: ViewportSize = {"width": 187, "height": 370}  # a 375 px phone at 200 % zoom


def _sideways(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def _hub_paper(site: LiveSite) -> str:
    """A paper of the newest day with models and a dataset on the Hub (its cards link them)."""
    with site.engine.connect() as conn:
        newest = latest_day(conn)
    assert newest is not None
    pid = sorted(on_day(site.engine, newest))[0]
    with site.engine.begin() as conn:
        save_artifacts(conn, pid, "model", [("example/small", 1, 1), ("example/large", 2, 2)])
        save_artifacts(conn, pid, "dataset", [("example/bench", None, None)])
    return pid


def _shared_list(site: LiveSite, owner: str, pid: str) -> Collection:
    """The owner's unlisted collection holding the paper, with a public note on it."""
    with site.engine.begin() as conn:
        found = find_user_id(conn, owner)
        assert found is not None
        made = ensure_collection(conn, found[0], "Reading group", visibility="unlisted")
        add_to_collection(conn, made.id, pid)
        set_item_note(conn, made.id, pid, "Read on **12 Dec**, led by Ana")
    return made


def _on_phone(page: Page, url: str) -> int:
    page.set_viewport_size(PHONE_ZOOMED)
    page.goto(url)
    page.wait_for_selector("html.math-ready", state="attached")  # maths typeset, if any
    sideways = _sideways(page)
    page.set_viewport_size(DESKTOP)
    return sideways


def test_todays_pages_pass_axe_and_fit_a_zoomed_phone(page: Page, live_site: LiveSite) -> None:
    """At 200 % zoom on a 375 px phone a paper with models on the Hub scrolled sideways by
    25 px (its 'Code, models and data' terms kept their whole width), a shared collection's
    page by 21 px (the link to share was at least 192 px wide) and /admin, where 'Add accounts'
    is, by 181 px (the tables' screen-reader-only headers escaped their scrolling box). None
    does now; every page with today's controls passes axe, light and dark."""
    url = live_site.url
    pid = _hub_paper(live_site)
    signed_out = (f"/papers/{pid}", f"/papers/{pid}?v=1", "/signin", "/signin/forgot", "/signup")
    assert {path: _on_phone(page, url + path) for path in signed_out[:2]} == {
        f"/papers/{pid}": 0,
        f"/papers/{pid}?v=1": 0,
    }
    found: list[str] = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=cast(Any, scheme))
        for path in signed_out:
            page.goto(url + path)
            page.wait_for_selector("html.math-ready", state="attached")
            found += violations(page, f"{scheme} {path}")
    page.emulate_media(color_scheme="light")

    sign_up(page, url, "organiser")
    with live_site.engine.begin() as conn:
        set_admin(conn, "organiser", True)
    shared = _shared_list(live_site, "organiser", pid)
    mine = f"/c/{shared.share_key}"
    assert {path: _on_phone(page, url + path) for path in (mine, "/admin")} == {
        mine: 0,
        "/admin": 0,
    }
    page.goto(url + mine)
    page.locator(".list-note-edit summary").first.click()  # the note's edit form, opened
    expect(page.get_by_label("Link to share")).to_have_value(f"{url}{mine}")
    found += violations(page, "own collection, note form open")
    page.goto(url + "/admin")
    page.locator("#add-accounts + form textarea").fill("ada,ada@lab.example.edu\nno comma here")
    page.get_by_role("button", name="Add accounts").click()
    expect(page.get_by_role("status")).to_contain_text("No account was made")
    found += violations(page, "Add accounts, a line refused")
    page.set_viewport_size(PHONE_ZOOMED)
    assert _sideways(page) <= 0
    assert found == []


def _focused_said(page: Page, button: Locator, said: str) -> None:
    expect(button).to_be_focused()  # in place: the focus stays on the toggle
    expect(page.get_by_role("status").filter(has_text=said)).to_have_count(1)


def test_following_a_shared_collection_is_said(browser: Browser, live_site: LiveSite) -> None:
    """Follow toggled in place and the page's follower count changed, but a screen reader
    heard nothing of either (a focused button's new words are not read out, the count was
    plain text). A status line now says 'You follow this collection: 1 follower.' and,
    pressed again, 'You no longer follow this collection: 0 followers.'"""
    url = live_site.url
    with live_site.engine.begin() as conn:
        create_user(conn, "organiser", "not a usable hash")
    shared = _shared_list(live_site, "organiser", HOSTILE_ID)
    page = browser.new_context().new_page()
    sign_up(page, url, "member")
    page.goto(f"{url}/c/{shared.share_key}")
    follow = page.locator("form.follow-list button")
    expect(follow).to_have_attribute("aria-pressed", "false")
    follow.focus()
    page.keyboard.press("Enter")
    expect(follow).to_have_attribute("aria-pressed", "true")
    expect(follow).to_have_accessible_name("Following")
    _focused_said(page, follow, "You follow this collection: 1 follower.")
    assert violations(page, "followed") == []
    page.keyboard.press("Space")
    expect(follow).to_have_attribute("aria-pressed", "false")
    _focused_said(page, follow, "You no longer follow this collection: 0 followers.")
    page.emulate_media(forced_colors="active")  # its edge still shows without the page's colours
    assert follow.evaluate("b => getComputedStyle(b).borderTopStyle") != "none"
    page.context.close()


def _refused(field: Locator, error: str, autocomplete: str) -> None:
    """The field is marked invalid and a screen reader hears why on reaching it."""
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(error)
    expect(field).to_have_attribute("autocomplete", autocomplete)


def test_a_refused_address_or_password_is_tied_to_its_field(
    page: Page, live_site: LiveSite
) -> None:
    """'Forgot your password?', the set-password page, /account's 'Email address' and sign-up's
    email said what was wrong at the top of the form only: a screen-reader user tabbing to the
    field heard nothing of it, and the field was not marked invalid. Each field now is, and
    names the message as its description."""
    url = live_site.url
    bad = "'ann@lab' is not a valid email address (like name@example.org)."
    page.goto(url + "/signin")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email address").fill("ann@lab")  # the browser lets it through
    page.get_by_role("button", name="Mail me a link").click()
    _refused(page.get_by_label("Email address"), bad, "email")

    page.goto(url + "/signup")
    page.get_by_label("User name").fill("newcomer")
    page.get_by_label("Password").fill("a long password")
    page.get_by_label("Email address (optional)").fill("ann@lab")
    page.get_by_role("button", name="Sign up").click()
    email = page.get_by_label("Email address (optional)")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(f"{bad} " + _text(page, "#email-rule"))
    expect(page.get_by_label("User name")).not_to_have_attribute("aria-invalid", "true")

    sign_up(page, url, "reader")
    page.goto(url + "/account#email")
    form = page.locator("form[action='/account/email']")
    form.get_by_label("Address").fill("ann@lab")
    form.get_by_label("Your password").fill("a long password")
    form.get_by_role("button", name="Mail me a link to confirm it").click()
    _refused(form.get_by_label("Address"), bad, "email")
    expect(form.get_by_label("Your password")).not_to_have_attribute("aria-invalid", "true")
    form.get_by_label("Address").fill("ann@lab.example.edu")
    form.get_by_label("Your password").fill("not my password")
    form.get_by_role("button", name="Mail me a link to confirm it").click()
    expect(page.locator("#email-problem")).not_to_have_text(bad)  # the next page's message
    wrong = _said(page, "#email-problem")
    _refused(form.get_by_label("Your password"), wrong, "current-password")
    expect(form.get_by_label("Address")).not_to_have_attribute("aria-invalid", "true")

    with live_site.engine.begin() as conn:
        found = find_user_id(conn, "reader")
        assert found is not None
        token = create_link(conn, found[0], "reset", timedelta(hours=1))
    page.context.clear_cookies()
    page.goto(f"{url}/password/set?token={token}")
    page.get_by_label("New password").fill("reader")  # long enough for the browser, too easy
    page.get_by_label("New password").evaluate("e => e.removeAttribute('minlength')")
    page.get_by_role("button", name="Set password and sign in").click()
    problem = _said(page, "#password-problem")
    _refused(
        page.get_by_label("New password"),
        f"{problem} " + _text(page, "#password-rule"),
        "new-password",
    )
    assert violations(page, "set password refused") == []


def _text(page: Page, selector: str) -> str:
    return page.locator(selector).inner_text().strip()


def _said(page: Page, selector: str) -> str:
    """An alert's words once site.js has written them again (it empties the alert for 100 ms
    so that screen readers read it out; read in that gap, the words were '')."""
    expect(page.locator(selector)).to_have_text(re.compile(r"\S"))
    return page.locator(selector).inner_text()


def test_a_comments_link_is_a_24_px_target(page: Page, live_site: LiveSite) -> None:
    """On a 375 px phone a comment's new 'Link' was 21.6 px tall beside 24 px 'Copy link' and
    upvote buttons; it is 24 px now, reached by Tab with its focus shown, and named for the
    comment it links. The comment's formula, with KaTeX now fetched only for such a page, is
    still typeset with its MathML for screen readers."""
    with live_site.engine.begin() as conn:
        writer = create_user(conn, "writer", "not a usable hash")
        add_comment(conn, HOSTILE_ID, writer.id, "Worth reading for $x^2$.", None)
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_site.url}/papers/{HOSTILE_ID}")
    page.wait_for_selector("html.math-ready", state="attached")  # KaTeX, fetched on demand
    expect(page.locator(".comment .katex math")).to_have_count(1)  # typeset, and read as maths
    link = page.get_by_role("link", name="Link to writer's comment")
    copy = page.get_by_role("button", name="Copy link")
    for target in (link, copy):
        box = target.bounding_box()
        assert box is not None and box["height"] >= 24 and box["width"] >= 24, box
    link.focus()
    page.keyboard.press("Tab")
    expect(copy).to_be_focused()
    ring = copy.evaluate("b => getComputedStyle(b).outlineStyle")
    assert ring != "none"
