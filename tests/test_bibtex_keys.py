"""BibTeX keys in a list: unique, and each paper's the same whatever the list's order."""

from __future__ import annotations

import itertools
import re

from paperfeed.models import Paper, Version
from paperfeed.web import bibtex


def _keys(text: str) -> dict[str, str]:
    """Each entry's eprint (the paper) and its key."""
    found = re.findall(r"@misc\{([^,]+),.*?eprint\s+= \{([^}]+)\}", text, re.S)
    return {eprint: key for key, eprint in found}


def _paper(pid: str, title: str) -> Paper:
    return Paper(id=pid, title=title, authors=("Zhichao Yang",), versions=(Version(1),))


NAMESAKES = [
    _paper("2606.22203", "When Is Emergent Consensus Real?"),
    _paper("2606.30814", "When Calibration Rankings Reverse"),
    _paper("2606.32029", "When LLMs Read Tables Carelessly"),
]


def test_namesakes_keep_their_keys_in_any_order() -> None:
    """A library exported newest saved first, and imported by a co-author (whose library then
    holds the papers in another order), gave `yang2026whena` to one paper in the first file and
    to another in the second: a LaTeX document shared between them cited the wrong paper."""
    orders = [_keys(bibtex.entries(list(o))) for o in itertools.permutations(NAMESAKES)]
    first = orders[0]
    assert sorted(first.values()) == ["yang2026when", "yang2026whena", "yang2026whenb"]
    assert all(keys == first for keys in orders)
    assert first["2606.22203"] == "yang2026when"  # the first by arXiv id keeps the plain key


def test_a_suffixed_key_never_takes_another_papers_key() -> None:
    """Two papers keyed `yang2026deep` and one keyed `yang2026deepa` gave two `yang2026deepa`."""
    papers = [
        _paper("2606.00001", "Deep Nets"),
        _paper("2606.00002", "Deep Learning"),
        _paper("2606.00003", "Deepa: A Model"),
    ]
    for order in itertools.permutations(papers):
        keys = re.findall(r"@misc\{([^,]+),", bibtex.entries(list(order)))
        assert len(set(keys)) == 3, keys
