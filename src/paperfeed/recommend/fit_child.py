"""Fit keyword features in a child process: `python -m paperfeed.recommend.fit_child OUT`
reads the texts (a JSON list) on stdin and writes the fitted features to OUT in
`save_vocabulary`'s format. The fit's peak memory (every n-gram is counted before the rare ones
are dropped) then leaves with the child instead of staying in a serving worker's heap."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson

from paperfeed.recommend.model import fit_vocabulary, save_vocabulary


def main(argv: list[str]) -> int:
    """Fit on the texts from stdin; write them to the one path given."""
    if len(argv) != 1:
        print("usage: python -m paperfeed.recommend.fit_child OUT < texts.json", file=sys.stderr)
        return 2
    try:
        texts = orjson.loads(sys.stdin.buffer.read())
    except orjson.JSONDecodeError:
        texts = None
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        print("stdin must hold a JSON list of strings", file=sys.stderr)
        return 2
    save_vocabulary(fit_vocabulary(texts), Path(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
