"""A daily discussant's view of a paper page: long discussions, deep links, maths in comments."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from paperfeed.markup import render_markdown
from paperfeed.settings import Settings
from paperfeed.store.accounts import users
from paperfeed.store.community import add_comment, comments
from paperfeed.util import utcnow
from paperfeed.web.discuss import FEED_COMMENTS
from paperfeed.web.discussion import THREADS_PER_PAGE
from tests.web_support import DAYS, client, on_day, post_form, sign_up

_ARTICLE = re.compile(r'<article class="comment( reply)?" id="c(\d+)"')


def _pid(engine: Engine) -> str:
    return sorted(on_day(engine, DAYS[1]))[0]


def _reader(c: TestClient, engine: Engine, name: str) -> int:
    """A signed-up account, a month old (so its links and mentions work); its id."""
    sign_up(c, name)
    with engine.begin() as conn:
        query = update(users).where(users.c.username == name)
        conn.execute(query.values(created_at=utcnow() - timedelta(days=30)))
        return int(conn.execute(select(users.c.id).where(users.c.username == name)).scalar_one())


def _shown(html: str) -> tuple[list[int], list[int]]:
    """The top-level comments and the replies a page shows, by id."""
    found = _ARTICLE.findall(html)
    return [int(i) for r, i in found if not r], [int(i) for r, i in found if r]


def _popular(engine: Engine, pid: str, author: int, threads: int) -> tuple[list[int], list[int]]:
    """`threads` top-level comments, each with two replies; their ids, oldest first."""
    tops, replies = [], []
    with engine.begin() as conn:
        for n in range(threads):
            top = add_comment(conn, pid, author, f"Point {n}: $x_{n}$ matters.", None)
            tops.append(top)
            replies += [add_comment(conn, pid, author, f"Re {n}.{k}", top) for k in (1, 2)]
        # Written over the past days: this hour's comments would stop the reader's next one.
        conn.execute(update(comments).values(created_at=utcnow() - timedelta(days=2)))
    return tops, replies


def test_a_popular_paper_shows_its_discussion_a_page_at_a_time(
    site: Settings, engine: Engine
) -> None:
    pid = _pid(engine)
    with client(site, engine) as c:
        ada = _reader(c, engine, "ada")
        tops, replies = _popular(engine, pid, ada, 2 * THREADS_PER_PAGE + 5)
        first = c.get(f"/papers/{pid}")
        shown, answers = _shown(first.text)
        # The newest first among equal votes, each with its replies; not all 315 comments.
        assert shown == tops[::-1][:THREADS_PER_PAGE]
        assert len(answers) == 2 * THREADS_PER_PAGE
        assert "Comments page 1 of 3" in first.text
        assert f'href="/papers/{pid}?sort=top&amp;cpage=2#discussion"' in first.text
        last = c.get(f"/papers/{pid}?cpage=3")
        assert _shown(last.text)[0] == tops[4::-1] and "Comments page 3 of 3" in last.text
        assert _shown(c.get(f"/papers/{pid}?cpage=99").text)[0] == tops[4::-1]  # the last
        assert _shown(c.get(f"/papers/{pid}?sort=new&cpage=2").text)[0] == tops[::-1][50:100]


def test_a_link_to_a_comment_opens_the_page_that_holds_it(site: Settings, engine: Engine) -> None:
    pid = _pid(engine)
    with client(site, engine) as c:
        ada = _reader(c, engine, "ada")
        tops, replies = _popular(engine, pid, ada, THREADS_PER_PAGE + 3)
        for wanted in (tops[0], replies[1]):  # on the last page; a reply there
            page = c.get(f"/papers/{pid}?comment={wanted}")
            assert f'id="c{wanted}"' in page.text and "Comments page 2 of 2" in page.text
        # Posting, upvoting and editing come back to the comment, wherever its page is.
        made = post_form(c, f"/papers/{pid}/comments", {"body": "Late to this", "parent": ""})
        new = int(made.headers["location"].rsplit("#c", 1)[1])
        assert made.headers["location"] == f"/papers/{pid}?comment={new}#c{new}"
        voted = post_form(c, f"/comments/{tops[0]}/vote", {"up": "1"})
        assert voted.headers["location"] == f"/papers/{pid}?comment={tops[0]}#c{tops[0]}"
        assert f'id="c{tops[0]}"' in c.get(voted.headers["location"]).text  # page 1, now top
        edited = post_form(c, f"/comments/{replies[0]}/edit", {"body": "Re, edited"})
        assert f'id="c{replies[0]}"' in c.get(edited.headers["location"]).text
        # A comment that is not there (or on another paper) leaves the page as asked.
        assert "Comments page 1 of 2" in c.get(f"/papers/{pid}?comment=999999").text


def test_display_environments_in_a_comment_stay_maths() -> None:
    # KaTeX on the page typesets \begin{align}...\end{align}; Markdown ate its "\\" line breaks
    # and left it outside the maths spans KaTeX looks in.
    html = str(render_markdown(r"Then \begin{align} a &= b \\ c &= d \end{align} holds."))
    assert r'<span class="math">\begin{align} a &amp;= b \\ c &amp;= d \end{align}</span>' in html
    starred = str(render_markdown("\\begin{equation*}\n@ada x\n\n y\n\\end{equation*}"))
    assert starred.startswith('<p><span class="math">\\begin{equation*}') and "<a" not in starred
    # A mismatched pair is not maths; in code it stays code.
    assert "math" not in str(render_markdown(r"\begin{align} x \end{gather}"))
    code = str(render_markdown("```\n\\begin{align}a\\\\b\\end{align}\n```"))
    assert code.strip() == "<pre><code>\\begin{align}a\\\\b\\end{align}\n</code></pre>"


def test_a_popular_papers_comment_feed_holds_its_newest_comments(
    site: Settings, engine: Engine
) -> None:
    pid = _pid(engine)
    with client(site, engine) as c:
        ada = _reader(c, engine, "ada")
        tops, replies = _popular(engine, pid, ada, 30)  # 90 comments
        with engine.begin() as conn:  # the oldest comment, edited since: news to a reader
            query = update(comments).where(comments.c.id == tops[0])
            conn.execute(query.values(edited_at=utcnow()))
        feed = c.get(f"/feeds/papers/{pid}/comments.atom").text
        ids = [int(i) for i in re.findall(r"<id>[^<]*#c(\d+)</id>", feed)]
        newest = sorted(tops + replies)[-(FEED_COMMENTS - 1) :]
        assert ids == [tops[0], *newest]
