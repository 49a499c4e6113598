"""CPU per request of For you and hybrid search, in process, and where it goes (cProfile).

Uses the store `bench/scale_web.py` builds (--work/web, run that or its --prepare-only first).
One signed-in reader (40 saved papers, 20 ratings, as scale_web's readers) views For you (GET /)
--views times after --warm views; then --views distinct hybrid searches of 20 hits through the
JSON API. CPU is the process's user+system time (every thread: the app runs in TestClient's
thread), so other jobs on the machine do not count. With --profile (a py-spy binary), a second
pass is sampled and the inclusive share of paperfeed/Jinja/SQLAlchemy functions printed.

    python bench/cards_cpu.py --views 200 --profile $(which py-spy)
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402
import scale_web  # noqa: E402
import search as sb  # noqa: E402
import web  # noqa: E402

from paperfeed.settings import Settings  # noqa: E402
from paperfeed.store import open_store  # noqa: E402
from paperfeed.web.app import create_app  # noqa: E402


def measure(
    c: TestClient, paths: list[str], profiled: list[str] | None, spy: Path | None
) -> tuple[float, str]:
    """CPU ms per request over `paths`; with py-spy, where `profiled` requests spend it."""
    started = time.process_time()
    for path in paths:
        assert c.get(path).status_code == 200, path
    per = 1000 * (time.process_time() - started) / len(paths)
    if not profiled or spy is None:
        return per, ""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stacks.txt"
        cmd = [str(spy), "record", "--pid", str(os.getpid()), "--rate", "200", "--format"]
        cmd += ["raw", "--nonblocking", "-o", str(out)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(2)  # py-spy attaches
        for path in profiled:
            c.get(path)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        return per, summarise(out.read_text())


INTERESTING = re.compile(r"paperfeed|jinja2|markupsafe|sqlalchemy|template")


def summarise(raw: str, top: int = 30) -> str:
    """Inclusive share of the busy request threads' samples per paperfeed/Jinja/SQL function."""
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        stack = stack.replace("; ", ";")
        if "starlette" not in stack and "paperfeed" not in stack:
            continue  # the client, the event loop idling, py-spy's own threads
        n = int(count)
        total += n
        for frame in set(stack.split(";")):
            if INTERESTING.search(frame):
                name, _, where = frame.partition(" (")
                inclusive[f"{name} ({where.rsplit('/', 1)[-1].split(':')[0]})"] += n
    rows = [f"{100 * n / max(total, 1):5.1f} %  {f}" for f, n in inclusive.most_common(top)]
    return f"{total} samples in request threads\n" + "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, default=sb.DEFAULT_DATA)
    p.add_argument("--work", type=Path, default=scale.DEFAULT_WORK)
    p.add_argument("--views", type=int, default=200)
    p.add_argument("--warm", type=int, default=20)
    p.add_argument("--profile", type=Path, help="py-spy binary: profile a second pass")
    args = p.parse_args(argv)
    settings = Settings(data_dir=args.work / "web", _env_file=None)  # type: ignore[call-arg]
    real = sb.load_real(args.data_dir)
    token = scale_web.make_readers(settings, real, 1)[0]
    queries = web.search_queries(args.data_dir, 2 * args.views + args.warm, 4)
    hybrid = [f"/api/papers/search?q={web.quote(q)}&mode=hybrid&limit=20" for q in queries]
    engine = open_store(settings)
    print(f"settings: views {args.views}, warm {args.warm}, load {scale.loadavg()}")
    with TestClient(create_app(settings, engine)) as c:
        c.cookies.set("pf_session", token)
        for _ in range(args.warm):
            assert c.get("/").status_code == 200
        views = ["/"] * args.views
        foryou, foryou_prof = measure(c, views, views, args.profile)
        for path in hybrid[: args.warm]:
            c.get(path)
        timed = hybrid[args.warm : args.warm + args.views]
        profiled = hybrid[args.warm + args.views :]
        searched, search_prof = measure(c, timed, profiled, args.profile)
    print("| endpoint | views | CPU ms/req |\n|---|---|---|")
    print(f"| For you (signed in) | {args.views} | {foryou:.1f} |")
    print(f"| search hybrid (API, 20 hits) | {args.views} | {searched:.1f} |")
    print(f"load after: {scale.loadavg()}")
    if args.profile:
        print("## For you\n" + foryou_prof + "\n## search hybrid\n" + search_prof)
    return 0


if __name__ == "__main__":
    sys.exit(main())
