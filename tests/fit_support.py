"""A store's first keyword-feature fit held open, for tests of what readers get meanwhile."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from paperfeed.recommend.model import Vocabulary
from paperfeed.recommend.service import vocabulary


@dataclass
class HeldFit:
    """`entered` once the fit runs; it goes on when `release` is set (or after 5 s, noted in
    `waited`: a reader's view waited for it)."""

    entered: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    waited: list[bool] = field(default_factory=list)


def hold_first_fit(monkeypatch: pytest.MonkeyPatch) -> HeldFit:
    """Make the test store count as large (its first fit runs apart, as at 50,000 papers) and
    hold that fit until released."""
    monkeypatch.setattr(vocabulary, "APART_FROM", 5)
    held, real = HeldFit(), vocabulary.fit_apart

    def held_fit(texts: list[str], keep: Path | None = None) -> Vocabulary:
        held.entered.set()
        if not held.release.wait(5):
            held.waited.append(True)
        return real(texts, keep)

    monkeypatch.setattr(vocabulary, "fit_apart", held_fit)
    return held
