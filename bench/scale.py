"""Search at 1 M distinct papers with the default (MiniLM) query model: latency, CPU, RSS, recall.

Corpus: the 74,728 unique real papers of `arxiv-daily-cs-listings`, then synthetic papers until
--size, each made of a real title and sentences taken from 3-6 *other* real abstracts (as long as
a real abstract, at most ~480 word pieces), so no two are near-duplicates of each other or of a
real paper. Their text is what the keyword index holds.

Vectors. The fast `static` model is a sum of per-token vectors, so a text's vector is exactly the
sum of its pieces' sums (title, ".", sentences); every title and sentence is embedded once and
each paper's vector composed from them (checked against `StaticMiniLM.embed` on a sample). The
product's default model is MiniLM (384 dims), which cannot embed 1 M texts here; a ridge map
256 -> 384 fitted on --sample real papers embedded by MiniLM carries every composed static
vector into MiniLM's space, and that 1 M x 384 index is what the product's default settings
serve. Queries are embedded by the real MiniLM inside each timed query.

    python bench/scale.py vectors      # pieces, plan, composed vectors, MiniLM map (cached)
    python bench/scale.py build        # keyword + HNSW indexes, product code and defaults
    python bench/scale.py serve        # fresh process, default settings: timings, CPU, RSS
    python bench/scale.py recall       # HNSW (as served) against exact search, same vectors
    python bench/scale.py store        # a product store of --size papers + its search indexes
    python bench/scale.py foryou       # the product's all-time For you over that store
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import search as sb  # noqa: E402  (bench/search.py: corpus loading, building, percentiles)

from paperfeed.search.backfill import contract_of  # noqa: E402
from paperfeed.search.embed import StaticMiniLM, _sum_rows, get_embedder, paper_text  # noqa: E402
from paperfeed.search.vectors import exact_search, normalise  # noqa: E402
from paperfeed.settings import Settings  # noqa: E402
from paperfeed.store.search_store import IndexRow  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_WORK = REPO / "bench" / "out" / "scale"
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")
BUDGET = 480  # word pieces per synthetic paper: below the static model's 512-token truncation


def log(message: str) -> None:
    """Progress on stderr."""
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def loadavg() -> str:
    """The 1-minute load average now."""
    return f"{os.getloadavg()[0]:.2f}"


# --- pieces and the plan ------------------------------------------------------------------------


def pieces(real: list[IndexRow]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every title, then every sentence of every abstract; owner paper of each sentence."""
    titles = [r.title for r in real]
    sentences: list[str] = []
    owner: list[int] = []
    starts = np.zeros(len(real) + 1, dtype=np.int64)
    for i, r in enumerate(real):
        found = [s for s in SENTENCE.split(r.abstract) if s.strip()] or [r.abstract]
        sentences += found
        owner += [i] * len(found)
        starts[i + 1] = len(sentences)
    return titles + sentences, np.array(owner), starts


def piece_sums(texts: list[str], embedder: StaticMiniLM) -> tuple[np.ndarray, np.ndarray]:
    """Un-normalised static sums and word-piece counts of each text."""
    table = embedder._load()
    out = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
    lengths = np.zeros(len(texts), dtype=np.int32)
    for start in range(0, len(texts), 20_000):
        enc = embedder._tokenizer.encode_batch(texts[start : start + 20_000])
        ids = [e.ids for e in enc]
        out[start : start + len(ids)] = _sum_rows(table, ids)
        lengths[start : start + len(ids)] = [len(i) for i in ids]
    return out, lengths


def plan(
    real: list[IndexRow], starts: np.ndarray, lengths: np.ndarray, size: int, seed: int = 17
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each synthetic paper: its title's paper, and its sentences (flat, with offsets)."""
    rng = random.Random(seed)
    n_real, titles = len(real), np.zeros(size - len(real), dtype=np.int32)
    flat: list[int] = []
    offsets = [0]
    sent_len = lengths[n_real:]
    for n in range(size - n_real):
        a = rng.randrange(n_real)
        titles[n] = a
        target = min(BUDGET - lengths[a] - 1, int(sent_len[starts[a] : starts[a + 1]].sum()))
        used, donors = 0, 0
        while used < target and donors < 6:
            b = rng.randrange(n_real)
            if b == a:
                continue
            first, last = int(starts[b]), int(starts[b + 1])
            k = rng.randint(1, 3)
            s0 = rng.randrange(first, max(first + 1, last - k + 1))
            for s in range(s0, min(last, s0 + k)):
                if used + sent_len[s] > BUDGET - lengths[a] - 1:
                    break
                flat.append(s)
                used += int(sent_len[s])
            donors += 1
        offsets.append(len(flat))
    return titles, np.array(flat, dtype=np.int32), np.array(offsets, dtype=np.int64)


def synthetic_rows(real: list[IndexRow], texts: list[str], work: Path) -> Iterator[IndexRow]:
    """The real papers, then the synthetic ones as the keyword index sees them."""
    p = np.load(work / "plan.npz")
    titles, flat, offsets = p["titles"], p["flat"], p["offsets"]
    n_real = len(real)
    yield from real
    for n in range(len(titles)):
        a = real[int(titles[n])]
        abstract = " ".join(texts[n_real + int(s)] for s in flat[offsets[n] : offsets[n + 1]])
        yield IndexRow(_synthetic_id(n), a.title, abstract, a.authors, a.categories, a.day,
                       a.changed_at, False)  # fmt: skip


def _synthetic_id(n: int) -> str:
    return f"{9000 + n // 99_999}.{n % 99_999 + 1:05d}"


def compose(
    sums: np.ndarray, dot: np.ndarray, starts: np.ndarray, n_real: int, work: Path
) -> np.ndarray:
    """Un-normalised static vector of every paper: title + '.' + its sentences."""
    p = np.load(work / "plan.npz")
    titles, flat, offsets = p["titles"], p["flat"], p["offsets"]
    out = np.zeros((n_real + len(titles), sums.shape[1]), dtype=np.float32)
    sent = sums[n_real:]
    for i in range(n_real):  # a real paper: its own title and sentences
        out[i] = sums[i] + dot + sent[starts[i] : starts[i + 1]].sum(axis=0)
    for b in range(0, len(titles), 50_000):
        idx = np.arange(b, min(len(titles), b + 50_000))
        lo, hi = offsets[idx], offsets[idx + 1]
        seg = sent[flat[lo[0] : hi[-1]]]
        part = np.add.reduceat(seg, lo - lo[0], axis=0)
        part[hi == lo] = 0
        out[n_real + idx] = sums[titles[idx]] + dot + part
    return out


# --- the MiniLM map -----------------------------------------------------------------------------


def fit_map(static: np.ndarray, minilm: np.ndarray, ridge: float = 1.0) -> np.ndarray:
    """Ridge regression W (256 x 384) with static @ W ~ MiniLM, on unit vectors."""
    x = normalise(static)
    gram = x.T @ x + ridge * np.eye(x.shape[1], dtype=np.float32)
    w: np.ndarray = np.linalg.solve(gram, x.T @ minilm)
    return w.astype(np.float32)


def cmd_vectors(args: argparse.Namespace, real: list[IndexRow]) -> None:
    """Pieces, plan, composed static vectors, MiniLM sample and map; everything cached."""
    work, embedder = args.work, StaticMiniLM()
    texts, _owner, starts = pieces(real)
    took, cpu = time.perf_counter(), time.process_time()
    if (work / "sums.npz").exists():
        cached = np.load(work / "sums.npz")
        sums, lengths = cached["sums"], cached["lengths"]
    else:
        sums, lengths = piece_sums(texts, embedder)
        np.savez(work / "sums.npz", sums=sums, lengths=lengths)
    dot, _ = piece_sums(["."], embedder)
    log(
        f"static sums of {len(texts):,} titles+sentences: {time.perf_counter() - took:.0f} s wall, "
        f"{time.process_time() - cpu:.0f} s CPU, load {loadavg()}"
    )
    took = time.perf_counter()
    titles, flat, offsets = plan(real, starts, lengths, args.size)
    np.savez(work / "plan.npz", titles=titles, flat=flat, offsets=offsets)
    log(f"plan of {len(titles):,} synthetic papers: {time.perf_counter() - took:.0f} s")
    raw = compose(sums, dot[0], starts, len(real), work)
    static = normalise(raw)
    _check_exact(static, real, texts, work, embedder)
    sample = random.Random(23).sample(range(len(real)), args.sample)
    minilm = get_embedder("minilm")
    took, cpu = time.perf_counter(), time.process_time()
    m = np.concatenate(
        [
            minilm.embed([paper_text(real[i].title, real[i].abstract) for i in sample[j : j + 64]])
            for j in range(0, len(sample), 64)
        ]
    )
    log(
        f"MiniLM on {len(sample):,} real papers: {time.perf_counter() - took:.0f} s wall, "
        f"{time.process_time() - cpu:.0f} s CPU, load {loadavg()}"
    )
    np.save(work / "minilm-sample.npy", m)
    np.save(work / "minilm-sample-ids.npy", np.array(sample))
    fit, held = sample[: len(sample) * 4 // 5], len(sample) * 4 // 5
    w = fit_map(static[fit], m[:held])
    mapped_held = normalise(static[sample[held:]] @ w)
    cos = float(np.mean(np.sum(mapped_held * m[held:], axis=1)))
    log(f"ridge map: mean cosine to true MiniLM on {len(sample) - held} held-out papers {cos:.3f}")
    w = fit_map(static[sample], m)
    mapped = np.concatenate(
        [normalise(static[b : b + 100_000] @ w) for b in range(0, len(static), 100_000)]
    )
    np.save(work / "static.npy", static.astype(np.float16))
    np.save(work / "mapped.npy", mapped.astype(np.float16))
    (work / "vectors.json").write_text(json.dumps({"map_heldout_cosine": cos}))


def _check_exact(
    static: np.ndarray, real: list[IndexRow], texts: list[str], work: Path, emb: StaticMiniLM
) -> None:
    p = np.load(work / "plan.npz")
    titles, flat, offsets, n_real = p["titles"], p["flat"], p["offsets"], len(real)

    def text(i: int) -> str:
        if i < n_real:
            return paper_text(real[i].title, real[i].abstract)
        n = i - n_real
        sents = " ".join(texts[n_real + int(s)] for s in flat[offsets[n] : offsets[n + 1]])
        return paper_text(real[int(titles[n])].title, sents)

    pick = random.Random(1).sample(range(len(static)), 300)
    direct = emb.embed([text(i) for i in pick])
    cos = np.sum(direct * static[pick], axis=1)
    log(f"composed vs StaticMiniLM.embed, 300 papers: min cosine {cos.min():.5f}, "
        f"mean {cos.mean():.5f}; example: {text(pick[0])[:300]!r}")  # fmt: skip


# --- build, serve, recall -----------------------------------------------------------------------


def settings_of(work: Path) -> Settings:
    """Product defaults (MiniLM, auto index, default refresh and timeouts) but the data folder."""
    return Settings(data_dir=work / "n1m", database_url=None, _env_file=None)  # type: ignore[call-arg]


def all_ids(real: list[IndexRow], size: int) -> list[str]:
    """Ids of the corpus in index order."""
    return [r.id for r in real] + [_synthetic_id(n) for n in range(size - len(real))]


def cmd_build(args: argparse.Namespace, real: list[IndexRow]) -> None:
    """Keyword and HNSW indexes of the 1 M papers with the product's code and defaults."""
    texts, _owner, _starts = pieces(real)
    settings = settings_of(args.work)
    mapped = np.load(args.work / "mapped.npy", mmap_mode="r")
    cid = contract_of(get_embedder("minilm"))[0]
    kind = "hnsw" if len(mapped) >= settings.hnsw_threshold else "flat"
    log(f"building {kind} for {len(mapped):,} papers, contract {cid}, load {loadavg()}")

    def batches() -> Iterator[np.ndarray]:
        for b in range(0, len(mapped), 50_000):
            yield np.asarray(mapped[b : b + 50_000], dtype=np.float32)

    cpu = time.process_time()
    out = sb.build(
        lambda: synthetic_rows(real, texts, args.work),
        batches,
        all_ids(real, len(mapped)),
        settings,
        cid,
        kind,
    )
    out["cpu_s"] = round(time.process_time() - cpu, 1)
    out["load_after"] = float(loadavg())
    log(f"built {out}")
    (args.work / "build.json").write_text(json.dumps(out))


def cmd_serve(args: argparse.Namespace, real: list[IndexRow]) -> None:
    """Open the saved indexes with default settings and time each mode (run in a fresh process)."""
    from paperfeed.search import SearchService
    from paperfeed.store import open_store

    settings = settings_of(args.work)
    queries = sb.make_queries(real, args.queries)
    took = time.perf_counter()
    service = SearchService(settings, open_store(settings))
    service.refresh()
    out: dict[str, object] = {"load_s": round(time.perf_counter() - took, 2), "settings": {
        "embed_model": settings.embed_model, "vector_index": settings.vector_index,
        "search_embed_timeout": settings.search_embed_timeout}}  # fmt: skip
    out["rss_after_load_mb"] = sb._rss("VmRSS")
    out["rss_anon_after_load_mb"] = sb._rss("RssAnon")
    for mode in ("keyword", "semantic", "hybrid"):
        service.search(queries[0], mode=mode, limit=10)  # warm-up
        service._query_vectors.clear()  # every timed query pays for its MiniLM embedding
        out[mode] = timed_cpu([partial(service.search, q, mode, 10) for q in queries])
    service._query_vectors.clear()
    out["query_embed"] = timed_cpu([partial(service.embed_query, q + " x") for q in queries[:100]])
    ids = all_ids(real, args.size)
    similar = random.Random(5).sample(ids, args.queries)
    out["similar"] = timed_cpu([partial(service.similar, p, 10) for p in similar])
    out["rss_mb"], out["peak_rss_mb"] = sb._rss("VmRSS"), sb._rss("VmHWM")
    out["rss_anon_mb"], out["rss_file_mb"] = sb._rss("RssAnon"), sb._rss("RssFile")
    service._query_vectors.clear()
    qv = {q: service.embed_query(q) for q in queries[:100]}
    out["ann"] = {q: [h.id for h in service.search(q, "semantic", 10).hits] for q in qv}
    out["similar_ann"] = {p: [h.id for h in service.similar(p, 10)] for p in similar[:100]}
    out["qvecs"] = {q: [float(x) for x in v] for q, v in qv.items() if v is not None}
    service.close()
    (args.work / "served.json").write_text(json.dumps(out))
    brief = {k: v for k, v in out.items() if k not in ("ann", "similar_ann", "qvecs")}
    print(json.dumps(brief, indent=1))


def timed_cpu(calls: Sequence[partial[object]]) -> dict[str, float]:
    """Wall percentiles plus mean CPU ms per call (this process, all threads) and the load."""
    walls, cpus, fallbacks = [], [], 0
    for call in calls:
        w, c = time.perf_counter(), time.process_time()
        got = call()
        cpus.append(time.process_time() - c)
        walls.append(time.perf_counter() - w)
        fallbacks += bool(getattr(got, "fallback", None))
    out = sb.percentiles(walls)
    out["fallbacks"] = fallbacks  # searches answered without the query vector (e.g. timeout)
    out["cpu_ms_mean"] = round(1000 * float(np.mean(cpus)), 2)
    out["cpu_ms_p50"] = round(1000 * float(np.median(cpus)), 2)
    out["load1"] = float(loadavg())
    return out


def cmd_recall(args: argparse.Namespace, real: list[IndexRow]) -> None:
    """Recall@10 of what the served HNSW returned against exact search over the same vectors."""
    served = json.loads((args.work / "served.json").read_text())
    mapped = np.load(args.work / "mapped.npy").astype(np.float32)
    ids = all_ids(real, len(mapped))
    where = {pid: i for i, pid in enumerate(ids)}
    hits = total = 0
    for q, vec in served["qvecs"].items():
        # semantic search drops hits under the model's floor; compare on what exact keeps too
        truth = [ids[i] for i, s in exact_search(mapped, np.array(vec, np.float32), 10) if s >= 0.3]
        hits += len(set(truth) & set(served["ann"][q]))
        total += len(truth)
    sim_hits = sim_total = 0
    for pid, got in served["similar_ann"].items():
        truth = [ids[i] for i, _s in exact_search(mapped, mapped[where[pid]], 11) if ids[i] != pid]
        sim_hits += len(set(truth[:10]) & set(got))
        sim_total += 10
    nn = _neighbour_cosines(mapped, len(real))
    out = {
        "semantic_recall@10": round(hits / max(total, 1), 4),
        "semantic_truth_hits": total,
        "similar_recall@10": round(sim_hits / sim_total, 4),
        **nn,
    }
    (args.work / "recall.json").write_text(json.dumps(out))
    print(json.dumps(out, indent=1))


def _neighbour_cosines(matrix: np.ndarray, n_real: int) -> dict[str, float]:
    """How close each paper's nearest other paper is: real ones vs synthetic ones (100 each)."""
    rng = np.random.default_rng(3)
    out = {}
    for name, pool in (("real", np.arange(n_real)), ("synthetic", np.arange(n_real, len(matrix)))):
        best = []
        for i in rng.choice(pool, 100, replace=False):
            top = exact_search(matrix, matrix[i], 2)
            best.append(top[1][1])
        out[f"nn_cosine_{name}_median"] = round(float(np.median(best)), 3)
        out[f"nn_cosine_{name}_p95"] = round(float(np.percentile(best, 95)), 3)
    return out


def foryou_settings(work: Path, size: int) -> Settings:
    """Product defaults (MiniLM, auto index) over a SQLite store of `size` papers; no
    background index refresh during the timings (the store does not change)."""
    folder = work / f"foryou-{size}"
    return Settings(data_dir=folder, database_url=None, search_refresh_seconds=1e9,  # type: ignore[call-arg]
                    _env_file=None)  # fmt: skip


def vector_index_only(service: object) -> None:
    """Load or build just the vector index, as `SearchService.refresh` does for its vector half
    (All time never reads the keyword index; building it for 1 M papers takes ~14 min here)."""
    with service._lock:  # type: ignore[attr-defined]
        service._refresh_vectors()  # type: ignore[attr-defined]  # (saves what it built)
        service._last_refresh = time.monotonic()  # type: ignore[attr-defined]


def cmd_store(args: argparse.Namespace, real: list[IndexRow]) -> None:
    """A product store of the corpus (papers, MiniLM-contract vectors) and its search indexes,
    written and built by the product's own code (`upsert_papers`, `save_vectors`, `refresh`)."""
    from paperfeed.models import Paper
    from paperfeed.search import SearchService
    from paperfeed.search.backfill import text_hash
    from paperfeed.store import open_store, upsert_papers
    from paperfeed.store.bulk import deferred_indexes
    from paperfeed.store.search_store import count_vectors, ensure_contract, save_vectors

    texts, _owner, _starts = pieces(real)
    settings = foryou_settings(args.work, args.size)
    engine = open_store(settings)
    mapped = np.load(args.work / "mapped.npy", mmap_mode="r")
    assert len(mapped) >= args.size, "run `vectors` with this --size first"
    cid, spec = contract_of(get_embedder("minilm"))
    took, cpu = time.perf_counter(), time.process_time()
    with engine.begin() as conn:
        done = count_vectors(conn, cid)
        ensure_contract(conn, cid, spec)
    rows = synthetic_rows(real, texts, args.work)
    batch: list[IndexRow] = []
    with deferred_indexes(engine):
        for n, row in enumerate(rows):
            if n >= args.size:
                break
            if n < done:
                continue
            batch.append(row)
            if len(batch) == 5000 or n == args.size - 1:
                papers = [Paper(r.id, r.title, r.abstract, r.authors, r.categories, version=1,
                                source="bench", listing_date=r.day) for r in batch]  # fmt: skip
                vecs = [(r.id, text_hash(r.title, r.abstract),
                         np.asarray(mapped[n - len(batch) + 1 + i], np.float32))
                        for i, r in enumerate(batch)]  # fmt: skip
                with engine.begin() as conn:
                    upsert_papers(conn, papers)
                    save_vectors(conn, cid, vecs)
                batch = []
                if (n + 1) % 50_000 == 0:
                    log(f"stored {n + 1:,} papers, load {loadavg()}")
    stored_s = (time.perf_counter() - took, time.process_time() - cpu)
    log(f"store of {args.size:,} papers: {stored_s[0]:.0f} s wall, {stored_s[1]:.0f} s CPU")
    took, cpu = time.perf_counter(), time.process_time()
    service = SearchService(settings, engine)
    vector_index_only(service)  # HNSW from 20 k papers (`hnsw_threshold`), saved to disk
    service.close()
    built = (time.perf_counter() - took, time.process_time() - cpu)
    log(f"search indexes: {built[0]:.0f} s wall, {built[1]:.0f} s CPU, load {loadavg()}")
    out = {"size": args.size, "store_ms": _ms(stored_s), "indexes_ms": _ms(built)}
    (settings.data_dir / "built.json").write_text(json.dumps(out))


class Phases:
    """Wall and CPU time spent inside named functions of a module, per call of the whole."""

    def __init__(self) -> None:
        self.spent: dict[str, list[float]] = {}

    def wrap(self, module: object, name: str) -> None:
        """Time every call of `module.name` from now on."""
        real = getattr(module, name)

        def timed(*a: object, **k: object) -> object:
            w, c = time.perf_counter(), time.process_time()
            try:
                return real(*a, **k)
            finally:
                got = self.spent.setdefault(name, [0.0, 0.0])
                got[0] += time.perf_counter() - w
                got[1] += time.process_time() - c

        setattr(module, name, timed)

    def take(self) -> dict[str, float]:
        """Wall ms per phase since the last take."""
        out = {k: round(1000 * v[0], 1) for k, v in self.spent.items()}
        self.spent = {}
        return out


def make_foryou_readers(
    engine: object, real: list[IndexRow], plan: list[tuple[int, int]], seed: int = 4
) -> list[int]:
    """Readers with (positives, negatives) papers of two common categories each: 60 % saved,
    the rest rated 👍; negatives rated 👎. Returns their user ids."""
    from paperfeed.store import accounts, library

    by_cat: dict[str, list[str]] = {}
    for r in real:
        by_cat.setdefault(r.categories[0] if r.categories else "", []).append(r.id)
    common = sorted(by_cat, key=lambda c: -len(by_cat[c]))[:20]
    rng, users = random.Random(seed), []
    with engine.begin() as conn:  # type: ignore[attr-defined]
        for n, (pos, neg) in enumerate(plan):
            user = accounts.create_user(conn, f"reader{n}_{time.time_ns()}", "x")
            pool = by_cat[common[n % 20]] + by_cat[common[(n + 7) % 20]]
            for extra in common:  # a heavy reader's interests are wider
                if len(pool) >= 2 * (pos + neg):
                    break
                pool += by_cat[extra]
            picks = rng.sample(sorted(set(pool)), pos + neg)
            for i, pid in enumerate(picks[:pos]):
                if i % 5 < 3:
                    library.save_paper(conn, user.id, pid)
                else:
                    library.set_rating(conn, user.id, pid, 1)
            for pid in picks[pos:]:
                library.set_rating(conn, user.id, pid, -1)
            users.append(user.id)
    return users


def cmd_foryou(args: argparse.Namespace, real: list[IndexRow]) -> None:
    """The product's all-time For you (`Recommender.feed_all`, candidates from the search's
    HNSW index as the web app wires it) over the store `store` built, timed per reader."""
    from paperfeed.recommend import service as rs
    from paperfeed.recommend.whole import Reach
    from paperfeed.search import SearchService
    from paperfeed.store import open_store

    settings = foryou_settings(args.work, args.size)
    engine = open_store(settings)
    took = time.perf_counter()
    search = SearchService(settings, engine)
    vector_index_only(search)  # loads the saved HNSW index
    load_s = time.perf_counter() - took
    phases = Phases()
    for name in ("_signals", "acted_on", "get_papers", "paper_flags", "_matrix", "space_in",
                 "train", "rank", "follows_of"):  # fmt: skip
        phases.wrap(rs, name)

    def neighbours(queries: np.ndarray, k: int) -> list[list[str]]:
        return search.neighbours(queries, k)

    phases.wrap(search, "neighbours")
    reach = Reach(candidates=args.candidates) if args.candidates else Reach()
    recommender = rs.Recommender(engine, neighbours=neighbours, reach=reach)
    # As `serve` does at start, off the request path: the day's keyword features (fitted here,
    # the bench keeps none; a site reads back the ones it kept). A view meanwhile would be ranked
    # in its candidates' own features.
    w, c = time.perf_counter(), time.process_time()
    recommender.warm_vocabulary()
    warm = {"warm_wall_s": round(time.perf_counter() - w, 1),
            "warm_cpu_s_this_process": round(time.process_time() - c, 1)}  # fmt: skip
    log(f"keyword features warmed (server start): {warm} {phases.take()}")
    plan = [(100, 20)] * args.readers + [(400, 100)] * 2
    users = make_foryou_readers(engine, real, plan)
    rows: list[dict[str, object]] = []
    for n, user in enumerate(users):
        with engine.connect() as conn:
            w, c = time.perf_counter(), time.process_time()
            recs = recommender.feed_all(conn, user, 50)
            wall, cpu = time.perf_counter() - w, time.process_time() - c
            w2 = time.perf_counter()
            again = recommender.feed_all(conn, user, 50)
            cached = time.perf_counter() - w2
        assert recs and again == recs
        row = {"reader": n, "signals": f"{plan[n][0]}+{plan[n][1]}", "wall_ms": round(1000 * wall),
               "cpu_ms": round(1000 * cpu), "cached_ms": round(1000 * cached, 2),
               "shown": len(recs), "load1": float(loadavg()), **phases.take()}  # fmt: skip
        rows.append(row)
        log(f"reader {n}: {row}")
    # Which candidates does the model want? Rank the union of the product's candidates and one
    # search per positive (20 each, the prototype's) with the same model; count how many of that
    # top 50 each set found.
    for row, user in list(zip(rows, users, strict=True))[: args.compare]:
        row.update(union_share(engine, search, user, reach, sum(plan[row["reader"]])))  # type: ignore[index]
        log(f"reader {row['reader']} union: {row}")
    out = {
        "size": args.size, "index": search._vectors.kind if search._vectors else None,
        "open_indexes_s": round(load_s, 1), "reach": reach.__dict__,
        "ef_search_neighbours": max(-(-reach.candidates // reach.groups),
                                    search._calibration().hnsw_ef_similar),
        "rows": rows, **warm,
    }  # fmt: skip
    search.close()
    (settings.data_dir / "foryou.json").write_text(json.dumps(out))
    print(foryou_table(out))


def union_share(
    engine: object, search: object, user: int, reach: object, signals: int
) -> dict[str, int]:
    """Top 50 of the union of the product's candidates and one search per positive (20 each):
    how many each set holds, and the sizes of both sets."""
    from paperfeed.recommend import service as rs
    from paperfeed.recommend.whole import Reach, centres, per_query

    found: dict[str, set[str]] = {}

    def both(positives: np.ndarray, k: int) -> list[list[str]]:
        queries = centres(positives, np.ones(len(positives), np.float32), reach.groups)  # type: ignore[attr-defined]
        extra = -(-signals // len(queries))  # as the product asks: its own papers are dropped
        ours = search.neighbours(queries, per_query(reach, len(queries)) + extra)  # type: ignore[attr-defined]
        theirs = search.neighbours(positives, 20 + -(-signals // len(positives)))  # type: ignore[attr-defined]
        for name, lists in (("product", ours), ("per_positive", theirs)):
            for pid in (p for ids in lists for p in ids):
                found.setdefault(pid, set()).add(name)
        return ours + theirs

    wide = rs.Recommender(engine, neighbours=both, reach=Reach(groups=10**6, candidates=10**6))  # type: ignore[arg-type]
    with engine.connect() as conn:  # type: ignore[attr-defined]
        top = [found.get(r.id, set()) for r in wide.feed_all(conn, user, 50) or []]
    return {
        "union_top50_product": sum("product" in t for t in top),
        "union_top50_per_positive": sum("per_positive" in t for t in top),
        "candidates_product": sum("product" in t for t in found.values()),
        "candidates_per_positive": sum("per_positive" in t for t in found.values()),
    }


def foryou_table(out: dict[str, object]) -> str:
    """Settings, then one Markdown row per reader (the keyword features were warmed first, as
    a server's start does)."""
    keys = ["neighbours", "_signals", "get_papers", "_matrix", "space_in", "train", "rank"]
    head = (f"papers {out['size']:,}, index {out['index']}, reach {out['reach']}, "
            f"HNSW efSearch {out['ef_search_neighbours']}; keyword features warmed first "
            f"(server start): {out.get('warm_wall_s')} s wall\n\n"
            "| reader | signals | total wall ms | CPU ms | cached ms | ANN | signals | papers |"
            " vectors | tf-idf transform | train | rank | load 1-min |\n"
            "|" + "---|" * 13)  # fmt: skip
    lines = [head]
    for r in out["rows"]:  # type: ignore[attr-defined]
        cells = [r["reader"], r["signals"], r["wall_ms"], r["cpu_ms"], r["cached_ms"],
                 *[r.get(k, "") for k in keys], r["load1"]]  # fmt: skip
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    lines += ["", "| reader | candidates: product / one search per positive (20 each) | "
              "top 50 of the union found by the product / by per positive |",
              "|---|---|---|"]  # fmt: skip
    for r in out["rows"]:  # type: ignore[attr-defined]
        if "union_top50_product" in r:
            lines.append(f"| {r['reader']} | {r['candidates_product']} / "
                         f"{r['candidates_per_positive']} | {r['union_top50_product']} / "
                         f"{r['union_top50_per_positive']} |")  # fmt: skip
    return "\n".join(lines)


def _ms(pair: tuple[float, float]) -> dict[str, float]:
    return {"wall": round(1000 * pair[0], 1), "cpu": round(1000 * pair[1], 1)}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one step."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("step", choices=["vectors", "build", "serve", "recall", "store", "foryou"])
    p.add_argument("--data-dir", type=Path, default=sb.DEFAULT_DATA)
    p.add_argument("--work", type=Path, default=DEFAULT_WORK)
    p.add_argument("--size", type=int, default=1_000_000)
    p.add_argument("--sample", type=int, default=2000, help="real papers embedded by MiniLM")
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--readers", type=int, default=8, help="for you: readers with 100+20 signals")
    p.add_argument("--candidates", type=int, default=0, help="for you: instead of the default")
    p.add_argument("--compare", type=int, default=3, help="for you: readers also ranked from "
                   "one search per positive")  # fmt: skip
    args = p.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    real = sb.load_real(args.data_dir)
    log(f"step {args.step}: {len(real):,} real papers, size {args.size:,}, load {loadavg()}")
    {
        "vectors": cmd_vectors,
        "build": cmd_build,
        "serve": cmd_serve,
        "recall": cmd_recall,
        "store": cmd_store,
        "foryou": cmd_foryou,
    }[args.step](args, real)
    return 0


if __name__ == "__main__":
    sys.exit(main())
