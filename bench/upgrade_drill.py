"""Drills of an upgrade of a large store built at 0026 (as bench/migrate.py builds it).

Each drill works on its own copy of the store (SQLite) or database (PostgreSQL):

- kill: `paperfeed migrate`, SIGKILLed --kill-after seconds after it says it is applying
  --kill-at (0035, 0041: they read every paper), then run again; its revision after the kill,
  and every table's row count after the rerun against a copy upgraded in one run (equal:
  resumed, nothing doubled).
- serve (SQLite): two `paperfeed serve` processes started at once on the old store; each must
  answer /healthz, once, and neither may say a traceback.
- newer (SQLite): the store stamped with a revision this code does not know; `migrate`, `serve`
  and `doctor` must exit 1 saying so, without a traceback.
- doctor (SQLite): `paperfeed doctor` before the upgrade and after.

    python bench/upgrade_drill.py --size 74728                     # SQLite
    python bench/upgrade_drill.py --size 74728 --backends postgres --drills kill
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
import migrate as bench_migrate  # noqa: E402

from paperfeed.settings import Settings  # noqa: E402
from paperfeed.store.db import connect  # noqa: E402
from paperfeed.store.health import store_revisions  # noqa: E402

DEFAULT_WORK = bench_migrate.REPO / "bench" / "out" / "upgrade_drill"
PAPERFEED = [sys.executable, "-m", "paperfeed"]


def _env(data: Path, url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")}
    env["PAPERFEED_DATA_DIR"] = str(data)
    env["PAPERFEED_SECRET_KEY"] = secrets.token_hex(32)
    return env | ({"PAPERFEED_DATABASE_URL": url} if url else {})


def _engine(env: dict[str, str]) -> sa.Engine:
    os.environ.update(env)
    try:
        return connect(Settings())
    finally:
        for key in ("PAPERFEED_DATA_DIR", "PAPERFEED_DATABASE_URL"):
            os.environ.pop(key, None)


def counts(env: dict[str, str]) -> dict[str, int]:
    """Rows in every table of the store."""
    engine = _engine(env)
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        got = {n: conn.execute(sa.text(f'SELECT count(*) FROM "{n}"')).scalar_one() for n in names}
    engine.dispose()
    return got


def revision(env: dict[str, str]) -> str:
    """The store's revision(s)."""
    engine = _engine(env)
    try:
        return ", ".join(sorted(store_revisions(engine)))
    finally:
        engine.dispose()


class Store:
    """The store at 0026, built once, and fresh copies of it for each drill."""

    def __init__(self, backend: str, args: argparse.Namespace) -> None:
        self.backend, self.work = backend, args.work / backend
        shutil.rmtree(self.work, ignore_errors=True)
        (self.work / "base").mkdir(parents=True)
        self.cluster_url = bench_migrate._postgres(self.work) if backend == "postgres" else None
        env = _env(self.work / "base", self.cluster_url)
        began = time.perf_counter()
        args.outbox = min(bench_migrate.OUTBOX_CAP, args.size // 4)
        engine = _engine(env)
        bench_migrate.build(engine, args)
        engine.dispose()  # PostgreSQL copies the database only when no one is connected to it
        bench_migrate.log(f"{backend}: built in {time.perf_counter() - began:.0f} s")
        self.copies = 0

    def copy(self) -> dict[str, str]:
        """The environment of a fresh copy of the old store."""
        self.copies += 1
        data = self.work / f"copy{self.copies}"
        data.mkdir()
        if self.cluster_url is None:
            shutil.copy(self.work / "base" / "paperfeed.db", data / "paperfeed.db")
            return _env(data, None)
        base = sa.make_url(self.cluster_url)
        name = f"copy{self.copies}"
        admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{base.database}"'))
        admin.dispose()
        return _env(data, base.set(database=name).render_as_string(hide_password=False))


def drill_kill(store: Store, at: str, after: float) -> None:
    """Kill `migrate` in the middle of migration `at`, then run it again."""
    clean = store.copy()
    began = time.perf_counter()
    subprocess.run([*PAPERFEED, "migrate"], env=clean, capture_output=True, check=True)
    whole = time.perf_counter() - began
    env = store.copy()
    proc = subprocess.Popen(
        [*PAPERFEED, "migrate"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith(f"applying {at}"):
            time.sleep(after)
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    left = revision(env)
    began = time.perf_counter()
    rerun = subprocess.run([*PAPERFEED, "migrate"], env=env, capture_output=True, text=True)
    again = time.perf_counter() - began
    first = rerun.stdout.splitlines()[0] if rerun.stdout else rerun.stderr[-300:]
    want, got = counts(clean), counts(env)
    differ = {
        t: (want.get(t), got.get(t)) for t in want.keys() | got.keys() if want.get(t) != got.get(t)
    }
    print(
        f"| kill in {at} | killed by signal {-proc.returncode}, store left at {left} "
        f"| rerun exit {rerun.returncode} in {again:.1f} s (whole upgrade {whole:.1f} s), "
        f"first line `{first}`; {len(want)} tables, {sum(want.values()):,} rows; "
        f"differing: {differ or 'none'} |",
        flush=True,
    )


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def drill_serve(store: Store, ports: tuple[int, int], wait_s: float) -> None:
    """Two `serve` processes started at once on the old store."""
    env = store.copy()
    logs = [store.work / f"serve{p}.log" for p in ports]
    procs = [
        subprocess.Popen(
            [*PAPERFEED, "serve", "--port", str(p), "--no-digests", "--no-jobs"],
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        for p, log in zip(ports, logs, strict=True)
    ]
    began, up = time.perf_counter(), {p: 0.0 for p in ports}
    while time.perf_counter() - began < wait_s and not all(up.values()):
        for p in ports:
            if not up[p] and _healthy(p):
                up[p] = time.perf_counter() - began
        time.sleep(0.5)
    for proc in procs:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    said = [log.read_text() for log in logs]
    upgraded = sum(text.count("upgrading the store's schema") for text in said)
    waited = sum(text.count("another paperfeed process is upgrading") for text in said)
    tracebacks = sum(text.count("Traceback") for text in said)
    print(
        f"| two serve at once | answering /healthz after "
        f"{', '.join(f'{s:.1f} s' if s else 'never' for s in up.values())}; store at "
        f"{revision(env)} | {upgraded} upgraded it, {waited} waited for it, "
        f"{tracebacks} tracebacks |",
        flush=True,
    )


def drill_newer(store: Store) -> None:
    """A store stamped with a revision this code does not know."""
    env = store.copy()
    engine = _engine(env)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    for command in (
        ["migrate"],
        ["serve", "--port", "8891", "--no-digests", "--no-jobs"],
        ["doctor"],
    ):
        done = subprocess.run(
            [*PAPERFEED, *command], env=env, capture_output=True, text=True, timeout=300
        )
        text = " ".join((done.stdout + done.stderr).split())  # the console wraps long lines
        said = text[text.find("the store's schema") :][:300]
        print(
            f"| newer store, `{command[0]}` | exit {done.returncode}, "
            f"{text.count('Traceback')} tracebacks | {said} |",
            flush=True,
        )


def drill_doctor(store: Store) -> None:
    """`paperfeed doctor` before and after the upgrade."""
    env = store.copy()
    for when in ("before", "after"):
        if when == "after":
            subprocess.run([*PAPERFEED, "migrate"], env=env, capture_output=True, check=True)
        done = subprocess.run([*PAPERFEED, "doctor"], env=env, capture_output=True, text=True)
        lines = [ln for ln in done.stdout.splitlines() if "mail server" not in ln]
        print(f"| doctor {when} | exit {done.returncode} | {'; '.join(lines)} |", flush=True)


def main() -> None:
    """Build the old store once per backend, then run each drill on a copy; print a table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=74_728, help="papers in the store")
    p.add_argument("--backends", default="sqlite", help="sqlite,postgres")
    p.add_argument("--drills", default="kill,serve,newer,doctor")
    p.add_argument("--kill-at", default="0035,0041", help="migrations to kill `migrate` in")
    p.add_argument("--kill-after", type=float, default=0.3, help="seconds into it to kill")
    p.add_argument("--ports", default="8871,8872", help="the two serve processes' ports")
    p.add_argument("--serve-wait", type=float, default=300, help="seconds to wait for serve")
    p.add_argument("--data", type=Path, default=bench_migrate.DEFAULT_DATA)
    p.add_argument("--work", type=Path, default=DEFAULT_WORK)
    args = p.parse_args()
    args.cjk, args.undated, args.users = 0.05, 0.05, 2000  # bench/migrate.py's defaults
    print(
        f"settings: size {args.size:,} (outbox a quarter of it, at most 50,000; cjk 0.05, "
        f"undated 0.05, 2,000 users, as bench/migrate.py), backends {args.backends}, "
        f"drills {args.drills}, kill at {args.kill_at}, {args.kill_after} s in"
    )
    drills = args.drills.split(",")
    for backend in args.backends.split(","):
        store = Store(backend, args)
        try:
            print(f"\n{backend}, {args.size:,} papers at 0026\n\n| drill | what happened | after |")
            print("|---|---|---|")
            for at in args.kill_at.split(",") if "kill" in drills else []:
                drill_kill(store, at, args.kill_after)
            if backend == "sqlite" and "serve" in drills:
                a, b = (int(x) for x in args.ports.split(","))
                drill_serve(store, (a, b), args.serve_wait)
            if backend == "sqlite" and "newer" in drills:
                drill_newer(store)
            if backend == "sqlite" and "doctor" in drills:
                drill_doctor(store)
        finally:
            for cluster in bench_migrate._CLUSTERS:
                cluster.stop()
            bench_migrate._CLUSTERS.clear()


if __name__ == "__main__":
    main()
