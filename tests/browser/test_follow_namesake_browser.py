"""Following one of two authors who share a name, in Chromium: the follow page's groups and
the library's list of follows."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from paperfeed.models import Paper
from paperfeed.store import upsert_papers
from tests.browser.conftest import LiveSite, sign_up


def _paper(pid: str, category: str, *authors: str) -> Paper:
    return Paper(
        id=pid,
        title=f"A study {pid}",
        abstract="What we found.",
        authors=authors,
        categories=(category,),
        version=1,
        source="test",
    )


NAMESAKES = [  # a learner with Ann Smith and Bo Chen; an astronomer with Carl Wu and Dana Park
    _paper("2601.90001", "cs.LG", "Yang Li", "Ann Smith"),
    _paper("2601.90002", "cs.LG", "Yang Li", "Ann Smith", "Bo Chen"),
    _paper("2601.90003", "astro-ph.GA", "Yang Li", "Carl Wu"),
    _paper("2601.90004", "astro-ph.GA", "Carl Wu", "Yang Li", "Dana Park"),
]


def test_follow_one_yang_li_and_see_which_in_the_library(page: Page, live_site: LiveSite) -> None:
    url = live_site.url
    with live_site.engine.begin() as conn:
        upsert_papers(conn, NAMESAKES)
    sign_up(page, url, "follower")
    page.goto(url + "/follow/author/yang-li")
    groups = page.get_by_role("region")  # the demo store's own Yang Lis among them
    astronomer = groups.filter(has_text="Carl Wu")
    expect(astronomer).to_have_count(1)
    expect(astronomer).not_to_contain_text("Ann Smith")
    expect(page.get_by_role("button", name="Follow every Yang Li")).to_be_visible()
    found = Axe().run(page).response["violations"]  # Deque's WCAG rules, as for every page
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in found] == []
    astronomer.get_by_role("button", name="Follow this Yang Li").click()
    expect(astronomer.get_by_role("button", name="Unfollow this Yang Li")).to_be_visible()
    learner = groups.filter(has_text="Ann Smith")
    expect(learner.get_by_role("button", name="Follow this Yang Li")).to_be_visible()

    page.goto(url + "/library")
    follows = page.locator("ul.follows")
    expect(follows).to_contain_text("author: Yang Li (with Carl Wu, Dana Park)")
    follows.get_by_role("button", name="unfollow Yang Li (with Carl Wu, Dana Park)").click()
    expect(page.locator("ul.follows li")).to_have_count(0)
