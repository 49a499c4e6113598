"""The count of papers waiting for an embedding (admin console, /metrics) is counted at most once
a minute per process, and the console says how old its count is."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from sqlalchemy import Engine, event

from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.store.accounts import set_admin
from paperfeed.web.ops import Backlog
from tests.web_support import HOSTILE, client, sign_up


@contextmanager
def counts_run(engine: Engine) -> Iterator[list[str]]:
    """The counts of papers waiting for an embedding, as they run (each starts by reading the
    newest embedding contract)."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM embedding_contracts" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_the_count_is_reused_for_a_minute_and_says_its_age(site: Settings, engine: Engine) -> None:
    clock = [100.0]
    backlog = Backlog(engine, ttl=60, clock=lambda: clock[0])
    first, age = backlog.read()
    assert first > 0 and age == 0
    with engine.begin() as conn:  # one more paper waits (a new id)
        upsert_papers(conn, [replace(HOSTILE, id="2606.99998")])
    clock[0] = 159.0
    assert backlog.read() == (first, 59.0)  # the count made a minute ago, said to be so
    clock[0] = 160.0
    assert backlog.read() == (first + 1, 0.0)


def test_console_visits_and_scrapes_share_one_count(site: Settings, engine: Engine) -> None:
    with client(site, engine) as admin:
        sign_up(admin, "root")
        with engine.begin() as conn:
            set_admin(conn, "root", True)
        clock = [0.0]
        admin.app.state.metrics.backlog.clock = lambda: clock[0]  # type: ignore[attr-defined]
        with counts_run(engine) as seen:
            page = admin.get("/admin").text
            assert len(seen) == 1 and "counted-ago" not in page
            clock[0] = 42.0
            for _ in range(3):
                assert admin.get("/metrics").status_code == 200
                page = admin.get("/admin").text
            assert len(seen) == 1  # the join ran once for all seven
        assert "(counted 42 s ago; recounted at most once a minute)" in page
