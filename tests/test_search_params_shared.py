"""The search filters mean the same in the JSON API and in the search feed: their query
parameters are declared once (`web/search_params.py`), so the OpenAPI document gives both
the same schema and description."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from paperfeed.settings import Settings
from paperfeed.web.app import create_app

SHARED = ("q", "mode", "category", "author", "since", "until")


def _params(document: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    """The query parameters of GET `path`, by name."""
    found = document["paths"][path]["get"]["parameters"]
    return {p["name"]: p for p in found if p["in"] == "query"}


def test_the_api_and_the_feed_document_the_search_filters_alike(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    document = create_app(settings).openapi()
    api = _params(document, "/api/papers/search")
    feed = _params(document, "/feeds/search.{fmt}")
    for name in SHARED:
        assert api[name] == feed[name], name
    assert "author:" in api["q"]["description"]  # the query syntax is said in both
    assert "YYYY-MM-DD" in feed["since"]["description"]
    assert "empty: no limit" in api["until"]["description"]
