"""A site under a path (PAPERFEED_BASE_URL=…/papers): its access log shows the path the client
asked for, prefix included (secrets still redacted); metrics keep the route template as label."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.web.app import create_app
from tests.web_support import web_settings


def test_access_log_lines_under_a_path_show_the_prefix(
    sqlite_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = web_settings(sqlite_settings, base_url="http://testserver/papers")
    engine = open_store(settings)
    try:
        app = create_app(settings, engine)
        with TestClient(app, base_url="http://testserver") as c:
            assert c.get("/papers/about").status_code == 200
            assert c.get("/papers/feeds/for-you/s3cr3t.atom").status_code in (403, 404)
            assert c.get("/healthz").status_code == 200
            lines = capsys.readouterr().err.splitlines()  # the access log writes to stderr
            metrics = c.get("/metrics").text
    finally:
        engine.dispose()
    assert any('"GET /papers/about" 200' in line for line in lines), lines
    assert any('"GET /papers/feeds/for-you/[redacted].atom"' in line for line in lines), lines
    assert any('"GET /healthz" 200' in line for line in lines), lines  # asked at the root
    assert not any('"GET /about"' in line or "s3cr3t" in line for line in lines), lines
    # a label is the route's template, the same at a host's root and under a path: few labels
    assert 'route="/about"' in metrics and 'route="/papers/about"' not in metrics
