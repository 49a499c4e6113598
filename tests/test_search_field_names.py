"""Field prefixes as other search engines write them: "author:", "title:", "category:"."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from paperfeed.search.keyword import Filters, KeywordIndex
from paperfeed.search.query import parse_query, semantic_text
from paperfeed.store.search_store import IndexRow

NOW = datetime(2026, 7, 1, tzinfo=UTC).replace(tzinfo=None)
PAPERS = [
    ("2607.00301", "Chain-of-Authorization for agents", "Authors of tools.", ("Ann Lee",), "cs.CR"),
    ("2607.00302", "Forward-forward learning", "Learning without backprop.",
     ("Geoffrey Hinton",), "cs.LG"),
    ("2607.00303", "Title pages of books", "Metadata from title pages.", ("Bo Li",), "cs.CL"),
    ("2607.00304", "Transformer title generation", "Headlines.", ("Bo Li",), "cs.CL"),
]  # fmt: skip


def test_author_title_and_category_prefixes_are_read_not_searched(tmp_path: Path) -> None:
    """ "author:Hinton" searched the word "author" too and listed "Chain-of-Authorization";
    "category:cs.CL" searched the words "category", "cs" and "cl"."""
    index = KeywordIndex(tmp_path / "keyword")
    rows = [IndexRow(*p[:4], (p[4],), date(2026, 6, 30), NOW, False) for p in PAPERS]
    index.apply([rows])

    def found(query: str) -> list[str]:
        parsed = parse_query(query)
        hits, _n = index.search(parsed, Filters(category=parsed.category), 10, all_words=True)
        return [pid[-3:] for pid, _score in hits]

    assert found("author:Hinton") == found("Author:Hinton") == ["302"]
    assert found("authors:hinton learning") == ["302"]
    assert found("title:transformer") == found("intitle:transformer") == ["304"]
    assert set(found("category:cs.CL")) == {"303", "304"}
    assert found("category:cs.CL transformer") == ["304"]
    assert parse_query("the title: of").words == ("the", "title", "of")  # no word after it
    assert semantic_text("author:Hinton forward") == "Hinton forward"
