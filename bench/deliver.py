"""Delivery benchmark: send the same outbox messages again and again over 1, 2, 4 … SMTP
sessions, alternating, to an aiosmtpd sink on loopback in a separate process.

It reuses the store `bench/digest.py` leaves in its --work-dir (run that first): the oldest
--messages digests of its outbox are put back in the queue before each pass (the others are
held back), then `deliver_due` sends them with `smtp_connections` set to each value of
--sessions in turn, --rounds times. `digest_send_rate` is 0 (the default, 20/s, would be the
whole measurement); everything else is the product's default. The sink's CPU time is read from
/proc (Linux).

    .venv/bin/python bench/deliver.py --sessions 1 4 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, update

sys.path.insert(0, str(Path(__file__).resolve().parent))
from digest import smtp_sink  # noqa: E402  (bench/digest.py: the counting sink)

from paperfeed.digest.deliver import SmtpMailer, deliver_due  # noqa: E402
from paperfeed.settings import Settings  # noqa: E402
from paperfeed.store import digests as db  # noqa: E402
from paperfeed.store import open_store  # noqa: E402


def requeue(engine: Engine, count: int) -> int:
    """Put the oldest `count` digests back in the queue and hold every other one back."""
    outbox = db.outbox
    with engine.begin() as conn:
        ids = [
            i
            for (i,) in conn.execute(
                outbox.select()
                .with_only_columns(outbox.c.id)
                .where(outbox.c.kind == "digest", outbox.c.status != "empty")
                .order_by(outbox.c.id)
                .limit(count)
            )
        ]
        conn.execute(
            update(outbox)
            .where(outbox.c.status.in_(["pending", "sending", "sent", "failed"]))
            .where(outbox.c.id.not_in(ids))
            .values(status="held")
        )
        conn.execute(
            update(outbox).where(outbox.c.id.in_(ids)).values(status="pending", attempts=0)
        )
    return len(ids)


def _cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_pass(engine: Engine, settings: Settings, sessions: int, count: int) -> dict[str, object]:
    """Deliver `count` messages over `sessions` sessions; wall time, rate and CPU of both ends."""
    queued = requeue(engine, count)
    with smtp_sink() as sink:
        local = settings.model_copy(
            update={"smtp_port": sink.port, "digest_send_rate": 0, "smtp_connections": sessions}
        )
        mailer = SmtpMailer(local)
        load = os.getloadavg()[0]
        sink_cpu, cpu, start = _cpu_of(sink.pid), time.process_time(), time.perf_counter()
        report = deliver_due(engine, local, mailer)
        wall = time.perf_counter() - start
        sender_cpu, sink_cpu = time.process_time() - cpu, _cpu_of(sink.pid) - sink_cpu
        mailer.close()
        received = sink.counter.value
    return {
        "time": time.strftime("%H:%M:%S"),
        "sessions": sessions,
        "queued": queued,
        "sent": report.sent,
        "received": received,
        "wall_s": round(wall, 2),
        "msg_per_s": round(report.sent / wall),
        "sender_cpu_s": round(sender_cpu, 2),
        "sink_cpu_s": round(sink_cpu, 2),
        "load_1m": round(load, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "paperfeed-bench-digest"
    )
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not (args.work_dir / "paperfeed.db").exists():
        sys.exit(f"no digest store in {args.work_dir}: run bench/digest.py first")
    settings = Settings(  # type: ignore[call-arg]
        data_dir=args.work_dir,
        secret_key="bench" * 8,
        base_url="https://paperfeed.example",
        _env_file=None,
    )
    engine = open_store(settings)
    fields = Settings.model_fields
    rate, sessions = fields["digest_send_rate"].default, fields["smtp_connections"].default
    print(
        f"settings: digest_send_rate=0 (default {rate:g}/s), smtp_connections per row "
        f"(default {sessions}); everything else default"
    )
    rows = [
        one_pass(engine, settings, n, args.messages)
        for _ in range(args.rounds)
        for n in args.sessions
    ]
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join(str(row[k]) for k in keys) + " |")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
