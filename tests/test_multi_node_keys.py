"""Nodes over one store that sign with different secret keys: the ones a newer node disagrees
with answer 503 at /readyz, so the load balancer keeps them out (a form from one node's page
would be refused by the other, and so would the links in its emails)."""

from __future__ import annotations

import os
import re
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.web.app import create_app
from paperfeed.web.ops import OTHER_KEY
from tests.test_scale_out import serving, until
from tests.web_support import web_settings

KEY_ONE = "1f0e5a" + "9c3b7d2e4f6a8b0c1d3e5f7a9b2c4d6e8f0a1b3c5d7e9f2a4b6c8d0e1f3a5b"
KEY_TWO = "7a2c4e" + "6b8d0f1a3c5e7b9d2f4a6c8e0b1d3f5a7c9e2b4d6f8a0c1e3b5d7f9a2c4e6b"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _node(settings: Settings, key: str) -> Settings:
    return web_settings(settings, secret_key=key, dev_mode=False)


def _ready(c: TestClient | httpx.Client) -> tuple[int, list[str]]:
    answer = c.get("/readyz")
    return answer.status_code, answer.json()["problems"]


def _started(stack: ExitStack, settings: Settings, engine: Engine) -> TestClient:
    c = stack.enter_context(TestClient(create_app(settings, engine)))
    c.app.state.site.warm_search()  # type: ignore[attr-defined]
    return c


def test_a_node_started_with_another_key_takes_the_older_one_out_of_rotation(
    settings: Settings, engine: Engine
) -> None:
    with ExitStack() as stack:
        one = _started(stack, _node(settings, KEY_ONE), engine)
        assert _ready(one) == (200, [])
        same = _started(stack, _node(settings, KEY_ONE), engine)
        assert _ready(one) == (200, []) and _ready(same) == (200, [])

        two = _started(stack, _node(settings, KEY_TWO), engine)
        assert _ready(two) == (200, [])
        assert _ready(one) == (503, [OTHER_KEY])
        assert _ready(same) == (503, [OTHER_KEY])

        # Why it is kept out: a form from node two's page is refused by node one.
        one.cookies.update(two.cookies)
        token = _TOKEN.search(two.get("/signup").text)
        assert token
        form = {"username": "ada", "password": "a long password", "csrf_token": token[1]}
        assert one.post("/signup", data=form, follow_redirects=False).status_code == 403

        # Node one restarted with the key the others use: every node is ready again.
        again = _started(stack, _node(settings, KEY_TWO), engine)
        assert _ready(again) == (200, []) and _ready(two) == (200, [])
        again.cookies.update(two.cookies)
        assert again.post("/signup", data=form, follow_redirects=False).status_code == 303


def _env(pg_url: str, data: Path, key: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")}
    ours = {
        "DATA_DIR": str(data),
        "DATABASE_URL": pg_url,
        "SECRET_KEY": key,
        "DEV_MODE": "false",
        "EMBED_MODEL": "static",
        "PAGE_CACHE_CHECK_SECONDS": "0",
        "ACCESS_LOG": "off",
    }
    src = str(Path(__file__).parent.parent / "src")
    return keep | {f"PAPERFEED_{k}": v for k, v in ours.items()} | {"PYTHONPATH": src}


@pytest.mark.slow
def test_two_serve_processes_with_different_keys_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    open_store(Settings(data_dir=tmp_path / "setup", database_url=pg_url, _env_file=None)).dispose()
    with ExitStack() as nodes:
        one = nodes.enter_context(serving(_env(pg_url, tmp_path / "one", KEY_ONE)))
        until(lambda: _ready(one)[0] == 200, "node one never became ready")
        two = nodes.enter_context(serving(_env(pg_url, tmp_path / "two", KEY_TWO)))
        until(lambda: _ready(two)[0] == 200, "node two never became ready")
        assert _ready(one) == (503, [OTHER_KEY])
        log = (tmp_path / "two.log").read_text()
        assert "signs with another PAPERFEED_SECRET_KEY than the node started before it" in log
