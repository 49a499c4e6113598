"""Offline evaluation of the "For you" ranker on real arXiv listings.

Simulated users are authors with at least 3 papers listed before the cut date and at least one in
the window after it. Their papers before the cut are their 👍 signals; the rankers order every
paper listed in the window (author names hidden: content only) and we score recall@50 and
nDCG@50 of the user's own window papers. Rankers: paperfeed's own (`paperfeed.recommend.model`),
arxiv-sanity-lite's recipe (tf-idf as in its compute.py, per-user
LinearSVC(class_weight='balanced', C=0.1) as in its serve.py), the mean-embedding centroid and
newest-first.

Usage: python bench/eval_recommend.py --cut 2026-03-02 --window-days 7 --users 200 --seed 0 [--json]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from paperfeed.recommend import model as rec
from paperfeed.recommend.whole import Reach
from paperfeed.search.embed import get_embedder, paper_text
from paperfeed.store.papers import author_key

REPO = Path(__file__).resolve().parent.parent
K = 50


@dataclass(frozen=True)
class Listed:
    """A paper as the listings give it, with the first day it was listed."""

    id: str
    title: str
    summary: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    day: date
    comment: str = ""  # the listing's comment line, which the product's keyword features read


def read_listings(folder: Path, until: date) -> list[Listed]:
    """Every paper first listed before `until`, oldest day first, in listing order."""
    seen: dict[str, Listed] = {}
    for path in sorted(folder.glob("*.jsonl.gz")):
        day = date.fromisoformat(path.name[:10])
        if day >= until:
            break
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                r = json.loads(line)
                if r["id"] not in seen:
                    cats = tuple(c for c in r["categories"] if "." in c and " " not in c)
                    seen[r["id"]] = Listed(
                        r["id"], r["title"], r["summary"], tuple(r["authors"]), cats, day,
                        r.get("comment") or "",
                    )  # fmt: skip
    return list(seen.values())


@dataclass(frozen=True)
class User:
    """A simulated user: an author, their papers before the cut and in the window."""

    name: str
    signals: tuple[Listed, ...]
    relevant: frozenset[str]


def pick_users(papers: Sequence[Listed], cut: date, n: int, seed: int) -> list[User]:
    """Authors with >= 3 papers before the cut and >= 1 in the window, `n` sampled."""
    before: dict[str, list[Listed]] = {}
    after: dict[str, set[str]] = {}
    for p in papers:
        for a in {author_key(a) for a in p.authors}:
            if p.day < cut:
                before.setdefault(a, []).append(p)
            else:
                after.setdefault(a, set()).add(p.id)
    names = sorted(a for a in after if len(before.get(a, ())) >= 3 and a)
    random.Random(seed).shuffle(names)
    return [User(a, tuple(before[a]), frozenset(after[a])) for a in names[:n]]


def embed(ids_texts: dict[str, str], embedder_name: str, cache: Path) -> dict[str, np.ndarray]:
    """Embeddings of the given papers with the product's embedder (cached on disk by text)."""
    embedder = get_embedder(embedder_name)
    cache.mkdir(parents=True, exist_ok=True)
    file = cache / f"{embedder_name}.npz"
    stored = dict(np.load(file)) if file.exists() else {}
    keys = {pid: hashlib.sha1(t.encode()).hexdigest()[:16] for pid, t in ids_texts.items()}
    todo = [pid for pid in ids_texts if keys[pid] not in stored]
    started = time.perf_counter()
    for i in range(0, len(todo), 256):
        chunk = todo[i : i + 256]
        for pid, vec in zip(chunk, embedder.embed([ids_texts[p] for p in chunk]), strict=True):
            stored[keys[pid]] = vec.astype(np.float16)
    if todo:
        np.savez(file, **stored)
        took = time.perf_counter() - started
        print(f"embedded {len(todo)} papers in {took:.0f} s ({len(todo) / took:.0f}/s)")
    return {pid: stored[keys[pid]].astype(np.float32) for pid in ids_texts}


Ranker = Callable[[User], list[str]]


def store_vocabulary(papers: Sequence[Listed], comments: bool = True) -> rec.Vocabulary:
    """The product's keyword features: fitted on the newest `Reach.vocabulary_papers` papers of
    the store (here: listed before the window's end, the window included)."""
    newest = sorted(papers, key=lambda p: p.day)[-Reach().vocabulary_papers :]
    return rec.fit_vocabulary([doc(p, comments).keyword_text for p in newest])


def doc(p: Listed, comments: bool = True) -> rec.Doc:
    """What the product's ranker sees of a paper (author names hidden; `comments=False`: the
    comment line left out too, as the ranker had it before 2026-12-03)."""
    return rec.Doc(p.id, p.title, p.summary, (), p.categories, p.day, p.comment if comments else "")


def paperfeed_ranker(
    window: list[Listed],
    vectors: dict[str, np.ndarray],
    cut: date,
    tuning: rec.Tuning,
    vocabulary: rec.Vocabulary,
    comments: bool = True,
) -> Ranker:
    """The product's ranker: one space over the window in the store's keyword features, a model
    per user."""
    docs = [doc(p, comments) for p in window]
    space = rec.space_in(docs, np.vstack([vectors[p.id] for p in window]), vocabulary)

    def ranked(user: User) -> list[str]:
        signals = [
            rec.Signal(
                doc(p, comments),
                1,
                "rating",
                float((cut - p.day).days),
                vectors[p.id],
            )
            for p in user.signals
        ]
        model = rec.train(signals, space, rec.Follows(), tuning)
        return [r.id for r in rec.rank(model, space, K)]

    return ranked


def asl_ranker(window: list[Listed], users: Sequence[User]) -> Ranker:
    """arxiv-sanity-lite: compute.py's tf-idf over its whole db, serve.py's per-user SVM."""
    corpus = {p.id: p for p in window}
    for u in users:
        corpus.update({p.id: p for p in u.signals})
    pids = list(corpus)
    v = TfidfVectorizer(
        input="content",
        encoding="utf-8",
        decode_error="replace",
        strip_accents="unicode",
        lowercase=True,
        analyzer="word",
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
        max_features=10000,
        norm="l2",
        use_idf=True,
        smooth_idf=True,
        sublinear_tf=True,
        max_df=0.5,
        min_df=5,
    )
    # compute.py joins title, summary and authors; authors are hidden from every ranker here.
    texts = [" ".join([corpus[p].title, corpus[p].summary]) for p in pids]
    x = v.fit_transform(texts).astype(np.float32)
    row = {p: i for i, p in enumerate(pids)}
    window_rows = np.array([row[p.id] for p in window])

    def ranked(user: User) -> list[str]:
        y = np.zeros(x.shape[0], dtype=np.float32)
        y[[row[p.id] for p in user.signals]] = 1.0
        clf = LinearSVC(class_weight="balanced", verbose=False, max_iter=10000, tol=1e-6, C=0.1)
        clf.fit(x, y)
        s = clf.decision_function(x[window_rows])
        return [window[i].id for i in np.argsort(-s, kind="stable")[:K]]

    return ranked


def centroid_ranker(window: list[Listed], vectors: dict[str, np.ndarray]) -> Ranker:
    """Cosine similarity to the mean of the user's signal embeddings."""
    matrix = rec._unit(np.vstack([vectors[p.id] for p in window]), len(window))

    def ranked(user: User) -> list[str]:
        mean = np.mean([vectors[p.id] for p in user.signals], axis=0)
        s = matrix @ (mean / max(float(np.linalg.norm(mean)), 1e-9))
        return [window[i].id for i in np.argsort(-s, kind="stable")[:K]]

    return ranked


def recent_ranker(window: list[Listed]) -> Ranker:
    """Newest listing day first, listing order within a day."""
    order = [p.id for p in sorted(window, key=lambda p: p.day, reverse=True)][:K]
    return lambda user: order


def metrics(ranked: Sequence[str], relevant: frozenset[str]) -> tuple[float, float]:
    """recall@K and nDCG@K with binary relevance."""
    top = ranked[:K]
    hits = [i for i, pid in enumerate(top) if pid in relevant]
    dcg = sum(1 / math.log2(i + 2) for i in hits)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), K)))
    return len(hits) / len(relevant), dcg / ideal


def evaluate(rankers: dict[str, Ranker], users: Sequence[User]) -> dict[str, dict[str, float]]:
    """Mean recall@K and nDCG@K of each ranker over the users, and seconds per user."""
    out: dict[str, dict[str, float]] = {}
    for name, ranker in rankers.items():
        started = time.perf_counter()
        scores = [metrics(ranker(u), u.relevant) for u in users]
        out[name] = {
            f"recall@{K}": round(float(np.mean([s[0] for s in scores])), 4),
            f"ndcg@{K}": round(float(np.mean([s[1] for s in scores])), 4),
            "ms_per_user": round((time.perf_counter() - started) * 1000 / max(len(users), 1), 1),
        }
    return out


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cut", type=date.fromisoformat, default=date(2026, 3, 2))
    parser.add_argument("--window-days", type=int, default=7)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="last line: the results as JSON")
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--embedder", default="minilm", help="minilm (default) or static")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "paperfeed-bench")
    parser.add_argument("--tune", default="", help="Tuning overrides, e.g. half_life_days=180")
    parser.add_argument(
        "--without-comments",
        action="store_true",
        help="also rank with the papers' comment lines left out of the keyword features, as "
        "`paperfeed_nocomment` (the ranker before they were read)",
    )
    parser.add_argument(
        "--compare",
        default=None,
        help="also rank with these overrides as `paperfeed_cmp` ('' for the defaults), e.g. "
        "the first round's weights: meaning_weight=0.75,category_weight=0.25,neighbour_weight=0",
    )
    return parser.parse_args(argv)


def tuning_from(spec: str) -> rec.Tuning:
    """Default tuning with `name=value,...` overrides."""
    tuning = rec.Tuning()
    for part in filter(None, spec.split(",")):
        name, value = part.split("=")
        kind = type(getattr(tuning, name))
        tuning = replace(tuning, **{name: kind(value)})
    return tuning


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    end = args.cut + timedelta(days=args.window_days)
    folder = args.data_dir / "arxiv-daily-cs-listings" / "daily"
    papers = read_listings(folder, end)
    window = [p for p in papers if p.day >= args.cut]
    users = pick_users(papers, args.cut, args.users, args.seed)
    tuning = tuning_from(args.tune)
    print(
        f"cut {args.cut}, window {args.window_days} days ({len(window)} papers), "
        f"{len(users)} users (seed {args.seed}), embedder {args.embedder}, k={K}"
    )
    if args.embedder != "minilm":
        print(f"NOTE: embeddings from the {args.embedder!r} embedder, not the default MiniLM")
    if args.tune:
        print(f"tuning: {tuning}")
    needed = {p.id: paper_text(p.title, p.summary) for p in window}
    for u in users:
        needed.update({p.id: paper_text(p.title, p.summary) for p in u.signals})
    vectors = embed(needed, args.embedder, args.cache)
    vocabulary = store_vocabulary(papers)
    compared = {}
    if args.compare is not None:
        cmp = tuning_from(args.compare)
        compared = {"paperfeed_cmp": paperfeed_ranker(window, vectors, args.cut, cmp, vocabulary)}
    if args.without_comments:
        bare = store_vocabulary(papers, comments=False)
        compared["paperfeed_nocomment"] = paperfeed_ranker(
            window, vectors, args.cut, tuning, bare, comments=False
        )
    rankers = {
        "paperfeed": paperfeed_ranker(window, vectors, args.cut, tuning, vocabulary),
        **compared,
        "asl_svm": asl_ranker(window, users),
        "centroid": centroid_ranker(window, vectors),
        "recent": recent_ranker(window),
    }
    results = evaluate(rankers, users)
    print(f"{'ranker':<13} {'recall@50':>10} {'nDCG@50':>9} {'ms/user':>8}")
    for name, r in results.items():
        print(f"{name:<13} {r['recall@50']:>10.4f} {r['ndcg@50']:>9.4f} {r['ms_per_user']:>8.1f}")
    ratio = results["paperfeed"]["recall@50"] / max(results["asl_svm"]["recall@50"], 1e-9)
    print(f"paperfeed / asl_svm recall@50: {ratio:.2f}x")
    if args.json:
        out: dict[str, object] = {
            name: {"recall@50": r["recall@50"], "ndcg@50": r["ndcg@50"]}
            for name, r in results.items()
        }
        print(json.dumps(out | {"users": len(users)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
