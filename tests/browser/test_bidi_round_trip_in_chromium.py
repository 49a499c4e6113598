"""A comment with a right-to-left override, edited in real headless Chromium and saved
without a change, keeps its text: the page once added a U+202C to the edit box at each save."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from paperfeed.store.community import comments
from tests.browser.conftest import LiveSite, sign_up
from tests.web_support import HOSTILE_ID

pytestmark = pytest.mark.browser

TYPED = "The bound \u202eholds for n > 2"  # U+202E: right-to-left override


def test_saving_an_unchanged_comment_keeps_its_text(page: Page, live_site: LiveSite) -> None:
    sign_up(page, live_site.url, "rtl_reader")
    page.goto(f"{live_site.url}/papers/{HOSTILE_ID}")
    page.get_by_label("Add a comment").fill(TYPED)
    page.get_by_role("button", name="Post comment").click()
    comment = page.locator("article.comment", has_text="holds for n > 2")
    expect(comment).to_have_count(1)
    for _ in range(2):  # open Edit, press Save without touching the text
        comment.locator("summary", has_text="Edit").click()
        box = comment.get_by_label("Edit comment")
        assert box.input_value() == TYPED
        comment.get_by_role("button", name="Save").click()
        expect(comment).to_have_count(1)
    with live_site.engine.connect() as conn:
        [body] = conn.scalars(select(comments.c.body).where(comments.c.paper_id == HOSTILE_ID))
    assert body == TYPED
    expect(comment).not_to_contain_text("edited")  # nothing changed: not marked edited
