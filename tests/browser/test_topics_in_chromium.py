"""A reader skimming a day, then a month, by topic in Chromium: from the daily page's "by topic"
link through the topic index, a topic's "more", its search and a paper, and back to the list."""

from __future__ import annotations

import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveSite, newest_day_path, sign_up


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


def test_the_map_shows_a_dot_s_title_and_opens_its_paper(
    page: Page, live_site: LiveSite, screenshots: Path
) -> None:
    """The topics' map in Chromium: one dot per listed paper, drawn inside the page (no
    sideways scroll at 390 px either), a dot's title on hover, a click opens that paper; the
    keys skip it (the lists hold the same links) and axe finds nothing."""
    day = newest_day_path(live_site.engine).rsplit("/", 1)[1]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_site.url}/topics/date/{day}")
    figure = page.locator("figure.topic-map")
    expect(figure).to_be_visible()
    rows = page.locator("section.topic .topic-papers li")
    dots = figure.locator("circle")
    assert dots.count() == rows.count() > 0
    box = figure.locator("svg").bounding_box()
    assert box is not None and box["width"] > 800 and box["height"] > 400
    found = Axe().run(page).response["violations"]
    assert [(v["id"], [n["html"][:200] for n in v["nodes"]]) for v in found] == []
    figure.screenshot(path=str(screenshots / "topic-map.png"))
    # the first Tab stops of the map's figure: none (its links are the lists' again)
    assert figure.locator("a[tabindex='-1']").count() == dots.count()
    # a dot of the second topic, hovered and clicked
    colour = page.locator("nav.topic-index li").nth(1).locator("circle").get_attribute("fill")
    # of its dots, one no other dot covers at its centre (dots may overlap)
    seen = page.evaluate(
        """colour => {
        for (const dot of document.querySelectorAll(`figure.topic-map circle[fill='${colour}']`)) {
          const r = dot.getBoundingClientRect(), x = r.x + r.width / 2, y = r.y + r.height / 2;
          const hit = document.elementFromPoint(x, y);
          if (hit && hit.closest("a") === dot.closest("a"))
            return {x: x, y: y, title: dot.querySelector("title").textContent};
        }
        return null;
      }""",
        colour,
    )
    assert seen is not None and seen["title"]
    title = seen["title"]
    page.mouse.move(seen["x"], seen["y"])
    page.mouse.click(seen["x"], seen["y"])
    expect(page).to_have_url(re.compile(r"/papers/"))
    expect(page.locator("h1")).to_contain_text(title[:30])
    page.go_back()
    page.set_viewport_size({"width": 390, "height": 800})
    expect(figure).to_be_visible()
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 390


def test_a_reader_sees_their_library_by_topic(page: Page, live_site: LiveSite) -> None:
    """From the library page's "By topic" to the saved papers grouped and mapped, and back."""
    sign_up(page, live_site.url, "grouper")
    page.goto(live_site.url + newest_day_path(live_site.engine))
    cards = page.locator("article.card")
    for i in range(0, 24, 2):  # twelve papers saved with their cards' buttons
        cards.nth(i).get_by_role("button", name="Save").click()
        expect(cards.nth(i).get_by_role("button", name="Saved")).to_be_visible()
    saved = {cards.nth(i).get_attribute("data-id") for i in range(0, 24, 2)}
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    page.get_by_role("link", name="By topic").click()
    expect(page).to_have_url(f"{live_site.url}/library/topics")
    expect(page.locator("h1")).to_have_text("All saved papers")
    rows = page.locator("section.topic .topic-papers li a")
    hrefs = {rows.nth(i).get_attribute("href") for i in range(rows.count())}
    assert hrefs == {f"/papers/{pid}" for pid in saved}
    expect(page.locator("figure.topic-map circle")).to_have_count(12)
    assert page.locator("section.topic").count() >= 2
    found = Axe().run(page).response["violations"]
    assert [(v["id"], [n["html"][:200] for n in v["nodes"]]) for v in found] == []
    page.locator(".view-as").get_by_role("link", name="list").click()
    expect(page).to_have_url(f"{live_site.url}/library")
