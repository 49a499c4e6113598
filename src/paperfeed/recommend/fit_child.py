"""Fit keyword features in a child process: `python -m paperfeed.recommend.fit_child OUT`
reads the texts (a JSON list) on stdin, or with `--texts FILE` from a file that it then removes,
and writes the fitted features to OUT in `save_vocabulary`'s format. The fit's peak memory
(every n-gram is counted before the rare ones are dropped) then leaves with the child instead of
staying in a serving worker's heap. Read from a file, the texts are whole before the child
starts, so a caller stopped meanwhile does not cut them short: the child finishes on its own."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson

from paperfeed.recommend.model import fit_vocabulary, save_vocabulary

USAGE = "usage: python -m paperfeed.recommend.fit_child [--texts FILE] OUT < texts.json"


def main(argv: list[str]) -> int:
    """Fit on the texts from stdin (or the file); write them to the one path given."""
    if len(argv) not in (1, 3) or (len(argv) == 3 and argv[0] != "--texts"):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        texts = orjson.loads(_read(Path(argv[1])) if len(argv) == 3 else sys.stdin.buffer.read())
    except orjson.JSONDecodeError:
        texts = None
    except OSError as exc:
        print(f"cannot read the texts: {exc}", file=sys.stderr)
        return 2
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        print("stdin must hold a JSON list of strings", file=sys.stderr)
        return 2
    save_vocabulary(fit_vocabulary(texts), Path(argv[-1]))
    return 0


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    path.unlink(missing_ok=True)  # the caller may be gone: nobody else removes it
    return data


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
