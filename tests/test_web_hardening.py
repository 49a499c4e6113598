"""Issue 9, the web server's hardening: inputs, limits, credentials and overload."""

from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.web import csrf
from tests.web_support import HOSTILE, client, csrf_token


def test_csrf_token_goes_only_into_form_fields(site: Settings, engine: Engine) -> None:
    lure = f"see https://github.com/attacker/__pf_csrf_token__ and /x/{csrf.PLACEHOLDER}"
    planted = replace(
        HOSTILE,
        comments=lure,
        code_links=(f"https://github.com/attacker/{csrf.PLACEHOLDER}",),
    )
    with engine.begin() as conn:
        upsert_papers(conn, [planted])
    with client(site, engine) as c:
        token = csrf_token(c, "/")
        for _ in range(2):  # rendered, then from the page cache
            page = c.get(f"/papers/{HOSTILE.id}").text
            fields = re.findall(r'name="csrf_token" value="([^"]+)"', page)
            assert fields and set(fields) == {token}
            assert page.count(token) == len(fields)
