"""A reader skimming a day, then a month, by topic in Chromium: from the daily page's "by topic"
link through the topic index, a topic's "more", its search and a paper, and back to the list."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveSite, newest_day_path


def test_a_reader_reads_the_newest_day_by_topic(page: Page, live_site: LiveSite) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    day_path = newest_day_path(live_site.engine)
    day = day_path.rsplit("/", 1)[1]
    page.goto(live_site.url + day_path)
    page.locator(".view-as").get_by_role("link", name="by topic").click()
    expect(page).to_have_url(f"{live_site.url}/topics/date/{day}")
    expect(page.locator("h1")).to_have_text(re.compile(r"\w{3} \d+"))
    index = page.get_by_role("navigation", name="Topics").get_by_role("link")
    topics = page.locator("section.topic")
    count = topics.count()
    assert count >= 5 and index.count() == count
    said = re.search(r"([\d,]+) papers", page.locator(".hero .sub").inner_text())
    assert said is not None
    total = int(said[1].replace(",", ""))
    sizes = [
        int(n.replace(",", ""))
        for n in re.findall(r"\(([\d,]+)\)", page.locator("nav.topic-index").inner_text())
    ]
    assert len(sizes) == count and sum(sizes) == total  # every paper of the day, once
    rows = page.locator("section.topic .topic-papers li")
    assert rows.count() == sum(min(n, 100) for n in sizes)  # a topic's first 100 listed
    # a topic of more than 100 papers (the live site's static vectors make one on this day):
    # all of them on its own page
    big = max(range(count), key=lambda i: sizes[i])
    assert sizes[big] > 100, sizes
    link = page.locator(f"#topic-{big + 1}").get_by_role("link", name=re.compile("^All "))
    link.click()
    expect(page).to_have_url(re.compile(rf"\?topic={big + 1}$"))
    expect(page.locator("section.topic .topic-papers li")).to_have_count(sizes[big])
    page.get_by_role("link", name=re.compile("^← All topics of")).click()
    expect(page.locator("nav.topic-index")).to_be_visible()
    # the third topic from the index: its section is where the link leads
    third = index.nth(2)
    name = third.inner_text()
    third.click()
    expect(page).to_have_url(re.compile(r"#topic-3$"))
    section = page.locator("#topic-3")
    expect(section.get_by_role("heading", level=2)).to_contain_text(name)
    # the biggest topic keeps most of its papers behind "more"
    first = page.locator("#topic-1")
    hidden = first.locator("details.topic-more li").first
    expect(hidden).to_be_hidden()
    first.locator("summary").click()
    expect(hidden).to_be_visible()
    # its words as a search of the day
    first.get_by_role("link", name=re.compile("^Search these words")).click()
    expect(page).to_have_url(re.compile(r"/search\?q=.+since=" + day + "&until=" + day))
    expect(page.locator(".card").first).to_be_visible()
    page.go_back()
    # a paper, then the month, then back to the list
    paper = page.locator("#topic-2 .topic-papers li a").first
    title = paper.inner_text()
    paper.click()
    expect(page.locator("h1")).to_contain_text(title[:40])
    page.go_back()
    page.locator(".views").get_by_role("link", name="Month").click()
    expect(page).to_have_url(re.compile(r"/topics/month/\d{4}-\d{2}$"))
    expect(page.locator("h1")).to_have_text(re.compile(r"^\w+ \d{4}$"))
    assert page.locator("section.topic").count() >= 10
    page.locator(".view-as").get_by_role("link", name="list").click()
    expect(page).to_have_url(re.compile(r"/papers/month/\d{4}-\d{2}$"))
    expect(page.locator(".card").first).to_be_visible()
    assert errors == []
