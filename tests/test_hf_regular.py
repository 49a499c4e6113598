"""A daily Hugging Face Papers and alphaXiv reader's moves: their addresses, the calendar, who
upvoted."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine

from paperfeed.arxiv_ids import parse_arxiv_id
from paperfeed.settings import Settings
from paperfeed.store.accounts import (
    DELETED_NAME,
    add_submission,
    find_user,
    set_admin,
    set_suspended,
)
from paperfeed.store.listings import set_flags
from tests.web_support import DAYS, bearer, client, on_day, post_form, sign_up


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://huggingface.co/papers/2606.30673", ("2606.30673", None)),
        ("hf.co/papers/2606.30673#community", ("2606.30673", None)),
        ("https://www.alphaxiv.org/abs/2606.30673v2", ("2606.30673", 2)),
        ("https://www.alphaxiv.org/overview/2606.30673", ("2606.30673", None)),
    ],
)
def test_hugging_face_and_alphaxiv_pages_name_their_arxiv_paper(
    text: str, expected: tuple[str, int | None]
) -> None:
    assert parse_arxiv_id(text) == expected


def test_submitting_a_hugging_face_or_alphaxiv_address_reads_its_arxiv_id(
    site: Settings, engine: Engine
) -> None:
    """Submit refused "https://huggingface.co/papers/ID" (the address HF readers copy) as not an
    arXiv id, though search took it; it is now read as the paper it names."""
    here = next(iter(on_day(engine, DAYS[0])))  # listed months before the tests' today
    with client(site, engine) as c:
        sign_up(c, "reader")
        page = post_form(c, "/submit", {"paper": f"https://huggingface.co/papers/{here}"})
        junk = post_form(c, "/submit", {"paper": "https://huggingface.co/models/gpt2"})
        token = bearer(c, "client")
        api = c.post(
            "/api/submit", json={"id": f"https://www.alphaxiv.org/abs/{here}"}, headers=token
        )
    assert page.status_code == 400
    assert "only papers from the last" in page.text
    assert f'<a href="/papers/{here}">Open its page here</a>' in page.text
    assert api.status_code == 400
    assert "only papers from the last" in api.json()["detail"]
    assert junk.status_code == 400
    assert "huggingface.co/papers" in junk.text


def test_a_week_sorted_newest_first_pages_on_in_that_order(site: Settings, engine: Engine) -> None:
    """`?sort=new` lists a period's papers newest first, and its next page carries it on."""
    week = f"/papers/week/{DAYS[0].isocalendar()[0]}-W{DAYS[0].isocalendar()[1]:02d}"
    with client(site, engine) as c:
        first = c.get(week + "?sort=new")
        second = c.get(week + "?sort=new&page=2")
        bad = c.get(week + "?sort=oldest")
        picked = c.get(f"/daily?date={DAYS[0].isoformat()}&sort=new", follow_redirects=False)
    assert first.status_code == second.status_code == 200
    shown = re.findall(r'<article class="card" data-id="([^"]+)"', first.text + second.text)
    day_of = {pid: day for day in DAYS for pid in on_day(engine, day)}
    assert len(shown) == 2 * site.page_size
    assert shown == sorted(shown, key=lambda pid: (day_of[pid], pid), reverse=True)
    assert "page=2&amp;sort=new" in first.text
    assert bad.status_code == 400
    assert picked.headers["location"].endswith(f"/papers/date/{DAYS[0].isoformat()}?sort=new")


def test_a_submitter_s_name_opens_their_profile_as_on_hugging_face(
    site: Settings, engine: Engine
) -> None:
    """A card's "submitted by dana" was plain text, where Hugging Face links the submitter; it
    now opens dana's profile (their submissions), and a suspended account is named only."""
    with client(site, engine) as c:
        sign_up(c, "dana")
        shown = re.search(r'data-id="([^"]+)"', c.get(f"/papers/date/{DAYS[0]}").text)
        assert shown is not None
        pid = shown.group(1)
        with engine.begin() as conn:
            found = find_user(conn, "dana")
            assert found is not None
            dana = found[0].id
            add_submission(conn, pid, dana, DAYS[0])
        day = c.get(f"/papers/date/{DAYS[0]}").text
        profile = c.get("/users/dana").text
        with engine.begin() as conn:
            assert set_suspended(conn, dana, True)
        hidden = c.get(f"/papers/date/{DAYS[0]}").text
    assert 'submitted by <a href="/users/dana">dana</a>' in day
    assert f'href="/papers/{pid}"' in profile.split("Submissions")[1]
    assert f"submitted by {DELETED_NAME}</span>" in hidden
    assert 'href="/users/dana"' not in hidden


def test_hugging_face_s_search_address_opens_the_search_with_its_words(
    site: Settings, engine: Engine
) -> None:
    """HF's search address with the host swapped (/papers?q=graph) led to /daily and lost the
    words; it, and the trending page's search, now open this site's search for them."""
    with client(site, engine) as c:
        index = c.get("/papers", params={"q": " graph <b>nets</b> "}, follow_redirects=False)
        trending = c.get("/papers/trending?q=graph", follow_redirects=False)
        both = c.get(f"/papers?q=graph&date={DAYS[0]}", follow_redirects=False)
        blank = c.get("/papers?q=+", follow_redirects=False)
        blank_trending = c.get("/papers/trending?q=", follow_redirects=False)
        shown = c.get("/papers?q=graph")
        too_long = c.get("/papers", params={"q": "x" * 10_001})
    assert index.status_code == trending.status_code == both.status_code == 301
    assert index.headers["location"] == "/search?q=graph+%3Cb%3Enets%3C%2Fb%3E"
    assert trending.headers["location"] == both.headers["location"] == "/search?q=graph"
    assert blank.headers["location"] == "/daily"
    assert blank_trending.headers["location"] == "/trending"
    assert str(shown.url).endswith("/search?q=graph")
    assert 'value="graph"' in shown.text
    assert too_long.status_code == 400
    assert "q" in too_long.text and "10000" in too_long.text


def test_a_paper_page_links_its_submitter_and_its_markdown(site: Settings, engine: Engine) -> None:
    """The paper page's "Submitted by dana" was plain text while the card linked dana's profile,
    and it did not offer the paper as Markdown for agents (HF's "Get this paper in your agent");
    both are links now, a suspended submitter is named only, a hidden paper offers no Markdown."""
    pid = next(iter(on_day(engine, DAYS[0])))
    with client(site, engine) as c:
        sign_up(c, "dana")
        with engine.begin() as conn:
            found = find_user(conn, "dana")
            assert found is not None
            dana = found[0].id
            add_submission(conn, pid, dana, DAYS[0])
        page = c.get(f"/papers/{pid}").text
        md = c.get(f"/papers/{pid}.md")
        with engine.begin() as conn:
            assert set_suspended(conn, dana, True)
        suspended = c.get(f"/papers/{pid}").text
        sign_up(c, "admin")
        with engine.begin() as conn:
            assert set_admin(conn, "admin", True)
            assert set_flags(conn, pid, True, False)
        hidden = c.get(f"/papers/{pid}").text  # an admin still sees it; its .md is a 404
    assert '<p class="credit">Submitted by <a href="/users/dana">dana</a> on ' in page
    assert '<link rel="alternate" type="text/markdown" title="' in page
    assert f'href="/papers/{pid}.md">' in page.split("</head>")[0]
    cite = page.split('id="cite"')[1].split("</section>")[0]
    assert f'<a href="/papers/{pid}.md" type="text/markdown">This paper as Markdown</a>' in cite
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert f'<p class="credit">Submitted by {DELETED_NAME} on ' in suspended
    assert 'href="/users/dana"' not in suspended
    assert "This paper is hidden from listings" in hidden
    assert f"/papers/{pid}.md" not in hidden
