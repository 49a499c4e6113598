"""The admin console in real headless Chromium: run a job now, retry a failed email."""

from __future__ import annotations

import re
import time
from typing import Any, cast

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, select

from paperfeed.store import jobs as db
from paperfeed.store.accounts import set_admin
from paperfeed.store.digest_tables import outbox
from tests.browser.conftest import LiveSite, sign_up
from tests.digest_support import add_outbox_message

pytestmark = pytest.mark.browser


def _wait_for_run(engine: Engine, job: str) -> db.JobRun:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            done = [r for r in db.recent_runs(conn, job=job) if r.status != "running"]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"{job} never finished")


def test_admin_runs_a_job_now_and_retries_a_failed_email(page: Page, live_site: LiveSite) -> None:
    with live_site.engine.begin() as conn:
        failed = add_outbox_message(conn, "b@example.org")
    page.goto(live_site.url + "/signup")
    page.get_by_label("User name").fill("operator")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("button", name="Sign up").click()
    page.goto(live_site.url + "/admin")
    expect(page.locator("h1")).to_have_text("Not allowed")
    with live_site.engine.begin() as conn:
        set_admin(conn, "operator", True)

    page.goto(live_site.url + "/admin")
    row = page.locator("tr[data-job=embed]")
    expect(row.locator("td.status")).to_have_text("")
    row.get_by_role("button", name="Run embed now").click()
    # Said after a second: started, or, for a job done by then, how it ended.
    expect(page.get_by_role("status")).to_have_text(
        re.compile(r"Done: (started embed|embed ran: ok)")
    )
    run = _wait_for_run(live_site.engine, "embed")
    assert (run.status, run.trigger) == ("ok", "admin")
    page.reload()
    expect(page.locator("tr[data-job=embed] td.status")).to_have_text("ok")

    mail = page.locator(f"tr[data-outbox='{failed}']")
    expect(mail).to_contain_text("550 mailbox full")
    mail.get_by_role("button", name="Retry").click()
    expect(page.locator("#failed + .table-scroll table")).to_contain_text("No failed deliveries.")
    with live_site.engine.connect() as conn:
        assert conn.execute(select(outbox.c.status)).scalar_one() == "pending"
    expect(page.locator(".admin-log")).to_contain_text(f"operator: retry delivery {failed}")
    expect(page.locator(".admin-log")).to_contain_text("operator: run job embed")


def test_the_admin_pages_pass_axe(page: Page, live_site: LiveSite) -> None:
    """The consoles' tables and forms, light and dark (their action columns had no header
    text a screen reader could say)."""
    with live_site.engine.begin() as conn:
        add_outbox_message(conn, "c@example.org")  # a failed delivery: its table has rows
    sign_up(page, live_site.url, "keeper")
    with live_site.engine.begin() as conn:
        set_admin(conn, "keeper", True)
    found = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=cast(Any, scheme))
        for path in ("/admin", "/admin/community"):
            page.goto(live_site.url + path)
            expect(page.locator("h1")).not_to_have_text("Not allowed")
            found += [
                f"{scheme} {path}: {v['id']} at {n['target']}"
                for v in Axe().run(page).response["violations"]
                for n in v["nodes"]
            ]
    assert found == []
