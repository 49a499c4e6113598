"""arXiv's categories in one place, and digest preferences checked against them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paperfeed.categories import KNOWN, canonical, suggest
from paperfeed.digest.subscriber import BadInput, parse_preferences

SNAPSHOT = (
    Path(__file__).parent / "fixtures" / "snapshot" / "arxiv-metadata-oai-snapshot.head200.json"
)


def test_every_category_of_real_records_is_known() -> None:
    seen = {
        c
        for line in SNAPSHOT.read_text().splitlines()
        for c in json.loads(line)["categories"].split()
    }
    assert seen and seen <= KNOWN


def test_spelling_and_suggestions() -> None:
    assert canonical("CS.cl") == "cs.CL" and canonical("hep-th") == "hep-th"
    assert canonical("cs.CLL") is None
    assert suggest("cs.CLL") == "cs.CL" and suggest("cs.ML") == "stat.ML"
    assert suggest("quantph") == "quant-ph" and suggest("zzzzzz") is None


def test_preferences_refuse_unknown_categories_with_a_suggestion() -> None:
    assert parse_preferences({"categories": "cs.cl, stat.ML, cs.CL"}).categories == (
        "cs.CL",
        "stat.ML",
    )
    with pytest.raises(
        BadInput, match=r"'cs\.LGG' is not an arXiv category\. Did you mean cs\.LG\?"
    ):
        parse_preferences({"categories": "cs.CL, cs.LGG"})
    with pytest.raises(BadInput, match="Use names like cs.CL"):
        parse_preferences({"categories": "underwater basket weaving"})


def test_names_belong_to_known_categories_and_unknown_ones_have_none() -> None:
    from paperfeed.categories import NAMES, name_of

    assert set(NAMES) <= KNOWN  # a typo in the table would name a category arXiv lacks
    assert all(f"cs.{sub}" in NAMES for sub in ("AI", "CL", "CV", "LG", "RO", "SY"))
    assert name_of("cs.LG") == "Machine Learning" and name_of("stat.ML") == "Machine Learning"
    assert name_of("eess.IV") == "Image and Video Processing"
    assert name_of("physics.optics") == "Optics" and name_of("cs.XX") == ""
