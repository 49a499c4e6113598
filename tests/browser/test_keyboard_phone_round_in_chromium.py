"""A researcher on a keyboard with a screen reader, then on a phone (375 px, touch, 200 % zoom,
dark, forced colours): what they met that the earlier sweeps did not reach."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from paperfeed.store.accounts import create_user
from paperfeed.store.community import add_claim, add_comment, decide_claim, find_user_id
from tests.browser.a11y_support import violations
from tests.browser.conftest import (
    LiveSite,
    answer_next_dialog,
    newest_day_path,
    sign_up,
    wait_until,
)
from tests.web_support import HOSTILE, HOSTILE_ID

pytestmark = pytest.mark.browser
# WCAG 2.2 AA (tap targets among them) and Deque's best practices, not only the default set.


def _look(button: Locator) -> str:
    """What the eye tells a button's state by: its background, text colour and weight."""
    return str(
        button.evaluate(
            "b => { const s = getComputedStyle(b);"
            " return [s.backgroundColor, s.color, s.fontWeight].join(' / '); }"
        )
    )


def _writer_comment(site: LiveSite) -> None:
    """Another reader's comment on the hostile paper, for this reader to upvote."""
    with site.engine.begin() as conn:
        writer = create_user(conn, "writer", "not a usable hash")
        add_comment(conn, HOSTILE_ID, writer.id, "Worth reading for $x^2$.", None)


def test_pressed_toggles_show_without_the_pages_colours(page: Page, live_site: LiveSite) -> None:
    """With forced colours (Windows' contrast themes) an upvoted paper, a Saved and a
    More like this looked exactly like the ones not pressed; an upvoted comment looked like one
    not upvoted in every theme."""
    url = live_site.url
    _writer_comment(live_site)
    sign_up(page, url, "presser")
    page.goto(url + f"/papers/{HOSTILE_ID}")
    upvote = page.locator(".comment form.comment-vote button")
    before = _look(upvote)
    upvote.focus()
    page.keyboard.press("Enter")
    expect(upvote).to_have_attribute("aria-pressed", "true")
    assert _look(upvote) != before  # seen, not only heard
    page.emulate_media(forced_colors="active")
    assert _look(upvote) != before

    page.emulate_media(forced_colors="none")
    page.goto(url + newest_day_path(live_site.engine))
    first, second = page.locator("article.card").nth(0), page.locator("article.card").nth(1)
    first.locator(".vote-btn").click()
    first.get_by_role("button", name="Save").click()
    first.get_by_role("button", name="More like this").click()
    for name in ("Saved", "More like this"):
        expect(first.get_by_role("button", name=name)).to_have_attribute("aria-pressed", "true")
    expect(first.locator(".vote-btn")).to_have_attribute("aria-pressed", "true")
    page.emulate_media(forced_colors="active", color_scheme="dark")
    pairs = (
        (first.locator(".vote-btn"), second.locator(".vote-btn")),
        (first.locator(".save-btn"), second.locator(".save-btn")),
        (first.locator(".rate-btn").first, second.locator(".rate-btn").first),
    )
    for pressed, plain in pairs:
        assert _look(pressed) != _look(plain), pressed


def test_a_phone_at_200_percent_zoom_and_its_taps(page: Page, live_site: LiveSite) -> None:
    """A 375 px phone zoomed to 200 % is 187 px wide: the header's search box widened every
    page sideways. The header's links and a card's Code and comment links were 19-20 px tall."""
    url = live_site.url
    day = newest_day_path(live_site.engine)
    sign_up(page, url, "zoomer")
    page.set_viewport_size({"width": 187, "height": 333})
    for path in ("/", day, f"/papers/{HOSTILE_ID}", "/search?q=diffusion", "/library"):
        page.goto(url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(url + day)
    taps = page.locator("header.top nav a, header.top .account a, header.top .account button")
    taps = taps.or_(page.locator("article.card .meta > a"))
    heights = taps.evaluate_all(
        "els => els.map(e => [e.textContent.trim(), e.getBoundingClientRect().height])"
    )
    assert len(heights) > 10
    assert [(name, h) for name, h in heights if h < 24] == []


def test_new_notifications_and_ratings_are_said(page: Page, live_site: LiveSite) -> None:
    """A new notification was marked by an amber border alone (colour only; nothing for a
    screen reader or forced colours); the model page's 👍/👎 lost their names (an aria-label on
    a plain span is not read), so a rating was read as an emoji, and the BibTeX box, a Tab
    stop, was nameless text. Checked by axe, light and
    dark, with a phone's width."""
    url = live_site.url
    sign_up(page, url, "noticed")
    with live_site.engine.begin() as conn:
        reader = find_user_id(conn, "noticed")
        assert reader is not None
        claim = add_claim(conn, reader[0], HOSTILE_ID, HOSTILE.authors[0])
        decide_claim(conn, claim, False, "no proof")
    page.goto(url + newest_day_path(live_site.engine))
    page.locator("article.card").nth(0).get_by_role("button", name="Less like this").click()
    expect(
        page.locator("article.card").nth(0).locator(".rate-btn[aria-pressed=true]")
    ).to_be_visible()
    page.goto(url + "/notifications")
    expect(page.locator("article.unseen")).to_have_count(1)
    expect(page.locator("article.unseen")).to_contain_text("New")
    found = violations(page, "notifications")
    page.goto(url + "/for-you/learned")
    expect(page.get_by_role("img", name="less like this")).to_be_visible()
    found += violations(page, "learned")
    page.goto(url + f"/papers/{HOSTILE_ID}")  # the BibTeX box, a Tab stop to scroll, by name
    expect(page.get_by_role("region", name="BibTeX")).to_contain_text("@")
    page.set_viewport_size({"width": 375, "height": 667})
    page.emulate_media(color_scheme="dark")
    for path in ("/for-you/learned", "/library/import", "/collections", "/settings/profile"):
        page.goto(url + path)
        found += violations(page, f"dark phone {path}")
    assert found == []


# Records what status lines say once the page has loaded (what a screen reader reads out): a
# status line already there when the page loads is not read out, only one that changes.
_LISTEN = """window.said = [];
document.addEventListener("DOMContentLoaded", () => {
  new MutationObserver((changes) => changes.forEach((change) => {
    const box = change.target.closest && change.target.closest("[role=status], [role=alert]");
    if (box && change.addedNodes.length) window.said.push(box.textContent.trim());
  })).observe(document.body, { childList: true, subtree: true });
});"""


def _said(page: Page, words: str) -> None:
    wait_until(page, "words => (window.said || []).some((t) => t.includes(words))", words)


def test_what_a_form_did_is_read_out(page: Page, live_site: LiveSite, tmp_path: Path) -> None:
    """A bulk change in the library, an import's report and a reset of the model came back to
    a page whose status line was there from the start, so a screen reader never read it."""
    url = live_site.url
    page.add_init_script(_LISTEN)
    sign_up(page, url, "listener")
    page.goto(url + newest_day_path(live_site.engine))
    card = page.locator("article.card").nth(0)
    card.get_by_role("button", name="Save").click()
    card.get_by_role("button", name="More like this").click()
    expect(card.get_by_role("button", name="More like this")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.goto(url + "/library")
    page.locator(".library-item input[type=checkbox]").first.check()
    page.get_by_role("button", name="Apply").click()
    _said(page, "read")

    bib = tmp_path / "mine.bib"
    bib.write_text(
        f"@misc{{h, title = {{x}}, eprint = {{{HOSTILE_ID}}}, archivePrefix = {{arXiv}}}}\n"
    )
    page.goto(url + "/library/import")
    page.get_by_label("File").set_input_files(bib)
    page.get_by_role("button", name="Import", exact=True).click()
    _said(page, "matched and saved")
    expect(page.locator(".import-report p").first).to_contain_text("matched")  # kept its lines

    page.goto(url + "/for-you/learned")
    asked: list[str] = []
    answer_next_dialog(page, True, asked)
    page.get_by_role("button", name="Reset the model").click()
    _said(page, "forgotten")
    assert asked


def test_a_refused_sign_in_is_read_out(page: Page, live_site: LiveSite) -> None:
    """A wrong password came back as a page whose alert was there from the start: a screen
    reader heard "Sign in" again and nothing of why."""
    page.add_init_script(_LISTEN)
    page.goto(live_site.url + "/signin")
    page.get_by_label("User name").fill("nobody-here")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    _said(page, "wrong user name or password")


def test_submitting_by_keyboard_keeps_the_focus(page: Page, live_site: LiveSite) -> None:
    """Submit disabled its button while arXiv was asked: the focus fell to the page's top, and
    the keyboard reader, told of an error, had to Tab back through the whole header."""
    sign_up(page, live_site.url, "keysubmitter")
    page.goto(live_site.url + "/submit")
    page.get_by_label("arXiv id or URL").fill("not an arXiv id")
    button = page.locator("form.submit-paper").get_by_role("button", name="Submit")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_be_visible()
    expect(button).to_be_focused()
