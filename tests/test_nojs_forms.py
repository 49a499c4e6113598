"""Plain forms (no JavaScript) come back to a page that is there, saying what they did."""

from __future__ import annotations

import re
from collections import Counter
from html import unescape
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Engine

from paperfeed.settings import Settings
from tests.web_support import client, csrf_token, post_form, sign_up, stored


def test_muting_from_a_later_page_comes_back_to_a_page_that_is_there(
    site: Settings, engine: Engine
) -> None:
    counts = Counter(p.categories[0] for p in stored(engine).values() if p.categories)
    category = counts.most_common(1)[0][0]
    assert counts[category] > 2  # more than one page of two
    with client(site.model_copy(update={"page_size": 2}), engine) as c:
        sign_up(c, "muter")
        listing = f"/categories/{category}?page=2"
        assert c.get(listing).status_code == 200
        muted = post_form(c, "/me/mute", {"kind": "category", "value": category, "next": listing})
        assert muted.status_code == 303
        back = c.get(muted.headers["location"])
        # Its papers are hidden now: page 2 is gone, page 1 says so and offers to unmute.
        assert back.status_code == 200, back.text[:300]
        assert "hidden by your mutes" in back.text and "unmute" in back.text
        unmuted = post_form(
            c, "/me/mute", {"kind": "category", "value": category, "undo": "1", "next": listing}
        )
        assert unmuted.headers["location"] == listing  # unmuting hides nothing: the same page


def test_unfollowing_and_unmuting_in_the_library_keep_its_view(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        sign_up(c, "keeper")
        post_form(c, "/me/follow", {"kind": "category", "value": "cs.CR"})
        post_form(c, "/me/mute", {"kind": "keyword", "value": "transformer"})
        view = "/library?state=read&order=title"
        page = c.get(view).text
        for what in ("follow", "mute"):
            [form] = re.findall(
                rf'<form method="post" action="/me/{what}" class="inline">.*?</form>', page
            )
            fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
            assert fields["undo"] == "1"
            undone = post_form(
                c, f"/me/{what}", fields | {"next": unescape(fields.get("next", ""))}
            )
            assert undone.headers["location"] == view, what  # not the whole library


def test_a_card_button_pressed_signed_out_signs_in_back_to_the_same_search(
    site: Settings, engine: Engine
) -> None:
    pid = next(iter(stored(engine)))
    with client(site, engine) as c:  # a session that ended (signed out in another tab)
        back = f"/search?q=graph&mode=keyword&page=2#card-{pid}"
        for action, field in (("save", "saved"), ("rate", "rating")):
            sent = post_form(c, f"/papers/{pid}/{action}", {field: "1", "next": back})
            where = urlsplit(sent.headers["location"])
            assert where.path == "/signin" and parse_qs(where.query)["next"] == [back], action


def test_a_refused_subscription_links_back_to_the_page_it_came_from(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        came = "http://testserver/categories/cs.CR?page=1"
        refused = c.post(
            "/subscribe",
            data={"email": "not an address", "categories": "cs.CR", "csrf_token": csrf_token(c)},
            headers={"referer": came},
        )
        assert refused.status_code == 400 and "Not subscribed" in refused.text
        assert 'href="/categories/cs.CR?page=1">Back to the page you came from</a>' in refused.text
        elsewhere = c.post(
            "/subscribe",
            data={"email": "not an address", "csrf_token": csrf_token(c)},
        )
        assert 'href="/">Back to today’s papers</a>' in elsewhere.text  # not said: home


def test_following_or_muting_by_a_plain_form_says_so_on_the_page_it_comes_back_to(
    site: Settings, engine: Engine
) -> None:
    """A follow or mute came back to the page with only its button changed: nothing said what
    was done (a screen reader heard nothing)."""
    with client(site, engine) as c:
        sign_up(c, "reader")
        back = "/categories/cs.CR"
        done = post_form(c, "/me/follow", {"kind": "category", "value": "cs.CR", "next": back})
        assert done.status_code == 303 and done.headers["location"] == back
        page = c.get(back).text
        said = re.findall(r'<p class="notice" role="status" data-said>([^<]*)</p>', page)
        assert [unescape(s) for s in said] == ["Followed category “cs.CR”."]
        assert "data-said" not in c.get(back).text  # said once
        hostile = '<img src=x onerror="alert(1)">'
        post_form(c, "/me/mute", {"kind": "keyword", "value": hostile, "next": back})
        page = c.get(back).text
        assert "Muted keyword “&lt;img src=x" in page and "<img src=x" not in page
        post_form(c, "/me/mute", {"kind": "keyword", "value": hostile, "undo": "1", "next": back})
        assert "Unmuted keyword" in c.get(back).text
        json = c.post(
            "/me/follow",
            data={"kind": "category", "value": "cs.LG", "csrf_token": csrf_token(c, "/")},
            headers={"Accept": "application/json"},
        )
        assert json.status_code == 200 and "pf_said" not in json.headers.get("set-cookie", "")
