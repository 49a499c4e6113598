"""A moderator in real headless Chromium pressing 'Approve all' on one account's claims while
another account claims one of those papers' name too: the browser asks first, as the paper's
own Approve button does; dismissing it decides nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Dialog, Page, expect
from sqlalchemy import select

from paperfeed.store.accounts import set_admin, users
from paperfeed.store.claim_batches import claim_papers
from paperfeed.store.community import add_claim, claims_by_user
from paperfeed.store.papers import paper_authors
from tests.browser.conftest import LiveSite, sign_up
from tests.browser.test_claim_papers_in_chromium import _prolific

pytestmark = pytest.mark.browser


def _uid(live_site: LiveSite, name: str) -> int:
    with live_site.engine.connect() as conn:
        query = select(users.c.id).where(users.c.username == name)
        return int(conn.execute(query).scalar_one())


def _rivalled_batch(page: Page, live_site: LiveSite) -> int:
    """prolific claims a demo author on the papers its page lists, rival that author on the
    first of them; how many prolific claimed."""
    url = live_site.url
    slug, shown = _prolific(live_site)
    for name in ("prolific", "rival"):
        sign_up(page, url, name)
        page.get_by_role("button", name="Sign out").click()
    key = slug.replace("-", " ")
    listed = select(paper_authors.c.paper_id).where(paper_authors.c.name_key == key)
    with live_site.engine.begin() as conn:
        pids = sorted({str(p) for p in conn.execute(listed).scalars()})[:shown]
        assert len(claim_papers(conn, _uid(live_site, "prolific"), key, pids).claimed) > 1
        first = min(claims_by_user(conn, _uid(live_site, "prolific")), key=lambda c: c.id)
        add_claim(conn, _uid(live_site, "rival"), first.paper_id, first.author, first.position)
    return len(pids)


def test_approve_all_asks_when_another_account_claims_one(page: Page, live_site: LiveSite) -> None:
    n = _rivalled_batch(page, live_site)
    sign_up(page, live_site.url, "mod")
    with live_site.engine.begin() as conn:
        set_admin(conn, "mod", True)
    asked: list[str] = []

    def answer(dialog: Dialog, yes: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if yes else dialog.dismiss()

    page.goto(f"{live_site.url}/admin/community")
    batch = page.locator("form.claim-batch")
    expect(batch.locator("li", has_text="another account claims this name too")).to_have_count(1)
    page.once("dialog", lambda d: answer(d, False))
    batch.get_by_role("button", name=f"Approve all {n}").click()
    expect(page.locator("form.claim-batch")).to_have_count(1)  # dismissed: nothing decided
    assert len(asked) == 1 and asked[0].startswith("Approve prolific as ")
    assert asked[0].endswith("? The other claims on this name will then need rejecting.")
    page.once("dialog", lambda d: answer(d, True))
    batch.get_by_role("button", name=f"Approve all {n}").click()
    expect(page.locator("[data-said]")).to_have_text(f"Claims: {n} approved.")
    assert len(asked) == 2 and asked[1] == asked[0]


def test_approve_ticked_asks_only_when_a_ticked_claim_has_a_rival(
    page: Page, live_site: LiveSite
) -> None:
    _rivalled_batch(page, live_site)
    sign_up(page, live_site.url, "mod")
    with live_site.engine.begin() as conn:
        set_admin(conn, "mod", True)
    asked: list[str] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", answer)
    page.goto(f"{live_site.url}/admin/community")
    batch = page.locator("form.claim-batch")
    rows = batch.locator("li")
    rival_row = rows.filter(has_text="another account claims this name too")
    rows.filter(has_not_text="another account claims this name too").first.get_by_role(
        "checkbox"
    ).check()
    rival_row.get_by_role("checkbox").check()
    batch.get_by_role("button", name="Approve ticked").click()
    expect(rival_row.get_by_role("checkbox")).to_be_checked()  # dismissed: nothing decided
    assert len(asked) == 1 and asked[0].startswith("Approve prolific as ")
    assert asked[0].endswith("? The other claims on this name will then need rejecting.")
    rival_row.get_by_role("checkbox").uncheck()
    batch.get_by_role("button", name="Approve ticked").click()  # no rival ticked: no question
    expect(page.locator("[data-said]")).to_have_text("Claims: 1 approved.")
    assert len(asked) == 1
