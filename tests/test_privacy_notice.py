"""An operator's privacy notice (PAPERFEED_PRIVACY_URL), linked from every page's footer; an
address that is no link is refused when the settings are read."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from paperfeed.settings import Settings
from tests.web_support import client


@pytest.mark.parametrize("url", ["https://example.org/privacy", "/privacy"])
def test_a_privacy_notice_is_linked_from_every_page(
    site: Settings, engine: Engine, url: str
) -> None:
    noted = site.model_copy(update={"privacy_url": url, "base_url": "https://example.org/papers"})
    expected = url if url.startswith("https") else "/papers/privacy"
    with client(noted, engine) as c:
        for path in ("/papers/", "/papers/signin", "/papers/unsubscribe?token=spent"):
            page = c.get(path).text
            assert f'<a href="{expected}">Privacy</a>' in page, path
    with client(site, engine) as c:
        assert ">Privacy</a>" not in c.get("/").text  # none set: no link


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "//evil.example/x", "privacy", "/a b"])
def test_a_privacy_notice_address_that_is_no_link_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="privacy_url"):
        Settings(privacy_url=bad, _env_file=None)
