"""Plain forms (no JavaScript) come back to a page that is there, saying what they did."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Engine

from paperfeed.settings import Settings
from tests.web_support import client, post_form, sign_up, stored


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
