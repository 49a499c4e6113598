"""Shared fixtures: settings on a real SQLite file or a real PostgreSQL database."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from paperfeed.pipeline import load_demo
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.web.auth import credentials
from tests.digest_support import Sink, smtp_sink
from tests.pgcluster import Cluster, start_cluster_or_skip

FIXTURES = Path(__file__).parent / "fixtures"
_db_names = itertools.count()
_MADE_CACHE = pytest.StashKey[str]()
_FROM_TEMPLATE = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # One derived embedding graph for the whole run, outside the user's own cache; removed at the
    # end (only when this run made it: a cache handed in from outside is kept).
    if "PAPERFEED_MODEL_CACHE" not in os.environ:
        made = tempfile.mkdtemp(prefix="paperfeed-models-")
        os.environ["PAPERFEED_MODEL_CACHE"] = made
        config.stash[_MADE_CACHE] = made
    # Real argon2 at its lowest cost: the suite signs thousands of readers up and in, and the
    # product's cost (argon2's defaults) is ~0.1 s of CPU a hash. Servers started as commands
    # keep the product's.
    credentials._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def pytest_unconfigure(config: pytest.Config) -> None:
    made = config.stash.get(_MADE_CACHE, None)
    if made is not None:
        shutil.rmtree(made, ignore_errors=True)
        os.environ.pop("PAPERFEED_MODEL_CACHE", None)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """One PostgreSQL cluster for the session; skipped only where allowed (never in CI)."""
    cluster = start_cluster_or_skip()
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: Cluster, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database in the session cluster: empty, or, for a test that uses the shared
    `engine` below, made straight from the migrated template (creating it empty and then
    replacing it with the copy took about a second more a test). Dropped after the test: a
    whole run's databases kept took several gigabytes a worker, and CI ran out of disk."""
    name = f"t{os.getpid()}_{next(_db_names)}"
    template = request.getfixturevalue("migrated_pg") if _uses_shared_engine(request) else None
    admin = create_engine(pg_cluster.url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        copy = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    if template:
        request.node.stash[_FROM_TEMPLATE] = name
    yield pg_cluster.url(name)
    drop_database(admin, name)
    admin.dispose()


def drop_database(admin: Engine, name: str) -> None:
    """Drop a test's database, ending its connections; a cluster a test stopped or paused and
    left down (its files go with the session) is no reason to fail the test."""
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    except OperationalError:
        pass


def _uses_shared_engine(request: pytest.FixtureRequest) -> bool:
    """Whether the test's `engine` is this file's, or its store is opened by `open_migrated`
    (a test file may define its own `engine`, which may want an empty database). Read from
    pytest's record of the test's fixtures; where that cannot be read, False: the database
    starts empty and `engine` replaces it, as before."""
    if "open_migrated" in request.fixturenames:
        return True
    info = getattr(request.node, "_fixtureinfo", None)
    defs = getattr(info, "name2fixturedefs", {}).get("engine", ())
    code = getattr(defs[-1].func, "__code__", None) if defs else None
    return code is not None and code.co_name == "engine" and code.co_filename == __file__


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """Run a test once per database backend."""
    return str(request.param)


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings with a fresh data directory and a fresh database of the chosen backend."""
    url = request.getfixturevalue("pg_url") if backend == "postgres" else None
    return Settings(data_dir=tmp_path / "data", database_url=url, request_delay=0.0, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    """Settings for a fresh SQLite store only."""
    return Settings(data_dir=tmp_path / "data", request_delay=0.0, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def engine(settings: Settings, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated, empty store on the chosen backend."""
    _start_migrated(settings, request)
    eng = open_store(settings)
    yield eng
    eng.dispose()


@pytest.fixture
def open_migrated(request: pytest.FixtureRequest) -> Callable[[Settings], Engine]:
    """`open_store` for a test file's own store fixture (own settings, one store a test): the
    still-empty store is first made a copy of the session's migrated one, as `engine` does."""

    def open_copy(settings: Settings) -> Engine:
        _start_migrated(settings, request)
        return open_store(settings)

    return open_copy


def _start_migrated(settings: Settings, request: pytest.FixtureRequest) -> None:
    """Make a store that is still empty a copy of one migrated once for the session (running
    every migration took about a second a test); open_store then finds nothing to apply."""
    url = make_url(settings.sqlalchemy_url)
    if url.get_backend_name() == "sqlite":
        database = Path(url.database or "")
        if settings.database_url is None and not database.exists():
            settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            shutil.copyfile(request.getfixturevalue("migrated_sqlite"), database)
            database.chmod(0o600)
        return
    if url.database is not None and url.database == request.node.stash.get(_FROM_TEMPLATE, None):
        return  # pg_url made it from the template
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    if url.port != cluster.port or url.database is None:
        return
    probe = create_engine(url, poolclass=NullPool)
    with probe.connect() as conn:
        empty = not conn.scalar(
            text("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace")
        )
    probe.dispose()
    if empty:
        template = request.getfixturevalue("migrated_pg")
        admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{url.database}"'))
            conn.execute(text(f'CREATE DATABASE "{url.database}" TEMPLATE "{template}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store migrated to the head and empty, made once; copy it, never open it."""
    s = Settings(data_dir=tmp_path_factory.mktemp("migrated"), database_url=None, _env_file=None)  # type: ignore[call-arg]
    open_store(s).dispose()
    return s.data_dir / "paperfeed.db"


@pytest.fixture(scope="session")
def migrated_pg(pg_cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PostgreSQL database migrated to the head and empty, made once: a template to copy."""
    name = f"migrated_{os.getpid()}"
    admin = create_engine(pg_cluster.url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    data = tmp_path_factory.mktemp("migrated-pg")
    s = Settings(data_dir=data, database_url=pg_cluster.url(name), _env_file=None)  # type: ignore[call-arg]
    open_store(s).dispose()
    return name


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A SQLite store filled once with the bundled demo sample; treat it as read-only."""
    s = Settings(data_dir=tmp_path_factory.mktemp("demo"), request_delay=0.0, _env_file=None)  # type: ignore[call-arg]
    eng = open_store(s)
    load_demo(eng, s)
    eng.dispose()
    return s


@pytest.fixture
def site(settings: Settings, engine: Engine, tmp_path: Path) -> Settings:
    """Settings for a store holding three real listing days and one hostile record."""
    from tests.web_support import fill_store, web_settings

    fast = web_settings(settings)
    fill_store(engine, fast, tmp_path / "listings")
    return fast


@pytest.fixture
def sink() -> Iterator[Sink]:
    """A real SMTP server on loopback that records what it receives."""
    with smtp_sink() as s:
        yield s


@pytest.fixture
def still_token_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tokens signed in the same second whenever they are made: a test that renders one message
    twice and compares the bodies is not failed by a second ticking over between the renders
    (each link's token carries the time it was signed)."""
    from itsdangerous import TimestampSigner

    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _self: 1_782_900_000)
