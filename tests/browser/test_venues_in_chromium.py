"""Conferences in headless Chromium, on the demo store: from the footer to the conferences page,
a conference's papers, one of them and back through its page's venue link, the other order,
the conference by topic and a dot of its map, a conference's challenges beside it; each page
checked with axe."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import delete, func, insert, select

from paperfeed.store.tables import papers, signals
from paperfeed.venues import from_label
from tests.browser.conftest import LiveSite, sign_up

pytestmark = pytest.mark.browser


def _violations(page: Page) -> list[str]:
    return [v["id"] for v in Axe().run(page).response["violations"]]


def _biggest_venue(site: LiveSite) -> tuple[str, int]:
    n = func.count()
    query = (
        select(papers.c.venue, n)
        .where(papers.c.venue.is_not(None), papers.c.hidden.is_(False))
        .group_by(papers.c.venue)
        .order_by(n.desc(), papers.c.venue)
    )
    with site.engine.connect() as conn:
        label, count = conn.execute(query).first() or ("", 0)
    return str(label), int(count)


def _most_upvoted_oldest(site: LiveSite, label: str) -> str:
    """The conference's oldest paper, given the most upvotes of all (last when newest first)."""
    query = select(papers.c.id).where(papers.c.venue == label)
    with site.engine.begin() as conn:
        oldest = str(conn.execute(query.order_by(papers.c.listing_date, papers.c.id)).scalar())
        conn.execute(delete(signals).where(signals.c.paper_id == oldest))
        conn.execute(insert(signals).values(paper_id=oldest, upvotes=999))
    return oldest


def test_a_reader_browses_a_conference_from_the_footer(page: Page, live_site: LiveSite) -> None:
    label, count = _biggest_venue(live_site)
    assert count >= 10, "the demo's listings name conferences in their comments"
    top = _most_upvoted_oldest(live_site, label)
    page.goto(live_site.url + "/")
    page.locator("footer").get_by_role("link", name="Conferences").click()
    expect(page.locator("h1")).to_have_text("Papers by conference")
    assert _violations(page) == []
    page.get_by_role("link", name=label, exact=True).first.click()
    expect(page.locator("h1")).to_have_text(label)
    venue_path = page.url.removeprefix(live_site.url)
    assert re.fullmatch(r"/venues/[a-z]+-\d{4}(-workshop|-findings)?", venue_path), venue_path
    expect(page.locator(".hero .sub")).to_contain_text(f"{count:,} paper")
    assert _violations(page) == []
    cards = page.locator("article.card")
    assert cards.count() == min(count, 30)
    first = cards.first.get_attribute("data-id")
    assert first != top
    # one of its papers, and back through the paper page's venue
    cards.first.locator("h3 a, h2 a").first.click()
    page.wait_for_url(re.compile(re.escape(live_site.url) + r"/papers/[^/]+$"))
    assert page.url.endswith(f"/papers/{first}")
    page.locator("dd.venue a").click()
    page.wait_for_url(live_site.url + venue_path)
    # the other order: most upvoted first, the upvotes shown never rising down the page
    page.get_by_role("link", name="most upvoted").click()
    page.wait_for_url(live_site.url + venue_path + "?sort=votes")
    expect(page.get_by_role("link", name="most upvoted")).to_have_attribute("aria-current", "true")
    assert page.locator("article.card").first.get_attribute("data-id") == top
    votes = [int(v) for v in page.locator("article.card .vote-btn .count").all_inner_texts()]
    assert votes[0] == 999 and votes == sorted(votes, reverse=True)
    # by topic: every listed paper once, the map's dots as many, one dot opens its paper
    page.get_by_role("link", name="by topic").click()
    page.wait_for_url(live_site.url + venue_path + "/topics")
    expect(page.locator("h1")).to_have_text(label)
    rows = page.locator(".topic-papers li > a")
    assert rows.count() == count
    dots = page.locator("figure.topic-map circle")
    assert dots.count() == count
    assert _violations(page) == []
    # a dot no other covers (elementFromPoint at its centre is itself), clicked where it is
    shown = page.evaluate(
        """() => [...document.querySelectorAll('figure.topic-map circle')].findIndex(c => {
             c.scrollIntoView({block: 'center'});
             const b = c.getBoundingClientRect();
             return document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2) === c; })"""
    )
    assert shown >= 0
    dot = dots.nth(shown)
    title = (dot.locator("title").text_content() or "").strip()
    box = dot.bounding_box()
    assert box is not None and title
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url(re.compile(re.escape(live_site.url) + r"/papers/[^/]+$"))
    assert page.locator("h1").inner_text().split()[0] == title.split()[0]


def test_a_reader_who_saves_a_paper_gets_the_conference_ranked_for_them(
    page: Page, live_site: LiveSite
) -> None:
    label, _ = _biggest_venue(live_site)
    sign_up(page, live_site.url, "planner")
    page.wait_for_url(live_site.url + "/")
    page.goto(live_site.url + "/venues")
    page.get_by_role("link", name=label, exact=True).first.click()
    page.wait_for_url(re.compile(re.escape(live_site.url) + r"/venues/[a-z0-9-]+$"))
    path = page.url.removeprefix(live_site.url)
    page.get_by_role("link", name="for you", exact=True).click()
    page.wait_for_url(live_site.url + path + "?sort=foryou")
    expect(page.locator(".ranked-note")).to_contain_text("Nothing to rank by yet")
    # save the first paper with its card's own button (in place), then rank again
    first = page.locator("article.card").first
    saved = first.get_attribute("data-id")
    first.locator("button.save-btn").click()
    expect(first.locator("button.save-btn")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("link", name="for you", exact=True).click()
    expect(page.locator(".ranked-note")).to_contain_text("Ranked for you by your")
    ids = page.locator("article.card").evaluate_all("els => els.map(e => e.dataset.id)")
    assert len(ids) == 30 and saved not in ids
    whys = page.locator(".recommended .why").all_inner_texts()
    assert len(whys) == 30 and all(w.startswith("Why: ") and len(w) > 8 for w in whys)
    assert _violations(page) == []
    page.get_by_role("link", name="Next page →").click()
    page.wait_for_url(re.compile(re.escape(live_site.url + path) + r"\?.*page=2"))
    assert "sort=foryou" in page.url
    more = page.locator("article.card").evaluate_all("els => els.map(e => e.dataset.id)")
    assert more and not set(more) & set(ids) and saved not in more


def test_a_reader_searches_a_conferences_papers_from_its_page(
    page: Page, live_site: LiveSite
) -> None:
    label, count = _biggest_venue(live_site)
    with live_site.engine.connect() as conn:
        held = set(conn.scalars(select(papers.c.id).where(papers.c.venue == label)))
    page.goto(live_site.url + "/venues")
    page.get_by_role("link", name=label, exact=True).first.click()
    page.wait_for_url(re.compile(re.escape(live_site.url) + r"/venues/[a-z0-9-]+$"))
    path = page.url.removeprefix(live_site.url)
    box = page.get_by_role("searchbox", name=f"Search the papers at {label}")
    box.fill("learning")
    page.locator("form.venue-search").get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(re.escape(live_site.url) + r"/search\?.*venue="))
    expect(page.locator(".within")).to_contain_text(f"Searching the papers at {label}")
    found = page.locator("article.card")
    expect(found.first).to_be_visible()
    ids = {found.nth(i).get_attribute("data-id") for i in range(found.count())}
    assert ids and ids <= held, ids - held  # only the conference's papers
    assert _violations(page) == []
    # the search page's own box and button keep to the conference too
    page.get_by_role("searchbox", name="Query").fill("model")
    page.locator("form.search-form").get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"q=model"))
    expect(page.locator(".within")).to_be_visible()
    kept = page.locator("article.card")
    expect(kept.first).to_be_visible()
    assert {kept.nth(i).get_attribute("data-id") for i in range(kept.count())} <= held
    # "search every paper" drops the conference: papers from elsewhere come too
    page.get_by_role("link", name="search every paper").click()
    page.wait_for_url(re.compile(r"/search\?q=model$"))
    expect(page.locator(".within")).to_have_count(0)
    every = page.locator("article.card")
    expect(every.first).to_be_visible()
    assert {every.nth(i).get_attribute("data-id") for i in range(every.count())} - held
    # Filters' Conference field, typed as the conference's page calls it, keeps to it again
    page.locator("details.filters summary").click()
    page.get_by_label("Conference").fill(label)
    page.locator("form.search-form").get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"venue="))
    expect(page.locator(".within")).to_contain_text(label)
    again = page.locator("article.card")
    expect(again.first).to_be_visible()
    assert {again.nth(i).get_attribute("data-id") for i in range(again.count())} <= held
    # and its link back names the conference's page
    page.locator(".within").get_by_role("link", name=label).click()
    page.wait_for_url(live_site.url + path)


def test_the_conference_field_offers_conferences_and_a_name_without_its_year_is_mended(
    page: Page, live_site: LiveSite
) -> None:
    label, _ = _biggest_venue(live_site)
    name = label.rsplit(" ", 1)[0]  # "ECCV 2026": "ECCV", as a reader may type it
    with live_site.engine.connect() as conn:
        held = set(conn.scalars(select(papers.c.id).where(papers.c.venue == label)))
    page.goto(live_site.url + "/search?q=learning")
    page.locator("details.filters summary").click()
    field = page.get_by_label("Conference")
    offered = page.locator(f"datalist#{field.get_attribute('list')} option")
    names = [offered.nth(i).get_attribute("value") for i in range(offered.count())]
    assert label in names and names == list(dict.fromkeys(names)), names  # each once
    field.fill(name)
    page.locator("form.search-form").get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"venue="))
    meant = page.locator(".notice.meant")
    expect(meant).to_contain_text("Did you mean")
    expect(page.locator("article.card")).to_have_count(0)
    assert _violations(page) == []
    meant.get_by_role("link", name=label, exact=True).click()
    page.wait_for_url(re.compile(r"q=learning.*venue="))
    expect(page.locator(".within")).to_contain_text(f"Searching the papers at {label}")
    found = page.locator("article.card")
    expect(found.first).to_be_visible()
    assert {found.nth(i).get_attribute("data-id") for i in range(found.count())} <= held


def test_a_reader_goes_from_a_conference_to_its_other_year(page: Page, live_site: LiveSite) -> None:
    with live_site.engine.connect() as conn:
        labels = set(conn.scalars(select(papers.c.venue).where(papers.c.venue.is_not(None))))
    pairs = sorted(
        (label, label.replace(" 2026", " 2025"))
        for label in labels
        if label.endswith(" 2026") and label.replace(" 2026", " 2025") in labels
    )
    assert pairs, "the demo store holds a conference in two years"
    now, before = pairs[0]
    page.goto(live_site.url + "/venues")
    page.get_by_role("link", name=now, exact=True).first.click()
    years = page.get_by_role("navigation", name="Years")
    expect(years.get_by_role("link", name=now, exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    years.get_by_role("link", name=before, exact=True).click()
    expect(page.locator("h1")).to_have_text(before)
    expect(page.locator("article.card").first).to_be_visible()
    assert _violations(page) == []
    page.get_by_role("navigation", name="Years").get_by_role("link", name=now, exact=True).click()
    expect(page.locator("h1")).to_have_text(now)


def test_a_reader_opens_a_conferences_challenges_beside_it(page: Page, live_site: LiveSite) -> None:
    """A challenge's reports are listed apart from the conference's papers: "Challenges" beside
    the conference on the conferences page opens them, and the page's tracks lead back."""
    n = func.count()
    query = (
        select(papers.c.venue, n)
        .where(papers.c.venue.like("% Challenge"), papers.c.hidden.is_(False))
        .group_by(papers.c.venue)
        .order_by(n.desc(), papers.c.venue)
    )
    with live_site.engine.connect() as conn:
        label, count = conn.execute(query).first() or ("", 0)
    assert count, "the demo's listings hold a challenge's report"
    venue = from_label(label)
    assert venue is not None
    page.goto(live_site.url + "/venues")
    page.locator(f'.venue-list a[href$="/venues/{venue.slug}"]').click()
    expect(page.locator("h1")).to_have_text(label)
    assert page.url == f"{live_site.url}/venues/{venue.slug}"
    assert _violations(page) == []
    cards = page.locator("article.card")
    expect(cards).to_have_count(min(count, 30))
    ids = set(cards.evaluate_all("cs => cs.map(c => c.dataset.id)"))
    with live_site.engine.connect() as conn:
        held = set(conn.scalars(select(papers.c.id).where(papers.c.venue == label)))
    assert ids <= held
    main = f"{venue.name} {venue.year}"
    # the conference's own papers are held here too (the demo's ICRA 2026): back to them
    page.locator("nav.venue-tracks").get_by_role("link", name=main, exact=True).click()
    expect(page.locator("h1")).to_have_text(main)
    expect(page.locator("article.card").first).to_be_visible()
    shown = page.locator("article.card").evaluate_all("cs => cs.map(c => c.dataset.id)")
    assert not set(shown) & held
