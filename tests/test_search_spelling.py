""" "Did you mean": one-edit corrections weighed by how often the index uses each word."""

from __future__ import annotations

from collections.abc import Sequence

from paperfeed.search.query import parse_query
from paperfeed.search.spelling import correct, suggest

COUNTS = {
    "transformer": 40,
    "attention": 30,
    "agention": 100,  # a non-word whose stem ("agent") is frequent
    "evil": 2,
    "evid": 60,
    "graph": 500,
    "schrodinger": 80,
    "godel": 12,
}


def _frequencies(words: Sequence[str]) -> list[int]:
    return [COUNTS.get(w, 0) for w in words]


def test_typos_become_the_likeliest_known_word() -> None:
    assert correct("transfomer", _frequencies) == "transformer"  # a dropped letter
    assert correct("atention", _frequencies) == "attention"  # an undoubled letter beats a swap
    assert correct("grpah", _frequencies) == "graph"  # swapped letters


def test_known_rare_words_short_words_and_numbers_stay() -> None:
    assert correct("evil", _frequencies) is None
    assert correct("gph", _frequencies) is None
    assert correct("2024", _frequencies) is None
    assert correct("qzxwvk", _frequencies) is None  # nothing known nearby


def test_suggestion_keeps_the_query_and_fixes_its_words() -> None:
    parsed = parse_query('Transfomer  atention for "graph" -survey')
    assert suggest(parsed, _frequencies) == 'transformer attention for "graph" -survey'
    assert suggest(parse_query("graph attention"), _frequencies) is None


def test_a_misspelt_accented_word_gets_a_suggestion_and_a_right_one_none() -> None:
    assert correct("schrödnger", _frequencies) == "schrodinger"  # folded as the index folds
    assert correct("gödel", _frequencies) is None  # spelt right, accent and all
    parsed = parse_query("Schrödnger equation")
    assert suggest(parsed, _frequencies) == "schrodinger equation"
