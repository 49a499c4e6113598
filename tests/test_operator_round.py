"""An operator's first week: two nodes at the morning run, settings from the environment, the
morning run in the log."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from paperfeed.pipeline import Context, Job, Scheduler
from paperfeed.settings import Settings
from tests.test_pipeline import MONDAY_EVENING, Clock


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
