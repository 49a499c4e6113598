"""Absolute links (mail, pages, feeds, previews) follow the address `demo`/`serve` listen on."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from paperfeed.settings import Settings
from paperfeed.web.baseurl import same_address
from paperfeed.web.commands import listen_url
from tests.digest_support import Sink, free_port

PAPERFEED = Path(sys.executable).with_name("paperfeed")


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")}
    return keep | {"PAPERFEED_DATA_DIR": str(data_dir), "PAPERFEED_SECRET_KEY": "s" * 32} | extra


@contextmanager
def _running(
    args: list[str], env: dict[str, str], port: int
) -> Iterator[tuple[httpx.Client, list[str]]]:
    """Run a `paperfeed` command until the block ends; yields a client and (then) its stderr."""
    proc = subprocess.Popen([str(PAPERFEED), *args], env=env, stderr=subprocess.PIPE, text=True)
    stderr: list[str] = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            deadline = time.monotonic() + 120
            while True:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "the site did not come up"
                try:
                    http.get("/about")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            yield http, stderr
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
        stderr.append(err)


@pytest.fixture
def demo_copy(demo_settings: Settings, tmp_path: Path) -> Path:
    """A copy of the filled demo store, so `paperfeed demo` starts without loading."""
    data = tmp_path / "data"
    shutil.copytree(demo_settings.data_dir, data, ignore=shutil.ignore_patterns("index"))
    return data


@pytest.mark.slow
def test_demo_on_another_port_links_to_that_port(demo_copy: Path, sink: Sink) -> None:
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    env = _env(demo_copy, PAPERFEED_SMTP_PORT=str(sink.port))
    with _running(["demo", "--port", str(port), "--no-digests"], env, port) as (http, _):
        answer = http.post(
            "/subscribe", data={"email": "port@example.org"}, headers={"Origin": site}
        )
        assert answer.status_code == 200
        [mail] = sink.to("port@example.org")
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        [confirm] = re.findall(r"http://\S+/confirm\?token=\S+", text)
        assert confirm.startswith(f"{site}/confirm?token=")

        page = http.post(confirm.removeprefix(site)).text  # the confirm page's button
        [manage] = re.findall(r'href="([^"]+/preferences\?token=[^"]+)"', page)
        assert manage.startswith(f"{site}/preferences?token=")

        feed = http.get("/feeds/daily.atom").text
        links = re.findall(r'<(?:link href|id)="?>?(http://[^"<]+)', feed)
        assert len(links) > 2 and all(link.startswith(f"{site}/") for link in links)

        # A command run beside the server (here: a digest preview) uses its address too.
        preview = subprocess.run(
            [str(PAPERFEED), "digest", "preview", "port@example.org"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert preview.returncode == 0, preview.stderr
    urls = re.findall(r"https?://\S+", preview.stdout)
    assert any("/unsubscribe?token=" in u for u in urls)
    ours = [u for u in urls if "127.0.0.1" in u or "localhost" in u]  # not papers' code links
    assert ours and all(u.startswith(f"{site}/") for u in ours)
    assert not (demo_copy / "served.json").exists()  # the server said it stopped


@pytest.mark.slow
def test_a_base_url_that_does_not_match_is_reported(demo_copy: Path) -> None:
    port, elsewhere = free_port(), free_port()
    env = _env(demo_copy, PAPERFEED_BASE_URL=f"http://127.0.0.1:{elsewhere}")
    with _running(["serve", "--port", str(port), "--no-digests"], env, port) as (http, stderr):
        http.get("/")
        feed = http.get("/feeds/daily.atom").text
    assert f'href="http://127.0.0.1:{elsewhere}/' in feed  # the configured address wins
    [err] = stderr
    assert f"PAPERFEED_BASE_URL=http://127.0.0.1:{elsewhere}, but this server listens" in err
    assert f"a request arrived at 127.0.0.1:{port}" in err


def test_listen_addresses_become_link_addresses() -> None:
    assert listen_url("127.0.0.1", 8765) == "http://127.0.0.1:8765"
    assert listen_url("0.0.0.0", 8765) == "http://127.0.0.1:8765"
    assert listen_url("::1", 8765) == "http://[::1]:8765"
    assert same_address("https://papers.example.org", "papers.example.org")
    assert same_address("https://papers.example.org", "papers.example.org:443")
    assert not same_address("https://papers.example.org", "papers.example.org:8000")
    assert not same_address("http://127.0.0.1:8000", "127.0.0.1:8765")
    assert Settings(_env_file=None).public_url == "http://127.0.0.1:8000"  # type: ignore[call-arg]
    s = Settings(listen_url="http://127.0.0.1:8765/", _env_file=None)  # type: ignore[call-arg]
    assert s.public_url == "http://127.0.0.1:8765" and not s.smtp_configured


@pytest.mark.slow
def test_demo_without_smtp_keeps_its_mail_in_a_mailbox(demo_copy: Path) -> None:
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    env = _env(demo_copy)
    with _running(["demo", "--port", str(port), "--no-digests"], env, port) as (http, stderr):
        form = {"email": "box@example.org"}
        answer = http.post("/subscribe", data=form, headers={"Origin": site})
        assert "demo mailbox" in answer.text
        # `paperfeed subscribe` beside the demo puts its mail in the same mailbox.
        cli = subprocess.run(
            [str(PAPERFEED), "subscribe", "cli@example.org"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        box = http.get("/demo/mailbox").text
    assert cli.returncode == 0 and f"sent to cli@example.org (demo mailbox: {site}" in cli.stdout
    assert "To box@example.org" in box and "To cli@example.org" in box
    assert 'href="/confirm?token=' in box and f"{site}/confirm?token=" in box
    [err] = stderr
    assert f"mail is kept in the demo mailbox, {site}/demo/mailbox" in err
    assert "mail to b***@example.org: Confirm your paperfeed subscription" in err
