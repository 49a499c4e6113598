"""A reading group shares collections: what the lead, a member and a stranger each see."""

from __future__ import annotations

import re
from html import escape, unescape

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store.library import user_collections
from tests.web_support import DAYS, client, on_day, post_form, sign_up

NAME = "Reading group — week 49 🧪 <script>alert(1)</script> $x^2$ עברית"
DESCRIPTION = (
    "We read **two** papers on $\\alpha + \\beta$.\r\n\r\n"
    "<script>alert(2)</script> [bad](javascript:alert(3))"
)


def test_a_collections_description_is_markdown_with_maths_and_inert(
    site: Settings, engine: Engine
) -> None:
    ids = sorted(on_day(engine, DAYS[0]))[:2]
    with client(site, engine) as lead, client(site, engine) as stranger:
        sign_up(lead, "lead")
        for pid in ids:
            post_form(lead, f"/papers/{pid}/save", {"collection": NAME, "next": "/library"})
        with engine.connect() as conn:
            (week,) = user_collections(conn, 1)
        edit = {"name": NAME, "description": DESCRIPTION, "visibility": "public"}
        assert post_form(lead, f"/collections/{week.id}/edit", edit).status_code == 303
        with engine.connect() as conn:
            (week,) = user_collections(conn, 1)
        assert week.description == DESCRIPTION.replace("\r\n", "\n")  # as typed, lines kept
        form = lead.get(f"/library?collection={week.id}").text
        assert re.search(r'<textarea name="description"[^>]*>We read \*\*two\*\*', form)
        for path in (f"/c/{week.share_key}", "/collections"):
            shown = stranger.get(path).text
            assert "<strong>two</strong>" in shown, path
            assert '<span class="math">$\\alpha + \\beta$</span>' in shown, path
            assert "<script>alert" not in shown and 'href="javascript:' not in shown, path
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown, path  # the name, as text
        page = stranger.get(f"/c/{week.share_key}").text
        described = re.search(r'<div class="sub description">(.*?)</div>', page, re.S)
        assert described and described[1].count("<p>") == 2  # its paragraphs kept apart


def _named_on(c: TestClient, pid: str) -> list[str]:
    """The public collections a paper's page names, as its reader sees them."""
    page = c.get(f"/papers/{pid}").text
    section = re.search(r'<section class="in-public-collections".*?</section>', page, re.S)
    return re.findall(r'<a href="/c/[^"]+"><bdi>([^<]*)</bdi></a>', section[0]) if section else []


def test_a_papers_page_names_the_public_collections_holding_it_and_no_other(
    site: Settings, engine: Engine
) -> None:
    pid, other = sorted(on_day(engine, DAYS[0]))[:2]
    with client(site, engine) as lead, client(site, engine) as stranger:
        sign_up(lead, "lead")
        for name in (NAME, "drafts"):
            post_form(lead, f"/papers/{pid}/save", {"collection": name, "next": "/library"})
        post_form(lead, f"/papers/{other}/save", {"collection": NAME, "next": "/library"})
        with engine.connect() as conn:
            cols = {c.name: c for c in user_collections(conn, 1)}
        week, drafts = cols[NAME], cols["drafts"]
        shown = escape(NAME, quote=False)

        def edit(visibility: str, name: str = NAME) -> None:
            form = {"name": name, "description": "", "visibility": visibility}
            assert post_form(lead, f"/collections/{week.id}/edit", form).status_code == 303

        unlisted = {"name": "drafts", "description": "", "visibility": "unlisted"}
        post_form(lead, f"/collections/{drafts.id}/edit", unlisted)
        assert _named_on(stranger, pid) == []  # private and unlisted ones are never named
        edit("public")
        assert _named_on(stranger, pid) == [shown]  # a page kept before is not served stale
        page = stranger.get(f"/papers/{pid}").text
        assert "<script>alert(1)" not in page and 'by <a href="/users/lead">lead</a>' in page
        assert "2 papers" in page
        edit("public", "Week 49, renamed")
        assert _named_on(stranger, pid) == ["Week 49, renamed"]
        edit("private", "Week 49, renamed")
        assert _named_on(stranger, pid) == []
        edit("public")
        back = f"/library?collection={week.id}"
        post_form(lead, f"/collections/{week.id}/remove", {"paper_id": pid, "next": back})
        assert _named_on(stranger, pid) == [] and _named_on(stranger, other) == [shown]
        post_form(lead, f"/collections/{week.id}/delete", {"confirmed": "1"})
        assert _named_on(stranger, other) == []


def test_a_shared_collection_is_sorted_by_title_or_newest_paper_across_its_pages(
    site: Settings, engine: Engine
) -> None:
    papers = on_day(engine, DAYS[0]) | on_day(engine, DAYS[1])
    chosen = sorted(papers)[:7]
    with client(site, engine) as lead, client(site, engine) as member:
        sign_up(lead, "lead")
        for pid in chosen:
            post_form(lead, f"/papers/{pid}/save", {"collection": "week 49", "next": "/library"})
        with engine.connect() as conn:
            (week,) = user_collections(conn, 1)
        edit = {"name": "week 49", "description": "", "visibility": "unlisted"}
        post_form(lead, f"/collections/{week.id}/edit", edit)
        sign_up(member, "member")
        by_title = sorted(chosen, key=lambda pid: (papers[pid].title.lower(), pid))
        for order, expected in (("title", by_title), ("published", None)):
            first = member.get(f"/c/{week.share_key}?order={order}")
            assert first.status_code == 200
            assert f'href="/c/{week.share_key}?order={order}" aria-current="page"' in first.text
            nxt = re.search(r'rel="next" href="([^"]+)"', first.text)
            assert nxt and f"order={order}" in unescape(nxt[1])  # the next page keeps the order
            second = member.get(unescape(nxt[1])).text
            shown = re.findall(r'data-id="([^"]+)"', first.text + second)
            if expected is not None:
                assert shown == expected
            else:
                p = [papers[pid] for pid in shown]
                dates = [str(x.published or x.first_seen) for x in p]  # as stored
                assert "None" not in dates
                assert sorted(shown) == sorted(chosen) and dates == sorted(dates, reverse=True)
        bad = member.get(f"/c/{week.share_key}?order=<script>")
        assert bad.status_code == 400 and "order is one of added, published, title" in bad.text
        assert "<script>" not in bad.text  # the value is not echoed
