"""Chinese and Japanese names are written with or without a space between family and given
name ("山田 太郎", "山田太郎"): either spelling, in the author filter or in a search, finds
the author stored with the other."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from paperfeed.search.keyword import Filters, KeywordIndex
from paperfeed.search.query import parse_query
from paperfeed.store.search_store import IndexRow

PAPERS = [
    ("2607.00021", "Language models", "We evaluate them.", ("山田 太郎", "Ann Lee")),
    ("2607.00022", "Image segmentation", "We segment.", ("佐藤花子",)),
    ("2607.00023", "Graph learning", "We learn graphs.", ("王 伟",)),
    ("2607.00024", "Speech", "We listen.", ("李伟明",)),
    ("2607.00025", "Robots", "We move. 山田 and 太郎 apart.", ("Taro Yamada",)),
]


def _index(tmp_path: Path) -> KeywordIndex:
    index = KeywordIndex(tmp_path / "keyword")
    now = datetime(2026, 7, 1, tzinfo=UTC).replace(tzinfo=None)
    index.apply([[IndexRow(*p, ("cs.CL",), None, now, False) for p in PAPERS]])
    return index


def test_an_author_filter_finds_a_cjk_name_with_or_without_its_space(tmp_path: Path) -> None:
    index = _index(tmp_path)

    def by(author: str) -> set[str]:
        hits, _total = index.search(parse_query(""), Filters(author=author), 10)
        return {p for p, _s in hits}

    assert by("山田太郎") == by("山田 太郎") == by("山田　太郎") == {"2607.00021"}
    assert by("佐藤 花子") == by("佐藤花子") == {"2607.00022"}
    assert by("王伟") == by("王 伟") == {"2607.00023"}
    assert by("山田") == by("太郎") == {"2607.00021"}  # a family or given name alone
    assert by("伟明") == {"2607.00024"} and by("王伟明") == set()
    assert by("山田花子") == by("太郎 山田") == set()  # another name, or the parts swapped


def test_a_search_finds_a_cjk_name_with_or_without_its_space(tmp_path: Path) -> None:
    index = _index(tmp_path)

    def found(query: str) -> set[str]:
        hits, _total = index.search(parse_query(query), Filters(), 10)
        return {p for p, _s in hits}

    assert found("山田太郎") == {"2607.00021"}  # the abstract's 山田 and 太郎 apart: no match
    assert "2607.00021" in found("山田 太郎")
    assert found("佐藤 花子") == found("佐藤花子") == {"2607.00022"}
    assert found("王伟") == {"2607.00023"}
