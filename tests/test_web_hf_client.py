"""Hugging Face's own client, huggingface_hub, pointed at paperfeed: every paper call works."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.web.app import create_app
from paperfeed.web.periods import week_period
from tests.web_support import DAYS, HOSTILE, HOSTILE_ID, on_day, stored

hub = pytest.importorskip("huggingface_hub")
from huggingface_hub import constants as hub_constants  # noqa: E402
from huggingface_hub.errors import HfHubHTTPError  # noqa: E402


@contextmanager
def served(settings: Settings, engine: Engine) -> Iterator[str]:
    """The app on a loopback port, as `paperfeed serve` runs it."""
    config = uvicorn.Config(create_app(settings, engine), host="127.0.0.1", port=0)
    config.log_level = "warning"
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the site did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def hf_api(site: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    # The test suite runs with HF_HUB_OFFLINE=1; this client talks only to the loopback site.
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", False)
    with served(site, engine) as url:
        yield hub.HfApi(endpoint=url, token=False)


def test_every_paper_call_of_huggingface_hub(hf_api, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    api = hf_api
    day = DAYS[1]
    daily = list(api.list_daily_papers(date=day.isoformat()))
    assert {p.id for p in daily} == set(on_day(engine, day))
    week = list(api.list_daily_papers(week=week_period(day).slug, limit=100))
    assert set(on_day(engine, day)) <= {p.id for p in week}
    month = list(api.list_daily_papers(month=day.strftime("%Y-%m"), limit=100))
    assert {p.id for p in month} == set(stored(engine))
    trending = list(api.list_daily_papers(sort="trending", limit=100))
    ranked = hub.get_session().get(f"{api.endpoint}/api/trending", params={"limit": 100}).json()
    assert [p.id for p in trending] == [i["paper"]["id"] for i in ranked]

    found = list(api.list_papers(query="Attention Is Not Enough", limit=5))
    assert HOSTILE_ID in {p.id for p in found}
    info = api.paper_info(HOSTILE_ID)
    assert info.id == HOSTILE_ID and info.title == HOSTILE.title

    text = api.read_paper(HOSTILE_ID)
    assert text.startswith("# Attention &lt;script>")
    assert "Mallory O'Hara" in text and "https://github.com/example/hostile" in text
    assert f"https://arxiv.org/abs/{HOSTILE_ID}" in text and "## Abstract" in text
    with pytest.raises(HfHubHTTPError):
        api.read_paper("9999.99999")


def test_markdown_escapes_raw_html_but_keeps_maths_as_written() -> None:
    from paperfeed.web.markdown import _text

    assert _text(r"Sets $\{x \mid x^2 < 1\}$ and $a<b$, <5 % error") == (
        r"Sets $\{x \mid x^2 < 1\}$ and $a<b$, <5 % error"
    )
    assert (
        _text("a <img src=x onerror=alert(1)> b </b>")
        == "a &lt;img src=x onerror=alert(1)> b &lt;/b>"
    )
    assert _text("<!-- x --> <javascript:alert(1)> <https://ok.org>") == (
        "&lt;!-- x --> &lt;javascript:alert(1)> <https://ok.org>"
    )
    assert _text("<div") == "&lt;div"
