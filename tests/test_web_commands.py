"""The site's commands: `paperfeed demo` (the README's run command), `serve` and `admin`."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.accounts import create_session, create_user, find_user, session_user
from paperfeed.web import reuseport

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
    # Every worker process takes 8 s to start, as on a busy machine.
    env = _env(tmp_path / "data", PYTHONPATH=_slow_workers(tmp_path, 8))
    port = _free_port()
    args = ["serve", "--port", str(port), "--workers", "2", "--no-jobs", "--no-digests"]
    with _running(args, env, port) as http:
        time.sleep(6)  # past uvicorn's old 5 s ping timeout for the slower worker
        statuses = {http.get("/healthz").status_code for _ in range(8)}
        workers = _worker_pids(port)
    assert statuses == {200}
    assert len(workers) == 2, workers


def _worker_pids(port: int) -> set[int]:
    """Worker processes that hold a listening socket on the port (a shared one, or their own)."""
    listening = set(_tcp_inodes(port, "0A").values())
    return {pid for pid, inodes in _worker_sockets().items() if inodes & listening}


def _tcp_inodes(port: int, state: str) -> dict[int, str]:
    """{peer port: inode} of the sockets on a local port in a state (01 connected, 0A listening)."""
    found: dict[int, str] = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, peer, st, inode = (line.split()[i] for i in (1, 2, 3, 9))
        if local.endswith(f":{port:04X}") and st == state:
            found[int(peer.split(":")[1], 16) or len(found)] = inode  # listening: no peer
    return found


def _worker_sockets() -> dict[int, set[str]]:
    """{pid: socket inodes} of the worker processes (multiprocessing children) on this machine."""
    found: dict[int, set[str]] = {}
    for proc in Path("/proc").iterdir():
        try:
            if "--multiprocessing-fork" in (proc / "cmdline").read_text(errors="replace"):
                links = [os.readlink(fd) for fd in (proc / "fd").iterdir()]
                found[int(proc.name)] = {link[8:-1] for link in links if link[:8] == "socket:["}
        except (OSError, ValueError):
            continue  # not a process, or one that just ended
    return found


def _slow_workers(tmp_path: Path, seconds: int) -> str:
    """A PYTHONPATH that makes every worker process (a multiprocessing child) start slowly."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(
        f"import sys, time\nif '--multiprocessing-fork' in sys.argv:\n    time.sleep({seconds})\n"
    )
    return os.pathsep.join([str(hooks), os.environ.get("PYTHONPATH", "")])


def _both_workers_listening(port: int) -> set[int]:
    deadline = time.monotonic() + 120
    while len(workers := _worker_pids(port)) < 2:
        assert time.monotonic() < deadline, f"workers listening: {workers}"
        time.sleep(0.2)
    return workers


@pytest.mark.skipif(not reuseport.SUPPORTED, reason="SO_REUSEPORT spreads connections on Linux")
def test_keep_alive_connections_opened_while_a_worker_is_busy_reach_every_worker(
    tmp_path: Path,
) -> None:
    """On uvicorn's shared socket the idle worker accepted every connection a pool opened while
    the other was busy, and kept them: keep-alive clients (a proxy's pool, a load test) got one
    core. Here a worker is stopped (as busy as can be) while 16 connections open and ask."""
    port = _free_port()
    args = ["serve", "--port", str(port), "--workers", "2", "--no-jobs", "--no-digests"]
    with _running(args, _env(tmp_path / "data"), port):
        workers = _both_workers_listening(port)
        busy = min(workers)
        os.kill(busy, signal.SIGSTOP)
        try:
            conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _ in range(16)]
            for conn in conns:
                conn.connect()
                conn.request("GET", "/healthz")
        finally:
            os.kill(busy, signal.SIGCONT)
        answered = {conn.getresponse().status for conn in conns}
        established = _tcp_inodes(port, "01")  # the server's end of each connection
        ends = {established[conn.sock.getsockname()[1]] for conn in conns}
        served_by = {pid for pid, inodes in _worker_sockets().items() if inodes & ends}
        for conn in conns:
            conn.close()
    assert answered == {200}
    assert served_by == workers


def _second_serve(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Exit status and stderr of a `paperfeed` that should refuse at once."""
    proc = subprocess.Popen([str(PAPERFEED), *args], env=env, stderr=subprocess.PIPE, text=True)
    try:
        stderr = proc.communicate(timeout=120)[1]
    except subprocess.TimeoutExpired:
        proc.terminate()  # it serves: its supervisor stops its workers (a kill orphans them)
        stderr = proc.communicate(timeout=120)[1]
    return proc.returncode, stderr


@pytest.mark.skipif(not reuseport.SUPPORTED, reason="only the SO_REUSEPORT group needs a claim")
def test_a_second_serve_on_the_same_port_is_refused_even_while_the_first_starts(
    tmp_path: Path,
) -> None:
    """Sockets of one user join an SO_REUSEPORT group: a second server must not silently join."""
    port = _free_port()
    first = ["serve", "--port", str(port), "--workers", "2", "--no-jobs", "--no-digests"]
    env = _env(tmp_path / "data", PYTHONPATH=_slow_workers(tmp_path, 20))
    log = tmp_path / "first.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen([str(PAPERFEED), *first], env=env, stderr=sink)
    try:
        deadline = time.monotonic() + 120
        while "paperfeed at" not in log.read_text():  # the port is held, workers still starting
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        # Another data folder: the port is what both servers want.
        code, stderr = _second_serve(first, _env(tmp_path / "other"))
    finally:
        proc.terminate()
        proc.wait(timeout=120)  # the supervisor answers once its sleeping workers do
    assert code == 1, stderr
    assert f"cannot listen on 127.0.0.1:{port}" in stderr and "paperfeed at" not in stderr


@pytest.mark.skipif(not reuseport.SUPPORTED, reason="only the SO_REUSEPORT group needs a claim")
def test_serves_on_other_addresses_of_one_port_both_start_but_not_one_on_every_address(
    tmp_path: Path,
) -> None:
    """Two sites (or two nodes) on 127.0.0.1:P and 127.0.0.2:P were refused: the claim was the
    port's alone. Each address now takes the port once; 0.0.0.0:P still shares it with none."""
    port = _free_port()
    args = ["serve", "--port", str(port), "--workers", "2", "--no-jobs", "--no-digests"]
    with _running(args, _env(tmp_path / "data"), port) as first:
        other = [*args, "--host", "127.0.0.2"]
        proc = subprocess.Popen([str(PAPERFEED), *other], env=_env(tmp_path / "other"))
        try:
            with httpx.Client(base_url=f"http://127.0.0.2:{port}") as second:
                assert _answers(second, proc) == 200
            code, stderr = _second_serve([*args, "--host", "0.0.0.0"], _env(tmp_path / "all"))
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        assert first.get("/healthz").status_code == 200
    assert code == 1 and f"cannot listen on 0.0.0.0:{port}" in stderr, stderr


def _answers(http: httpx.Client, proc: subprocess.Popen[bytes]) -> int:
    """The status of the first /healthz a starting server answers."""
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, "the second server stopped"
        assert time.monotonic() < deadline, "the second server did not come up"
        try:
            return http.get("/healthz").status_code
        except httpx.TransportError:
            time.sleep(0.2)


def test_a_second_serve_beside_running_workers_is_refused(tmp_path: Path) -> None:
    port = _free_port()
    args = ["serve", "--port", str(port), "--workers", "2", "--no-jobs", "--no-digests"]
    with _running(args, _env(tmp_path / "data"), port) as http:
        _both_workers_listening(port)
        for one_worker in (["--workers", "2"], []):
            again = ["serve", "--port", str(port), "--no-digests", *one_worker]
            code, stderr = _second_serve(again, _env(tmp_path / "other"))
            assert code == 1, stderr
            assert f"cannot listen on 127.0.0.1:{port}" in stderr
        assert http.get("/healthz").status_code == 200  # the first server still serves


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

    from paperfeed.web.server import NoDelayHTTP

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
    assert found is not None and found[0].is_admin
    again = runner.invoke(app, args, input="another long secret\n")
    assert again.exit_code == 1 and "taken" in again.output
    weak = runner.invoke(app, ["user", "add", "quinn", "--password-stdin"], input="short\n")
    assert weak.exit_code == 1 and "password" in weak.output
    # An admin resets a forgotten password from the command line; the old sessions end.
    with engine.begin() as conn:
        create_session(conn, found[0].id, "old-session-token", 7)
    reset = runner.invoke(
        app, ["user", "passwd", "Petra", "--password-stdin"], input="brand new secret\n"
    )
    assert reset.exit_code == 0 and "1 session(s) signed out" in reset.output, reset.output
    with engine.connect() as conn:
        held = find_user(conn, "petra")
        assert held is not None and PasswordHasher().verify(held[1], "brand new secret")
        assert session_user(conn, "old-session-token") is None
    refused = runner.invoke(app, ["user", "passwd", "petra", "--password-stdin"], input="x\n")
    assert refused.exit_code == 1 and "password" in refused.output
    nobody = runner.invoke(app, ["user", "passwd", "nobody", "--password-stdin"], input="x\n")
    assert nobody.exit_code == 1 and "no user 'nobody'" in nobody.output
    # Suspend, list, lift.
    assert runner.invoke(app, ["user", "suspend", "petra"]).exit_code == 0
    listed = runner.invoke(app, ["user", "list"]).output
    assert re.search(r"^petra +\d{4}-\d\d-\d\d +admin suspended$", listed, re.M), listed
    assert runner.invoke(app, ["user", "suspend", "petra", "--lift"]).exit_code == 0
    rows = json.loads(runner.invoke(app, ["user", "list", "--json"]).output)
    assert [(r["username"], r["is_admin"], r["suspended"]) for r in rows] == [
        ("petra", True, False)
    ]
    engine.dispose()


def test_serve_on_a_host_not_of_this_machine_names_the_host(tmp_path: Path) -> None:
    args = [str(PAPERFEED), "serve", "--host", "192.0.2.77", "--port", "8833", "--no-digests"]
    done = subprocess.run(args, env=_env(tmp_path / "data"), capture_output=True, timeout=120)
    said = " ".join(done.stderr.decode().split())
    assert done.returncode != 0 and "192.0.2.77 is no address of this machine" in said, said
    assert "another server" not in said


def test_serve_with_a_data_folder_it_cannot_write_says_so_before_announcing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A read-only data folder: serve said where it listened, then died on a traceback. The
    check runs before the announcement (/sys: a folder nobody, root included, writes in)."""
    import typer

    from paperfeed.web.commands import _check_writable

    settings = Settings(data_dir=Path("/sys/kernel"), _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(typer.Exit) as stopped:
        _check_writable(settings)
    said = " ".join(capsys.readouterr().err.split())
    assert stopped.value.exit_code == 1
    assert "the data folder /sys/kernel cannot be written" in said and "PAPERFEED_DATA_DIR" in said


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


def test_a_warmed_worker_keeps_what_it_loaded_out_of_the_cycle_collector() -> None:
    # In a process of its own: the freeze and thresholds are process-wide.
    code = (
        "import gc; from paperfeed.web.server import freeze_warm_heap; "
        "before = gc.get_freeze_count(); freeze_warm_heap(); "
        "print(before, gc.get_freeze_count() > 10_000, gc.get_threshold())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split(None, 1) == ["0", "True (10000, 20, 100)\n"]
