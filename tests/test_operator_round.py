"""An operator's first week: two nodes at the morning run, settings from the environment, the
morning run in the log."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from paperfeed.pipeline import Context, Job, Scheduler, current_slot
from paperfeed.pipeline.plan import describe
from paperfeed.settings import Settings
from tests.test_pipeline import EASTERN, MONDAY_EVENING, Clock


def test_a_node_finding_a_job_running_elsewhere_leaves_the_jobs_after_it_to_that_node(
    engine: Engine, settings: Settings
) -> None:
    inside, release = threading.Event(), threading.Event()
    events: list[str] = []

    def harvest(ctx: Context) -> dict[str, object]:
        inside.set()
        release.wait(60)
        events.append("harvested")
        return {}

    def embed(ctx: Context) -> dict[str, object]:
        events.append("embedded")
        return {}

    jobs = [Job("harvest", harvest, "h"), Job("embed", embed, "e")]

    def node() -> Scheduler:
        return Scheduler(engine, settings, Clock(MONDAY_EVENING), jobs=jobs, digests=False)

    first = threading.Thread(target=node().tick)
    first.start()
    assert inside.wait(60)
    second = node().tick()  # the other node's check while the harvest runs on the first
    release.set()
    first.join(60)
    assert [(o.job, o.status) for o in second] == [("harvest", "busy")]
    assert events == ["harvested", "embedded"]  # the day's papers are in before embedding
    assert [(o.job, o.status) for o in node().tick()] == []  # nothing left for the day


@pytest.mark.parametrize(
    ("days", "read"),
    [
        ("mon tue wed", ["mon", "tue", "wed"]),  # spaces, as PAPERFEED_HARVEST_SETS takes them
        ("mon,tue,wed,", ["mon", "tue", "wed"]),  # a trailing comma
        ("Monday, Tuesday, Wednesday", ["mon", "tue", "wed"]),
        ("tues,wed,wed,mon", ["tue", "wed", "mon"]),
    ],
)
def test_pipeline_days_from_the_environment_are_read_as_written(
    days: str, read: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERFEED_PIPELINE_DAYS", days)
    monkeypatch.setenv("PAPERFEED_PIPELINE_TIME", "6:5")
    settings = Settings(data_dir=tmp_path)
    assert describe(settings)["days"] == read and describe(settings)["time"] == "06:05"
    tuesday_morning = datetime(2026, 12, 1, 6, 10, tzinfo=EASTERN)
    assert current_slot(settings, tuesday_morning)[0] == "2026-12-01"


@pytest.mark.parametrize("days", ["monkey", "mo,tu", "mon,tue,noday"])
def test_a_word_that_is_no_day_is_refused(
    days: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERFEED_PIPELINE_DAYS", days)
    with pytest.raises(ValidationError, match="name days as mon,tue"):
        Settings(data_dir=tmp_path)
