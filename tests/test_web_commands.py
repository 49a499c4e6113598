"""The site's commands: `paperfeed demo` (the README's run command), `serve` and `admin`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.accounts import create_user, find_user

PAPERFEED = Path(sys.executable).with_name("paperfeed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")}
    return keep | {"PAPERFEED_DATA_DIR": str(data_dir)} | extra


@contextmanager
def _running(args: list[str], env: dict[str, str], port: int) -> Iterator[httpx.Client]:
    proc = subprocess.Popen([str(PAPERFEED), *args], env=env, stderr=subprocess.PIPE)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            deadline = time.monotonic() + 120
            while True:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.monotonic() < deadline, "the site did not come up"
                try:
                    http.get("/")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            yield http
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
def test_demo_fills_an_empty_store_and_serves_it(tmp_path: Path) -> None:
    port = _free_port()
    with _running(["demo", "--port", str(port)], _env(tmp_path / "data"), port) as http:
        home = http.get("/")
        items = http.get("/api/daily_papers").json()
    assert home.status_code == 200 and "<h1>Jul 1</h1>" in home.text  # the newest bundled day
    assert len(items) == 50 and all(i["paper"]["summary"] for i in items)


def test_two_workers_that_start_slowly_are_not_killed_and_both_serve(tmp_path: Path) -> None:
    """uvicorn pings workers from the start; one still importing after 5 s was killed, forever."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    # Every worker process (a multiprocessing child) takes 8 s to start, as on a busy machine.
    (hooks / "sitecustomize.py").write_text(
        "import sys, time\nif '--multiprocessing-fork' in sys.argv:\n    time.sleep(8)\n"
    )
    path = os.pathsep.join([str(hooks), os.environ.get("PYTHONPATH", "")])
    env = _env(tmp_path / "data", PYTHONPATH=path)
    port = _free_port()
    args = ["serve", "--port", str(port), "--workers", "2", "--no-jobs", "--no-digests"]
    with _running(args, env, port) as http:
        time.sleep(6)  # past uvicorn's old 5 s ping timeout for the slower worker
        statuses = {http.get("/healthz").status_code for _ in range(8)}
        workers = _worker_pids(port)
    assert statuses == {200}
    assert len(workers) == 2, workers


def _worker_pids(port: int) -> set[int]:
    """Processes that hold the listening socket's inode."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        if parts[1].endswith(f":{port:04X}") and parts[3] == "0A":
            inode = parts[9]
    found = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fds = list((proc / "fd").iterdir())
            links = {os.readlink(fd) for fd in fds}
        except OSError:
            continue
        if f"socket:[{inode}]" in links and "--multiprocessing-fork" in (
            proc / "cmdline"
        ).read_text(errors="replace"):
            found.add(int(proc.name))
    return found


def test_serve_refuses_to_start_without_a_secret_outside_dev_mode(tmp_path: Path) -> None:
    env = _env(tmp_path / "data", PAPERFEED_DEV_MODE="false")
    done = subprocess.run(
        [str(PAPERFEED), "serve", "--port", str(_free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "PAPERFEED_SECRET_KEY" in done.stderr


def test_admin_grants_and_revokes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("PAPERFEED_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(tmp_path / "data"))
    engine = open_store(Settings(_env_file=None))  # type: ignore[call-arg]
    with engine.begin() as conn:
        create_user(conn, "olga", "not-a-real-hash")
    runner = CliRunner()
    assert runner.invoke(app, ["admin", "olga"]).exit_code == 0
    with engine.connect() as conn:
        assert find_user(conn, "olga")[0].is_admin  # type: ignore[index]
    assert runner.invoke(app, ["admin", "olga", "--revoke"]).exit_code == 0
    with engine.connect() as conn:
        assert not find_user(conn, "olga")[0].is_admin  # type: ignore[index]
    missing = runner.invoke(app, ["admin", "nobody"])
    assert missing.exit_code == 1 and "no user" in missing.output
    engine.dispose()


def test_served_connections_get_tcp_nodelay() -> None:
    """uvicorn's shared multi-worker socket reads protocol 0, so asyncio skips TCP_NODELAY."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from uvicorn.config import Config
    from uvicorn.server import ServerState

    from paperfeed.web.commands import NoDelayHTTP

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # protocol 0, as uvicorn's
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()

    async def serve_one() -> int:
        config = Config(app=lambda *args: None, log_level="warning")
        config.load()
        protocol = NoDelayHTTP(config=config, server_state=ServerState(), app_state={})
        loop = asyncio.get_running_loop()
        transport, _ = await loop.connect_accepted_socket(lambda: protocol, sock=accepted)
        value = transport.get_extra_info("socket").getsockopt(
            socket.IPPROTO_TCP, socket.TCP_NODELAY
        )
        transport.close()
        return int(value)

    try:
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        # A thread of its own: a browser test may have left an event loop in this one.
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(asyncio.run, serve_one()).result() == 1
    finally:
        client.close()
        listener.close()


def test_user_add_creates_accounts_for_scripts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [k for k in os.environ if k.startswith("PAPERFEED_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    args = ["user", "add", "petra", "--password-stdin", "--admin"]
    made = runner.invoke(app, args, input="a long enough secret\n")
    assert made.exit_code == 0, made.output
    engine = open_store(Settings(_env_file=None))  # type: ignore[call-arg]
    with engine.connect() as conn:
        found = find_user(conn, "petra")
    engine.dispose()
    assert found is not None and found[0].is_admin
    again = runner.invoke(app, args, input="another long secret\n")
    assert again.exit_code == 1 and "taken" in again.output
    weak = runner.invoke(app, ["user", "add", "quinn", "--password-stdin"], input="short\n")
    assert weak.exit_code == 1 and "password" in weak.output


def test_serve_on_a_busy_port_says_so_first_and_fails(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = [str(PAPERFEED), "serve", "--port", str(port), "--no-digests"]
        done = subprocess.run(args, env=_env(tmp_path / "data"), capture_output=True, timeout=120)
    err = done.stderr.decode()
    assert done.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in err and "another server" in err
    assert "paperfeed at http" not in err
