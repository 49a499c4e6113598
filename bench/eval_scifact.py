"""Search quality on SciFact (BEIR format): nDCG@10 and Recall@100 for keyword, semantic, hybrid.

The corpus goes through the real pipeline in a temporary store: each document is stored as a
paper (`upsert_papers`, id `local-<doc id>`), embedded (`embed_papers`), indexed and searched
with `SearchService.search`, exactly as the CLI and the web app do.

    .venv/bin/python bench/eval_scifact.py                     # ../shared/data/scifact, dev split
    .venv/bin/python bench/eval_scifact.py --corpus C --queries Q --qrels R --json
    .venv/bin/python bench/eval_scifact.py --model static      # the fast embedder
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from paperfeed.models import Paper
from paperfeed.search import SearchService, embed_papers
from paperfeed.settings import Settings
from paperfeed.store import open_store, upsert_papers

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".." / "shared" / "data" / "scifact"
MODES = ("keyword", "semantic", "hybrid")
PREFIX = "local-"


def read_jsonl(path: Path) -> Iterator[dict[str, object]]:
    """JSON objects, one a line, from a plain or gzipped file."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:  # type: ignore[operator]
        for line in handle:
            if line.strip():
                yield json.loads(line)


def read_qrels(path: Path) -> dict[str, set[str]]:
    """BEIR qrels (query-id, corpus-id, score; header line optional): relevant ids per query."""
    out: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or parts[0] == "query-id" or not parts[2].strip().lstrip("-").isdigit():
            continue
        if int(parts[2]) > 0:
            out.setdefault(parts[0], set()).add(parts[1])
    return out


def ndcg_at(ranked: Sequence[str], relevant: set[str], k: int = 10) -> float:
    """Binary-relevance nDCG@k."""
    dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if d in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def recall_at(ranked: Sequence[str], relevant: set[str], k: int = 100) -> float:
    """Share of the relevant documents in the top k."""
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def load_corpus(engine, path: Path) -> int:  # type: ignore[no-untyped-def]
    """Store every corpus document as a paper; returns how many."""
    batch: list[Paper] = []
    count = 0
    for doc in read_jsonl(path):
        title, text = str(doc.get("title") or ""), str(doc.get("text") or "")
        batch.append(
            Paper(
                id=PREFIX + str(doc["_id"]),
                title=title or text[:80],
                abstract=text,
                source="scifact",
            )
        )
        if len(batch) == 2000:
            count += _store(engine, batch)
            batch = []
    return count + _store(engine, batch)


def _store(engine, batch: list[Paper]) -> int:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        upsert_papers(conn, batch)
    return len(batch)


def evaluate(
    service: SearchService,
    queries: dict[str, str],
    qrels: dict[str, set[str]],
    modes: Sequence[str],
) -> dict[str, dict[str, float]]:
    """Mean nDCG@10 and Recall@100 per mode over the queries that have judgements."""
    judged = [q for q in queries if q in qrels]
    out: dict[str, dict[str, float]] = {}
    for mode in modes:
        ndcg = recall = 0.0
        for qid in judged:
            result = service.search(queries[qid], mode=mode, limit=100)
            if result.mode != mode:  # a fallback would score keyword search under this mode's name
                raise SystemExit(f"{mode} search fell back to {result.mode}: {result.fallback}")
            ranked = [h.id.removeprefix(PREFIX) for h in result.hits]
            ndcg += ndcg_at(ranked, qrels[qid])
            recall += recall_at(ranked, qrels[qid])
        n = max(len(judged), 1)
        out[mode] = {"ndcg@10": round(ndcg / n, 4), "recall@100": round(recall / n, 4)}
    return out


def build(settings: Settings, corpus: Path) -> SearchService:
    """Store, embed and index the corpus; the ready service."""
    engine = open_store(settings)
    started = time.perf_counter()
    stored = load_corpus(engine, corpus)
    log(f"stored {stored:,} documents in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    embedded = embed_papers(settings, engine)
    log(
        f"embedded {embedded:,} documents with {settings.embed_model} "
        f"in {time.perf_counter() - started:.1f} s"
    )
    service = SearchService(settings, engine)
    started = time.perf_counter()
    service.refresh()
    log(f"indexed in {time.perf_counter() - started:.1f} s")
    return service


def log(message: str) -> None:
    """Progress on stderr, so --json output stays one clean line."""
    print(message, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the evaluation and print a table (and JSON with --json)."""
    args = _parser().parse_args(argv)
    queries = {str(q["_id"]): str(q["text"]) for q in read_jsonl(args.queries)}
    qrels = read_qrels(args.qrels)
    overrides: dict[str, object] = {"search_embed_timeout": 600.0}  # measure, never fall back
    if args.model:
        overrides["embed_model"] = args.model
    with tempfile.TemporaryDirectory(prefix="scifact-") as tmp:
        data_dir = args.store or Path(tmp)
        base = Settings(data_dir=data_dir, database_url=None, _env_file=None)  # type: ignore[call-arg]
        settings = base.model_copy(update=overrides)
        service = build(settings, args.corpus)
        try:
            scores = evaluate(service, queries, qrels, args.modes)
        finally:
            service.close()
    print(
        f"SciFact: {len([q for q in queries if q in qrels])} judged queries, "
        f"model {settings.embed_model}, fusion {settings.hybrid_fusion}"
    )
    print(f"{'mode':<10} {'nDCG@10':>8} {'R@100':>8}")
    for mode, s in scores.items():
        print(f"{mode:<10} {s['ndcg@10']:>8.4f} {s['recall@100']:>8.4f}")
    if args.json:
        print(json.dumps(scores))
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", type=Path, default=DEFAULT_DATA / "corpus.beir.jsonl.gz")
    p.add_argument("--queries", type=Path, default=DEFAULT_DATA / "dev" / "queries.jsonl")
    p.add_argument("--qrels", type=Path, default=DEFAULT_DATA / "dev" / "qrels.tsv")
    p.add_argument("--model", help="embedding model (default: the configured one)")
    p.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    p.add_argument("--store", type=Path, help="keep the store in this folder (reused if present)")
    p.add_argument("--json", action="store_true", help="print the scores as JSON, last line")
    return p


if __name__ == "__main__":
    sys.exit(main())
