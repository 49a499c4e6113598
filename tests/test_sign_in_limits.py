"""Failed sign-ins are counted in the store: every worker and node of one site sees the same."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.sign_ins import sign_in_failures
from paperfeed.web.ratelimit import SignInLimits
from tests.web_support import client, sign_up, web_settings

PASSWORD = "carol's long passphrase"
T0 = datetime(2026, 6, 1, 8, 0)


@pytest.fixture
def workers(settings: Settings, engine: Engine) -> Iterator[tuple[TestClient, TestClient]]:
    """Two apps over one store, each with its own engine, as two workers (or nodes) are."""
    s = web_settings(
        settings, auth_rate_limit=3, auth_account_rate_limit=5, auth_address_rate_limit=50
    )
    other = open_store(s)
    with ExitStack() as stack:
        yield stack.enter_context(client(s, engine)), stack.enter_context(client(s, other))
    other.dispose()


def _login(c: TestClient, user: str, password: str) -> int:
    body = {"username": user, "password": password}
    return int(c.post("/api/login", json=body).status_code)


def test_two_workers_share_the_failed_sign_ins(workers: tuple[TestClient, TestClient]) -> None:
    a, b = workers
    sign_up(a, "carol", PASSWORD)
    # three failures at carol from this address, wherever they land, use up the limit...
    assert [_login(w, "carol", "wrong guess") for w in (a, b, a)] == [401] * 3
    refused = b.post("/api/login", json={"username": "carol", "password": "fourth guess"})
    assert refused.status_code == 429 and "too many attempts" in refused.json()["detail"]
    assert 1 <= int(refused.headers["retry-after"]) <= 601
    assert _login(a, "carol", "fifth guess") == 429
    # ...and the right password too, on either worker (no oracle)
    assert [_login(w, "carol", PASSWORD) for w in (a, b)] == [429, 429]


def test_a_right_password_on_one_worker_clears_the_pair_on_all(
    workers: tuple[TestClient, TestClient],
) -> None:
    a, b = workers
    sign_up(a, "dave", PASSWORD)
    assert [_login(a, "dave", "typo") for _ in range(2)] == [401, 401]
    assert _login(b, "dave", PASSWORD) == 200  # the owner, back: the pair starts again
    assert [_login(a, "dave", "guess") for _ in range(3)] == [401] * 3
    # the account's own limit kept the earlier failures: 5 per account, from anywhere
    assert _login(b, "dave", "guess") == 429


def _limits(engine: Engine, clock: list[datetime], pair: int = 2) -> SignInLimits:
    return SignInLimits(engine, (pair, 100, 100), 600, clock=lambda: clock[0])


def _rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(sign_in_failures)).scalar_one())


def test_failures_leave_the_window_and_the_table(engine: Engine) -> None:
    clock = [T0]
    limits = _limits(engine, clock)
    assert [limits.begin("198.51.100.7", "Erin").wait for _ in range(2)] == [None, None]
    clock[0] = T0 + timedelta(seconds=100)
    assert limits.begin("198.51.100.7", " erin ").wait == 500.0  # the oldest leaves at 600 s
    assert _rows(engine) == 6  # two failures under three keys; the refusal left nothing
    clock[0] = T0 + timedelta(seconds=600)
    assert limits.begin("198.51.100.7", "erin").wait is None
    assert _rows(engine) == 3  # the old ones were pruned as the new one came


def test_a_success_takes_back_its_attempt_and_the_pairs_failures(engine: Engine) -> None:
    clock = [T0]
    limits = _limits(engine, clock)
    limits.begin("198.51.100.7", "erin")
    limits.begin("203.0.113.9", "erin")
    limits.succeeded(limits.begin("198.51.100.7", "erin"))
    # the pair's failure went; the other address's failure and both per-address ones stay
    assert _rows(engine) == 5
    assert [limits.begin("198.51.100.7", "erin").wait for _ in range(3)] == [None, None, 600.0]


def test_workers_racing_never_let_more_than_the_limit_through(settings: Settings) -> None:
    """Eight threads over two engines (two workers' pools) hammer one account at one instant:
    an attempt counts what was written before it, its own included, so together they let at
    most the limit through (a race can refuse one early, never let one more in); afterwards
    exactly the limit's worth of failures is counted."""
    engines = [open_store(settings), open_store(settings)]
    clock = [T0]
    limits = [_limits(e, clock, pair=5) for e in engines]
    passed: list[bool] = []

    def hammer(i: int) -> None:
        for _ in range(5):
            passed.append(limits[i % 2].begin("198.51.100.7", "frank").wait is None)

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(passed) == 40 and sum(passed) <= 5
    more = [limits[0].begin("198.51.100.7", "frank").wait is None for _ in range(6)]
    assert sum(passed) + sum(more) == 5 and not more[-1]
    for e in engines:
        e.dispose()
