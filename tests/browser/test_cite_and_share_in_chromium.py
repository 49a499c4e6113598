"""A librarian copies a paper's text reference and a journalist a comment's link, with the keys
as with the mouse, in Chromium."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.conftest import LiveSite, sign_up
from tests.web_support import HOSTILE_ID


def test_the_cite_box_copies_a_text_reference_from_the_keyboard(
    live_site: LiveSite,
    browser: Browser,
) -> None:
    """Cite offered BibTeX only; a reference as text (APA) is what an article or a reading list
    takes. Its Copy button is reached and pressed with the keys, and says so to a screen reader;
    the hostile title is copied as the text it is."""
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(f"{live_site.url}/papers/{HOSTILE_ID}")
    page.get_by_role("link", name="Cite").click()
    reference = page.locator("#cite-apa")
    expect(reference).to_contain_text("Attention <script>alert('title')</script> Is Not Enough")
    assert reference.locator("*").count() == 0  # text only: no element came out of the title
    copy = page.get_by_role("button", name="Copy citation")
    copy.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Copied.")).to_have_count(1)
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == reference.text_content()
    assert copied.startswith("O'Hara, M., & <b>Bold</b>, E. (2026). Attention <script>")
    assert copied.endswith(
        f"(arXiv:{HOSTILE_ID}). arXiv. https://doi.org/10.48550/arXiv.{HOSTILE_ID}"
    )
    context.close()


def test_a_comments_copy_link_gives_an_address_that_opens_at_the_comment(
    live_site: LiveSite,
    browser: Browser,
) -> None:
    """A comment had an anchor but no link to it: a reader could not share one. Its "Link" and
    "Copy link" give its whole address, which opens the paper's page at the comment."""
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    sign_up(page, live_site.url, "journalist")
    page.goto(f"{live_site.url}/papers/{HOSTILE_ID}")
    page.locator("#comment-body").fill("A quotable remark.")
    page.get_by_role("button", name="Post comment").click()
    comment = page.locator("article.comment", has_text="A quotable remark.")
    expect(comment).to_be_visible()
    link = comment.get_by_role("link", name="Link to journalist's comment")
    href = link.get_attribute("href") or ""
    number = href.rsplit("#c", 1)[1]
    comment.get_by_role("button", name="Copy link").click()
    expect(comment.get_by_role("status")).to_have_text("Copied.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{live_site.url}/papers/{HOSTILE_ID}?comment={number}#c{number}"
    reader = browser.new_context()  # someone the link was sent to, not signed in
    shared = reader.new_page()
    shared.goto(copied)
    expect(shared.locator(f"#c{number}")).to_be_in_viewport()
    expect(shared.locator(f"#c{number}")).to_contain_text("A quotable remark.")
    reader.close()
    context.close()
