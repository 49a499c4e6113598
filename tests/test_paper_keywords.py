"""A paper's keywords on its page, in the API and in its Markdown, as Hugging Face Papers shows
them: extracted from the title and abstract, each a search for itself."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Engine

from paperfeed.keyphrases import keyphrases
from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.store.accounts import set_admin
from paperfeed.store.listings import set_flags
from tests.web_support import DAYS, client, on_day, sign_up

_ROW = re.compile(r'<dt id="keywords">Keywords</dt><dd[^>]*>(.*?)</dd>', re.S)
_LINK = re.compile(r'<a class="chip" href="([^"]+)">([^<]+)</a>')


def _row(page: str) -> list[tuple[str, str]]:
    found = _ROW.search(page)
    return (
        [(html.unescape(h), html.unescape(t)) for h, t in _LINK.findall(found[1])] if found else []
    )


def test_a_paper_page_lists_its_keywords_each_a_search_that_finds_it(
    site: Settings, engine: Engine
) -> None:
    pid, paper = next(iter(on_day(engine, DAYS[0]).items()))
    with client(site, engine) as c:
        page = c.get(f"/papers/{pid}").text
        links = _row(page)
        searches = [c.get(href) for href, _ in links]
    assert [text for _, text in links] == list(keyphrases(paper))
    assert 3 <= len(links) <= 6
    assert "(extracted automatically from the title and abstract)" in page
    for (href, text), found in zip(links, searches, strict=True):
        assert urlsplit(href).path == "/search"
        assert parse_qs(urlsplit(href).query) == {"q": [text]}
        assert found.status_code == 200
        assert f'data-id="{pid}"' in found.text, text


def test_the_api_and_the_markdown_carry_the_same_keywords(site: Settings, engine: Engine) -> None:
    pid, paper = next(iter(on_day(engine, DAYS[1]).items()))
    with client(site, engine) as c:
        one = c.get(f"/api/papers/{pid}").json()
        listed = c.get(f"/api/daily_papers?date={DAYS[1].isoformat()}").json()
        md = c.get(f"/papers/{pid}.md").text
        schema = c.get("/openapi.json").json()
    assert one["keywords"] == list(keyphrases(paper)) != []
    assert all("keywords" not in item["paper"] for item in listed)  # one paper's field only
    assert f"- **Keywords (extracted automatically):** {', '.join(one['keywords'])}\n" in md
    field = schema["components"]["schemas"]["PaperOut"]["properties"]["keywords"]
    assert "extracted automatically" in field["description"]


def test_keywords_of_a_title_and_abstract_with_markup_are_shown_as_text(
    site: Settings, engine: Engine
) -> None:
    paper = Paper(
        id="2606.90001",
        title="Graph <script>alert('kw')</script> Diffusion for **Molecule Generation**",
        abstract=(
            "We train <b>graph diffusion models</b> on $\\mathcal{G}$ with \\emph{equivariant "
            "denoisers} [see](javascript:alert(1)). Graph diffusion models need equivariant "
            "denoisers; molecule generation <img src=x onerror=alert(2)> is fast."
        ),
        source="test",
        listing_date=DAYS[0],
    )
    with engine.begin() as conn:
        upsert_papers(conn, [paper])
    with client(site, engine) as c:
        page = c.get(f"/papers/{paper.id}").text
        api = c.get(f"/api/papers/{paper.id}").json()
    shown = [text for _, text in _row(page)]
    assert "graph diffusion models" in shown and "equivariant denoisers" in shown
    assert shown == api["keywords"]
    row = _ROW.search(page)
    assert row and not re.search(r"script|alert|onerror|mathcal|\*\*", row[0])


def test_a_paper_whose_abstract_yake_cannot_read_still_has_its_page(
    site: Settings, engine: Engine
) -> None:
    # a page's abstract of 4,000 braces made yake-rust panic: the page and the API were 500s
    paper = Paper(
        id="2606.90002", title="Braces", abstract="{" * 4000, source="test", listing_date=DAYS[0]
    )
    with engine.begin() as conn:
        upsert_papers(conn, [paper])
    with client(site, engine) as c:
        page = c.get(f"/papers/{paper.id}")
        api = c.get(f"/api/papers/{paper.id}")
    assert page.status_code == 200 and api.status_code == 200
    assert _row(page.text) == [] and api.json()["keywords"] == []


def test_a_hidden_paper_shows_no_keywords(site: Settings, engine: Engine) -> None:
    pid = next(iter(on_day(engine, DAYS[2])))
    with client(site, engine) as c:
        shown = c.get(f"/papers/{pid}").text
        sign_up(c, "admin")
        with engine.begin() as conn:
            assert set_admin(conn, "admin", True)
            assert set_flags(conn, pid, True, False)
        hidden = c.get(f"/papers/{pid}").text  # an admin still sees the page
        api = c.get(f"/api/papers/{pid}")
    assert _row(shown)
    assert "This paper is hidden from listings" in hidden
    assert 'id="keywords"' not in hidden and "extracted automatically" not in hidden
    assert api.status_code == 404
