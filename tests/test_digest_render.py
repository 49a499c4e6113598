"""A digest run assembles each message from parts rendered once (digest/render's
DigestRenderer): the outbox must hold exactly what the full templates render."""

from __future__ import annotations

import base64
import multiprocessing
import os
import pickle
import re
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from paperfeed.digest import assembly, render, writer
from paperfeed.digest.compose import Digest, DigestItem
from paperfeed.digest.render import DigestRenderer, Links, render_digest
from paperfeed.digest.render import links as render_links
from paperfeed.digest.render import message as render_message
from paperfeed.digest.render import renderer as render_renderer
from paperfeed.digest.schedule import RunReport, compose_due, compose_window, due_subscribers
from paperfeed.digest.schedule import recording as schedule_recording
from paperfeed.digest.schedule import window as digest_window
from paperfeed.digest.subscriber import Preferences, Subscriber
from paperfeed.digest.tokens import read_token
from paperfeed.mailwire import unpacked_wire
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store.digests import InterestRow, recording
from paperfeed.store.tables import papers
from paperfeed.util import is_disk_full
from tests.digest_support import copy_newest_papers

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SETTINGS = Settings(secret_key="r" * 32, base_url="https://p.example/", _env_file=None)  # type: ignore[call-arg]
RENDERER = DigestRenderer(SETTINGS)  # shared: its per-paper parts carry over between examples


@pytest.fixture(autouse=True)
def fixed_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tokens, Message-IDs and MIME boundaries that do not change between two renderings."""
    monkeypatch.setattr(
        render_links, "make_token", lambda _s, scope, sid, nonce: f"{scope}.{sid}.{nonce}"
    )
    monkeypatch.setattr(
        render_links,
        "make_tokens",
        lambda _s, scopes, sid, nonce: [f"{scope}.{sid}.{nonce}" for scope in scopes],
    )
    monkeypatch.setattr(render_message, "make_msgid", lambda *_a, **_k: "<fixed@p.example>")
    monkeypatch.setattr(render_message.secrets, "token_hex", lambda n: "5a" * n)


PIECES = list("ab <>&\"'é€“”$^\\{}_%#\u2028") + ["$x^2$", "\\emph{", "\\alpha"]
TRICKY = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)
ITEMS = st.builds(
    DigestItem,
    paper_id=st.sampled_from(["2611.00001", "2611.00002", "hep-th/9901001", "2611.0000<3>"]),
    title=TRICKY.filter(lambda t: bool(t.strip())),
    authors=st.lists(TRICKY, max_size=5).map(tuple),
    category=st.sampled_from(["", "cs.LG", "cs.<b>"]),
    snippet=TRICKY,
    why=TRICKY,
    score=st.just(1.0),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    items=st.lists(ITEMS, max_size=6),
    frequency=st.sampled_from(["daily", "weekly"]),
    sid=st.integers(1, 10**6),
    user=st.sampled_from([None, 5]),  # an account's digest has 👍 / 👎 links per paper
)
def test_assembled_digest_is_the_full_template_rendering(
    items: list[DigestItem], frequency: str, sid: int, user: int | None
) -> None:
    sub = Subscriber(
        sid,
        f"r{sid}@example.org",
        "confirmed",
        "n0nce",
        Preferences(frequency=frequency),  # type: ignore[arg-type]
        user_id=user,
    )
    digest = Digest(sub, "daily:x", tuple(items))
    links = Links(SETTINGS.public_url, "k", sid, sub.nonce)
    assert (
        RENDERER.render(links, digest, NOW).wire == render_digest(SETTINGS, links, digest, NOW).wire
    )


def test_a_paper_shared_by_two_digests_keeps_each_ones_why_line() -> None:
    paper = DigestItem("2611.1", "Fast & <safe>", ("A", "B", "C", "D"), "cs.LG", "S", "", 1.0)
    subs = [Subscriber(i, f"s{i}@example.org", "confirmed", "n", Preferences()) for i in (1, 2)]
    whys = ["new in cs.LG", "matches your search “a <b>”"]
    for sub, why in zip(subs, whys, strict=True):
        digest = Digest(sub, "daily:x", (DigestItem(**{**paper.__dict__, "why": why}),))
        links = Links(SETTINGS.public_url, "k", sub.id, sub.nonce)
        mail = RENDERER.render(links, digest, NOW)
        assert mail.wire == render_digest(SETTINGS, links, digest, NOW).wire
        text = mail.parsed().get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert f"Why: {why}\n" in text and "1. Fast & <safe>\n   A, B, C et al. · cs.LG\n" in text


def test_plain_text_digest_reads_as_before() -> None:
    # The templates were split into head, item and foot parts: the text is unchanged (but
    # for each paper's snippet, since added for readers of the plain text alone).
    sub = Subscriber(7, "t@example.org", "confirmed", "n", Preferences(frequency="weekly"))
    items = (
        DigestItem("2611.1", "On $\\alpha$-nets", ("Zoë",), "cs.LG", "s", "new in cs.LG", 1.0),
        DigestItem("2611.2", "Two", ("A", "B"), "", "s", "trending", 0.5),
    )
    links = Links("https://p.example", "k", 7, "n")
    mail = DigestRenderer(SETTINGS).render(links, Digest(sub, "weekly:x", items), NOW)
    assert mail.parsed().get_body(("plain",)).get_content() == (  # type: ignore[union-attr]
        "2 new papers picked for you\n"
        "1. On α-nets\n   Zoë · cs.LG\n   Why: new in cs.LG\n   https://p.example/papers/2611.1\n"
        "   s\n\n"
        "2. Two\n   A, B\n   Why: trending\n   https://p.example/papers/2611.2\n   s\n\n"
        "--\nYou get this weekly digest because you subscribed at https://p.example/.\n"
        "Change what you get: https://p.example/preferences?token=manage.7.n\n"
        "Unsubscribe: https://p.example/unsubscribe?token=unsubscribe.7.n\n"
    )


def test_digest_run_outbox_holds_what_render_digest_renders(
    engine: Engine, demo_settings: Settings
) -> None:
    s = SETTINGS.model_copy(update={"database_url": None})
    expected = _forty_subscribers(engine, demo_settings, s)
    rows, sent = _run(engine, s)
    for row in rows:
        digest = expected[row.subscriber_id]
        links = Links(s.public_url, "r" * 32, row.subscriber_id, digest.subscriber.nonce)
        wire = render_digest(s, links, digest, NOW).wire
        # Kept compressed: the text column is left empty, the packed bytes are much smaller.
        assert row.message == "" and unpacked_wire(row.packed) == wire
        assert len(row.packed) < 0.4 * len(wire)
        carried = sorted(p.paper_id for p in sent if p.outbox_id == row.id)
        assert carried == sorted(item.paper_id for item in digest.items)
        assert all(p.subscriber_id == row.subscriber_id for p in sent if p.outbox_id == row.id)


def test_digest_run_with_the_assembly_pool_writes_what_the_run_in_process_writes(
    engine: Engine, demo_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Large runs assemble messages in worker processes (spawned, so the monkeypatched ids
    # above do not reach them): the same messages but for the Message-ID, the MIME boundary
    # and the tokens' timestamps, which are checked and then set aside.
    s = SETTINGS.model_copy(update={"database_url": None})
    expected = _forty_subscribers(engine, demo_settings, s)
    monkeypatch.setattr(assembly, "POOL_MIN_DIGESTS", 1)
    monkeypatch.setattr(assembly, "usable_cpus", lambda: 4)
    monkeypatch.setattr(schedule_recording, "_RECORD_BATCH", 7)  # several chunks, some in flight
    started: list[object] = []
    start = assembly._start
    monkeypatch.setattr(assembly, "_start", lambda *a: started.append(start(*a)) or started[-1])
    rows, sent = _run(engine, s)
    assert len(started) == 1 and started[0] is not None
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    for row in rows:
        digest = expected[row.subscriber_id]
        links = Links(s.public_url, "r" * 32, row.subscriber_id, digest.subscriber.nonce)
        # make_msgid puts the process id in: a worker made it.
        assert row.message_id.split(".")[1] != str(os.getpid())
        wanted = render_digest(s, links, digest, NOW).wire
        assert _comparable(unpacked_wire(row.packed), row.message_id) == wanted.replace(
            "5a" * 12, "B"
        ).replace("<fixed@p.example>", "<id>")
        carried = sorted(p.paper_id for p in sent if p.outbox_id == row.id)
        assert carried == sorted(item.paper_id for item in digest.items)


def _with_writer_process(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Large-run settings for the forty subscribers: the writer process, several batches."""
    monkeypatch.setattr(writer, "PROCESS_MIN_MESSAGES", 1)
    monkeypatch.setattr(writer, "usable_cpus", lambda: 2)
    monkeypatch.setattr(schedule_recording, "_RECORD_BATCH", 7)  # several batches, some waiting
    started: list[object] = []
    start = writer._start
    monkeypatch.setattr(writer, "_start", lambda *a: started.append(start(*a)) or started[-1])
    return started


def test_digest_run_with_the_writer_process_writes_what_the_run_in_process_writes(
    engine: Engine, demo_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = SETTINGS.model_copy(update={"database_url": None})
    expected = _forty_subscribers(engine, demo_settings, s)
    started = _with_writer_process(monkeypatch)
    rows, sent = _run(engine, s)
    assert len(started) == 1 and started[0] is not None  # written by another process
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    for row in rows:
        digest = expected[row.subscriber_id]
        links = Links(s.public_url, "r" * 32, row.subscriber_id, digest.subscriber.nonce)
        assert unpacked_wire(row.packed) == render_digest(s, links, digest, NOW).wire
        carried = sorted(p.paper_id for p in sent if p.outbox_id == row.id)
        assert carried == sorted(item.paper_id for item in digest.items)


def test_a_writer_process_that_cannot_start_leaves_the_run_to_write_in_process(
    engine: Engine, demo_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = SETTINGS.model_copy(update={"database_url": None})
    expected = _forty_subscribers(engine, demo_settings, s)
    _with_writer_process(monkeypatch)
    spawn = multiprocessing.get_context("spawn")

    def dying(*_args: object) -> ProcessPoolExecutor:  # its process exits as it starts
        return ProcessPoolExecutor(1, mp_context=spawn, initializer=os._exit, initargs=(3,))

    monkeypatch.setattr(writer, "_start", dying)
    rows, _sent = _run(engine, s)  # all forty, composed and counted
    assert sorted(r.subscriber_id for r in rows) == sorted(expected)
    assert [r.id for r in rows] == sorted(r.id for r in rows)


def test_a_full_disk_in_the_writer_process_is_still_a_full_disk_to_the_caller() -> None:
    # The error crosses processes as an OutboxWriteError; `is_disk_full` still knows it.
    full = pickle.loads(pickle.dumps(writer.OutboxWriteError("OperationalError: full", True)))
    other = pickle.loads(pickle.dumps(writer.OutboxWriteError("IntegrityError: x", False)))
    assert is_disk_full(full) and not is_disk_full(other)
    assert str(full) == "OperationalError: full"


@pytest.mark.parametrize("process", [True, False], ids=["writer-process", "in-process"])
def test_a_failed_outbox_batch_stops_the_run_with_its_error_and_keeps_earlier_batches(
    engine: Engine, demo_settings: Settings, monkeypatch: pytest.MonkeyPatch, process: bool
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the failure is a SQLite trigger")
    s = SETTINGS.model_copy(update={"database_url": None})
    _forty_subscribers(engine, demo_settings, s)
    started = _with_writer_process(monkeypatch) if process else []
    if not process:
        monkeypatch.setattr(schedule_recording, "_RECORD_BATCH", 7)
    # The run's batches in order (seven subscribers of one window each); one in the middle
    # fails as a full disk would (a SQLite trigger refuses one of its rows).
    with engine.connect() as conn:
        due, _, _ = due_subscribers(conn, NOW, True)
        latest = db.latest_listing_day(conn)
    groups: dict[object, list[int]] = {}
    for sub in due:
        groups.setdefault(digest_window(sub, latest), []).append(sub.id)
    batches = [g[i : i + 7] for g in groups.values() for i in range(0, len(g), 7)]
    failed = len(batches) // 2
    refused = batches[failed][-1]
    assert 0 < failed < len(batches) - 1  # batches before and after it
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE TRIGGER refuse BEFORE INSERT ON digest_outbox WHEN NEW.subscriber_id ="
            f" {refused} BEGIN SELECT RAISE(ABORT, 'no room for {refused}'); END"
        )
    with pytest.raises(Exception, match=f"no room for {refused}") as raised:
        compose_due(engine, s, NOW, True, None, RunReport())
    assert bool(started) == process and all(p is not None for p in started)
    assert not is_disk_full(raised.value)  # a trigger's refusal is not a full disk
    with engine.connect() as conn:
        written = [r.subscriber_id for r in conn.execute(select(db.outbox.c.subscriber_id))]
        carried = {r.outbox_id for r in conn.execute(select(db.sent_papers.c.outbox_id))}
        ids = {r.id for r in conn.execute(select(db.outbox.c.id))}
    # Whole batches before the failed one, nothing of it or after it.
    assert sorted(written) == sorted(sid for b in batches[:failed] for sid in b)
    assert carried and carried <= ids


def _comparable(wire: str, message_id: str) -> str:
    # The wire with its Message-ID and boundary fixed, and each token (checked to be this
    # subscriber's, for its scope) written as the tests' fixed tokens: scope.id.nonce.
    found = re.search(r'boundary="=_pf_([0-9a-f]{24})"', wire)
    assert found is not None
    wire = wire.replace(found.group(1), "B").replace(message_id, "<id>")
    head, _, body = wire.partition("\r\n\r\n")
    parts = body.split("--=_pf_B")
    out = [_tokens_fixed(head)]
    for part in parts:
        part_head, sep, lines = part.partition("\r\n\r\n")
        if not sep:
            out.append(part)
            continue
        text = base64.b64decode(lines).decode("utf-8")
        out.append(part_head + sep + render._base64_lines(_tokens_fixed(text)))
    return out[0] + "\r\n\r\n" + "--=_pf_B".join(out[1:])


def _tokens_fixed(text: str) -> str:
    def fixed(m: re.Match[str]) -> str:
        scope = "manage" if m.group(1) == "preferences" else "unsubscribe"
        sid, nonce = read_token("r" * 32, scope, m.group(2))
        return f"{m.group(1)}?token={scope}.{sid}.{nonce}"

    return re.sub(r"(preferences|unsubscribe)\?token=([\w.-]+)", fixed, text)


def _forty_subscribers(engine: Engine, demo_settings: Settings, s: Settings) -> dict[int, Digest]:
    """Forty subscribers on real papers, and the digests a run will compose for them."""
    copy_newest_papers(demo_settings, engine, 3)
    picks = [("category", "cs.LG"), ("category", "cs.CL"), ("keyword", "learning")]
    with engine.begin() as conn:
        for i in range(1, 41):
            sid = db.insert_subscriber(conn, _subscriber(i))
            db.replace_interests(
                conn, sid, [InterestRow(*picks[i % 3]), InterestRow(*picks[i % 2])]
            )
    with engine.connect() as conn:  # what the run will compose, worked out beforehand
        due, interests, period = due_subscribers(conn, NOW, True)
        latest = db.latest_listing_day(conn)
    groups: dict[object, list[Subscriber]] = {}
    for sub in due:  # ranked together by window, as the run does (ties depend on the group)
        groups.setdefault(digest_window(sub, latest), []).append(sub)
    return {
        d.subscriber.id: d
        for span, subs in groups.items()
        for d in compose_window(engine, s, span, subs, interests, period, None)  # type: ignore[arg-type]
    }


def _run(engine: Engine, s: Settings) -> tuple[list[Any], list[Any]]:
    report = RunReport()
    compose_due(engine, s, NOW, True, None, report)
    assert report.composed == 40
    with engine.connect() as conn:
        rows = conn.execute(select(db.outbox).order_by(db.outbox.c.id)).all()
        sent = conn.execute(select(db.sent_papers)).all()
    assert len(rows) == 40
    return list(rows), list(sent)


def _subscriber(i: int) -> dict[str, object]:
    return {
        "email": f"reader{i}@example.org",
        "email_key": f"reader{i}@example.org",
        "status": "confirmed",
        "nonce": f"{i:08x}",
        "frequency": "weekly" if i % 4 == 0 else "daily",
        "send_time": "08:00",
        "timezone": "UTC",
        "weekday": 0,
        "skip_weekends": False,
        "max_papers": 3 + i % 5,
        "include_trending": i % 3 == 0,
    }


@pytest.mark.parametrize("size", [0, 1, 2, 56, 57, 58, 114, 115, 1000, 17101])
def test_base64_body_lines_are_rfc2045_lines(size: int) -> None:
    body = ("é<a>" * size)[:size]
    expected = base64.encodebytes(body.encode("utf-8")).decode("ascii").replace("\n", "\r\n")
    assert render._base64_lines(body) == expected


def _outbox_of(engine: Engine, sids: list[int]) -> list[tuple[object, ...]]:
    # The stored values as SQLite holds them (text dates as written, each with its type),
    # subscribers numbered by their place in `sids`, and the papers each row marked sent.
    place = {sid: i for i, sid in enumerate(sids)}
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT id, subscriber_id, kind, period, status, message_id, message, covered_until,"
            " typeof(covered_until), attempts, next_attempt_at, typeof(next_attempt_at),"
            " last_error, created_at, sent_at FROM digest_outbox ORDER BY id"
        ).all()
        sent = conn.exec_driver_sql(
            "SELECT outbox_id, subscriber_id, paper_id FROM digest_sent_papers"
        ).all()
    return [
        (place[r[1]], *r[2:], sorted((place[s], p) for o, s, p in sent if o == r[0]))
        for r in rows
        if r[1] in place
    ]


def test_outbox_rows_written_through_the_sqlite_cursor_are_the_rows_core_writes(
    engine: Engine, demo_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A digest run's batches go through SQLite's cursor (store/digests/recording.py): the same
    # stored values as SQLAlchemy's statements, dates in the same text form, the same papers sent.
    if engine.dialect.name != "sqlite":
        pytest.skip("the cursor path is SQLite's")
    copy_newest_papers(demo_settings, engine, 1)
    n = db._CURSOR_FROM + 5
    with engine.begin() as conn:
        pids = [p for (p,) in conn.execute(select(papers.c.id).order_by(papers.c.id))][:6]
        fast = [db.insert_subscriber(conn, _subscriber(i)) for i in range(1, n + 1)]
        core = [db.insert_subscriber(conn, _subscriber(i)) for i in range(n + 1, 2 * n + 1)]

    def message(i: int, sid: int) -> db.NewMessage:
        day = datetime(2026, 7, 1 + i % 3).date() if i % 4 else None
        status = "empty" if i % 5 == 0 else "pending"
        papers = () if status == "empty" else tuple(pids[: 1 + i % 6])
        wire = f"To: r{i}@example.org\r\n\r\nbody {i} é €\r\n"
        return db.NewMessage(
            sid, "digest", "daily:x", "a@b.org", f"<{i}@x>", wire, papers, day, status
        )

    when = datetime(2026, 11, 26, 8, 30, 15, 123456)
    monkeypatch.setattr(recording, "utcnow", lambda: when)
    with engine.begin() as conn:
        ids = db.record_messages(conn, [message(i, sid) for i, sid in enumerate(fast)])
    with engine.begin() as conn:
        core_ids = db._insert_core(conn, [message(i, sid) for i, sid in enumerate(core)], when)
    assert len(ids) == len(core_ids) == n and ids == sorted(ids)
    written = _outbox_of(engine, fast)
    assert written == _outbox_of(engine, core)
    assert [r[0] for r in written] == list(range(n))
    assert written[1][6:10] == ("2026-07-02", "text", 0, "2026-11-26 08:30:15.123456")


def test_a_period_recorded_twice_through_the_sqlite_cursor_is_an_integrity_error(
    engine: Engine,
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the cursor path is SQLite's")
    n = db._CURSOR_FROM
    with engine.begin() as conn:
        sids = [db.insert_subscriber(conn, _subscriber(i)) for i in range(1, n + 1)]
    batch = [db.NewMessage(sid, "digest", "daily:x", "a@b.org", "<m>", "w") for sid in sids]
    with engine.begin() as conn:
        db.record_messages(conn, batch[:1])
    with pytest.raises(IntegrityError), engine.begin() as conn:
        db.record_messages(conn, batch[::-1])  # the last one was recorded already
    with engine.connect() as conn:  # the failed batch left nothing
        assert conn.execute(select(func.count()).select_from(db.outbox)).scalar_one() == 1


def test_the_date_header_keeps_the_time_zone_of_the_run_at_the_same_instant() -> None:
    # The Date header is made once per run's `now`: two equal instants in two zones are
    # equal datetimes, and must still give each its own header.
    sub = Subscriber(3, "z@example.org", "confirmed", "n", Preferences())
    item = DigestItem("2611.1", "T", ("A",), "cs.LG", "s", "new in cs.LG", 1.0)
    links = Links(SETTINGS.public_url, "k", 3, "n")
    berlin = NOW.astimezone(timezone(timedelta(hours=1)))
    for now in (NOW, berlin, NOW):
        mail = DigestRenderer(SETTINGS).render(links, Digest(sub, "daily:x", (item,)), now)
        assert mail.parsed()["Date"] == format_datetime(now)
    assert format_datetime(berlin).endswith("13:00:00 +0100")


def test_a_mail_made_at_a_naive_time_says_utc_not_an_unknown_zone() -> None:
    """Account mails (made at the store's naive UTC time) said "-0000", "zone unknown"."""
    from paperfeed.digest.render import build_message

    naive = NOW.astimezone(UTC).replace(tzinfo=None)
    mail = build_message(SETTINGS, "z@example.org", "Hi", "text", "<p>html</p>", naive, None)
    assert mail.parsed()["Date"] == format_datetime(NOW.astimezone(UTC))
    assert str(mail.parsed()["Date"]).endswith("+0000")


def test_items_remembered_by_identity_stay_bounded_and_render_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(render_renderer, "_ITEMS_KEPT", 3)
    renderer = DigestRenderer(SETTINGS)
    sub = Subscriber(5, "b@example.org", "confirmed", "n", Preferences())
    links = Links(SETTINGS.public_url, "k", 5, "n")
    for i in range(8):
        items = tuple(
            DigestItem(f"2611.{i}{j}", f"T{i}{j}", ("A",), "cs.LG", "s", f"why {j}", 1.0)
            for j in range(2)
        )
        digest = Digest(sub, "daily:x", items)
        again = Digest(sub, "daily:x", items)  # the same item objects: found by identity
        for d in (digest, again):
            assert (
                renderer.render(links, d, NOW).wire == render_digest(SETTINGS, links, d, NOW).wire
            )
        assert len(renderer.items) <= 3
