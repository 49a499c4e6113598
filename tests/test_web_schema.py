"""Property tests of the JSON API from its own OpenAPI document (schemathesis): never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.web import create_app
from tests.digest_support import smtp_sink
from tests.replay import arxiv_api_handler, replay
from tests.web_support import fill_store, sign_up, web_settings

PASSWORD = "schema probing passphrase"
EXAMPLES = 10  # per operation: the whole test stays well under two minutes


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The site over a small real store; arXiv replayed, mail to a loopback sink."""
    folder = tmp_path_factory.mktemp("schema")
    with replay(arxiv_api_handler) as arxiv, smtp_sink() as sink:
        base = Settings(data_dir=folder / "data", request_delay=0.0, _env_file=None)  # type: ignore[call-arg]
        s = web_settings(base, arxiv_api_url=arxiv.url, smtp_port=sink.port, http_retries=0)
        s = s.model_copy(update={"auth_rate_limit": 10**6, "auth_account_rate_limit": 10**6})
        engine = open_store(s)
        fill_store(engine, s, folder / "listings")
        app = create_app(s, engine)
        with TestClient(app) as c:
            sign_up(c, "prober", PASSWORD)
            token = c.post("/api/login", json={"username": "prober", "password": PASSWORD})
            app.state.probe_token = token.json()["token"]
        yield app
        engine.dispose()


def test_no_input_makes_a_server_error(api_app: FastAPI) -> None:
    """Every operation, anonymous and signed in with a bearer token, on generated input."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", api_app)
    bearer = {"Authorization": f"Bearer {api_app.state.probe_token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_5xx(case: Any) -> None:
            for headers in ({}, bearer):
                if headers and case.path == "/api/logout":
                    continue  # it would revoke the token the other examples use
                response = case.call(headers=headers)
                assert response.status_code < 500, (case.method, case.path, response.text[:300])

        no_5xx()


def test_subscription_routes_document_what_they_accept(api_app: FastAPI) -> None:
    doc = api_app.openapi()
    for path in ("/subscribe", "/preferences", "/api/subscribe"):
        body = doc["paths"][path]["post"]["requestBody"]["content"]
        fields = next(iter(body.values()))["schema"]["properties"]
        assert {"frequency", "weekday", "keywords"} <= set(fields), path
    for path, method in (("/confirm", "get"), ("/unsubscribe", "post"), ("/preferences", "get")):
        names = {p["name"] for p in doc["paths"][path][method]["parameters"]}
        assert "token" in names, path
    assert (
        "email"
        in doc["paths"]["/api/subscribe"]["post"]["requestBody"]["content"]["application/json"][
            "schema"
        ]["required"]
    )
