"""What the papers-by-topic pages cost (`/topics/...`, `paperfeed.topics`), with default settings.

    .venv/bin/python bench/topics_speed.py [--data DIR_OF_LISTINGS] [--months 2026-05,2026-06]
                                           [--most 5000] [--rounds 3] [--tsne] [--no-pages]

1. The pages, through the app (`TestClient`, one process), on a store filled as `paperfeed demo`
   fills it (the bundled real papers and their bundled MiniLM vectors, the default model):
   the newest day, its week, its month and the month before, each "cold" (this process's
   topics and page cache emptied: the first view after new papers) and "cached" (the page
   cache, as anonymous readers meet it).
2. The grouping alone at real scale: each month of the real listings (`--data`, default the
   shared listings) read as the page reads a month, its `--most` first papers, embedded with
   the default MiniLM (the embedding is not timed: the store keeps it), split into its parts;
   and how far its topics follow the papers' primary categories (NMI and ARI, scikit-learn),
   beside k-means over tf-idf words with the same number of topics. The "map ms" column is the
   topics' map (`paperfeed.topic_map`); `--tsne` times a t-SNE map of the same papers beside it.

Prints its settings and three tables.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.manifold import TSNE
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from paperfeed import topic_map, topics
from paperfeed.pipeline import load_demo
from paperfeed.search.embed import get_embedder, paper_text
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.listings import latest_day
from paperfeed.web.app import create_app
from paperfeed.web.periods import day_period, month_period, week_period
from paperfeed.web.views import topics as topic_views

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "arxiv-daily-cs-listings"


def _pages(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), _env_file=None)
        engine = open_store(settings)
        load_demo(engine, settings)
        app = create_app(settings, engine)
        site = app.state.site
        with engine.connect() as conn:
            newest = latest_day(conn)
        assert newest is not None
        print(f"store: the demo's papers, {settings.embed_model} vectors (bundled), defaults")
        print("| page | papers | listed | topics | cold ms (p50 of rounds) | cached ms (p50) |")
        print("|---|---|---|---|---|---|")
        with TestClient(app) as c:
            before = month_period(month_period(newest).start - timedelta(days=1))
            for period in (day_period(newest), week_period(newest), month_period(newest), before):
                path = f"/topics/{period.kind}/{period.slug}"
                cold, cached = [], []
                for _ in range(rounds):
                    topics._KEPT.clear()
                    site.cache.clear()
                    start = time.perf_counter()
                    page = c.get(path)
                    cold.append((time.perf_counter() - start) * 1000)
                    assert page.status_code == 200, page.text
                    start = time.perf_counter()
                    c.get(path)
                    cached.append((time.perf_counter() - start) * 1000)
                said = re.search(r"([\d,]+) papers?", page.text.split('class="sub"', 1)[1])
                assert said is not None
                n = int(said[1].replace(",", ""))
                rows = page.text.count('<li><a href="/papers/')
                k = page.text.count('<section class="topic"')
                cold_ms, cached_ms = statistics.median(cold), statistics.median(cached)
                print(f"| {path} | {n:,} | {rows:,} | {k} | {cold_ms:,.0f} | {cached_ms:,.1f} |")
        engine.dispose()


def _month(folder: Path, month: str, most: int) -> tuple[list[str], list[str], list[str]]:
    """The month's first `most` distinct papers: titles, abstracts and primary categories."""
    seen: dict[str, tuple[str, str, str]] = {}
    for path in sorted(folder.rglob(f"{month}-*.jsonl*")):
        with (gzip.open if path.suffix == ".gz" else open)(path, "rt") as handle:
            for line in handle:
                raw = json.loads(line)
                primary = (raw.get("categories") or ["?"])[0]
                seen.setdefault(raw["id"], (raw["title"], raw.get("summary") or "", primary))
    chosen = list(seen.values())[:most]
    return [t for t, _, _ in chosen], [a for _, a, _ in chosen], [c for _, _, c in chosen]


def _agreement(found: list[topics.Topic], primary: list[str]) -> tuple[float, float]:
    """How far the topics follow the papers' primary categories (a proxy: topics may rightly
    cut across them): normalised mutual information and adjusted Rand index."""
    assigned = np.zeros(len(primary), np.int64)
    for j, topic in enumerate(found):
        assigned[list(topic.members)] = j
    nmi = normalized_mutual_info_score(primary, assigned)
    return float(nmi), float(adjusted_rand_score(primary, assigned))


def _tfidf_baseline(texts: list[str], k: int, primary: list[str]) -> tuple[float, float]:
    """The same agreement for k-means over tf-idf words instead of the embeddings."""
    matrix = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=2).fit_transform(texts)
    labels = KMeans(n_clusters=k, n_init=1, random_state=0).fit(matrix).labels_
    as_topics = [topics.Topic((), tuple(np.flatnonzero(labels == j))) for j in range(k)]
    return _agreement(as_topics, primary)


def _tsne_ms(vectors: np.ndarray) -> float:
    """What a t-SNE map of every paper would cost instead (PCA to 50, then 2-D t-SNE)."""
    start = time.perf_counter()
    reduced = PCA(n_components=min(50, len(vectors) - 1), random_state=0).fit_transform(vectors)
    perplexity = min(30.0, (len(vectors) - 1) / 3)
    TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=0).fit_transform(reduced)
    return (time.perf_counter() - start) * 1000


def _grouping(folder: Path, months: list[str], most: int, tsne: bool) -> None:
    embedder = get_embedder("minilm")
    print(
        f"\ngrouping alone: --most {most:,} papers a month (the page's cap is "
        f"{topic_views.MOST_PAPERS:,}), MiniLM vectors"
    )
    print(
        "| month | papers | topics | embed s (not part of a view) | text ms | "
        "k-means ms | words ms | map ms | total ms (find_topics, cold) |"
        + (" t-SNE ms (scikit-learn, for comparison) |" if tsne else "")
    )
    print("|---|---|---|---|---|---|---|---|---|" + ("---|" if tsne else ""))
    agreement: list[str] = []
    for month in months:
        titles, abstracts, primary = _month(folder, month, most)
        if not titles:
            print(f"| {month} | 0 | – | – | – | – | – | – | – |")
            continue
        start = time.perf_counter()
        texts = [paper_text(t, a) for t, a in zip(titles, abstracts, strict=True)]
        vectors = np.asarray(embedder.embed(texts), np.float32)
        embedded = time.perf_counter() - start
        k = topics.topic_count(len(titles))
        start = time.perf_counter()
        prepared = [topics._text(t, a) for t, a in zip(titles, abstracts, strict=True)]
        text_ms = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        labels = topics._clusters(vectors, k)
        kmeans_ms = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        topics._names(prepared, labels, k)
        words_ms = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        topic_map.layout(vectors, [np.flatnonzero(labels == j) for j in range(labels.max() + 1)])
        map_ms = (time.perf_counter() - start) * 1000
        tsne_ms = _tsne_ms(vectors) if tsne else None
        topics._KEPT.clear()
        start = time.perf_counter()
        found = topics.find_topics(titles, abstracts, vectors)
        total_ms = (time.perf_counter() - start) * 1000
        print(
            f"| {month} | {len(titles):,} | {len(found)} | {embedded:,.0f} | {text_ms:,.0f} | "
            f"{kmeans_ms:,.0f} | {words_ms:,.0f} | {map_ms:,.0f} | {total_ms:,.0f} |"
            + (f" {tsne_ms:,.0f} |" if tsne_ms is not None else "")
        )
        nmi, ari = _agreement(found, primary)
        base_nmi, base_ari = _tfidf_baseline(texts, k, primary)
        names = "; ".join(" · ".join(t.label) for t in found[:5])
        agreement.append(
            f"| {month} | {len(set(primary))} | {nmi:.3f} | {ari:.3f} | {base_nmi:.3f} | "
            f"{base_ari:.3f} | {names} |"
        )
    print("\nagreement with the primary categories (a proxy; higher is closer to them)")
    print("| month | categories | NMI | ARI | tf-idf k-means NMI | its ARI | largest five topics |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(agreement))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(SHARED), help="a folder of daily listing files")
    parser.add_argument("--months", default="2026-05,2026-06", help="months of --data grouped")
    parser.add_argument("--most", type=int, default=topic_views.MOST_PAPERS)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tsne", action="store_true", help="time a t-SNE map too, to compare")
    parser.add_argument("--no-pages", action="store_true", help="the grouping at real scale only")
    args = parser.parse_args()
    print(
        f"machine {platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()}"
    )
    print(
        f"topics: at most {topics.MOST_TOPICS} a list, k-means n_init 1, labels of "
        f"{topics.LABEL_WORDS} words; pages list {topic_views.SHOWN} open, "
        f"{topic_views.LISTED} a topic"
    )
    if not args.no_pages:
        _pages(args.rounds)
    folder = Path(args.data)
    months = [m for m in args.months.split(",") if m.strip()]
    if folder.exists() and months:
        _grouping(folder, months, args.most, args.tsne)
    else:
        print(f"\n{folder} not found or no --months: grouping at real scale skipped")


if __name__ == "__main__":
    main()
