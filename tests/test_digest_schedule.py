"""When digests are due and what they cover (digest/schedule.py), rendering and rate limiting."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from paperfeed.digest import deliver
from paperfeed.digest.compose import Digest, DigestItem
from paperfeed.digest.render import Links, build_message, render_digest
from paperfeed.digest.schedule import is_due, period_of, window
from paperfeed.digest.subscriber import Preferences, Subscriber
from paperfeed.settings import Settings

THU = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)  # Thursday 07:00 UTC
SAT = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def sub(covered: date | None = None, **prefs: object) -> Subscriber:
    return Subscriber(1, "a@b.org", "confirmed", "n", Preferences(**prefs), covered)  # type: ignore[arg-type]


def test_daily_period_is_the_local_date() -> None:
    late = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    assert period_of(Preferences(), late) == "daily:2026-11-26"
    assert period_of(Preferences(timezone="Asia/Tokyo"), late) == "daily:2026-11-27"
    assert period_of(Preferences(timezone="America/Los_Angeles"), late) == "daily:2026-11-26"


def test_weekly_period_is_the_local_iso_week() -> None:
    sunday_night = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    assert period_of(Preferences(frequency="weekly"), sunday_night) == "weekly:2026-W48"
    assert (
        period_of(Preferences(frequency="weekly", timezone="Asia/Tokyo"), sunday_night)
        == "weekly:2026-W49"
    )


def test_due_after_the_local_send_time_and_not_on_skipped_weekends() -> None:
    assert not is_due(Preferences(send_time="08:00"), THU)
    assert is_due(Preferences(send_time="08:00", timezone="Europe/Berlin"), THU)  # 08:00 there
    assert not is_due(Preferences(send_time="08:00"), SAT)
    assert is_due(Preferences(send_time="08:00", skip_weekends=False), SAT)


def test_weekly_is_due_from_its_weekday_on() -> None:
    prefs = Preferences(frequency="weekly", weekday=3, send_time="06:00")  # Thursday
    assert is_due(prefs, THU) and is_due(prefs, SAT)
    assert not is_due(prefs, THU - timedelta(days=1))
    assert not is_due(Preferences(frequency="weekly", weekday=3, send_time="08:00"), THU)


def test_a_first_digest_covers_the_newest_listing_days() -> None:
    latest = date(2026, 7, 1)
    assert window(sub(), latest) == (latest, latest)
    assert window(sub(frequency="weekly"), latest) == (date(2026, 6, 25), latest)
    assert window(sub(), None) is None


def test_later_digests_cover_what_is_new_since_the_last_one() -> None:
    latest = date(2026, 7, 1)
    assert window(sub(date(2026, 6, 29)), latest) == (date(2026, 6, 30), latest)
    assert window(sub(latest), latest) is None
    assert window(sub(date(2026, 1, 1)), latest) == (date(2026, 6, 25), latest)  # a week at most


def test_rendered_digest_is_ascii_on_the_wire_and_escapes_html() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    item = DigestItem(
        "2606.1", "Über <b>bold</b> models", ("Zoë",), "cs.CL", "snippet", "trending", 1.0
    )
    digest = Digest(sub(), "daily:x", (item,))
    mail = render_digest(settings, Links("https://p.example", "s", 1, "n"), digest, THU)
    assert mail.wire.isascii() and "\n" not in mail.wire.replace("\r\n", "")
    assert max(len(line) for line in mail.wire.split("\r\n")) <= 998  # RFC 5322 line limit
    msg = mail.parsed()
    assert msg["Subject"] == "Daily papers: Über <b>bold</b> models"
    assert msg["From"] == settings.mail_from and msg["Message-ID"] == mail.message_id
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Über &lt;b&gt;bold&lt;/b&gt; models" in html and "<b>bold" not in html
    assert 'href="https://p.example/papers/2606.1"' in html


@pytest.mark.parametrize(
    "subject",
    [
        "Weekly papers: "
        + "Scaling laws for mixture of experts language models " * 2
        + "(+9 more)",
        "Weekly papers: 基于深度学习的医学图像分割方法研究与大规模预训练模型的对齐和评估 (+9 more)",
        "Daily papers: Über die Vollständigkeit der Axiome des logischen Funktionenkalküls"
        " (+2 more)",
    ],
)
def test_long_subjects_are_folded_and_read_back_whole(subject: str) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    mail = build_message(settings, "a@b.org", subject, "t", "<p>h</p>", THU, None)
    head = mail.wire.split("\r\n\r\n", 1)[0]
    lines = head.split("\r\n")
    subject_lines = [i for i, line in enumerate(lines) if line.startswith("Subject: ")]
    assert len(subject_lines) == 1
    first = subject_lines[0]
    assert lines[first + 1].startswith(" "), "a long subject continues on a folded line"
    assert all(len(line) <= 78 for line in lines if "://" not in line)
    assert mail.parsed()["Subject"] == subject


@pytest.mark.parametrize("field", ["to", "subject"])
def test_line_breaks_in_headers_are_refused(field: str) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    values = {"to": "a@b.org", "subject": "Hi"}
    values[field] += "\r\nBcc: victim@example.org"
    with pytest.raises(ValueError):
        build_message(settings, values["to"], values["subject"], "t", "<p>h</p>", THU, None)


def test_rate_limiter_spaces_sends(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    slept: list[float] = []
    monkeypatch.setattr(deliver.time, "monotonic", lambda: clock[0])

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr(deliver.time, "sleep", sleep)
    limiter = deliver.RateLimiter(4.0)
    for _ in range(5):
        limiter.wait()
    assert slept == [0.25, 0.25, 0.25, 0.25]
    deliver.RateLimiter(0).wait()  # no limit: never sleeps
    assert len(slept) == 4


def test_retry_backoff_doubles_and_is_capped() -> None:
    delays = [deliver.retry_at(n, 60, THU) - THU for n in (1, 2, 3, 20)]
    assert delays == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(hours=6),
    ]
