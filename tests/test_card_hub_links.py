"""A card's "2 models · 1 dataset" leads to the paper page's "Code, models and data" section
(#links) on home, day pages, search results and For you; that section is there whenever a
card counts one (the Hub's artifacts, or links people added)."""

from __future__ import annotations

import re

from sqlalchemy import Engine, select

from paperfeed.settings import Settings
from paperfeed.store.accounts import users
from paperfeed.store.community import add_paper_link
from paperfeed.store.enrichment import save_artifacts
from tests.web_support import HOSTILE_ID, client, post_form, sign_up

DAY = "/papers/date/2026-06-25"  # the hostile paper's day


def _card(html: str, paper_id: str) -> str:
    start = html.index(f'data-id="{paper_id}"')
    return html[start : html.index("</article>", start)]


def _hub_links(card: str) -> list[tuple[str, str]]:
    """(href, text without markup) of a card's model, dataset and demo links."""
    found = re.findall(r'<a class="hub" href="([^"]+)"[^>]*>(.*?)</a>', card)
    return [(href, re.sub(r"<[^>]+>", "", text)) for href, text in found]


def _section(html: str) -> str:
    start = html.index('<section id="links"')
    return html[start : html.index("</section>", start)]


def test_card_counts_lead_to_the_papers_models_and_data(site: Settings, engine: Engine) -> None:
    with engine.begin() as conn:
        save_artifacts(conn, HOSTILE_ID, "model", [("example/base", 3, 10), ("example/big", 1, 2)])
        save_artifacts(conn, HOSTILE_ID, "dataset", [("example/bench", None, None)])
    to = f"/papers/{HOSTILE_ID}#links"
    expected = [(to, "2 models using this paper"), (to, "1 dataset using this paper")]
    with client(site, engine) as c:
        home = c.get("/").text
        [first] = re.findall(r'<article class="card[^"]*" data-id="([^"]+)"', home)[:1]
        with engine.begin() as conn:  # a paper home shows: one model
            save_artifacts(conn, first, "model", [("example/on-home", None, None)])
        home_card = _card(c.get("/").text, first)
        day = c.get(DAY).text
        found = c.get("/search", params={"q": HOSTILE_ID, "mode": "keyword"}).text
        sign_up(c, "fan")
        post_form(c, "/me/follow", {"kind": "category", "value": "cs.CR"})  # the paper's
        for_you = c.get("/for-you?window=month").text
        page = c.get(f"/papers/{HOSTILE_ID}").text
    assert _hub_links(home_card) == [(f"/papers/{first}#links", "1 model using this paper")]
    for html in (day, found, for_you):
        assert _hub_links(_card(html, HOSTILE_ID)) == expected
    section = _section(page)  # shown for the Hub's artifacts alone (nobody added a link)
    assert "<h2>Code, models and data</h2>" in section
    assert "<dt>Models on the Hub</dt>" in section and "<dt>Datasets on the Hub</dt>" in section
    assert 'href="https://huggingface.co/example/big"' in section
    assert 'href="https://huggingface.co/datasets/example/bench"' in section
    assert "example/base" not in page.split('<section id="links"')[0]  # listed once, there


def test_a_count_from_an_added_link_leads_to_it_too(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        sign_up(c, "linker")
        with engine.begin() as conn:
            linker = conn.scalar(select(users.c.id).where(users.c.username == "linker"))
            url = "https://huggingface.co/spaces/org/demo"
            add_paper_link(conn, HOSTILE_ID, "demo", url, int(str(linker)))
        card = _card(c.get(DAY).text, HOSTILE_ID)
        page = c.get(f"/papers/{HOSTILE_ID}").text
    assert _hub_links(card) == [(f"/papers/{HOSTILE_ID}#links", "1 demo of this paper")]
    assert f'href="{url}"' in _section(page)
