"""Defects found by the lead this round, each with the check that failed before its fix."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect

from paperfeed.settings import Settings
from paperfeed.store import migrate
from paperfeed.store.db import _MIGRATIONS as MIGRATIONS
from paperfeed.web import reuseport
from tests.digest_support import free_port
from tests.web_support import DAYS, client, on_day, sign_up

PAPERFEED = Path(sys.executable).with_name("paperfeed")
_REL_RE = re.compile(r'<a rel="(prev|next)" href="([^"]+)"')


def test_a_day_page_names_one_prev_and_one_next_neighbour(site: Settings, engine: Engine) -> None:
    """Page 2 of a middle day had two rel="prev" links (the pager's and the day before's)."""
    middle = f"/papers/date/{DAYS[1].isoformat()}"
    with client(site, engine) as c:
        first = _REL_RE.findall(c.get(middle).text)
        second = _REL_RE.findall(c.get(f"{middle}?page=2").text)
    rels_first = [rel for rel, _ in first]
    rels_second = [rel for rel, _ in second]
    # Page 1: the day before is "prev", the pager's next page is "next" (not the next day too).
    assert rels_first.count("prev") == 1 and rels_first.count("next") == 1, first
    assert dict(first)["prev"].startswith(f"/papers/date/{DAYS[0].isoformat()}")
    assert "page=2" in dict(first)["next"]
    # Last page: the pager's previous page is "prev", the next day is "next".
    assert rels_second.count("prev") == 1 and rels_second.count("next") == 1, second
    assert dict(second)["prev"].startswith(middle)
    assert dict(second)["next"].startswith(f"/papers/date/{DAYS[2].isoformat()}")


_FORM_RE = re.compile(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', re.S)
_HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def _form(page: str, action_end: str) -> tuple[str, dict[str, str]]:
    """The first form on a page posting to an address ending so, with its hidden fields."""
    for action, inner in _FORM_RE.findall(page):
        if action.endswith(action_end):
            return action, dict(_HIDDEN_RE.findall(inner))
    raise AssertionError(f"no form posting to …{action_end}")


def test_plain_comment_forms_come_back_to_the_newest_first_discussion(
    site: Settings, engine: Engine
) -> None:
    """Without JavaScript, posting, upvoting or editing from `?sort=new` came back sorted by top."""
    pid = sorted(on_day(engine, DAYS[0]))[0]
    with client(site, engine) as c:
        sign_up(c, "reader")
        newest = c.get(f"/papers/{pid}?sort=new").text
        action, fields = _form(newest, "/comments")
        posted = c.post(action, data=fields | {"body": "A first question."}, follow_redirects=False)
        assert posted.status_code == 303
        assert "sort=new" in posted.headers["location"], posted.headers["location"]
        back = c.get(posted.headers["location"]).text
        assert "<b>newest</b>" in back and "A first question." in back
        for end in ("/vote", "/edit"):
            action, fields = _form(back, end)
            done = c.post(
                action, data=fields | {"body": "An edited question."}, follow_redirects=False
            )
            assert done.status_code == 303 and "sort=new" in done.headers["location"], end
        # From the default order nothing is added.
        top = c.get(f"/papers/{pid}").text
        action, fields = _form(top, "/vote")
        done = c.post(action, data=fields, follow_redirects=False)
        assert done.status_code == 303 and "sort=" not in done.headers["location"]


def _broken_workers(folder: Path, after_kill: bool) -> str:
    """A PYTHONPATH under which serve's workers (not its supervisor) cannot import the app, as
    during a half-installed upgrade: from the start, or (after_kill) once a marker file exists."""
    hooks = folder / "hooks"
    hooks.mkdir(parents=True)
    marker = folder / "broken"
    check = f"__import__('os').path.exists({str(marker)!r})" if after_kill else "True"
    (hooks / "sitecustomize.py").write_text(
        "import sys\n"
        f"if '--multiprocessing-fork' in sys.argv and {check}:\n"
        "    sys.modules['paperfeed.web.app'] = None  # importing it raises ImportError\n"
    )
    return os.pathsep.join([str(hooks), os.environ.get("PYTHONPATH", "")])


@pytest.mark.skipif(not reuseport.SUPPORTED, reason="the SO_REUSEPORT supervisor is Linux's")
def test_serve_stops_with_a_failure_when_its_workers_cannot_start(tmp_path: Path) -> None:
    """Workers failing at import were restarted forever, each restart holding the supervisor
    (and any SIGTERM) for the 120 s healthcheck: systemd had to kill it. Now serve exits 3."""
    port = free_port()
    env = os.environ | {
        "PAPERFEED_DATA_DIR": str(tmp_path / "data"),
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": _broken_workers(tmp_path, after_kill=False),
    }
    args = [str(PAPERFEED), "serve", "--port", str(port), "--workers", "2", "--no-jobs"]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=110)
    assert done.returncode == 3, done.stderr[-2000:]
    assert "a worker cannot start: ModuleNotFoundError" in done.stderr, done.stderr[-2000:]


@pytest.mark.skipif(not reuseport.SUPPORTED, reason="the SO_REUSEPORT supervisor is Linux's")
def test_sigterm_is_read_while_a_dead_worker_is_restarted(tmp_path: Path) -> None:
    """A worker killed while the installed code is broken: serve stops, not after minutes."""
    port = free_port()
    env = os.environ | {
        "PAPERFEED_DATA_DIR": str(tmp_path / "data"),
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": _broken_workers(tmp_path, after_kill=True),
    }
    args = [str(PAPERFEED), "serve", "--port", str(port), "--workers", "2", "--no-jobs"]
    proc = subprocess.Popen(args, env=env, stderr=subprocess.PIPE, text=True)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(600):
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
        (tmp_path / "broken").touch()
        workers = [
            int(p)
            for p in subprocess.run(
                ["pgrep", "-P", str(proc.pid), "-f", "multiprocessing-fork"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.split()
        ]
        assert len(workers) == 2, workers
        os.kill(workers[0], signal.SIGKILL)
        stderr = proc.communicate(timeout=100)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 3, stderr[-2000:]
    assert "a worker cannot start: ModuleNotFoundError" in stderr, stderr[-2000:]


def test_0020_indexes_collection_entries_by_paper(engine: Engine) -> None:
    """A paper's page asks which public collections hold it: an index on the paper, not a
    read of every collection entry; a store 0019 made gets it, and down again drops it."""

    def indexed() -> bool:
        names = {i["name"] for i in inspect(engine).get_indexes("collection_items")}
        return "ix_collection_items_paper" in names

    assert indexed()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0019")
    assert not indexed()
    migrate(engine)
    assert indexed()


def test_reasons_and_the_learned_page_show_no_latex_source() -> None:
    """Saved papers about codes over $\\mathbb{F}_q$ gave reasons "mentions “mathbb”, “_q”"
    and the learned page listed "mathbb" with a follow button; the topic's words show instead."""
    import numpy as np

    from paperfeed.recommend import model as rec

    maths = "Codes over the finite field $\\mathbb{F}_q$ with $\\ell$ symbols and $\\alpha$ rates"
    other = "Image segmentation with convolutional vision transformers on pixels"
    docs, vecs = [], []
    for i in range(12):
        text, axis = (maths, 0) if i < 6 else (other, 1)
        docs.append(
            rec.Doc(f"p{i}", f"Paper {i}", f"{text}, variant {i}.", (f"A{i}",), ("cs.IT",), DAYS[0])
        )
        vecs.append(np.eye(2, dtype=np.float32)[axis] + 0.01 * i)
    space = rec.build_space(docs[2:], np.vstack(vecs[2:]))
    liked = [rec.Signal(docs[i], 1, "library", 1.0, vecs[i]) for i in range(2)]
    model = rec.train(liked, space, rec.Follows(), rec.Tuning())
    terms = [t for t, _ in rec.strongest_terms(model, space)]
    whys = [r.why for r in rec.rank(model, space, 4)]
    assert terms and any("finite" in t or "codes" in t for t in terms), terms
    for shown in [*terms, *whys]:
        for tex in ("mathbb", "_q", "ell", "alpha"):
            assert tex not in shown.split() and f"“{tex}”" not in shown, (tex, shown)
    assert not rec.shown_term("mathbb") and not rec.shown_term("_q")
    assert rec.shown_term("finite field") and rec.shown_term("cancer")


def test_a_harvested_new_paper_is_listed_on_the_day_arxiv_stamped_it(engine: Engine) -> None:
    """Papers from `harvest` (what the daily pipeline runs) had no listing day, so a store fed
    by it showed none on its daily pages or in digests. A new paper is listed on its record's
    datestamp (its announcement); a replaced old paper not on the day of its replacement, as in
    arXiv's new listings, but on its first announcement (tests/test_late_harvest_days.py)."""
    from datetime import date

    from paperfeed.store import get_paper
    from tests.replay import Reply, replay
    from tests.test_ingest_oai import LAST_PAGE, harvest

    page = LAST_PAGE.replace(b"<created>2014-12-29</created>", b"<created>2017-12-13</created>")
    assert page != LAST_PAGE
    with replay(lambda r: Reply(page)) as server:
        report, _ = harvest(engine, server.url, retries=0)
    assert report.inserted == 3  # type: ignore[attr-defined]
    with engine.connect() as conn:
        new, old = get_paper(conn, "1412.8323"), get_paper(conn, "1507.07790")
    assert new is not None and new.listing_date == date(2017, 12, 14)
    assert old is not None and old.listing_date == date(2015, 7, 29)
