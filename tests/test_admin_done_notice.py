"""/admin says what the last action did from the address it redirects to; a link from outside
the site could put made-up words there ("Done: your data was lost, mail …"), so only a
navigation from the site itself shows them."""

from __future__ import annotations

from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store.accounts import set_admin
from tests.web_support import client, sign_up

WORDS = "restore the backup from evil.example"


def test_a_done_notice_shows_only_for_a_navigation_from_the_site(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        sign_up(c, "mod", "correct horse battery")
        with engine.begin() as conn:
            set_admin(conn, "mod", True)
        page = "/admin"
        ours = c.get(page, params={"done": WORDS}, headers={"Sec-Fetch-Site": "same-origin"})
        assert ours.status_code == 200 and f"Done: {WORDS}" in ours.text
        for came_from in ("cross-site", "same-site", "none"):
            crafted = c.get(page, params={"done": WORDS}, headers={"Sec-Fetch-Site": came_from})
            assert crafted.status_code == 200, came_from
            assert "Done:" not in crafted.text and WORDS not in crafted.text, came_from
            assert "Held comments" in crafted.text  # the console itself still shows
