"""What the keyword index's text preparation (`search.query.code_words`) costs per title or
abstract, on the real listings: the version before Chinese and Japanese runs were split into
pairs of characters, and the current one. Prints its settings and a table.

    .venv/bin/python bench/code_words_cost.py [--data ../shared/data/arxiv-daily-cs-listings]
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import platform
import time
from pathlib import Path

from paperfeed.search import query as q


def _before(text: str) -> str:
    if "İ" in text:
        text = text.replace("İ", "I")
    if "+" not in text and "#" not in text:
        return text
    return q.CODE_RE.sub(lambda m: f" {q.CODE_WORDS[m[0].lower()]} ", text)


def main() -> None:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--data", default=str(here.parent.parent / "shared/data/arxiv-daily-cs-listings")
    )
    args = parser.parse_args()
    texts: list[str] = []
    for name in sorted(glob.glob(f"{args.data}/daily/*")):
        with (gzip.open if name.endswith(".gz") else open)(name, "rt") as handle:
            for line in handle:
                record = json.loads(line)
                texts += [record.get("title") or "", record.get("summary") or ""]
    wide = sum(not t.isascii() for t in texts)
    print(f"texts {len(texts):,} (titles and abstracts), non-ASCII {wide:,}")
    print(f"machine {platform.machine()}, python {platform.python_version()}")
    print("| version | run | s | µs per text |\n|---|---|---|---|")
    for run in (1, 2):
        for label, prepare in (("before", _before), ("current", q.code_words)):
            start = time.perf_counter()
            for text in texts:
                prepare(text)
            took = time.perf_counter() - start
            print(f"| {label} | {run} | {took:.3f} | {took / len(texts) * 1e6:.2f} |")


if __name__ == "__main__":
    main()
