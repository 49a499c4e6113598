"""SMTP chaos benchmark: subscribe, confirm and send one digest period to N addresses through a
loopback SMTP server that fails ~30 % of MAIL/RCPT/DATA commands transiently (451, dropped
connections, stalls past the client's timeout), takes 3 % of messages but answers late, refuses
2 % of messages (554) and every `bounce*` recipient (550) for good. Plain SMTP, STARTTLS and
implicit TLS (a throwaway certificate from the openssl command).

Checks what the product promises and prints the figures: every message delivered exactly once
or marked failed with its reason, no subscriber with two copies of a period.

    PYTHONPATH=src:. .venv/bin/python bench/smtp_chaos.py --subscribers 120
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the chaos server lives with the tests that also use it

from paperfeed.ingest.jobs import load_demo  # noqa: E402
from paperfeed.settings import Settings  # noqa: E402
from paperfeed.store import open_store  # noqa: E402
from tests.digest_support import free_port  # noqa: E402
from tests.smtp_chaos import BOUNCE, Chaos, chaos_server, make_certificate, run_scenario  # noqa: E402

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def check(rows: list[dict[str, object]], delivered: list[tuple[str, str, str]]) -> dict[str, int]:
    """Count violations of the promises (all must be 0)."""
    copies = Counter(mid for _to, mid, _kind in delivered)
    digests = Counter(to for to, _mid, kind in delivered if kind == "digest")
    bad = {"delivered twice": sum(1 for n in copies.values() if n > 1)}
    bad["sent but not delivered"] = sum(
        1 for r in rows if r["status"] == "sent" and copies[str(r["message_id"])] != 1
    )
    bad["failed without reason"] = sum(
        1 for r in rows if r["status"] == "failed" and not str(r["last_error"] or "").strip()
    )
    bad["left pending"] = sum(1 for r in rows if r["status"] in ("pending", "sending"))
    bad["two copies of a period"] = sum(1 for n in digests.values() if n > 1)
    return bad


def run(base: Settings, tls: str, n: int, seed: int, cert_dir: Path) -> dict[str, object]:
    """One scenario on a fresh copy of the demo store."""
    data = Path(tempfile.mkdtemp(prefix=f"chaos-{tls}-"))
    port = free_port()
    settings = base.model_copy(update={"data_dir": data, "smtp_port": port, "smtp_tls": tls})
    engine = open_store(settings)
    load_demo(engine, settings)
    certificate = make_certificate(cert_dir) if tls != "none" else None
    if certificate is not None:  # the client trusts the throwaway certificate, as a CA
        os.environ["SSL_CERT_FILE"] = str(certificate.cert)
    addresses = [f"reader{i}@example.org" for i in range(n - n // 20)]
    addresses += [f"{BOUNCE}{i}@example.org" for i in range(n // 20)]
    started = time.perf_counter()
    with chaos_server(Chaos(seed=seed, stall_seconds=1.0), port, tls, certificate) as chaos:
        outcome = run_scenario(engine, settings, chaos, addresses, NOW)
    engine.dispose()
    return {
        "tls": tls,
        "subscribers": n,
        **outcome.table(),
        "violations": check(outcome.rows, outcome.delivered),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=120)
    parser.add_argument("--tls-subscribers", type=int, default=40)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    base = Settings(  # type: ignore[call-arg]
        _env_file=None,
        secret_key="b" * 32,
        digest_send_rate=0,
        digest_retry_delay=0,
        digest_max_attempts=20,
        embed_model="static",
    )
    print(
        "settings (non-default): digest_send_rate=0, digest_retry_delay=0 (retries at once), "
        "digest_max_attempts=20, SMTP command timeout 0.5 s, DATA reply timeout 600 s",
        file=sys.stderr,
    )
    cert_dir = Path(tempfile.mkdtemp(prefix="chaos-cert-"))
    results = [run(base, "none", args.subscribers, args.seed, cert_dir)]
    for tls in ("starttls", "ssl"):
        results.append(run(base, tls, args.tls_subscribers, args.seed + 1, cert_dir))
    for r in results:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
