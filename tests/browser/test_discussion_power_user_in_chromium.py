"""A daily discussant's comments on a phone, and links into a long discussion, in Chromium."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from paperfeed.store.accounts import users
from paperfeed.store.community import add_comment, comments
from paperfeed.util import utcnow
from paperfeed.web.discussion import THREADS_PER_PAGE
from tests.browser.conftest import LiveSite, sign_up, wait_until
from tests.web_support import HOSTILE_ID

pytestmark = pytest.mark.browser

CODE = "```\n" + "total = '$5' + r'\\alpha' " * 12 + "\n```"
TABLE = "| method | top-1 accuracy on the held-out set | params |\n|---|---|---|\n" + (
    "| $\\alpha+\\beta+\\gamma$ | 0.91 | 7B |"
)
ALIGN = r"We get \begin{align} a &= b + c \\ d &= e + f \end{align} as claimed."
ARABIC = "شكرا على هذه الورقة الرائعة! @reader1"


def _comments(live_site: LiveSite, name: str, bodies: list[str]) -> list[int]:
    """Comments of the month-old account `name` on the hostile paper, written two days ago."""
    with live_site.engine.begin() as conn:
        month_ago = utcnow() - timedelta(days=30)
        conn.execute(update(users).where(users.c.username == name).values(created_at=month_ago))
        uid = int(conn.execute(select(users.c.id).where(users.c.username == name)).scalar_one())
        ids = [add_comment(conn, HOSTILE_ID, uid, body, None, ["reader1"]) for body in bodies]
        conn.execute(update(comments).values(created_at=utcnow() - timedelta(days=2)))
    return ids


def test_code_tables_maths_and_arabic_read_well_on_a_phone(page: Page, live_site: LiveSite) -> None:
    """A long code line or a wide table scrolls in its own box, not the page; an align
    environment is typeset; an Arabic comment reads right to left, its "@name" whole."""
    sign_up(page, live_site.url, "reader1")
    code, table, align, arabic = _comments(live_site, "reader1", [CODE, TABLE, ALIGN, ARABIC])
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto(f"{live_site.url}/papers/{HOSTILE_ID}#discussion")
    wait_until(page, "() => document.documentElement.classList.contains('math-ready')")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for cid in (code, table):
        box = page.locator(f"#c{cid} .comment-body").bounding_box()
        assert box is not None and box["x"] + box["width"] <= 375
    expect(page.locator(f"#c{align} .katex-display")).to_have_count(1)
    expect(page.locator(f"#c{align} .katex-display .katex-html")).to_contain_text("e")
    said = page.locator(f"#c{arabic} .comment-body p")
    mention = said.locator("a.mention")
    expect(mention).to_have_text("@reader1")
    # Right to left: the paragraph's first words sit at its right edge.
    first = page.evaluate(
        """(p) => { const r = document.createRange(); const t = p.firstChild;
        r.setStart(t, 0); r.setEnd(t, 4); const b = r.getBoundingClientRect();
        return [b.right, p.getBoundingClientRect().right]; }""",
        said.element_handle(),
    )
    assert first[1] - 2 <= first[0] <= first[1] + 1, first
    left = mention.bounding_box()
    assert left is not None and left["x"] < first[0] - 100  # the "@name" comes last: leftmost


def test_a_link_to_a_comment_on_a_later_page_opens_that_page(
    page: Page, live_site: LiveSite
) -> None:
    """A link to a comment as feeds and emails give it (/papers/ID#c12) finds the comment when
    the discussion is long enough that it sits on a later page."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_up(page, live_site.url, "reader2")
    ids = _comments(live_site, "reader2", [f"Point {n}" for n in range(THREADS_PER_PAGE + 2)])
    page.goto(f"{live_site.url}/papers/{HOSTILE_ID}#c{ids[0]}")
    page.wait_for_url(re.compile(rf"\?comment={ids[0]}#c{ids[0]}$"))
    expect(page.locator(f"#c{ids[0]}")).to_be_visible()
    expect(page.get_by_text("Comments page 2 of 2")).to_be_visible()
    page.get_by_role("link", name="← Previous comments").click()
    expect(page.locator(f"#c{ids[-1]}")).to_be_visible()
    assert errors == []
