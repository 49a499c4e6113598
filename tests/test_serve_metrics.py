"""/metrics under `serve --workers 2`: whichever worker a scrape reaches, it reports the whole
server's requests, in exposition Prometheus' own parser reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from paperfeed.settings import Settings
from tests.workers_support import Worker, serving

pytestmark = [pytest.mark.slow]
ROBOTS = (("method", "GET"), ("route", "/robots.txt"), ("status", "200"))


def _scrape(worker: Worker) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, text = worker.ask("GET", "/metrics")
    assert status == 200
    found = {}
    for family in text_string_to_metric_families(text):
        assert family.type in ("counter", "gauge", "histogram"), family.name
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_each_worker_reports_every_worker_s_requests(settings: Settings, tmp_path: Path) -> None:
    with serving(settings, tmp_path) as (a, b):
        for worker, times in ((a, 3), (b, 2)):
            for _ in range(times):
                assert worker.ask("GET", "/robots.txt")[0] == 200
        seen = [_scrape(w) for w in (a, b)]
    for found in seen:
        assert found[("paperfeed_http_requests_total", ROBOTS)] == 5
        latency = (("le", "+Inf"), ("route", "/robots.txt"))
        assert found[("paperfeed_http_request_duration_seconds_bucket", latency)] == 5
        assert ("paperfeed_papers_not_embedded", ()) in found  # the store's gauges, once
